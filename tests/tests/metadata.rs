//! What the relay's file says about a practice: document ids it cannot link to a member or a
//! month, and envelope sizes in a few buckets (docs/METADATA.md). A practice of two syncs
//! drop-bys in two months and referrals, cuts a checkpoint and rotates its key; the test then
//! reads the relay's SQLite file directly, as someone who copied it would.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use trellis_core::crypto::{KeyRing, Sealed};
use trellis_protocol::Id;
use trellis_tests::{envelope_of, Device, Relay};

/// The months the story writes in (and those around them, in case a clock or a zone moves an
/// activity across a boundary).
const MONTHS: [&str; 4] = ["2026-09", "2026-10", "2026-11", "2026-12"];

/// The first format's derivation of a document id: SHA-256 over length-prefixed parts, the
/// first 16 bytes. Anyone who knows the workspace and member ids (the relay does) computes it.
fn unkeyed(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u32).to_le_bytes());
        h.update(p);
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize()[..16]);
    id
}

/// Whether `len` is an envelope bucket: a power of two from 256 bytes to 64 KiB, or a multiple
/// of 64 KiB (written out here, not taken from the code it checks).
fn is_bucket(len: usize) -> bool {
    (len.is_power_of_two() && (256..=65_536).contains(&len))
        || (len > 0 && len.is_multiple_of(65_536))
}

/// `(doc_id, bytes)` of a table of the relay's SQLite file.
fn rows(relay: &Relay, sql: &str) -> Vec<([u8; 16], Vec<u8>)> {
    let conn = rusqlite::Connection::open_with_flags(
        relay.data.join("relay.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the relay's file opens");
    let mut st = conn.prepare(sql).expect("the query prepares");
    st.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
    })
    .expect("the table reads")
    .map(|r| {
        let (id, bytes) = r.expect("a row");
        (id.try_into().expect("a 16-byte document id"), bytes)
    })
    .collect()
}

fn drop_by(device: &Device, note: &str, at: &str) {
    device.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--minutes",
        "20",
        "--note",
        note,
        "--at",
        at,
    ]);
}

#[test]
fn the_relays_file_names_no_member_or_month_and_shows_only_bucketed_sizes() {
    if std::env::var_os(trellis_tests::POSTGRES_ENV).is_some_and(|v| !v.is_empty()) {
        // The story reads the relay's SQLite file (the PostgreSQL pass does not run it).
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    dana.found_practice_with_school(&relay, "Dana Whitfield", "Maple Street Counseling");
    dana.json(&["sync"]);
    dana.invite_member(&sam, "Sam Okafor");

    // Both log visits in two months; Dana records referrals in both.
    drop_by(
        &dana,
        "Dana: parent night on anxiety",
        "2026-10-14T09:30:00-05:00",
    );
    drop_by(
        &dana,
        "Dana: brought brochures",
        "2026-11-20T09:30:00-05:00",
    );
    drop_by(
        &sam,
        "Sam: met the new counselor",
        "2026-11-21T14:00:00-05:00",
    );
    for (reason, on) in [
        ("adolescent anxiety", "2026-10-15"),
        ("grief", "2026-11-18"),
    ] {
        dana.json(&[
            "referral", "add", "--from", "Rosa", "--reason", reason, "--on", on,
        ]);
    }
    for device in [&dana, &sam, &dana] {
        device.json(&["sync"]);
    }

    let (_, ws_hex) = dana.credentials();
    let ws: Id = ws_hex.parse().unwrap();
    let keys: KeyRing = dana.keys();
    let members: Vec<Id> = dana
        .json(&["workspace", "members"])
        .as_array()
        .expect("a member list")
        .iter()
        .map(|m| m["member_id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(members.len(), 2);

    // What the first format would have named each logbook and ledger, and what this one does.
    let mut old_ids = BTreeSet::new();
    let mut keyed_logbooks = BTreeSet::new();
    let mut keyed_ledgers = BTreeSet::new();
    let ids = keys.doc_ids(&ws);
    for month in MONTHS {
        old_ids.insert(unkeyed(&[
            b"trellis/ledger",
            ws.as_bytes(),
            month.as_bytes(),
        ]));
        keyed_ledgers.insert(ids.ledger(month).0);
        for member in &members {
            old_ids.insert(unkeyed(&[
                b"trellis/logbook",
                ws.as_bytes(),
                member.as_bytes(),
                month.as_bytes(),
            ]));
            keyed_logbooks.insert(ids.logbook(member, month).0);
        }
    }

    let log = rows(&relay, "SELECT doc_id, bytes FROM log ORDER BY seq");
    assert!(
        log.len() >= 10,
        "the log holds the practice's changes: {}",
        log.len()
    );
    let log_docs: BTreeSet<[u8; 16]> = log.iter().map(|(d, _)| *d).collect();
    let (mut unpadded, mut padded) = (0, 0);
    for (doc, bytes) in &log {
        assert!(
            !old_ids.contains(doc),
            "the relay stores a document under the unkeyed (workspace, member, month) id {}",
            Id(*doc).to_hex()
        );
        assert!(
            is_bucket(bytes.len()),
            "a log entry of {} bytes is not in a bucket",
            bytes.len()
        );
        // A change envelope opens as a change, never as a snapshot.
        let doc = Id(*doc);
        let change = keys
            .open(Sealed::Change, &ws, &doc, bytes)
            .expect("a change opens");
        assert!(keys.open(Sealed::Snapshot, &ws, &doc, bytes).is_err());
        unpadded += change.len() + trellis_core::crypto::envelope::ENVELOPE_OVERHEAD;
        padded += bytes.len();
    }
    // What padding costs this practice's log (printed for docs/METADATA.md).
    eprintln!(
        "log: {} entries, {unpadded} B unpadded, {padded} B padded ({:+.0}%)",
        log.len(),
        (padded as f64 / unpadded as f64 - 1.0) * 100.0
    );
    // The logbooks and ledgers are there, under their keyed ids: the check above looked at them.
    let logbooks = log_docs.intersection(&keyed_logbooks).count();
    let ledgers = log_docs.intersection(&keyed_ledgers).count();
    assert_eq!(
        (logbooks, ledgers),
        (3, 2),
        "Dana's two months, Sam's one; two ledgers"
    );
    // Every entry, signed trailer included, fills a bucket: small edits 256 bytes, larger
    // ones 512, drop-bys with their notes 1 KiB.
    let sizes: BTreeSet<usize> = log.iter().map(|(_, b)| b.len()).collect();
    assert_eq!(sizes, BTreeSet::from([256, 512, 1024]));

    // A checkpoint: its snapshots are bucketed too, and open only as snapshots.
    dana.json(&["workspace", "checkpoint"]);
    let snapshots = rows(&relay, "SELECT doc_id, bytes FROM checkpoint_docs");
    assert!(snapshots.len() >= 7, "{}", snapshots.len());
    for (doc, bytes) in &snapshots {
        assert!(!old_ids.contains(doc));
        assert!(
            is_bucket(bytes.len()),
            "a snapshot of {} bytes",
            bytes.len()
        );
        let doc = Id(*doc);
        if let Err(e) = keys.open(Sealed::Snapshot, &ws, &doc, envelope_of(bytes)) {
            panic!(
                "a snapshot of {} bytes does not open: {e} (epoch {:?})",
                bytes.len(),
                trellis_core::crypto::envelope_epoch(bytes)
            );
        }
        assert!(keys
            .open(Sealed::Change, &ws, &doc, envelope_of(bytes))
            .is_err());
    }

    // After a key rotation, November's visits still go to the same logbook.
    dana.json(&["workspace", "rotate-key"]);
    drop_by(&dana, "Dana: follow-up visit", "2026-11-27T10:00:00-05:00");
    dana.json(&["sync"]);
    let rotated = dana.keys();
    assert!(rotated.holds(1));
    let november = rotated.doc_ids(&ws).logbook(&members_of(&dana), "2026-11");
    assert!(
        keyed_logbooks.contains(&november.0),
        "November's logbook moved to a new id with the key"
    );
    let after = rows(&relay, "SELECT doc_id, bytes FROM log ORDER BY seq");
    let newest = after
        .iter()
        .rev()
        .find(|(d, _)| *d == november.0)
        .expect("the visit went to November's logbook");
    assert_eq!(trellis_core::crypto::envelope_epoch(&newest.1), Some(1));
    assert!(after
        .iter()
        .all(|(d, b)| !old_ids.contains(d) && is_bucket(b.len())));
}

/// Dana's member id, as her store holds it.
fn members_of(device: &Device) -> Id {
    let (_, ws) = device.credentials();
    let conn = rusqlite::Connection::open(device.data.join("trellis.sqlite3")).unwrap();
    let member: String = conn
        .query_row(
            "SELECT member_id FROM workspaces WHERE id = ?1",
            [ws],
            |r| r.get(0),
        )
        .unwrap();
    member.parse().unwrap()
}
