//! Who may touch a workspace's log, tried against a real relay process with real device tokens.

use trellis_protocol::api::{ErrorBody, PushResponse};
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::Id;
use trellis_tests::{Device, Relay};

fn practice(tmp: &std::path::Path, relay: &Relay, who: &str, name: &str) -> Device {
    let d = Device::new(tmp.join(who));
    d.found_practice(relay, who, name);
    d.json(&[
        "org",
        "add",
        "Riverside Pediatrics",
        "--kind",
        "primary-care",
    ]);
    d.json(&["sync"]);
    d
}

async fn error_of(resp: reqwest::Response) -> (u16, ErrorBody) {
    let status = resp.status().as_u16();
    let body: ErrorBody = resp.json().await.expect("errors are JSON");
    (status, body)
}

#[tokio::test]
async fn tokens_guard_each_workspace_and_a_resent_push_is_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let a = practice(tmp.path(), &relay, "dana", "Maple Street Counseling");
    let c = practice(tmp.path(), &relay, "lee", "Harbor Family Therapy");
    let (a_token, a_ws) = a.credentials();
    let (c_token, _) = c.credentials();
    let http = reqwest::Client::new();
    let pull = |token: &str| {
        http.get(format!("{}/v1/workspaces/{a_ws}/pull?after=0", relay.url))
            .bearer_auth(token)
    };

    // Wrong token: 401 with a JSON error.
    let (status, body) = error_of(pull("not-a-real-token").send().await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (401, "unauthorized"));
    let resp = http
        .get(format!("{}/v1/workspaces/{a_ws}/pull", relay.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // A device of another practice can neither pull nor push Dana's workspace.
    let (status, body) = error_of(pull(&c_token).send().await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (403, "forbidden"));
    let push_to_a = |token: &str, body: Vec<u8>| {
        http.post(format!("{}/v1/workspaces/{a_ws}/push", relay.url))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body)
    };
    let entry = PushEntry {
        doc_id: Id::random(),
        change_hash: [7; 32],
        bytes: vec![1, 2, 3, 4, 5],
    };
    let body = batch::encode_push(std::slice::from_ref(&entry));
    let (status, _) = error_of(push_to_a(&c_token, body.clone()).send().await.unwrap()).await;
    assert_eq!(status, 403);

    // Dana's own device pulls her log.
    let resp = pull(&a_token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let before = batch::decode_pull(&resp.bytes().await.unwrap()).unwrap();
    assert!(!before.entries.is_empty());
    assert_eq!(before.head, before.entries.last().unwrap().seq);

    // A push sent twice (its answer "lost") is stored once, with the same seq.
    let first: PushResponse = push_to_a(&a_token, body.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: PushResponse = push_to_a(&a_token, body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first.stored, 1);
    assert_eq!(second.stored, 0);
    assert_eq!(first.seqs, second.seqs);
    assert_eq!(first.seqs, vec![before.head + 1]);
    let after =
        batch::decode_pull(&pull(&a_token).send().await.unwrap().bytes().await.unwrap()).unwrap();
    assert_eq!(after.entries.len(), before.entries.len() + 1);
    assert_eq!(after.entries.last().unwrap().bytes, entry.bytes);

    // Garbage is refused with a JSON 400 and stores nothing.
    let (status, body) = error_of(push_to_a(&a_token, vec![1, 2, 3]).send().await.unwrap()).await;
    assert_eq!((status, body.error.as_str()), (400, "bad_request"));
    let last =
        batch::decode_pull(&pull(&a_token).send().await.unwrap().bytes().await.unwrap()).unwrap();
    assert_eq!(last.head, after.head);

    // Dana's device sets aside the unreadable entry someone pushed, instead of stalling on it.
    let report = a.json(&["sync"]);
    assert_eq!(report["set_aside"], 1, "{report}");
    assert_eq!(a.json(&["set-aside"])[0]["reason"], "unreadable");
    assert_eq!(a.json(&["org", "list"])[0]["name"], "Riverside Pediatrics");
}
