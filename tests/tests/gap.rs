//! Gap repair: a device that receives a change whose dependency is missing from the log keeps
//! it, pulls the log again, reports the gap instead of silently diverging, and heals as soon as
//! the missing change arrives.

use trellis_protocol::batch::{self, PushEntry};
use trellis_tests::{Device, Relay};

/// The outbox rows of a device, oldest first: (doc id, keyed hash, envelope).
fn outbox(d: &Device) -> Vec<PushEntry> {
    let conn = rusqlite::Connection::open(d.data.join("trellis.sqlite3")).unwrap();
    let mut st = conn
        .prepare("SELECT doc_id, change_hash, envelope FROM outbox ORDER BY id")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })
    .unwrap()
    .map(|r| {
        let (doc, hash, bytes) = r.unwrap();
        PushEntry {
            doc_id: doc.parse().unwrap(),
            change_hash: hash.try_into().unwrap(),
            bytes,
        }
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_dependency_is_missing_is_kept_reported_and_healed() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    // Sam joins first (Dana's device hands him the keys), then Dana adds a school.
    dana.invite_member(&sam, "Sam");
    let org = dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&[
        "org", "locate", "Lincoln", "--lat", "45.52", "--lon", "-122.68",
    ]);
    let org_id = org["id"].as_str().unwrap().to_string();

    // The organization's changes: genesis, the name, the location. Push all but the name.
    let rows = outbox(&dana);
    let org_rows: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, e)| e.doc_id.to_hex() == org_id)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(org_rows.len(), 3, "genesis, add, locate");
    let missing = rows[org_rows[1]].clone();
    let first: Vec<PushEntry> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != org_rows[1])
        .map(|(_, e)| e.clone())
        .collect();
    let (token, ws) = dana.credentials();
    let push = |entries: Vec<PushEntry>| {
        reqwest::Client::new()
            .post(format!("{}/v1/workspaces/{ws}/push", relay.url))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(batch::encode_push(&entries))
            .send()
    };
    assert_eq!(push(first).await.unwrap().status(), 200);

    let first_sync = sam.json(&["sync"]);
    assert_eq!(first_sync["repulled"], true, "{first_sync}");
    assert_eq!(first_sync["gaps"], 1, "{first_sync}");
    assert_eq!(sam.json(&["status"])["gaps"], 1);
    assert!(sam.json(&["org", "list"]).as_array().unwrap().is_empty());
    // The whole log was pulled again once for this gap; later syncs do not pull it again
    // until the gap heals or a new one opens.
    let again = sam.json(&["sync"]);
    assert_eq!(again["repulled"], false, "{again}");
    assert_eq!(again["gaps"], 1, "{again}");

    // The missing change reaches the relay; the next sync heals the gap, and the change that
    // was waiting (the location) is not lost.
    assert_eq!(push(vec![missing]).await.unwrap().status(), 200);
    let report = sam.json(&["sync"]);
    assert_eq!(report["gaps"], 0, "{report}");
    assert_eq!(sam.json(&["status"])["gaps"], 0);
    let orgs = sam.json(&["org", "list"]);
    assert_eq!(orgs[0]["name"], "Lincoln Middle School");
    assert_eq!(orgs[0]["lat"], 45.52);
}
