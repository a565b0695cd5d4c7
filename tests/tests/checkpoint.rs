//! Dana's practice grows to a few organizations, 30 contacts and 100 drop-bys; she makes a
//! checkpoint and the relay compacts its log. Sam's new phone joins and bootstraps from the
//! checkpoint instead of replaying the log. On a relay that keeps no compacted entries
//! (`--compacted-grace-days 0`), Dana's tablet, offline since before the checkpoint and holding
//! a drop-by logged offline, finds the log compacted (`410 compacted`), bootstraps too, keeps
//! its drop-by, and everyone converges. On a relay with the default grace period, a tablet
//! offline since before a checkpoint pulls the compacted entries instead, while a new phone
//! still starts from the checkpoint. (The grace running out, on a clock the test drives, is
//! `server/tests/checkpoints.rs`.)

use std::time::Instant;

use serde_json::Value;
use trellis_core::{NewActivity, NewContact, Store};
use trellis_tests::{Device, Relay};

const ORGS: [&str; 4] = [
    "Lincoln Middle School",
    "Riverside Clinic",
    "St. Anne Parish",
    "Hillcrest Pediatrics",
];
const CONTACTS: usize = 30;
const DROP_BYS: usize = 100;

/// Sorted `(name, organization)` of every contact the device lists.
fn contacts(d: &Device) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = d
        .json(&["contact", "list"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["organization"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Sorted `(id, at, contacts, note)` of every activity the device lists.
fn activities(d: &Device) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = d
        .json(&["activity", "list"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap_or_default().to_string(),
                a["at"].as_str().unwrap_or_default().to_string(),
                a["contacts"].to_string(),
                a["note"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The status of a pull from `after` on the relay, with the device's own token.
fn pull_status(relay: &Relay, d: &Device, after: u64) -> (u16, Value) {
    let (token, ws) = d.credentials();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!(
                "{}/v1/workspaces/{ws}/pull?after={after}",
                relay.url
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("the relay answers");
        let status = resp.status().as_u16();
        let body = resp.bytes().await.expect("a body");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    })
}

#[test]
fn a_new_phone_and_a_long_offline_tablet_bootstrap_from_a_checkpoint_and_converge() {
    let tmp = tempfile::tempdir().unwrap();
    // Compacted entries are deleted at completion, as after the grace period runs out.
    let relay = Relay::start_with(
        &tmp.path().join("relay"),
        0,
        &["--compacted-grace-days", "0"],
    );
    let dana = Device::new(tmp.path().join("dana"));
    let tablet = Device::new(tmp.path().join("tablet"));
    let sam = Device::new(tmp.path().join("sam"));

    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    for (org, kind) in ORGS
        .iter()
        .zip(["school", "clinic", "place-of-worship", "primary-care"])
    {
        dana.json(&["org", "add", org, "--kind", kind]);
    }
    dana.json(&["sync"]);
    // Her tablet joins, syncs once, then stays in a drawer.
    dana.add_device(&tablet, "Dana");
    let tablet_cursor = tablet.json(&["status"]);
    assert_eq!(contacts(&tablet).len(), 0);

    // Months of work on her phone: 30 contacts and 100 drop-bys (in-process, for speed).
    {
        let store = Store::open(dana.data.join("trellis.sqlite3")).expect("Dana's store opens");
        for i in 0..CONTACTS {
            store
                .add_contact(&NewContact {
                    name: format!("Contact {i:02}"),
                    organization: Some(ORGS[i % ORGS.len()].to_string()),
                    needs: Some(format!("needs of contact {i}")),
                    ..Default::default()
                })
                .expect("a contact is added");
        }
        for i in 0..DROP_BYS {
            let c = (i * 7) % CONTACTS;
            store
                .log_activity(&NewActivity {
                    organization: Some(ORGS[c % ORGS.len()].to_string()),
                    contacts: vec![format!("Contact {c:02}")],
                    minutes: 15,
                    note: Some(format!("drop-by {i}")),
                    at: Some(format!(
                        "2026-{:02}-{:02}T{:02}:00:00Z",
                        1 + i % 12,
                        1 + i % 28,
                        8 + i % 9
                    )),
                    ..Default::default()
                })
                .expect("a drop-by is logged");
        }
    }
    dana.json(&["sync"]);

    // Meanwhile, offline, the tablet logs a drop-by of its own.
    tablet.json(&[
        "log",
        "drop-by",
        "--org",
        "Riverside",
        "--note",
        "left cards at the front desk (tablet, offline)",
        "--at",
        "2026-06-03T10:00:00Z",
    ]);

    // Dana makes a checkpoint; the relay compacts the log it covers.
    let checkpoint = dana.json(&["workspace", "checkpoint"]);
    let seq = checkpoint["seq"].as_u64().expect("a seq");
    let docs = checkpoint["docs"].as_u64().expect("a document count");
    let bytes = checkpoint["bytes"].as_u64().expect("a byte count");
    // One document per organization and contact, and a logbook per member and month (the
    // drop-bys fall in 12 months).
    assert!(docs >= (ORGS.len() + CONTACTS + 12) as u64, "{checkpoint}");
    assert!(seq > 0 && bytes > 0, "{checkpoint}");
    let (status, body) = pull_status(&relay, &dana, 0);
    assert_eq!((status, body["error"].as_str()), (410, Some("compacted")));
    let (status, _) = pull_status(&relay, &dana, seq);
    assert_eq!(status, 200, "the log after the checkpoint is served");

    // Sam's new phone joins: it starts from the checkpoint.
    let t = Instant::now();
    let joined = dana.invite_member(&sam, "Sam");
    let join_s = t.elapsed().as_secs_f64();
    let boot = joined["sync"]["bootstrapped_docs"].as_u64().unwrap_or(0);
    assert!(boot > 0, "{joined}");
    assert_eq!(boot, docs, "{joined}");
    assert_eq!(joined["sync"]["gaps"], 0, "{joined}");
    let pulled = joined["sync"]["pulled"].as_u64().unwrap_or(u64::MAX);
    assert!(
        pulled < seq,
        "only the log after the checkpoint is pulled: {joined}"
    );
    eprintln!(
        "checkpoint bootstrap: {docs} documents, {bytes} sealed bytes, seq {seq}; \
         new device joined and bootstrapped in {join_s:.2} s (CLI join incl. invite redemption), \
         then pulled {pulled} log entries"
    );
    let dana_contacts = contacts(&dana);
    assert_eq!(dana_contacts.len(), CONTACTS);
    assert_eq!(contacts(&sam), dana_contacts);
    assert_eq!(activities(&dana).len(), DROP_BYS);
    assert_eq!(activities(&sam), activities(&dana));

    // The tablet wakes up: its cursor is before the floor, so it is told the log was compacted,
    // bootstraps from the checkpoint, and pushes its offline drop-by.
    assert!(
        tablet_cursor["cursor"].as_u64().unwrap_or(0) < seq,
        "{tablet_cursor}"
    );
    let t = Instant::now();
    let woke = tablet.json(&["sync"]);
    let wake_s = t.elapsed().as_secs_f64();
    assert!(
        woke["bootstrapped_docs"].as_u64().unwrap_or(0) > 0,
        "{woke}"
    );
    assert!(woke["pushed"].as_u64().unwrap_or(0) >= 1, "{woke}");
    assert_eq!(woke["gaps"], 0, "{woke}");
    eprintln!("offline tablet: compacted, bootstrapped and synced in {wake_s:.2} s ({woke})");

    // Everyone converges, the tablet's drop-by included.
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    let all = activities(&dana);
    assert_eq!(all.len(), DROP_BYS + 1);
    assert!(
        all.iter().any(|a| a.3.contains("tablet, offline")),
        "the tablet's drop-by reached Dana"
    );
    for d in [&sam, &tablet] {
        assert_eq!(activities(d), all);
        assert_eq!(contacts(d), dana_contacts);
    }
}

/// Dana's tablet syncs, then spends a day in a drawer while she logs a drop-by of her own on
/// it, and her phone logs more and cuts a checkpoint. The relay (default grace period) keeps the
/// entries the checkpoint compacted: the tablet wakes up and pulls them like any others, with
/// no `410` and no checkpoint to download, pushes its drop-by, and converges; Sam's new phone
/// still starts from the checkpoint and pulls only the log after it.
#[test]
fn a_tablet_offline_since_before_a_checkpoint_pulls_the_compacted_entries_during_the_grace() {
    let tmp = tempfile::tempdir().unwrap();
    // The relay's defaults: compacted entries are kept for 7 days.
    let relay = Relay::start_with(&tmp.path().join("relay"), 0, &[]);
    let dana = Device::new(tmp.path().join("dana"));
    let tablet = Device::new(tmp.path().join("tablet"));
    let sam = Device::new(tmp.path().join("sam"));

    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["sync"]);
    dana.add_device(&tablet, "Dana");
    tablet.json(&["sync"]);
    let tablet_cursor = tablet.json(&["status"])["cursor"].as_u64().unwrap_or(0);
    assert!(tablet_cursor > 0, "the tablet synced before the drawer");

    // In the drawer, the tablet logs a drop-by; meanwhile the phone logs two and checkpoints.
    tablet.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "left cards at the front desk (tablet, offline)",
    ]);
    for note in ["spring calendar", "anxiety group flyer"] {
        dana.json(&[
            "log",
            "drop-by",
            "--org",
            "Lincoln",
            "--contact",
            "Rosa",
            "--note",
            note,
        ]);
    }
    dana.json(&["contact", "add", "Amir Haddad", "--org", "Lincoln"]);
    dana.json(&["sync"]);
    let checkpoint = dana.json(&["workspace", "checkpoint"]);
    let seq = checkpoint["seq"].as_u64().expect("a seq");
    let docs = checkpoint["docs"].as_u64().expect("a document count");
    assert!(seq > tablet_cursor, "{checkpoint}");
    // The compacted entries are still served, from the very start of the log.
    let (status, body) = pull_status(&relay, &dana, 0);
    assert_eq!(status, 200, "{body}");

    // The tablet wakes up: it pulls what it missed and downloads no checkpoint.
    let woke = tablet.json(&["sync"]);
    assert_eq!(woke["bootstrapped_docs"], 0, "{woke}");
    assert!(
        woke["pulled"].as_u64().unwrap_or(0) >= seq - tablet_cursor,
        "{woke}"
    );
    assert!(woke["pushed"].as_u64().unwrap_or(0) >= 1, "{woke}");
    assert_eq!(woke["gaps"], 0, "{woke}");

    // Sam's new phone starts from the checkpoint all the same.
    let joined = dana.invite_member(&sam, "Sam");
    assert_eq!(joined["sync"]["bootstrapped_docs"], docs, "{joined}");
    assert!(
        joined["sync"]["pulled"].as_u64().unwrap_or(u64::MAX) < seq,
        "only the log after the checkpoint is pulled: {joined}"
    );

    // Everyone converges, the tablet's drop-by included.
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    let all = activities(&dana);
    assert_eq!(all.len(), 3);
    assert!(
        all.iter().any(|a| a.3.contains("tablet, offline")),
        "{all:?}"
    );
    for d in [&sam, &tablet] {
        assert_eq!(activities(d), all);
        assert_eq!(contacts(d), contacts(&dana));
    }
    assert_eq!(contacts(&dana).len(), 2);
}

/// `POST` of a JSON body to the relay with the device's own token: the status and the answer.
fn post_as(relay: &Relay, d: &Device, path: &str, body: Value) -> (u16, Value) {
    let (token, ws) = d.credentials();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/workspaces/{ws}{path}", relay.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the relay answers");
        let status = resp.status().as_u16();
        let body = resp.bytes().await.expect("a body");
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    })
}

/// Sam, a member of Dana's practice, tries to cut a checkpoint at the head of the log and to
/// complete one with no documents in it — two requests that would have compacted the
/// practice's whole history. The relay refuses both, his own CLI says why, and Dana's new
/// laptop still finds every contact and drop-by.
#[test]
fn a_member_cannot_cut_a_checkpoint_and_the_practices_history_stays_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let laptop = Device::new(tmp.path().join("laptop"));

    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--minutes",
        "20",
    ]);
    dana.json(&["sync"]);
    dana.invite_member(&sam, "Sam");
    let head = sam.json(&["status"])["cursor"]
        .as_u64()
        .expect("Sam's cursor");
    assert!(head > 0);

    // Start a checkpoint at the head, then complete one with no documents.
    let (status, body) = post_as(
        &relay,
        &sam,
        "/checkpoints",
        serde_json::json!({ "seq": head }),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let some_id = "0123456789abcdef0123456789abcdef";
    let (status, body) = post_as(
        &relay,
        &sam,
        &format!("/checkpoints/{some_id}/complete"),
        serde_json::json!({ "docs": 0 }),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    // His own app asks the same and is told the same.
    let refused = sam.json_err(&["workspace", "checkpoint"]);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("only an owner or an admin")),
        "{refused}"
    );
    // The log is whole: a pull from the start is not compacted.
    assert_eq!(pull_status(&relay, &dana, 0).0, 200);

    // Dana's new laptop starts from the log and finds everything.
    let code = dana.invite(&["--device"]);
    laptop.json(&["init", "--name", "Dana"]);
    dana.let_in(&laptop, &code);
    assert_eq!(
        contacts(&laptop),
        vec![(
            "Rosa Jimenez".to_string(),
            "Lincoln Middle School".to_string()
        )]
    );
    assert_eq!(activities(&laptop).len(), 1);
}
