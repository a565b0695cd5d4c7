//! Stories of many devices pushing at the same time. On SQLite the relay commits the pushes
//! that arrive together in one group (one transaction, one fsync); whatever the backend, every
//! device still gets its own seqs, the workspace's seqs stay gap-free, each change reads back
//! at the seq its answer named, and a retried push keeps its seqs.

use std::collections::BTreeMap;

use crate::common::{change, Relay};
use futures_util::future::join_all;
use trellis_protocol::api::DeviceCredentials;

/// Pushes `rounds` changes one request each as `device`, one request at a time as a client
/// does; the numbers of the changes and the seq each answer gave.
async fn push_one_at_a_time(
    relay: &Relay,
    device: &DeviceCredentials,
    first: u32,
    rounds: u32,
) -> Vec<(u32, u64)> {
    let mut answers = Vec::new();
    for n in first..first + rounds {
        let pushed = relay.push(device, &[change(n, 64)]).await;
        assert_eq!((pushed.seqs.len(), pushed.stored), (1, 1));
        answers.push((n, pushed.seqs[0]));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_pushing_one_change_at_once_each_get_their_own_gap_free_seqs() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let mut devices = vec![owner.clone()];
    for _ in 0..7 {
        devices.push(relay.add_device(&owner).await);
    }
    // Another workspace pushing at the same time keeps its own seqs.
    let neighbour = relay.signup().await;

    let pushes = devices
        .iter()
        .enumerate()
        .map(|(d, device)| push_one_at_a_time(&relay, device, 1000 * (d as u32 + 1), 12));
    let (answers, neighbour_answers) = tokio::join!(
        join_all(pushes),
        push_one_at_a_time(&relay, &neighbour, 1, 12)
    );

    // Every answer's seq is its own, and together they are 1..=96 with no gap.
    let by_seq: BTreeMap<u64, u32> = answers.iter().flatten().map(|&(n, seq)| (seq, n)).collect();
    assert_eq!(by_seq.len(), 96, "no two answers share a seq");
    assert_eq!(
        by_seq.keys().copied().collect::<Vec<_>>(),
        (1..=96).collect::<Vec<_>>()
    );
    // Each device's own pushes got increasing seqs, in the order it sent them.
    for device in &answers {
        assert!(device.windows(2).all(|w| w[0].1 < w[1].1));
    }

    // Each change reads back at the seq its answer named, byte for byte.
    let pulled = relay.pull(&owner, 0).await;
    assert_eq!((pulled.head, pulled.more), (96, false));
    assert_eq!(pulled.entries.len(), 96);
    for entry in &pulled.entries {
        let sent = change(by_seq[&entry.seq], 64);
        assert_eq!(entry.change_hash, sent.change_hash, "seq {}", entry.seq);
        assert_eq!(entry.bytes, sent.bytes, "seq {}", entry.seq);
    }

    let neighbour_seqs: Vec<u64> = neighbour_answers.iter().map(|&(_, seq)| seq).collect();
    assert_eq!(neighbour_seqs, (1..=12).collect::<Vec<_>>());
    assert_eq!(relay.pull(&neighbour, 0).await.head, 12);

    // A device that did not hear its answers pushes the same changes again with a new one:
    // the old ones keep their seqs, only the new one is stored.
    let retried: Vec<_> = (1000..1012)
        .chain([999_999])
        .map(|n| change(n, 64))
        .collect();
    let again = relay.push(&devices[0], &retried).await;
    let first_seqs: Vec<u64> = answers[0].iter().map(|&(_, seq)| seq).collect();
    assert_eq!(&again.seqs[..12], first_seqs.as_slice());
    assert_eq!((again.seqs[12], again.stored, again.head), (97, 1, 97));
}
