//! What signing costs, primitive by primitive: signing one change, verifying the ten changes of
//! a pull one by one and as a batch, verifying a checkpoint page of 500 snapshots as a batch, a
//! key check, and verifying a roster of 200 events from the start:
//! `cargo run --release -p trellis-bench --example signing`.

use std::time::Instant;

use trellis_core::crypto::signing::{self, key_check, sign_change, DeviceSigner};
use trellis_core::crypto::{DeviceKeys, RosterMark, WorkspaceKey};
use trellis_core::roster::{admit_message, Roster, What};
use trellis_protocol::Id;

/// Runs `f` `n` times and returns the mean in microseconds.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n.min(100) {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

/// `n` signed (key, message, signature) triples by `devices` devices.
fn signed(n: usize, devices: usize) -> Vec<([u8; 32], Vec<u8>, [u8; 64])> {
    let keys: Vec<DeviceSigner> = (0..devices).map(|_| DeviceSigner::generate()).collect();
    let (ws, doc) = (Id::random(), Id::random());
    (0..n)
        .map(|i| {
            let key = &keys[i % devices];
            let me = Id::random();
            let mark = RosterMark {
                seq: 3,
                hash: [7; 16],
            };
            let hash = [i as u8; 32];
            let t = sign_change(key, &me, &ws, &doc, mark, &hash);
            let m = signing::change_message(&ws, &doc, &me, mark, &hash);
            (key.public(), m, t.signature)
        })
        .collect()
}

fn batch(items: &[([u8; 32], Vec<u8>, [u8; 64])]) -> bool {
    let refs: Vec<(&[u8; 32], &[u8], &[u8; 64])> =
        items.iter().map(|(k, m, s)| (k, m.as_slice(), s)).collect();
    signing::verify_batch(&refs)
}

fn main() {
    let key = DeviceSigner::generate();
    let (ws, doc, me) = (Id::random(), Id::random(), Id::random());
    let mark = RosterMark {
        seq: 3,
        hash: [7; 16],
    };
    let mut i = 0u8;
    let sign = time(20_000, || {
        i = i.wrapping_add(1);
        std::hint::black_box(sign_change(&key, &me, &ws, &doc, mark, &[i; 32]));
    });
    let load = time(20_000, || {
        std::hint::black_box(
            DeviceSigner::from_hex(&key.secret_hex())
                .map(|k| k.public())
                .ok(),
        );
    });
    let ten = signed(10, 3);
    let one_by_one = time(2_000, || {
        for (k, m, s) in &ten {
            assert!(signing::verify(k, m, s));
        }
    });
    let ten_batch = time(2_000, || assert!(batch(&ten)));
    let page = signed(500, 2);
    let page_batch = time(50, || assert!(batch(&page)));
    let wkey = WorkspaceKey::generate();
    let check = time(100_000, || {
        std::hint::black_box(key_check(&ws, 1, &wkey));
    });

    // A roster of 200 events: a creation, then invites and admissions.
    let owner = DeviceSigner::generate();
    let owner_id = Id::random();
    let mut roster = Roster::empty(Id::random());
    let create = roster.make(
        &owner_id,
        &owner,
        What::Create {
            member: Id::random(),
            sign: hex::encode(owner.public()),
            box_key: DeviceKeys::generate().public_hex(),
            key_check: hex::encode(key_check(&roster.workspace(), 0, &wkey)),
        },
    );
    let mut events = vec![create];
    roster.extend(events.clone()).expect("a creation");
    while events.len() < 200 {
        let invite = DeviceSigner::generate();
        let ev = roster.make(
            &owner_id,
            &owner,
            What::Invite {
                admit: hex::encode(invite.public()),
                id: Id::random(),
                role: trellis_protocol::api::Role::Member,
                device: false,
                expires_ms: i64::MAX,
            },
        );
        roster.extend([ev.clone()]).expect("an invite");
        events.push(ev);
        let (new, new_id, member) = (DeviceSigner::generate(), Id::random(), Id::random());
        let boxk = DeviceKeys::generate();
        let m = admit_message(
            &roster.workspace(),
            &invite.public(),
            &member,
            &new_id,
            &new.public(),
            &boxk.public_bytes(),
        );
        let ev = roster.make(
            &new_id,
            &new,
            What::Admit {
                admit: hex::encode(invite.public()),
                member,
                sign: hex::encode(new.public()),
                box_key: boxk.public_hex(),
                admit_sig: hex::encode(invite.sign(&m)),
            },
        );
        roster.extend([ev.clone()]).expect("an admission");
        events.push(ev);
    }
    let ws_id = roster.workspace();
    let replay = time(20, || {
        let r = Roster::from_events(ws_id, events.clone()).expect("the chain verifies");
        assert!(r.refused().is_empty());
    });

    println!("| what | µs |");
    println!("| --- | ---: |");
    println!("| sign one change (Ed25519, 100-byte message) | {sign:.1} |");
    println!("| load the signing key from its hex (a write does it once) | {load:.1} |");
    println!("| verify the 10 changes of a pull, one by one | {one_by_one:.1} |");
    println!("| verify the 10 changes of a pull, as a batch | {ten_batch:.1} |");
    println!(
        "| verify a checkpoint page of 500 snapshots, as a batch | {page_batch:.1} ({:.1} a snapshot) |",
        page_batch / 500.0
    );
    println!("| a key check (HMAC-SHA256) | {check:.2} |");
    println!(
        "| verify a roster of 200 events from the start | {replay:.1} ({:.1} an event) |",
        replay / 200.0
    );
}
