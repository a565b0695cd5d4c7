//! Checkpoints: uploading sealed per-document snapshots in several bodies, completing them,
//! downloading them back byte for byte in pages, the compaction that completion performs
//! (entries kept and pulled for the grace period, then gone, `410 compacted` below the floor,
//! seqs never reused), and the answers to bad callers and bad bodies.

use std::sync::Arc;

use crate::common::{change, Relay, Reply};
use axum::http::{Method, StatusCode};
use serde_json::json;
use trellis_protocol::api::{codes, DeviceCredentials, Role};
use trellis_protocol::snapshot::{
    self, CheckpointInfo, DocBatch, DocSnapshot, MAX_SNAPSHOTS_PER_BODY, MAX_SNAPSHOT_BYTES,
};
use trellis_protocol::{Id, MAX_BODY_BYTES};
use trellis_relay::routes::CONTROL_BODY_LIMIT;

/// A snapshot of `len` bytes for document `n`, its bytes derived from `n`.
fn snap(n: u8, len: usize) -> DocSnapshot {
    DocSnapshot {
        doc_id: Id([n; 16]),
        bytes: (0..len).map(|i| (i as u8).wrapping_mul(7) ^ n).collect(),
    }
}

fn body(docs: &[DocSnapshot]) -> Vec<u8> {
    snapshot::encode_docs(&DocBatch {
        more: false,
        docs: docs.to_vec(),
    })
}

/// Speaks the checkpoint endpoints as `device`.
struct Client<'a> {
    relay: &'a Relay,
    device: &'a DeviceCredentials,
}

impl Client<'_> {
    fn url(&self, rest: &str) -> String {
        format!("/v1/workspaces/{}{rest}", self.device.workspace_id)
    }

    async fn begin(&self, seq: u64) -> Reply {
        self.relay
            .post_json(
                &self.url("/checkpoints"),
                Some(&self.device.token),
                &json!({ "seq": seq }),
            )
            .await
    }

    async fn begun(&self, seq: u64) -> CheckpointInfo {
        self.begin(seq).await.json(StatusCode::CREATED)
    }

    async fn upload(&self, id: &Id, bytes: Vec<u8>) -> Reply {
        self.relay
            .send(
                Method::POST,
                &self.url(&format!("/checkpoints/{id}/docs")),
                Some(&self.device.token),
                Some(("application/octet-stream", bytes)),
            )
            .await
    }

    async fn complete(&self, id: &Id, docs: u64) -> Reply {
        self.relay
            .post_json(
                &self.url(&format!("/checkpoints/{id}/complete")),
                Some(&self.device.token),
                &json!({ "docs": docs }),
            )
            .await
    }

    async fn latest(&self) -> Reply {
        self.relay
            .send(
                Method::GET,
                &self.url("/checkpoint"),
                Some(&self.device.token),
                None,
            )
            .await
    }

    async fn download(&self, id: &Id, query: &str) -> Reply {
        self.relay
            .send(
                Method::GET,
                &self.url(&format!("/checkpoints/{id}/docs{query}")),
                Some(&self.device.token),
                None,
            )
            .await
    }

    /// Every snapshot of a complete checkpoint, `limit` at a time; also the number of pages.
    async fn download_all(&self, id: &Id, limit: usize) -> (Vec<DocSnapshot>, usize) {
        let mut after: Option<Id> = None;
        let (mut docs, mut pages) = (Vec::new(), 0);
        loop {
            let query = match after {
                Some(a) => format!("?after={a}&limit={limit}"),
                None => format!("?limit={limit}"),
            };
            let batch = docs_batch(&self.download(id, &query).await);
            pages += 1;
            assert!(batch.docs.len() <= limit);
            after = batch.docs.last().map(|d| d.doc_id);
            docs.extend(batch.docs);
            if !batch.more {
                return (docs, pages);
            }
        }
    }
}

/// The body of a download, asserting 200 and the content type.
fn docs_batch(reply: &Reply) -> DocBatch {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "body: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    snapshot::decode_docs(&reply.body).expect("a valid snapshot body")
}

/// Rows of the relay's tables that checkpoints touch, and the workspace's head and floor.
fn db_state(relay: &Relay, ws: Id) -> (Vec<i64>, i64, i64, i64, i64) {
    let ws = Some(ws.as_bytes().as_slice());
    let seqs: Vec<i64> = relay
        .int_rows(
            "SELECT seq FROM log WHERE workspace_id = $1 ORDER BY seq",
            ws,
        )
        .into_iter()
        .map(|row| row[0])
        .collect();
    let head_floor = relay.int_rows("SELECT head, log_floor FROM workspaces WHERE id = $1", ws);
    let checkpoints = relay.int_rows("SELECT count(*) FROM checkpoints", None);
    let docs = relay.int_rows("SELECT count(*) FROM checkpoint_docs", None);
    (
        seqs,
        head_floor[0][0],
        head_floor[0][1],
        checkpoints[0][0],
        docs[0][0],
    )
}

#[tokio::test]
async fn a_checkpoint_uploaded_in_two_bodies_comes_back_byte_for_byte_in_pages() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let colleague = relay.add_member(&owner, Role::Member).await;
    // Six changes to documents 1 and 3 (`change(n)` is for document `n % 7`).
    let entries: Vec<_> = [1, 3, 8, 10, 15, 17].map(|n| change(n, 50)).to_vec();
    relay.push(&owner, &entries).await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    up.latest()
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);

    let info = up.begun(6).await;
    assert_eq!((info.seq, info.docs, info.bytes), (6, 0, 0));
    // Sent out of order, in two bodies, one document replaced by a later body.
    let docs: Vec<DocSnapshot> = [9u8, 3, 200, 1, 77]
        .iter()
        .map(|&n| snap(n, 300 + n as usize))
        .collect();
    let first = up
        .upload(
            &info.checkpoint_id,
            body(&[docs[0].clone(), snap(3, 10), docs[2].clone()]),
        )
        .await;
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{first:?}");
    let second = up
        .upload(
            &info.checkpoint_id,
            body(&[docs[1].clone(), docs[3].clone(), docs[4].clone()]),
        )
        .await;
    assert_eq!(second.status, StatusCode::NO_CONTENT, "{second:?}");
    // Not downloadable before it is complete.
    up.download(&info.checkpoint_id, "")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    up.latest()
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    let done = up.complete(&info.checkpoint_id, 5).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");

    // Another device of the workspace finds it and downloads it, two at a time.
    let down = Client {
        relay: &relay,
        device: &colleague,
    };
    let latest: CheckpointInfo = down.latest().await.json(StatusCode::OK);
    let total: u64 = docs.iter().map(|d| d.bytes.len() as u64).sum();
    assert_eq!(latest.checkpoint_id, info.checkpoint_id);
    assert_eq!((latest.seq, latest.docs, latest.bytes), (6, 5, total));
    let (got, pages) = down.download_all(&info.checkpoint_id, 2).await;
    let mut want = docs.clone();
    want.sort_by_key(|d| d.doc_id);
    assert_eq!(got, want, "every snapshot, byte for byte, in doc id order");
    assert_eq!(pages, 3);
    // The default limit takes them all at once; `after` the last one is an empty last page.
    let all = docs_batch(&down.download(&info.checkpoint_id, "").await);
    assert_eq!((all.docs, all.more), (want.clone(), false));
    let last = want.last().unwrap().doc_id;
    let tail = docs_batch(
        &down
            .download(&info.checkpoint_id, &format!("?after={last}"))
            .await,
    );
    assert!(tail.docs.is_empty() && !tail.more);

    // A complete checkpoint does not change.
    up.upload(&info.checkpoint_id, body(&[snap(5, 10)]))
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    up.complete(&info.checkpoint_id, 5)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    // Bad queries.
    for query in ["?limit=0", "?after=xyz", "?limit=-1"] {
        down.download(&info.checkpoint_id, query)
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    let unknown = Id::random();
    down.download(&unknown, "")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    down.download_raw_id("not-an-id")
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
}

impl Client<'_> {
    async fn download_raw_id(&self, id: &str) -> Reply {
        self.relay
            .send(
                Method::GET,
                &self.url(&format!("/checkpoints/{id}/docs")),
                Some(&self.device.token),
                None,
            )
            .await
    }
}

#[tokio::test]
async fn a_download_stops_near_8_mib_and_says_more_remain() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let info = up.begun(0).await;
    let docs: Vec<DocSnapshot> = (1..=4u8).map(|n| snap(n, 3 << 20)).collect();
    for pair in docs.chunks(2) {
        let reply = up.upload(&info.checkpoint_id, body(pair)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    }
    let done = up.complete(&info.checkpoint_id, 4).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");
    let first = docs_batch(&up.download(&info.checkpoint_id, "").await);
    assert_eq!(
        first.docs.len(),
        2,
        "two 3 MiB snapshots fit in 8 MiB, three do not"
    );
    assert!(first.more);
    let (all, pages) = up.download_all(&info.checkpoint_id, 500).await;
    assert_eq!(all, docs);
    assert_eq!(pages, 2);
}

#[tokio::test]
async fn completing_with_the_wrong_count_is_409_and_changes_nothing() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    // Changes to documents 1, 2, 3 and 1 again.
    relay
        .push(&owner, &[1, 2, 3, 8].map(|n| change(n, 30)))
        .await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let info = up.begun(4).await;
    let reply = up
        .upload(
            &info.checkpoint_id,
            body(&[snap(1, 20), snap(2, 20), snap(3, 20)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let before = db_state(&relay, owner.workspace_id);
    for wrong in [2, 4, 0] {
        up.complete(&info.checkpoint_id, wrong)
            .await
            .error(StatusCode::CONFLICT, codes::CONFLICT);
        assert_eq!(db_state(&relay, owner.workspace_id), before);
    }
    assert_eq!(before.0, [1, 2, 3, 4], "the log is whole");
    up.latest()
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    assert_eq!(relay.pull(&owner, 0).await.entries.len(), 4);
    // The right count completes it.
    let done = up.complete(&info.checkpoint_id, 3).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");
    // Unknown checkpoints are 404, malformed ids 400.
    up.complete(&Id::random(), 0)
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    up.upload(&Id::random(), body(&[snap(1, 5)]))
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    relay
        .post_json(
            &up.url("/checkpoints/zz/complete"),
            Some(&owner.token),
            &json!({"docs": 0}),
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
}

#[tokio::test]
async fn completion_compacts_the_log_and_a_pull_from_before_it_is_410_compacted() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let relay = Relay::open(Arc::clone(&dir));
    // No grace period (`--compacted-grace-days 0`): compacted entries go at completion.
    relay.state.storage().set_compacted_grace(0);
    let owner = relay.signup().await;
    // Ten changes to document 1 (`change(n)` is for document `n % 7`).
    let entries: Vec<_> = (0..10).map(|i| change(1 + 7 * i, 40)).collect();
    relay.push(&owner, &entries).await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    // A checkpoint past the head is refused.
    up.begin(11)
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    // An abandoned upload started before the one that completes.
    let abandoned = up.begun(3).await;
    let info = up.begun(6).await;
    let reply = up.upload(&info.checkpoint_id, body(&[snap(1, 64)])).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    // Pushes during the upload land after the checkpoint's seq.
    let during = relay.push(&owner, &[change(71, 40)]).await;
    assert_eq!(during.seqs, [11]);
    let done = up.complete(&info.checkpoint_id, 1).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");

    let (seqs, head, floor, checkpoints, docs) = db_state(&relay, owner.workspace_id);
    assert_eq!(
        seqs,
        [7, 8, 9, 10, 11],
        "entries up to the checkpoint's seq are gone"
    );
    assert_eq!((head, floor), (11, 7));
    assert_eq!(
        (checkpoints, docs),
        (1, 1),
        "the abandoned upload was dropped"
    );
    up.upload(&abandoned.checkpoint_id, body(&[snap(2, 8)]))
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);

    // From before the floor: 410 compacted, whatever the limit.
    for after in [0, 1, 5] {
        let reply = relay
            .pull_raw(owner.workspace_id, &owner.token, &format!("?after={after}"))
            .await;
        reply.error(StatusCode::GONE, codes::COMPACTED);
    }
    relay
        .pull_raw(owner.workspace_id, &owner.token, "")
        .await
        .error(StatusCode::GONE, codes::COMPACTED);
    // From the checkpoint's seq on: the rest of the log.
    let rest = relay.pull(&owner, 6).await;
    let got: Vec<u64> = rest.entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        (got, rest.head, rest.more),
        (vec![7, 8, 9, 10, 11], 11, false)
    );
    assert_eq!(relay.pull(&owner, 9).await.entries.len(), 2);
    assert!(relay.pull(&owner, 11).await.entries.is_empty());

    // Seqs go on from the head; an old change pushed again by a device that was offline is
    // stored again at a new seq (harmless: applying a change twice is a no-op), while a
    // change still in the log keeps its seq.
    // (`change(8)` was compacted at seq 2; `change(57)` is still in the log at seq 9.)
    let next = relay
        .push(&owner, &[change(78, 40), change(8, 40), change(57, 40)])
        .await;
    assert_eq!(
        (next.seqs, next.stored, next.head),
        (vec![12, 13, 9], 2, 13)
    );

    // A checkpoint behind the newest complete one is of no use: 409.
    up.begin(5)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    // A later checkpoint replaces it and compacts further; the old one is gone.
    let later = up.begun(12).await;
    let reply = up
        .upload(&later.checkpoint_id, body(&[snap(1, 70), snap(2, 70)]))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let done = up.complete(&later.checkpoint_id, 2).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");
    up.download(&info.checkpoint_id, "")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    let latest: CheckpointInfo = up.latest().await.json(StatusCode::OK);
    assert_eq!(
        (latest.checkpoint_id, latest.seq, latest.docs),
        (later.checkpoint_id, 12, 2)
    );
    relay
        .pull_raw(owner.workspace_id, &owner.token, "?after=6")
        .await
        .error(StatusCode::GONE, codes::COMPACTED);

    // A restart keeps the floor, the head and the checkpoint.
    drop(relay);
    let relay = Relay::open(dir);
    relay.state.storage().set_compacted_grace(0);
    let (seqs, head, floor, checkpoints, _) = db_state(&relay, owner.workspace_id);
    assert_eq!((seqs, head, floor, checkpoints), (vec![13], 13, 13, 1));
    relay
        .pull_raw(owner.workspace_id, &owner.token, "?after=11")
        .await
        .error(StatusCode::GONE, codes::COMPACTED);
    assert_eq!(relay.pull(&owner, 12).await.entries.len(), 1);
    assert_eq!(relay.push(&owner, &[change(20, 10)]).await.seqs, [14]);
}

#[tokio::test]
async fn members_other_workspaces_and_revoked_devices_are_turned_away() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let colleague = relay.add_member(&owner, Role::Member).await;
    let stranger = relay.signup().await;
    relay.push(&owner, &[change(1, 10)]).await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let info = up.begun(1).await;
    let reply = up.upload(&info.checkpoint_id, body(&[snap(1, 10)])).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);

    // A member may not cut a checkpoint (completing one compacts the practice's log): she can
    // neither start one, nor put documents into the owner's, nor complete it with none.
    let before = db_state(&relay, owner.workspace_id);
    let as_member = Client {
        relay: &relay,
        device: &colleague,
    };
    let owners_only = (StatusCode::FORBIDDEN, codes::FORBIDDEN);
    as_member.begin(1).await.error(owners_only.0, owners_only.1);
    as_member
        .upload(&info.checkpoint_id, body(&[snap(9, 10)]))
        .await
        .error(owners_only.0, owners_only.1);
    as_member
        .complete(&info.checkpoint_id, 0)
        .await
        .error(owners_only.0, owners_only.1);
    assert_eq!(db_state(&relay, owner.workspace_id), before);
    // She still reads what the owners and admins make.
    as_member
        .latest()
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    // An admin may.
    let admin = relay.add_member(&owner, Role::Admin).await;
    let by_admin = Client {
        relay: &relay,
        device: &admin,
    }
    .begun(1)
    .await;
    assert_eq!(by_admin.docs, 0);

    // The stranger's token on this workspace: 403 everywhere, nothing changes.
    let before = db_state(&relay, owner.workspace_id);
    let intruder = DeviceCredentials {
        workspace_id: owner.workspace_id,
        ..stranger.clone()
    };
    let as_stranger = Client {
        relay: &relay,
        device: &intruder,
    };
    let forbidden = (StatusCode::FORBIDDEN, codes::FORBIDDEN);
    expect_everywhere(&as_stranger, &info.checkpoint_id, forbidden).await;
    assert_eq!(db_state(&relay, owner.workspace_id), before);
    // The stranger's own workspace does not know this checkpoint.
    Client {
        relay: &relay,
        device: &stranger,
    }
    .upload(&info.checkpoint_id, body(&[snap(1, 10)]))
    .await
    .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);

    // Completed, then the colleague's device is revoked: 401 revoked everywhere.
    let done = up.complete(&info.checkpoint_id, 1).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    let members: trellis_protocol::api::MembersResponse = relay
        .send(Method::GET, &up.url("/members"), Some(&owner.token), None)
        .await
        .json(StatusCode::OK);
    let device = members
        .devices
        .iter()
        .find(|d| d.member_id == colleague.member_id)
        .unwrap()
        .device_id;
    let reply = relay
        .send(
            Method::POST,
            &up.url(&format!("/devices/{device}/revoke")),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let before = db_state(&relay, owner.workspace_id);
    let as_revoked = Client {
        relay: &relay,
        device: &colleague,
    };
    expect_everywhere(
        &as_revoked,
        &info.checkpoint_id,
        (StatusCode::UNAUTHORIZED, codes::REVOKED),
    )
    .await;
    assert_eq!(db_state(&relay, owner.workspace_id), before);
    let no_token = relay
        .send(Method::GET, &up.url("/checkpoint"), None, None)
        .await;
    no_token.error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
}

/// Every checkpoint endpoint answers `expected` to this client.
async fn expect_everywhere(client: &Client<'_>, id: &Id, expected: (StatusCode, &str)) {
    let (status, code) = expected;
    client.begin(1).await.error(status, code);
    client
        .upload(id, body(&[snap(9, 10)]))
        .await
        .error(status, code);
    client.complete(id, 1).await.error(status, code);
    client.latest().await.error(status, code);
    client.download(id, "").await.error(status, code);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_400_and_413_and_store_nothing() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let info = up.begun(0).await;
    let before = db_state(&relay, owner.workspace_id);
    let good = body(&[snap(1, 10), snap(2, 10)]);

    let mut bad_version = good.clone();
    bad_version[0] = 9;
    let mut trailing = good.clone();
    trailing.push(0);
    let mut empty_doc = Vec::from([snapshot::VERSION, 0]);
    empty_doc.extend_from_slice(&1u32.to_le_bytes());
    empty_doc.extend_from_slice(&[1; 16]);
    empty_doc.extend_from_slice(&0u32.to_le_bytes());
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("bad version", bad_version),
        ("truncated", good[..good.len() - 3].to_vec()),
        ("trailing bytes", trailing),
        ("an empty snapshot", empty_doc),
    ] {
        let reply = up.upload(&info.checkpoint_id, bytes).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}: {reply:?}");
        reply.error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }

    let mut too_many = Vec::from([snapshot::VERSION, 0]);
    too_many.extend_from_slice(&(MAX_SNAPSHOTS_PER_BODY as u32 + 1).to_le_bytes());
    let mut too_large = Vec::from([snapshot::VERSION, 0]);
    too_large.extend_from_slice(&1u32.to_le_bytes());
    too_large.extend_from_slice(&[1; 16]);
    too_large.extend_from_slice(&(MAX_SNAPSHOT_BYTES as u32 + 1).to_le_bytes());
    for (what, bytes) in [
        ("too many snapshots", too_many),
        ("a snapshot too large", too_large),
        ("a body too large", vec![0; MAX_BODY_BYTES + 1]),
    ] {
        let reply = up.upload(&info.checkpoint_id, bytes).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{what}");
        reply.error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);
    }

    // JSON bodies.
    let url = up.url("/checkpoints");
    for bad in [
        &b"{\"seq\": "[..],
        b"{\"seq\": -1}",
        b"{\"docs\": 1}",
        b"[]",
    ] {
        relay
            .send(
                Method::POST,
                &url,
                Some(&owner.token),
                Some(("application/json", bad.to_vec())),
            )
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    relay
        .send(
            Method::POST,
            &up.url(&format!("/checkpoints/{}/complete", info.checkpoint_id)),
            Some(&owner.token),
            Some(("application/json", vec![b' '; CONTROL_BODY_LIMIT + 1])),
        )
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);
    assert_eq!(
        db_state(&relay, owner.workspace_id),
        before,
        "nothing was stored"
    );

    // The good body is stored.
    let reply = up.upload(&info.checkpoint_id, good).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(db_state(&relay, owner.workspace_id).4, 2);
}

#[tokio::test]
async fn a_checkpoint_missing_a_document_of_the_log_or_of_the_last_checkpoint_is_refused() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    // Changes to documents 1, 2 and 3.
    relay.push(&owner, &[1, 2, 3].map(|n| change(n, 30))).await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    // A checkpoint of documents 1 and 2 only would lose document 3's history: refused, and
    // nothing is compacted.
    let info = up.begun(3).await;
    let reply = up
        .upload(&info.checkpoint_id, body(&[snap(1, 20), snap(2, 20)]))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let before = db_state(&relay, owner.workspace_id);
    let refused = up
        .complete(&info.checkpoint_id, 2)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(refused.message.contains("1 documents"), "{refused:?}");
    assert_eq!(db_state(&relay, owner.workspace_id), before);
    assert_eq!(relay.pull(&owner, 0).await.entries.len(), 3);
    // With document 3 it completes.
    up.upload(&info.checkpoint_id, body(&[snap(3, 20)])).await;
    let done = up.complete(&info.checkpoint_id, 3).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");

    // The next checkpoint must hold what the last one held, though the log has no entry of
    // document 2 any more.
    relay.push(&owner, &[change(4, 30)]).await;
    let next = up.begun(4).await;
    up.upload(
        &next.checkpoint_id,
        body(&[snap(1, 20), snap(3, 20), snap(4, 20)]),
    )
    .await;
    let refused = up
        .complete(&next.checkpoint_id, 3)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(refused.message.contains("1 documents"), "{refused:?}");
    up.upload(&next.checkpoint_id, body(&[snap(2, 20)])).await;
    let done = up.complete(&next.checkpoint_id, 4).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");
}

#[tokio::test]
async fn at_most_four_checkpoints_are_under_way_and_abandoned_ones_are_dropped_after_a_day() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    relay.push(&owner, &[change(1, 30)]).await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let mut begun = Vec::new();
    for _ in 0..trellis_relay::storage::MAX_OPEN_CHECKPOINTS {
        begun.push(up.begun(1).await);
    }
    let refused = up
        .begin(1)
        .await
        .error(StatusCode::TOO_MANY_REQUESTS, codes::QUOTA_EXCEEDED);
    assert!(refused.message.contains("under way"), "{refused:?}");
    // Completing one frees its place (and drops the ones begun before it).
    up.upload(&begun[3].checkpoint_id, body(&[snap(1, 20)]))
        .await;
    let done = up.complete(&begun[3].checkpoint_id, 1).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");
    for _ in 0..trellis_relay::storage::MAX_OPEN_CHECKPOINTS {
        up.begun(1).await;
    }
    up.begin(1)
        .await
        .error(StatusCode::TOO_MANY_REQUESTS, codes::QUOTA_EXCEEDED);
    // A day later the abandoned ones are dropped when a new one begins.
    relay.advance_clock(trellis_relay::storage::STALE_CHECKPOINT_SECONDS + 1);
    up.begun(1).await;
}

/// The workspace's quota counters: `(log_entries, log_bytes)` of its live log.
fn quota_counters(relay: &Relay, ws: Id) -> (i64, i64) {
    let row = relay.int_rows(
        "SELECT log_entries, log_bytes FROM workspaces WHERE id = $1",
        Some(ws.as_bytes().as_slice()),
    );
    (row[0][0], row[0][1])
}

/// Seqs of the workspace's log entries marked compacted.
fn compacted_seqs(relay: &Relay, ws: Id) -> Vec<i64> {
    relay
        .int_rows(
            "SELECT seq FROM log WHERE workspace_id = $1 AND compacted_at IS NOT NULL
             ORDER BY seq",
            Some(ws.as_bytes().as_slice()),
        )
        .into_iter()
        .map(|row| row[0])
        .collect()
}

/// What `trellis-relay admin workspaces --json` says of a workspace: `(log_entries,
/// compacted_entries)`.
async fn operator_view(relay: &Relay, ws: Id) -> (u64, u64) {
    let mut out = Vec::new();
    trellis_relay::admin::run(
        &relay.admin_config(),
        &trellis_relay::config::AdminCommand::Workspaces { json: true },
        &mut out,
    )
    .await
    .unwrap();
    let listing: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let w = listing
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["workspace_id"] == ws.to_hex())
        .expect("listed")
        .clone();
    (
        w["log_entries"].as_u64().unwrap(),
        w["compacted_entries"].as_u64().unwrap(),
    )
}

/// Seqs of a pull's entries.
fn seqs_of(batch: &trellis_protocol::batch::PullBatch) -> Vec<u64> {
    batch.entries.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn a_device_offline_for_a_day_pulls_what_a_checkpoint_compacted_until_the_grace_is_over() {
    let relay = Relay::start();
    let grace = trellis_relay::storage::DEFAULT_COMPACTED_GRACE_SECONDS as i64;
    let owner = relay.signup().await;
    let tablet = relay.add_device(&owner).await;
    // Ten changes to document 1 (seqs 1..=10, 40 bytes each); the tablet pulls the first
    // four and goes into a drawer.
    let entries: Vec<_> = (0..10).map(|i| change(1 + 7 * i, 40)).collect();
    relay.push(&owner, &entries).await;
    assert_eq!(seqs_of(&relay.pull(&tablet, 0).await).len(), 10);
    let tablet_cursor = 4;

    // The owner checkpoints at seq 8.
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let info = up.begun(8).await;
    up.upload(&info.checkpoint_id, body(&[snap(1, 64)])).await;
    let done = up.complete(&info.checkpoint_id, 1).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{done:?}");

    // Nothing is deleted yet: the entries it covers are marked compacted, and the quota
    // counters drop them at once (the quota is about the live log).
    let ws = owner.workspace_id;
    let (seqs, head, floor, ..) = db_state(&relay, ws);
    assert_eq!(seqs, (1..=10).collect::<Vec<i64>>());
    assert_eq!((head, floor), (10, 0));
    assert_eq!(compacted_seqs(&relay, ws), (1..=8).collect::<Vec<i64>>());
    assert_eq!(quota_counters(&relay, ws), (2, 80));
    assert_eq!(operator_view(&relay, ws).await, (10, 8));

    // A day later the tablet wakes up and pulls the entries, as if nothing was compacted: no
    // 410, no checkpoint to download. So does a pull from the very start.
    relay.advance_clock(24 * 3600);
    let woke = relay.pull(&tablet, tablet_cursor).await;
    assert_eq!((seqs_of(&woke), woke.head), ((5..=10).collect(), 10));
    assert_eq!(
        seqs_of(&relay.pull(&tablet, 0).await),
        (1..=10).collect::<Vec<u64>>()
    );
    // A change the checkpoint covers, pushed again, keeps its seq and costs no quota.
    let again = relay.push(&tablet, &[change(8, 40)]).await;
    assert_eq!((again.seqs, again.stored, again.head), (vec![2], 0, 10));
    assert_eq!(quota_counters(&relay, ws), (2, 80));
    // A new device still starts from the checkpoint and pulls after its seq.
    let latest: CheckpointInfo = up.latest().await.json(StatusCode::OK);
    assert_eq!(latest.seq, 8);
    assert_eq!(seqs_of(&relay.pull(&tablet, 8).await), [9, 10]);

    // The relay's purge before the grace is over deletes nothing.
    relay.advance_clock(grace - 24 * 3600 - 1);
    let now = relay.now.load(std::sync::atomic::Ordering::SeqCst);
    let purge = relay.state.storage().purge_compacted(now).await.unwrap();
    assert_eq!(purge.entries_deleted, 0);
    assert_eq!(seqs_of(&relay.pull(&tablet, tablet_cursor).await).len(), 6);

    // Once it is over, the purge deletes them and raises the floor: the same pull is now
    // told to bootstrap, and the entries are gone from the database.
    relay.advance_clock(1);
    let now = relay.now.load(std::sync::atomic::Ordering::SeqCst);
    let purge = relay.state.storage().purge_compacted(now).await.unwrap();
    assert_eq!((purge.workspaces, purge.entries_deleted), (1, 8));
    relay
        .pull_raw(ws, &tablet.token, &format!("?after={tablet_cursor}"))
        .await
        .error(StatusCode::GONE, codes::COMPACTED);
    let (seqs, head, floor, ..) = db_state(&relay, ws);
    assert_eq!((seqs, head, floor), (vec![9, 10], 10, 9));
    assert!(compacted_seqs(&relay, ws).is_empty());
    // The quota counters were not charged twice, and the operator sees nothing kept.
    assert_eq!(quota_counters(&relay, ws), (2, 80));
    assert_eq!(operator_view(&relay, ws).await, (2, 0));
    // From the checkpoint on, the log is whole; another purge finds nothing.
    assert_eq!(seqs_of(&relay.pull(&tablet, 8).await), [9, 10]);
    let purge = relay.state.storage().purge_compacted(now).await.unwrap();
    assert_eq!(purge, trellis_relay::storage::Purge::default());
}

#[tokio::test]
async fn a_checkpoint_completed_after_the_grace_deletes_what_the_last_one_compacted() {
    let relay = Relay::start();
    let grace = 3600;
    relay.state.storage().set_compacted_grace(grace);
    let owner = relay.signup().await;
    let up = Client {
        relay: &relay,
        device: &owner,
    };
    let entries: Vec<_> = (0..6).map(|i| change(1 + 7 * i, 10)).collect();
    relay.push(&owner, &entries).await;
    let first = up.begun(3).await;
    up.upload(&first.checkpoint_id, body(&[snap(1, 16)])).await;
    assert_eq!(
        up.complete(&first.checkpoint_id, 1).await.status,
        StatusCode::NO_CONTENT
    );
    // A second checkpoint within the grace keeps both runs of compacted entries.
    relay.advance_clock(grace as i64 / 2);
    let second = up.begun(4).await;
    up.upload(&second.checkpoint_id, body(&[snap(1, 16)])).await;
    assert_eq!(
        up.complete(&second.checkpoint_id, 1).await.status,
        StatusCode::NO_CONTENT
    );
    let ws = owner.workspace_id;
    assert_eq!(compacted_seqs(&relay, ws), [1, 2, 3, 4]);
    assert_eq!(quota_counters(&relay, ws), (2, 20));
    // Past the first one's grace, the next completion deletes what it compacted, and only
    // that: the second's entry is still pulled.
    relay.advance_clock(grace as i64 / 2);
    let third = up.begun(5).await;
    up.upload(&third.checkpoint_id, body(&[snap(1, 16)])).await;
    assert_eq!(
        up.complete(&third.checkpoint_id, 1).await.status,
        StatusCode::NO_CONTENT
    );
    let (seqs, head, floor, ..) = db_state(&relay, ws);
    assert_eq!((seqs, head, floor), (vec![4, 5, 6], 6, 4));
    assert_eq!(compacted_seqs(&relay, ws), [4, 5]);
    assert_eq!(quota_counters(&relay, ws), (1, 10));
    assert_eq!(seqs_of(&relay.pull(&owner, 3).await), [4, 5, 6]);
    relay
        .pull_raw(ws, &owner.token, "?after=2")
        .await
        .error(StatusCode::GONE, codes::COMPACTED);

    // The running relay's periodic purge (here every 10 ms on the test's clock) deletes the
    // rest once their grace is over.
    relay.advance_clock(grace as i64);
    let now = Arc::clone(&relay.now);
    let clock =
        trellis_relay::Clock::from_fn(move || now.load(std::sync::atomic::Ordering::SeqCst));
    let purger = tokio::spawn(trellis_relay::server::purge_compacted_every(
        Arc::clone(relay.state.storage()),
        clock,
        std::time::Duration::from_millis(10),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while db_state(&relay, ws).2 != 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "the periodic purge never ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    purger.abort();
    let (seqs, head, floor, ..) = db_state(&relay, ws);
    assert_eq!((seqs, head, floor), (vec![6], 6, 6));
    assert_eq!(seqs_of(&relay.pull(&owner, 5).await), [6]);
}
