//! The relay's side of the security suite (the index of every promise and where it is tested
//! is at the top of `tests/tests/security.rs`):
//!
//! * a device of one practice reaches nothing of another, neither with the other practice's
//!   workspace id in the path (403, the same answer as for a workspace that does not exist) nor
//!   with its own workspace id and the other practice's checkpoint, device, member or invite
//!   ids guessed into the request (refused, and the other practice's data untouched);
//! * secrets the relay compares are compared in constant time (`subtle::ConstantTimeEq`),
//!   shown on the code path rather than by timing.

use crate::common::{Relay, SIGNUP_SECRET};
use axum::http::{Method, StatusCode};
use serde_json::json;
use trellis_protocol::api::{
    codes, CreateInviteRequest, CreateInviteResponse, DeviceCredentials, ErrorBody,
    MembersResponse, Role,
};
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::snapshot::{self, CheckpointInfo, DocBatch, DocSnapshot};
use trellis_protocol::Id;

/// Bytes no reply to the other practice may ever contain.
const B_MARKER: &[u8] = b"harbor-family-therapy-sealed-bytes";

fn sealed(n: u8) -> PushEntry {
    let mut bytes = B_MARKER.to_vec();
    bytes.push(n);
    PushEntry {
        doc_id: Id([n; 16]),
        change_hash: [n; 32],
        bytes,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

struct PracticeB {
    owner: DeviceCredentials,
    member: DeviceCredentials,
    member_device: Id,
    checkpoint: Id,
    invite: CreateInviteResponse,
}

async fn practice_b(relay: &Relay) -> PracticeB {
    let owner = relay.signup().await;
    let member = relay.add_member(&owner, Role::Member).await;
    relay.push(&owner, &[sealed(1), sealed(2)]).await;
    let ws = owner.workspace_id;
    let info: CheckpointInfo = relay
        .post_json(
            &format!("/v1/workspaces/{ws}/checkpoints"),
            Some(&owner.token),
            &json!({ "seq": 2 }),
        )
        .await
        .json(StatusCode::CREATED);
    let docs = DocBatch {
        more: false,
        docs: vec![
            DocSnapshot {
                doc_id: Id([1; 16]),
                bytes: sealed(9).bytes,
            },
            DocSnapshot {
                doc_id: Id([2; 16]),
                bytes: sealed(8).bytes,
            },
        ],
    };
    let reply = relay
        .send(
            Method::POST,
            &format!(
                "/v1/workspaces/{ws}/checkpoints/{}/docs",
                info.checkpoint_id
            ),
            Some(&owner.token),
            Some(("application/octet-stream", snapshot::encode_docs(&docs))),
        )
        .await;
    assert!(reply.status.is_success(), "{reply:?}");
    let reply = relay
        .post_json(
            &format!(
                "/v1/workspaces/{ws}/checkpoints/{}/complete",
                info.checkpoint_id
            ),
            Some(&owner.token),
            &json!({ "docs": 2 }),
        )
        .await;
    assert!(reply.status.is_success(), "{reply:?}");
    // A change after the checkpoint, in the log.
    relay.push(&owner, &[sealed(4)]).await;
    let invite: CreateInviteResponse = relay
        .invite(
            &owner,
            &CreateInviteRequest {
                role: Role::Member,
                device: false,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED);
    let roster: MembersResponse = relay
        .send(
            Method::GET,
            &format!("/v1/workspaces/{ws}/members"),
            Some(&owner.token),
            None,
        )
        .await
        .json(StatusCode::OK);
    let member_device = roster
        .devices
        .iter()
        .find(|d| d.member_id == member.member_id)
        .expect("the member's device is listed")
        .device_id;
    PracticeB {
        owner,
        member,
        member_device,
        checkpoint: info.checkpoint_id,
        invite,
    }
}

/// A request body: its content type and bytes.
type Body = Option<(&'static str, Vec<u8>)>;

/// Every workspace route, with `{ws}` to fill and a body that would be valid for its owner.
fn routes(b: &PracticeB) -> Vec<(Method, String, Body)> {
    let js = |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let cp = b.checkpoint;
    vec![
        (Method::GET, "pull?after=0".into(), None),
        (
            Method::POST,
            "push".into(),
            Some(("application/octet-stream", batch::encode_push(&[sealed(3)]))),
        ),
        (Method::GET, "live".into(), None),
        (Method::GET, "members".into(), None),
        (Method::GET, "keys?after=0".into(), None),
        (Method::GET, "checkpoint".into(), None),
        (Method::GET, format!("checkpoints/{cp}/docs"), None),
        (Method::POST, "checkpoints".into(), js(json!({ "seq": 2 }))),
        (
            Method::POST,
            format!("checkpoints/{cp}/complete"),
            js(json!({ "docs": 1 })),
        ),
        (
            Method::POST,
            "invites".into(),
            js(json!({ "role": "member", "device": false })),
        ),
        (
            Method::POST,
            format!("devices/{}/revoke", b.member_device),
            None,
        ),
        (
            Method::POST,
            format!("members/{}/remove", b.member.member_id),
            js(json!({ "epoch": 1, "wrapped": [] })),
        ),
        (
            Method::POST,
            "keys/rotate".into(),
            js(json!({ "epoch": 1, "wrapped": [] })),
        ),
        (
            Method::POST,
            "transfer".into(),
            js(json!({ "member_id": b.member.member_id })),
        ),
        (Method::POST, "leave".into(), None),
    ]
}

/// What the other practice holds, as its owner sees it: the log, the checkpoint, the roster.
async fn b_state(relay: &Relay, b: &PracticeB) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ws = b.owner.workspace_id;
    let get = |path: String| {
        let token = b.owner.token.clone();
        async move {
            let reply = relay.send(Method::GET, &path, Some(&token), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {reply:?}");
            reply.body.to_vec()
        }
    };
    (
        get(format!("/v1/workspaces/{ws}/pull?after=2")).await,
        get(format!(
            "/v1/workspaces/{ws}/checkpoints/{}/docs",
            b.checkpoint
        ))
        .await,
        get(format!("/v1/workspaces/{ws}/members")).await,
    )
}

#[tokio::test]
async fn a_device_of_one_practice_reaches_nothing_of_another_whatever_ids_it_guesses() {
    let relay = Relay::start();
    let b = practice_b(&relay).await;
    let a = relay.signup().await;
    relay.push(&a, &[crate::common::change(7, 40)]).await;
    let b_before = b_state(&relay, &b).await;
    let mut every_reply_to_a = Vec::new();

    // The other practice's workspace id in the path: 403 on every route, word for word the
    // answer for a workspace id that was never created (nothing says B exists).
    let nowhere = Id::random();
    for (method, rest, body) in routes(&b) {
        let to_b = relay
            .send(
                method.clone(),
                &format!("/v1/workspaces/{}/{rest}", b.owner.workspace_id),
                Some(&a.token),
                body.clone(),
            )
            .await;
        let to_nowhere = relay
            .send(
                method.clone(),
                &format!("/v1/workspaces/{nowhere}/{rest}"),
                Some(&a.token),
                body,
            )
            .await;
        let what = format!("{method} {rest} on the other practice");
        to_b.error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
        assert_eq!(to_b.status, to_nowhere.status, "{what}");
        assert_eq!(to_b.body, to_nowhere.body, "{what}");
        every_reply_to_a.extend_from_slice(&to_b.body);
    }

    // Its own workspace id in the path, the other practice's ids guessed into the request:
    // refused (4xx), and nothing of B comes back or changes.
    let mine = a.workspace_id;
    for (method, rest, body) in routes(&b) {
        let guessing = rest.contains(&b.checkpoint.to_hex())
            || rest.contains(&b.member_device.to_hex())
            || rest.contains(&b.member.member_id.to_hex())
            || rest == "transfer";
        if !guessing {
            continue;
        }
        let reply = relay
            .send(
                method.clone(),
                &format!("/v1/workspaces/{mine}/{rest}"),
                Some(&a.token),
                body,
            )
            .await;
        assert!(
            reply.status.is_client_error(),
            "{method} {rest} with the other practice's id: {reply:?}"
        );
        let _: ErrorBody = serde_json::from_slice(&reply.body).expect("a JSON error");
        every_reply_to_a.extend_from_slice(&reply.body);
    }

    // The other practice's invite secret, redeemed into A's workspace: nothing found.
    let stolen = relay.redeem(a.workspace_id, &b.invite.invite_secret).await;
    assert!(stolen.status.is_client_error(), "{stolen:?}");
    every_reply_to_a.extend_from_slice(&stolen.body);

    // What A may read of its own holds nothing of B.
    for rest in ["pull?after=0", "members", "keys?after=0", "checkpoint"] {
        let reply = relay
            .send(
                Method::GET,
                &format!("/v1/workspaces/{mine}/{rest}"),
                Some(&a.token),
                None,
            )
            .await;
        every_reply_to_a.extend_from_slice(&reply.body);
    }
    assert!(!contains(&every_reply_to_a, B_MARKER));
    for id in [
        b.owner.workspace_id,
        b.owner.member_id,
        b.member.member_id,
        b.member_device,
        b.checkpoint,
    ] {
        assert!(!contains(&every_reply_to_a, id.to_hex().as_bytes()));
    }

    // B is exactly as it was, its member's device still works, and its invite still seats
    // exactly one new member of B.
    assert_eq!(b_state(&relay, &b).await, b_before);
    assert!(!relay.pull(&b.member, 2).await.entries.is_empty());
    relay
        .redeem(b.owner.workspace_id, &b.invite.invite_secret)
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
}

/// The relay compares one secret itself, the operator's signup secret (device tokens and invite
/// secrets are looked up by their SHA-256, which tells an attacker nothing through timing).
/// That comparison must be constant-time: shown by the code path, since timing a test on a
/// shared machine proves nothing.
#[test]
fn the_signup_secret_is_compared_in_constant_time() {
    let read = |file: &str| -> String {
        let path = format!("{}/src/{file}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let body_of = |source: &str, signature: &str| -> String {
        let start = source
            .find(signature)
            .unwrap_or_else(|| panic!("no `{signature}`"));
        let rest = &source[start..];
        let end = rest.find("\n    }\n").expect("the function ends");
        rest[..end].to_string()
    };
    // SecretHash::matches compares the two hashes with subtle's ConstantTimeEq, and nothing else.
    let records = read("storage/records.rs");
    let matches = body_of(&records, "pub fn matches(&self, secret: &str) -> bool");
    assert!(matches.contains(".ct_eq("), "{matches}");
    assert!(!matches.contains("=="), "{matches}");
    assert!(records.contains("use subtle::ConstantTimeEq;"));
    // The signup extractor goes through it.
    let source = read("auth.rs");
    let signup = body_of(&source, "async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {\n        let presented");
    assert!(
        signup.contains("state.signup_secret.matches(presented)"),
        "{signup}"
    );
    // And nowhere in the relay is the signup secret compared with `==`.
    for entry in walk(concat!(env!("CARGO_MANIFEST_DIR"), "/src")) {
        let text = std::fs::read_to_string(&entry).expect("a readable source file");
        for line in text.lines() {
            let compares = line.contains("signup_secret ==")
                || line.contains("== state.signup_secret")
                || line.contains("signup_secret.eq(");
            assert!(!compares, "{}: {line}", entry.display());
        }
    }

    // What it computes: only the exact secret matches.
    let hash = trellis_relay::auth::SecretHash::of(SIGNUP_SECRET);
    assert!(hash.matches(SIGNUP_SECRET));
    for near in [
        "",
        "operator-signup-secreT",
        "operator-signup-secret ",
        "operator-signup-secre",
        "xperator-signup-secret",
    ] {
        assert!(!hash.matches(near), "{near:?}");
    }
}

fn walk(dir: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("a readable folder") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}
