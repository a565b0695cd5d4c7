//! Stories of the workspace log: pushing changes, pulling them back, retries, limits, restarts,
//! and devices that try to touch a workspace that is not theirs.

use std::sync::Arc;

use crate::common::{change, Relay};
use axum::http::StatusCode;
use trellis_protocol::api::codes;
use trellis_protocol::batch::{self, PushEntry, VERSION};
use trellis_protocol::Id;
use trellis_protocol::{MAX_BATCH_ENTRIES, MAX_BODY_BYTES, MAX_ENTRY_BYTES};

#[tokio::test]
async fn pushed_changes_come_back_byte_for_byte_in_order() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let entries: Vec<PushEntry> = (1..=5).map(|n| change(n, 100 * n as usize)).collect();

    let pushed = relay.push(&owner, &entries).await;
    assert_eq!(pushed.seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!((pushed.stored, pushed.head), (5, 5));

    let pulled = relay.pull(&owner, 0).await;
    assert_eq!((pulled.head, pulled.more), (5, false));
    assert_eq!(pulled.entries.len(), 5);
    for (i, (got, sent)) in pulled.entries.iter().zip(&entries).enumerate() {
        assert_eq!(got.seq, i as u64 + 1);
        assert_eq!(got.doc_id, sent.doc_id);
        assert_eq!(got.change_hash, sent.change_hash);
        assert_eq!(got.bytes, sent.bytes);
    }

    // A cursor in the middle returns the rest; a cursor at the head returns nothing.
    let rest = relay.pull(&owner, 3).await;
    assert_eq!(
        rest.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [4, 5]
    );
    let none = relay.pull(&owner, 5).await;
    assert!(none.entries.is_empty());
    assert_eq!((none.head, none.more), (5, false));
}

#[tokio::test]
async fn a_retried_push_stores_nothing_twice() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let laptop = relay.add_device(&owner).await;
    let first: Vec<PushEntry> = (1..=3).map(|n| change(n, 50)).collect();
    let pushed = relay.push(&owner, &first).await;

    // The answer was lost; the device sends the same batch again.
    let again = relay.push(&owner, &first).await;
    assert_eq!(again.seqs, pushed.seqs);
    assert_eq!((again.stored, again.head), (0, 3));

    // Another device's batch mixes a known change, a new one, and the new one twice.
    let mixed = vec![change(2, 50), change(9, 60), change(9, 60)];
    let answer = relay.push(&laptop, &mixed).await;
    assert_eq!(answer.seqs, vec![2, 4, 4]);
    assert_eq!((answer.stored, answer.head), (1, 4));

    let log = relay.pull(&owner, 0).await;
    assert_eq!(log.entries.len(), 4);
    assert_eq!(log.entries[3].bytes, change(9, 60).bytes);
}

#[tokio::test]
async fn each_workspace_has_its_own_gap_free_seqs() {
    let relay = Relay::start();
    let a = relay.signup().await;
    let b = relay.signup().await;
    assert_eq!(relay.push(&a, &[change(1, 10)]).await.seqs, [1]);
    assert_eq!(
        relay.push(&b, &[change(1, 10), change(2, 10)]).await.seqs,
        [1, 2]
    );
    assert_eq!(relay.push(&a, &[change(3, 10)]).await.seqs, [2]);
    // The same change in two workspaces is two entries.
    assert_eq!(relay.pull(&b, 0).await.entries.len(), 2);
    assert_eq!(relay.pull(&a, 0).await.entries.len(), 2);
    // An empty push is fine and changes nothing.
    let empty = relay.push(&a, &[]).await;
    assert_eq!((empty.seqs.len(), empty.stored, empty.head), (0, 0, 2));
}

#[tokio::test]
async fn pulls_come_in_pages() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let entries: Vec<PushEntry> = (1..=7).map(|n| change(n, 20)).collect();
    relay.push(&owner, &entries).await;

    let mut cursor = 0;
    let mut pages = Vec::new();
    loop {
        let page = relay
            .pull_raw(
                owner.workspace_id,
                &owner.token,
                &format!("?after={cursor}&limit=3"),
            )
            .await
            .pull_batch();
        assert_eq!(page.head, 7);
        pages.push(page.entries.len());
        cursor = page.entries.last().map_or(cursor, |e| e.seq);
        if !page.more {
            break;
        }
    }
    assert_eq!(pages, [3, 3, 1]);
    assert_eq!(cursor, 7);

    // No query at all: everything from the start.
    let all = relay
        .pull_raw(owner.workspace_id, &owner.token, "")
        .await
        .pull_batch();
    assert_eq!(all.entries.len(), 7);
}

#[tokio::test]
async fn a_pull_stops_before_eight_mebibytes() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let big: Vec<PushEntry> = (1..=10).map(|n| change(n, MAX_ENTRY_BYTES)).collect();
    relay.push(&owner, &big[..5]).await;
    relay.push(&owner, &big[5..]).await;

    let first = relay.pull(&owner, 0).await;
    assert_eq!(first.entries.len(), 8);
    assert!(first.more);
    let second = relay.pull(&owner, 8).await;
    assert_eq!(second.entries.len(), 2);
    assert!(!second.more);
    assert_eq!(second.entries[1].bytes, big[9].bytes);
}

#[tokio::test]
async fn bad_pull_queries_are_refused() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    for query in ["?after=-1", "?after=abc", "?limit=0", "?limit=1.5"] {
        relay
            .pull_raw(owner.workspace_id, &owner.token, query)
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    // A limit over the maximum is shortened, not refused.
    relay
        .pull_raw(owner.workspace_id, &owner.token, "?limit=1000000")
        .await
        .pull_batch();
}

#[tokio::test]
async fn a_wrong_token_gets_nothing() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    relay.push(&owner, &[change(1, 10)]).await;
    let forged = trellis_protocol::random_secret();

    relay
        .pull_raw(owner.workspace_id, &forged, "")
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    relay
        .push_raw(
            owner.workspace_id,
            &forged,
            batch::encode_push(&[change(2, 10)]),
        )
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    assert_eq!(relay.pull(&owner, 0).await.head, 1);
}

#[tokio::test]
async fn a_device_of_another_workspace_cannot_read_or_write() {
    let relay = Relay::start();
    let a = relay.signup().await;
    let b = relay.signup().await;
    relay.push(&a, &[change(1, 10), change(2, 10)]).await;

    relay
        .pull_raw(a.workspace_id, &b.token, "")
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    relay
        .push_raw(
            a.workspace_id,
            &b.token,
            batch::encode_push(&[change(3, 10)]),
        )
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    // A workspace that does not exist looks the same as one that does.
    relay
        .pull_raw(trellis_protocol::Id::random(), &b.token, "")
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);

    let log = relay.pull(&a, 0).await;
    assert_eq!(log.head, 2);
    assert_eq!(log.entries.len(), 2);
    assert_eq!(relay.pull(&b, 0).await.head, 0);
}

#[tokio::test]
async fn oversized_pushes_are_refused_whole() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let ws = owner.workspace_id;

    let body = vec![0u8; MAX_BODY_BYTES + 1];
    relay
        .push_raw(ws, &owner.token, body)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);

    let mut many = vec![VERSION];
    many.extend_from_slice(&(MAX_BATCH_ENTRIES as u32 + 1).to_le_bytes());
    relay
        .push_raw(ws, &owner.token, many)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);

    let mut huge = batch::encode_push(&[change(1, 10)]);
    let len_at = 1 + 4 + 16 + 32;
    huge[len_at..len_at + 4].copy_from_slice(&(MAX_ENTRY_BYTES as u32 + 1).to_le_bytes());
    relay
        .push_raw(ws, &owner.token, huge)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE);

    assert_eq!(relay.pull(&owner, 0).await.head, 0);
}

#[tokio::test]
async fn malformed_batches_store_nothing() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let good = batch::encode_push(&[change(1, 30), change(2, 30)]);

    let mut trailing = good.clone();
    trailing.push(0);
    let mut wrong_version = good.clone();
    wrong_version[0] = 9;
    for body in [
        Vec::new(),
        good[..good.len() - 1].to_vec(),
        trailing,
        wrong_version,
        b"{\"entries\":[]}".to_vec(),
    ] {
        relay
            .push_raw(owner.workspace_id, &owner.token, body)
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    assert_eq!(relay.pull(&owner, 0).await.head, 0);
}

#[tokio::test]
async fn a_restarted_relay_keeps_its_log_and_never_reuses_a_seq() {
    let first = Relay::start();
    let owner = first.signup().await;
    let entries: Vec<PushEntry> = (1..=3).map(|n| change(n, 64)).collect();
    first.push(&owner, &entries).await;
    let dir = Arc::clone(&first.dir);
    drop(first);

    let second = Relay::open(dir);
    let log = second.pull(&owner, 0).await;
    assert_eq!(log.head, 3);
    assert_eq!(
        log.entries.iter().map(|e| &e.bytes).collect::<Vec<_>>(),
        entries.iter().map(|e| &e.bytes).collect::<Vec<_>>()
    );

    // The old token still works; new changes continue after 3; old ones are still known.
    let more = second.push(&owner, &[change(3, 64), change(4, 64)]).await;
    assert_eq!(more.seqs, [3, 4]);
    assert_eq!(more.stored, 1);
}

#[tokio::test]
async fn a_practices_full_log_refuses_a_push_whole_with_507_until_a_checkpoint_compacts_it() {
    use trellis_relay::storage::LogQuota;
    let relay = Relay::start();
    let owner = relay.signup().await;
    let other = relay.signup().await;
    relay.state.storage().set_log_quota(LogQuota {
        max_bytes: 1_000,
        max_entries: 5,
    });
    relay
        .push(&owner, &[change(1, 100), change(2, 100), change(3, 100)])
        .await;
    // Two more entries fit; three do not: the whole push is refused and nothing is stored.
    let full = relay
        .push_raw(
            owner.workspace_id,
            &owner.token,
            trellis_protocol::batch::encode_push(&[change(4, 10), change(5, 10), change(6, 10)]),
        )
        .await;
    let body = full.error(StatusCode::INSUFFICIENT_STORAGE, codes::QUOTA_EXCEEDED);
    assert!(body.message.contains("checkpoint"), "{body:?}");
    assert_eq!(relay.pull(&owner, 0).await.head, 3);
    // A retry of entries already stored costs nothing; bytes count too.
    relay.push(&owner, &[change(1, 100)]).await;
    relay
        .push_raw(
            owner.workspace_id,
            &owner.token,
            trellis_protocol::batch::encode_push(&[change(7, 800)]),
        )
        .await
        .error(StatusCode::INSUFFICIENT_STORAGE, codes::QUOTA_EXCEEDED);
    // Another practice on the relay is not affected.
    relay.push(&other, &[change(1, 100)]).await;
    // A checkpoint that compacts the log makes room.
    let begun: trellis_protocol::snapshot::CheckpointInfo = relay
        .post_json(
            &format!("/v1/workspaces/{}/checkpoints", owner.workspace_id),
            Some(&owner.token),
            &serde_json::json!({ "seq": 3 }),
        )
        .await
        .json(StatusCode::CREATED);
    let docs = trellis_protocol::snapshot::encode_docs(&trellis_protocol::snapshot::DocBatch {
        more: false,
        docs: [1u8, 2, 3]
            .iter()
            .map(|n| trellis_protocol::snapshot::DocSnapshot {
                doc_id: Id([*n; 16]),
                bytes: vec![*n; 20],
            })
            .collect(),
    });
    let up = relay
        .send(
            axum::http::Method::POST,
            &format!(
                "/v1/workspaces/{}/checkpoints/{}/docs",
                owner.workspace_id, begun.checkpoint_id
            ),
            Some(&owner.token),
            Some(("application/octet-stream", docs)),
        )
        .await;
    assert!(up.status.is_success(), "{up:?}");
    let done = relay
        .post_json(
            &format!(
                "/v1/workspaces/{}/checkpoints/{}/complete",
                owner.workspace_id, begun.checkpoint_id
            ),
            Some(&owner.token),
            &serde_json::json!({ "docs": 3 }),
        )
        .await;
    assert!(done.status.is_success(), "{done:?}");
    let pushed = relay
        .push(&owner, &[change(4, 10), change(5, 10), change(6, 10)])
        .await;
    assert_eq!(pushed.seqs, [4, 5, 6]);
}
