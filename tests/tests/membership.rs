//! A practice of three; one clinician is removed. Her phone purges the practice, the two
//! others keep syncing with a rotated key, and what they write after her removal cannot be read
//! with the keys she had.

use serde_json::Value;
use trellis_core::crypto::{envelope_epoch, Sealed};
use trellis_protocol::batch;
use trellis_tests::{contains, Device, Relay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_clinician_loses_the_practice_and_cannot_read_what_comes_after() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));

    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["sync"]);
    dana.invite_member(&sam, "Sam");
    dana.invite_member(&lee, "Lee");
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }
    let roster = dana.json(&["workspace", "members"]);
    assert_eq!(roster.as_array().unwrap().len(), 3);
    let lees_keys = lee.keys();
    assert_eq!(lees_keys.current().0, 0);

    // Only owners and admins remove members.
    let err = sam.json_err(&["workspace", "remove", "Lee"]);
    assert_eq!(err["error"], "relay", "{err}");

    dana.json(&["workspace", "remove", "Lee"]);
    let roster = dana.json(&["workspace", "members"]);
    let lee_entry = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Lee")
        .unwrap();
    assert_eq!(lee_entry["removed"], true);
    assert!(lee_entry["devices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["revoked"] == true));

    // Dana and Sam go on, with the new key.
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--note",
        "Planning the spring parent night",
    ]);
    dana.json(&["sync"]);
    // Sam's phone missed the rotation: its drop-by is sealed with the old key. The relay refuses
    // the push, so the phone fetches the new key, seals it again and pushes.
    sam.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "Left brochures at the front office",
    ]);
    let sam_sync = sam.json(&["sync"]);
    assert_eq!(sam_sync["new_key"], true, "{sam_sync}");
    // Sam's first logbook of the month: its genesis and the drop-by.
    assert_eq!(sam_sync["pushed"], 2, "{sam_sync}");
    sam.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Wants flyers by March",
    ]);
    sam.json(&["sync"]);
    dana.json(&["sync"]);
    for d in [&dana, &sam] {
        assert_eq!(d.json(&["activity", "list"]).as_array().unwrap().len(), 2);
        let notes = &d.json(&["contact", "show", "Rosa"])["notes"];
        assert_eq!(notes[0]["text"], "Wants flyers by March");
        assert_eq!(d.keys().current().0, 1);
    }

    // Lee's phone learns it was removed and deletes the practice.
    let err = lee.json_err(&["sync"]);
    assert_eq!(err["error"], "removed", "{err}");
    assert!(lee
        .json(&["workspace", "list"])
        .as_array()
        .unwrap()
        .is_empty());
    let err = lee.json_err(&["contact", "list"]);
    assert_eq!(err["error"], "no_workspace");
    let mut lee_files = Vec::new();
    for entry in std::fs::read_dir(&lee.data).unwrap() {
        lee_files.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    // Not a name, a word of a note, nor a token of the full-text index (lowercased), in any
    // of the store's files.
    let lee_files = lee_files.to_ascii_lowercase();
    for word in ["rosa", "jimenez", "lincoln", "flyers", "march"] {
        assert!(
            !contains(&lee_files, word),
            "Lee's store was purged, but \"{word}\" is still in its files"
        );
    }

    // What was written after the removal is sealed with epoch 1, which Lee never had.
    let (token, ws) = dana.credentials();
    let body = reqwest::Client::new()
        .get(format!(
            "{}/v1/workspaces/{ws}/pull?after=0&limit=1000",
            relay.url
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let log = batch::decode_pull(&body).unwrap();
    let ws_id: trellis_protocol::Id = ws.parse().unwrap();
    let dana_keys = dana.keys();
    let mut after_removal = 0;
    for e in &log.entries {
        match envelope_epoch(&e.bytes) {
            Some(0) => assert!(lees_keys
                .open(Sealed::Change, &ws_id, &e.doc_id, &e.bytes)
                .is_ok()),
            Some(1) => {
                after_removal += 1;
                assert!(lees_keys
                    .open(Sealed::Change, &ws_id, &e.doc_id, &e.bytes)
                    .is_err());
                assert!(dana_keys
                    .open(Sealed::Change, &ws_id, &e.doc_id, &e.bytes)
                    .is_ok());
            }
            other => panic!("unexpected epoch {other:?}"),
        }
    }
    assert!(
        after_removal >= 3,
        "the two drop-bys and the note came after the removal"
    );
}

#[test]
fn a_clinician_who_leaves_purges_her_phone_and_the_owner_rotates_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let lee = Device::new(tmp.path().join("lee"));
    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["contact", "add", "Rosa Jimenez"]);
    dana.json(&["sync"]);
    dana.invite_member(&lee, "Lee");
    assert_eq!(lee.json(&["contact", "list"])[0]["name"], "Rosa Jimenez");
    let lees_keys = lee.keys();

    // The owner cannot simply leave; Lee can, and her phone forgets the practice at once.
    let err = dana.json_err(&["workspace", "leave"]);
    assert_eq!(err["error"], "relay", "{err}");
    lee.json(&["workspace", "leave"]);
    assert!(lee
        .json(&["workspace", "list"])
        .as_array()
        .unwrap()
        .is_empty());

    // The owner's next sync makes the next key; what she writes next is beyond Lee's keys.
    let synced = dana.json(&["sync"]);
    assert_eq!(synced["rotated_to"], 1, "{synced}");
    assert!(dana.json(&["sync"])["rotated_to"].is_null(), "only once");
    dana.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Met at the district fair",
    ]);
    dana.json(&["sync"]);
    let conn = rusqlite::Connection::open(dana.data.join("trellis.sqlite3")).unwrap();
    assert_eq!(
        conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        0
    );
    let (ws, doc): (String, String) = conn
        .query_row(
            "SELECT ws, id FROM contacts WHERE name = 'Rosa Jimenez'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let ws: trellis_protocol::Id = ws.parse().unwrap();
    let doc: trellis_protocol::Id = doc.parse().unwrap();
    // Seal a probe the way Dana's device now does, and check Lee's ring cannot open it.
    let probe = dana
        .keys()
        .seal(Sealed::Change, &ws, &doc, b"after Lee left");
    assert_eq!(envelope_epoch(&probe), Some(1));
    assert!(lees_keys.open(Sealed::Change, &ws, &doc, &probe).is_err());
}

/// The device ids of `name`'s devices, as `workspace members` lists them on `d`.
fn devices_of(d: &Device, name: &str) -> Vec<String> {
    d.json(&["workspace", "members"])
        .as_array()
        .expect("a roster")
        .iter()
        .find(|m| m["name"] == name)
        .expect("the member is listed")["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|dev| dev["device_id"].as_str().expect("a device id").to_string())
        .collect()
}

/// Ari, an admin of Dana's practice, tries to revoke Dana's only phone (before, the relay let
/// her, and Dana's phone purged itself with its unsynced drop-bys and no way back). Dana
/// herself cannot revoke her last device either. Her phone keeps its drop-by and syncs it.
#[test]
fn an_admin_cannot_lock_the_owner_out_and_the_owner_keeps_her_last_device() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let ari = Device::new(tmp.path().join("ari"));
    let sam = Device::new(tmp.path().join("sam"));

    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&["sync"]);
    let code = dana.invite(&["--role", "admin"]);
    ari.json(&["init", "--name", "Ari"]);
    dana.let_in(&ari, &code);
    dana.invite_member(&sam, "Sam");
    // Dana logs a drop-by she has not synced yet.
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "unsynced visit",
    ]);

    let danas_phone = devices_of(&ari, "Dana");
    assert_eq!(danas_phone.len(), 1);
    let refused = ari.json_err(&["workspace", "revoke", &danas_phone[0]]);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("members' devices only")),
        "{refused}"
    );
    let refused = dana.json_err(&["workspace", "revoke", &danas_phone[0]]);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("the owner's last device")),
        "{refused}"
    );

    // The admin still revokes a member's device.
    ari.json(&["sync"]);
    let sams_phone = devices_of(&ari, "Sam");
    ari.json(&["workspace", "revoke", &sams_phone[0]]);

    // Dana's phone was never purged: her visit reaches the practice.
    let synced = dana.json(&["sync"]);
    assert!(synced["pushed"].as_u64() >= Some(1), "{synced}");
    ari.json(&["sync"]);
    let notes: Vec<Value> = ari
        .json(&["activity", "list"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["note"].clone())
        .collect();
    assert!(notes.contains(&Value::from("unsynced visit")), "{notes:?}");
}

/// What the gateway between a device and the relay does to the next request whose path
/// contains the given text.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answers `401 revoked` itself (a captive portal, a misconfigured gateway, someone on the
    /// path).
    ForgeRevoked(&'static str),
    /// Forwards the request, the relay acts on it, and the answer is lost (`502`).
    LoseAnswer(&'static str),
}

/// A gateway in front of the relay that forwards every request, except that it applies the
/// fault it was given to the next matching one.
struct Gateway {
    url: String,
    fault: std::sync::Arc<std::sync::Mutex<Option<Fault>>>,
}

impl Gateway {
    fn next(&self, fault: Fault) {
        *self.fault.lock().unwrap() = Some(fault);
    }
}

async fn gateway(relay: &str) -> Gateway {
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;
    use std::sync::{Arc, Mutex};

    #[derive(Clone)]
    struct Proxy {
        relay: String,
        http: reqwest::Client,
        fault: Arc<Mutex<Option<Fault>>>,
    }
    async fn forward(State(p): State<Proxy>, req: Request) -> Response {
        let path = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default();
        let fault = {
            let mut slot = p.fault.lock().unwrap();
            let hit = match *slot {
                Some(Fault::ForgeRevoked(part) | Fault::LoseAnswer(part)) => path.contains(part),
                None => false,
            };
            if hit {
                slot.take()
            } else {
                None
            }
        };
        if let Some(Fault::ForgeRevoked(_)) = fault {
            return Response::builder()
                .status(401)
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"error":"revoked","message":"this device was revoked"}"#,
                ))
                .unwrap();
        }
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let mut out = p
            .http
            .request(parts.method.clone(), format!("{}{path}", p.relay))
            .body(body);
        for (name, value) in &parts.headers {
            if name != "host" {
                out = out.header(name, value);
            }
        }
        let resp = out.send().await.unwrap();
        if let Some(Fault::LoseAnswer(_)) = fault {
            return Response::builder()
                .status(502)
                .body(Body::from("the relay's answer was lost"))
                .unwrap();
        }
        let mut back = Response::builder().status(resp.status().as_u16());
        for (name, value) in resp.headers() {
            back = back.header(name, value);
        }
        back.body(Body::from(resp.bytes().await.unwrap())).unwrap()
    }

    let fault = Arc::new(Mutex::new(None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(forward).with_state(Proxy {
        relay: relay.to_string(),
        http: reqwest::Client::new(),
        fault: Arc::clone(&fault),
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    Gateway { url, fault }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_revocation_deletes_nothing_and_a_real_one_keeps_what_was_not_synced() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&["sync"]);
    dana.invite_member(&sam, "Sam");
    sam.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "Monday visit",
    ]);
    sam.json(&["sync"]);

    // Sam's phone reaches the relay through a gateway that forges one `401 revoked`.
    let proxy = gateway(&relay.url).await;
    let conn = rusqlite::Connection::open(sam.data.join("trellis.sqlite3")).unwrap();
    conn.execute("UPDATE workspaces SET relay_url = ?1", [&proxy.url])
        .unwrap();
    drop(conn);
    sam.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "Tuesday visit",
    ]);
    proxy.next(Fault::ForgeRevoked("/push"));
    let err = sam.json_err(&["sync"]);
    assert_eq!(err["error"], "relay", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("nothing was deleted"),
        "{err}"
    );
    // Nothing was deleted: both visits are on the phone and Tuesday's still waits to be sent.
    assert_eq!(sam.activity_notes(), ["Monday visit", "Tuesday visit"]);
    assert!(sam.json(&["status"])["pending_changes"].as_u64().unwrap() > 0);
    let report = sam.json(&["sync"]);
    assert!(report["pushed"].as_u64().unwrap() > 0, "{report}");
    dana.json(&["sync"]);
    assert_eq!(dana.activity_notes(), ["Monday visit", "Tuesday visit"]);

    // Dana really removes Sam. His phone, offline meanwhile, logged Friday's visit; its next
    // sync learns the removal (the relay says it twice), keeps Friday's visit in a file only
    // he can read, and deletes the practice.
    dana.json(&["workspace", "remove", "Sam"]);
    sam.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--note",
        "Friday visit, not synced",
    ]);
    let err = sam.json_err(&["sync"]);
    assert_eq!(err["error"], "removed", "{err}");
    let message = err["message"].as_str().unwrap();
    let kept = message
        .split(" in ")
        .last()
        .expect("the message names the file")
        .trim();
    let text = std::fs::read_to_string(kept).unwrap_or_else(|e| panic!("{kept}: {e} ({message})"));
    assert!(text.contains("Friday visit, not synced"), "{text}");
    assert!(
        text.contains("Lincoln Middle School"),
        "the place is named: {text}"
    );
    assert!(
        !text.contains("Monday visit"),
        "only what was not synced: {text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(kept).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    let gone = sam.json_err(&["activity", "list"]);
    assert_eq!(gone["error"], "no_workspace", "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_or_a_connect_whose_answer_was_lost_is_simply_tried_again() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let gate = gateway(&relay.url).await;

    // Dana started her practice on her laptop alone; connecting it, the relay's answer is lost.
    let dana = Device::new(tmp.path().join("dana"));
    dana.json(&["init", "--name", "Dana"]);
    dana.json(&["workspace", "create", "Maple Street Counseling"]);
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    gate.next(Fault::LoseAnswer("/v1/workspaces"));
    let connect = [
        "workspace",
        "connect",
        "--relay",
        gate.url.as_str(),
        "--signup-secret",
        trellis_tests::SIGNUP_SECRET,
    ];
    dana.json_err(&connect);
    // Trying again connects the practice (the relay had registered it the first time).
    dana.json(&connect);
    dana.json(&["sync"]);

    // Sam joins with Dana's invite; the answer is lost after the relay used the invite.
    let code = dana.invite(&[]);
    let sam = Device::new(tmp.path().join("sam"));
    sam.json(&["init", "--name", "Sam"]);
    gate.next(Fault::LoseAnswer("/invites/redeem"));
    sam.json_err(&["workspace", "join", &code, "--relay", &gate.url]);
    // Trying again with the same code joins him: the invite was not burnt.
    let joined = sam.json(&["workspace", "join", &code, "--relay", &gate.url]);
    assert_eq!(joined["awaiting_keys"], true, "{joined}");
    // Until Dana's device hands the keys over, Sam's sync says so and changes nothing.
    let waiting = sam.json_err(&["sync"]);
    assert_eq!(waiting["error"], "awaiting_keys", "{waiting}");
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    assert_eq!(
        sam.json(&["org", "list"])[0]["name"],
        "Lincoln Middle School"
    );
    dana.json(&["sync"]);
    let members = dana.json(&["workspace", "members"]);
    assert_eq!(members.as_array().unwrap().len(), 2, "{members}");
    let sams = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "Sam")
        .count();
    assert_eq!(sams, 1, "one Sam: {members}");

    // Lee starts a practice on the relay at once. With a wrong signup secret nothing is kept;
    // when the answer is lost, the practice stays on her laptop and connecting it registers it
    // once.
    let lee = Device::new(tmp.path().join("lee"));
    lee.json(&["init", "--name", "Lee"]);
    let create = |secret: &str| -> Vec<String> {
        [
            "workspace",
            "create",
            "Hillside Therapy",
            "--relay",
            gate.url.as_str(),
            "--signup-secret",
            secret,
        ]
        .map(String::from)
        .to_vec()
    };
    let args = create("not-the-secret");
    let refused = lee.json_err(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(refused["error"], "relay", "{refused}");
    assert_eq!(lee.json(&["workspace", "list"]), serde_json::json!([]));
    let workspaces_before = relay_workspaces(&relay);
    gate.next(Fault::LoseAnswer("/v1/workspaces"));
    let args = create(trellis_tests::SIGNUP_SECRET);
    let lost = lee.json_err(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        lost["message"]
            .as_str()
            .is_some_and(|m| m.contains("workspace connect")),
        "{lost}"
    );
    let listed = lee.json(&["workspace", "list"]);
    assert_eq!(listed[0]["name"], "Hillside Therapy", "{listed}");
    lee.json(&[
        "workspace",
        "connect",
        "--relay",
        gate.url.as_str(),
        "--signup-secret",
        trellis_tests::SIGNUP_SECRET,
    ]);
    lee.json(&["org", "add", "Hillside Clinic"]);
    lee.json(&["sync"]);
    assert_eq!(
        relay_workspaces(&relay),
        workspaces_before + 1,
        "the practice is registered once"
    );
}

/// How many workspaces the relay holds (`trellis-relay admin workspaces`).
fn relay_workspaces(relay: &Relay) -> usize {
    let mut command = std::process::Command::new(trellis_tests::bin_dir().join("trellis-relay"));
    if let Some(url) = trellis_tests::database_url(&relay.data) {
        command.args(["--database", &url]);
    }
    let out = command
        .arg("--data")
        .arg(&relay.data)
        .args(["admin", "workspaces", "--json"])
        .output()
        .expect("the relay's admin command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    listed.as_array().map_or(0, Vec::len)
}

#[test]
fn a_new_owner_acts_as_owner_from_her_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.invite_member(&sam, "Sam");
    dana.invite_member(&lee, "Lee");
    let role_of = |d: &Device| d.json(&["workspace", "list"])[0]["role"].clone();
    assert_eq!(role_of(&sam), "member");

    // Dana retires and hands the practice to Sam; his phone learns it at its next sync.
    dana.json(&["sync"]);
    dana.json(&["workspace", "transfer", "Sam"]);
    sam.json(&["sync"]);
    assert_eq!(role_of(&sam), "owner");
    dana.json(&["sync"]);
    assert_eq!(role_of(&dana), "admin");

    // Lee leaves; the new owner's next sync makes the next key, so what is written after
    // cannot be read with the keys Lee had.
    lee.json(&["workspace", "leave"]);
    let report = sam.json(&["sync"]);
    assert_eq!(report["rotated_to"], 1, "{report}");
}
