//! Property checks for every decoder that reads bytes from the network or from a file, shared
//! by the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer) and by the plain `cargo test` that
//! replays the committed corpus and every crash turned regression
//! (`tests/tests/fuzz_regressions.rs`). See `docs/FUZZING.md`.
//!
//! Each check takes arbitrary bytes, runs one decoder on them and asserts what must hold for
//! any input, not only that nothing panics:
//!
//! | target | decoder | property |
//! | --- | --- | --- |
//! | `push_batch` | [`batch::decode_push`] | what decodes re-encodes to the same bytes; limits hold |
//! | `pull_batch` | [`batch::decode_pull`] | the same, for pull replies |
//! | `snapshot_docs` | [`snapshot::decode_docs`] | the same, for checkpoint bodies |
//! | `api_json` | the JSON control bodies | what parses re-serializes and parses to the same value |
//! | `invite_code` | [`InviteCode::decode`] | a decoded code round-trips; a refusal never echoes the input |
//! | `envelope` | [`KeyRing::open`] | an envelope opens if and only if it is byte for byte the sealed one, and only as a change |
//! | `sealed_key` | [`DeviceKeys::unseal_key`] | garbage never opens as a key |
//! | `vcard` | [`interop::preview_vcard`] | every contact has a name; a refusal is one of the fixed messages |
//! | `csv` | [`interop::preview_csv`] | the same, for contact spreadsheets |
//! | `index_snapshot` | a checkpoint snapshot's plaintext (`index/snapshot.rs`) | the document is the input or the slice its header names; rows that decode survive a round trip |
//! | `pulled_changes` | the pull's apply path (`sync/push_pull.rs`), fed changes a member could write | the pull never fails: each entry is applied or set aside, the cursor reaches the batch's end, and the store goes on working |
//!
//! A check panics only when a property fails: that panic is the bug the fuzzer reports.
//!
//! [`batch::decode_push`]: trellis_protocol::batch::decode_push
//! [`batch::decode_pull`]: trellis_protocol::batch::decode_pull
//! [`snapshot::decode_docs`]: trellis_protocol::snapshot::decode_docs
//! [`interop::preview_vcard`]: crate::features::interop::preview_vcard
//! [`interop::preview_csv`]: crate::features::interop::preview_csv

use std::fmt::Debug;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Serialize;
use trellis_protocol::batch::{self, DecodeError};
use trellis_protocol::{api, snapshot, Id, MAX_BATCH_ENTRIES, MAX_ENTRY_BYTES};

use crate::base::error::Error;
use crate::crypto::{DeviceKeys, KeyRing, Sealed, WorkspaceKey};
use crate::features::interop;
use crate::sync::invite::InviteCode;

/// A check: runs one decoder on arbitrary bytes and panics if a property fails.
pub type Check = fn(&[u8]);

/// Every fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` file and the
/// `fuzz/corpus/<name>/` folder) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("push_batch", push_batch),
    ("pull_batch", pull_batch),
    ("snapshot_docs", snapshot_docs),
    ("api_json", api_json),
    ("invite_code", invite_code),
    ("envelope", envelope),
    ("sealed_key", sealed_key),
    ("vcard", vcard),
    ("csv", csv),
    ("index_snapshot", index_snapshot),
    ("pulled_changes", pulled_changes),
];

/// The check of the target called `name`, if there is one.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn limits_hold(entries: usize, sizes: impl IntoIterator<Item = usize>, max_entry: usize) {
    assert!(
        entries <= MAX_BATCH_ENTRIES.max(snapshot::MAX_SNAPSHOTS_PER_BODY),
        "{entries} entries decoded"
    );
    for size in sizes {
        assert!(
            size > 0 && size <= max_entry,
            "an entry of {size} bytes decoded"
        );
    }
}

fn refused(e: &DecodeError) {
    // Every refusal has a message a relay can send back as is (no input bytes in it).
    assert!(!e.to_string().is_empty());
}

/// A push body: decodes, or is refused; what decodes is within the limits and re-encodes to
/// exactly the input (the codec has one encoding per value, so nothing is smuggled in slack).
pub fn push_batch(data: &[u8]) {
    match batch::decode_push(data) {
        Ok(entries) => {
            assert!(entries.len() <= MAX_BATCH_ENTRIES);
            limits_hold(
                entries.len(),
                entries.iter().map(|e| e.bytes.len()),
                MAX_ENTRY_BYTES,
            );
            assert_eq!(batch::encode_push(&entries), data, "push re-encodes");
        }
        Err(e) => refused(&e),
    }
}

/// A pull reply: as [`push_batch`].
pub fn pull_batch(data: &[u8]) {
    match batch::decode_pull(data) {
        Ok(pull) => {
            assert!(pull.entries.len() <= MAX_BATCH_ENTRIES);
            limits_hold(
                pull.entries.len(),
                pull.entries.iter().map(|e| e.bytes.len()),
                MAX_ENTRY_BYTES,
            );
            assert_eq!(batch::encode_pull(&pull), data, "pull re-encodes");
        }
        Err(e) => refused(&e),
    }
}

/// A checkpoint body of document snapshots: as [`push_batch`].
pub fn snapshot_docs(data: &[u8]) {
    match snapshot::decode_docs(data) {
        Ok(docs) => {
            assert!(docs.docs.len() <= snapshot::MAX_SNAPSHOTS_PER_BODY);
            limits_hold(
                docs.docs.len(),
                docs.docs.iter().map(|d| d.bytes.len()),
                snapshot::MAX_SNAPSHOT_BYTES,
            );
            assert_eq!(snapshot::encode_docs(&docs), data, "docs re-encode");
        }
        Err(e) => refused(&e),
    }
}

fn json_round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let again = serde_json::to_vec(&value).expect("a parsed body serializes");
        let back: T = serde_json::from_slice(&again).expect("a serialized body parses");
        assert_eq!(back, value, "JSON round trip");
    }
}

/// The JSON control bodies, as the relay reads requests and the client reads answers. The
/// first byte picks the type, the rest is the body.
pub fn api_json(data: &[u8]) {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    match which % 12 {
        0 => json_round_trip::<api::CreateWorkspaceRequest>(body),
        1 => json_round_trip::<api::CreateInviteRequest>(body),
        2 => json_round_trip::<api::RedeemInviteRequest>(body),
        3 => json_round_trip::<api::KeyRotation>(body),
        4 => json_round_trip::<api::TransferRequest>(body),
        5 => json_round_trip::<snapshot::BeginCheckpoint>(body),
        6 => json_round_trip::<snapshot::CompleteCheckpoint>(body),
        7 => json_round_trip::<api::PushResponse>(body),
        8 => json_round_trip::<api::MembersResponse>(body),
        9 => json_round_trip::<api::KeysResponse>(body),
        10 => json_round_trip::<api::LiveMessage>(body),
        _ => json_round_trip::<api::ErrorBody>(body),
    }
}

const INVITE_REFUSAL: &str = "this is not a Trellis invite code";
/// The one message for a code of an earlier format.
const OLD_INVITE_REFUSAL: &str = "this invite code was made by an earlier version of Trellis";

/// An invite code. The first byte picks the form: even, the rest is the code as typed; odd,
/// the rest is the JSON inside the code (so the fuzzer reaches the fields behind the base64).
/// A decoded code re-encodes and decodes to itself; a refusal is the one fixed message, which
/// never repeats what was pasted (an invite carries a secret).
pub fn invite_code(data: &[u8]) {
    let Some((form, rest)) = data.split_first() else {
        return;
    };
    let text = if form % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        use base64::Engine;
        format!(
            "trellis3.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rest)
        )
    };
    match InviteCode::decode(&text) {
        Ok(code) => {
            assert_eq!(
                InviteCode::decode(&code.encode()).expect("an encoded code decodes"),
                code
            );
        }
        Err(Error::InvalidInput(m)) => assert!(
            m.starts_with(INVITE_REFUSAL) || m.starts_with(OLD_INVITE_REFUSAL),
            "{m}"
        ),
        Err(e) => panic!("an invite was refused with a {e:?}"),
    }
}

/// The plaintext sealed in the envelope the `envelope` target tampers with.
pub const ENVELOPE_PLAINTEXT: &[u8] =
    b"Rosa Jimenez, Lincoln Middle School: parent night in spring";

struct SealedFixture {
    ring: KeyRing,
    workspace: Id,
    doc: Id,
    envelope: Vec<u8>,
}

fn sealed() -> &'static SealedFixture {
    static SEALED: OnceLock<SealedFixture> = OnceLock::new();
    SEALED.get_or_init(|| {
        let mut ring = KeyRing::new(WorkspaceKey::from_slice(&[7; 32]).expect("32 bytes"));
        ring.insert(1, WorkspaceKey::from_slice(&[9; 32]).expect("32 bytes"));
        let (workspace, doc) = (Id([1; 16]), Id([2; 16]));
        let envelope = ring.seal(Sealed::Change, &workspace, &doc, ENVELOPE_PLAINTEXT);
        SealedFixture {
            ring,
            workspace,
            doc,
            envelope,
        }
    })
}

/// A sealed change, tampered with: the input is XORed over a freshly sealed envelope (bytes
/// past its end are appended, a shorter input cuts it). The result opens if and only if it is
/// the envelope unchanged, and then gives the plaintext back without its padding; with another
/// document, another workspace, a ring without the epoch it names, or as a snapshot, it never
/// opens.
pub fn envelope(data: &[u8]) {
    let s = sealed();
    let candidate: Vec<u8> = if data.is_empty() {
        s.envelope.clone()
    } else {
        data.iter()
            .enumerate()
            .map(|(i, m)| s.envelope.get(i).map_or(*m, |b| b ^ m))
            .collect()
    };
    let opened = s
        .ring
        .open(Sealed::Change, &s.workspace, &s.doc, &candidate);
    if candidate == s.envelope {
        assert_eq!(
            opened.expect("the untouched envelope opens"),
            ENVELOPE_PLAINTEXT
        );
    } else {
        assert!(opened.is_err(), "a tampered envelope opened");
    }
    assert!(s
        .ring
        .open(Sealed::Change, &s.workspace, &Id([3; 16]), &candidate)
        .is_err());
    assert!(s
        .ring
        .open(Sealed::Change, &Id([3; 16]), &s.doc, &candidate)
        .is_err());
    assert!(
        s.ring
            .open(Sealed::Snapshot, &s.workspace, &s.doc, &candidate)
            .is_err(),
        "a change envelope opened as a snapshot"
    );
    let first_only = KeyRing::new(WorkspaceKey::from_slice(&[7; 32]).expect("32 bytes"));
    assert!(
        first_only
            .open(Sealed::Change, &s.workspace, &s.doc, &candidate)
            .is_err(),
        "an epoch-1 envelope opened with epoch 0's key"
    );
    // The raw input as an envelope of its own: refused without a panic.
    let _ = s.ring.open(Sealed::Change, &s.workspace, &s.doc, data);
}

/// A workspace key sealed to this device, as the relay hands it over after a rotation. The
/// input is the base64 text; whatever it is, it must not open with a device key nobody sealed
/// to (the fixed device below): forging a sealed box needs its public key and the sealer's
/// randomness, which a fuzzer does not find.
pub fn sealed_key(data: &[u8]) {
    static DEVICE: OnceLock<DeviceKeys> = OnceLock::new();
    let device = DEVICE.get_or_init(|| {
        DeviceKeys::from_hex(&"5a".repeat(32)).expect("64 hex digits make a device key")
    });
    let text = String::from_utf8_lossy(data);
    assert!(
        device.unseal_key(&text, &Id([1; 16]), 0).is_err(),
        "a key opened that nobody sealed"
    );
}

const VCARD_REFUSALS: &[&str] = &[
    "the vCard file is empty",
    "this is an iCalendar file, not a vCard file of contacts",
    "no vCard found: a vCard file holds contacts between BEGIN:VCARD and END:VCARD lines",
];

fn contacts_have_names(preview: &interop::ImportPreview) {
    for c in &preview.contacts {
        assert!(!c.name.trim().is_empty(), "a contact without a name: {c:?}");
    }
}

/// A vCard file's bytes, read as the import reads them. Every contact has a name; a refusal is
/// one of the fixed messages, which name no part of the file.
pub fn vcard(data: &[u8]) {
    let text = interop::text_from_bytes(data);
    match interop::preview_vcard(&text) {
        Ok(preview) => contacts_have_names(&preview),
        Err(Error::InvalidInput(m)) => assert!(VCARD_REFUSALS.contains(&m.as_str()), "{m}"),
        Err(e) => panic!("a vCard file was refused with a {e:?}"),
    }
}

/// A contact CSV's bytes, read as the import reads them. Every contact has a name; a refusal
/// is about the file's shape (empty, unreadable header, no `name` column), never its rows.
pub fn csv(data: &[u8]) {
    let text = interop::text_from_bytes(data);
    match interop::preview_csv(&text) {
        Ok(preview) => contacts_have_names(&preview),
        Err(Error::InvalidInput(m)) => assert!(
            m == "the CSV file is empty"
                || m.starts_with("the CSV header cannot be read: ")
                || m.starts_with("the CSV has no \"name\" column"),
            "{m}"
        ),
        Err(e) => panic!("a CSV file was refused with a {e:?}"),
    }
}

/// A checkpoint snapshot's plaintext, as a new device reads it after opening the envelope:
/// without the magic it is a document alone, returned whole; with it, the document is exactly
/// the bytes its header names (or it is refused as cut short or from a newer layout), and rows
/// that decode encode and decode again to the same rows. Damaged rows leave the document alone.
pub fn index_snapshot(data: &[u8]) {
    use crate::index::snapshot::{self as plain, Plain};
    match plain::decode(data.to_vec()) {
        Ok(Plain::Doc(doc)) => {
            assert!(
                doc == data || (data.len() >= 9 && data[9..].starts_with(&doc)),
                "a document that is neither the input nor the slice its header names"
            );
        }
        Ok(Plain::WithRows(doc, rows, deflated)) => {
            let len = u32::from_le_bytes([data[5], data[6], data[7], data[8]]) as usize;
            assert_eq!(
                doc,
                data[9..9 + len],
                "the document is the slice the header names"
            );
            assert_eq!(
                deflated,
                data[9 + len..],
                "the rows as they came are the rest"
            );
            assert!(
                plain::read_rows(&deflated).as_ref() == Some(&rows),
                "the rows as they came read as the rows"
            );
            let again = plain::encode(&doc, &rows).expect("decoded rows encode");
            match plain::decode(again).expect("an encoding decodes") {
                Plain::WithRows(d, r, _) => {
                    assert!(d == doc && r == rows, "rows changed in a round trip")
                }
                Plain::Doc(_) => panic!("encoded rows did not decode"),
            }
        }
        Err(Error::Corrupt(m)) => assert!(
            m == "a snapshot is cut short"
                || m == "a snapshot was made by a newer version of Trellis",
            "{m}"
        ),
        Err(e) => panic!("a snapshot was refused with a {e:?}"),
    }
}

/// Changes a member of the practice could write (sealed with the practice's key, under the
/// right or a wrong hash), applied by the pull's own apply path to a fresh store. The input is
/// a list of records `[author, actor, doc, flags, key, len, value...]`: each record is one
/// change made by one of three authors that all start from the document's genesis, writing
/// `value` under `key` at the root or inside a section, as one of four actors (so two authors
/// sharing an actor reuse its sequence numbers, as a restored phone once did). `flags` can
/// send `value` itself instead of the change, put it under a wrong hash, skip the seal or drop the genesis
/// from the batch. Whatever comes, the pull must not fail: each entry is applied or set aside,
/// the cursor reaches the last seq, and the store still takes a write and lists it.
pub fn pulled_changes(data: &[u8]) {
    pull_member_changes(data);
}

/// [`pulled_changes`], returning what was set aside.
fn pull_member_changes(data: &[u8]) -> Vec<crate::SetAsideEntry> {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, ReadDoc, ROOT};
    use trellis_protocol::batch::{LogEntry, PullBatch};

    use crate::documents::{genesis, DocKind};
    use crate::storage::workspace::current_ws;

    // A fresh store per input (so a failure replays alone), in memory-backed files where the
    // machine has them.
    static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "trellis-fuzz-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let store = crate::Store::open(dir.join("store.sqlite3")).expect("a new store opens");
    store.init("Fuzz").expect("the device is set up");
    store
        .create_workspace("Fuzz practice")
        .expect("a local practice is made");
    let ws = current_ws(&store.lock(), store.scope).expect("the practice is current");
    // Entries are signed by this device (its roster's only one) under several actors of its
    // own; a key byte with its top bit set signs with a key the roster does not hold.
    let (signer, me, mark, roster) = {
        let conn = store.lock();
        (
            crate::storage::workspace::device_signer(&conn).expect("a signing key"),
            crate::sync::members::device_id(&conn).expect("a device id"),
            crate::storage::workspace::roster_mark(&conn, &ws.id).expect("a roster"),
            crate::storage::workspace::load_roster(&conn, &ws.id).expect("a roster"),
        )
    };
    let stranger = crate::crypto::DeviceSigner::generate();
    let docs = [
        (ws.id, DocKind::Workspace),
        (Id([2; 16]), DocKind::Organization),
        (Id([3; 16]), DocKind::Logbook),
    ];
    let sections = [
        "orgs",
        "contacts",
        "activities",
        "notes",
        "items",
        "members",
    ];

    let mut authors: Vec<Vec<Option<Automerge>>> = vec![vec![None, None, None]; 3];
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut sent_genesis = [false; 3];
    let mut rest = data;
    while rest.len() >= 6 && entries.len() < 48 {
        let (author, actor, which, flags, key_byte, len) = (
            rest[0] as usize % 3,
            rest[1] % 4,
            rest[2] as usize % 3,
            rest[3],
            rest[4],
            rest[5] as usize,
        );
        rest = &rest[6..];
        let (value, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        let (doc_id, kind) = docs[which];
        let signing_key = if key_byte & 0x80 != 0 {
            &stranger
        } else {
            &signer
        };
        // A change envelope holds the change and its signed trailer (over the change's hash;
        // for bytes that are no change, over their SHA-256).
        let signed = |plain: &[u8]| {
            let hash: [u8; 32] = match automerge::Change::from_bytes(plain.to_vec()) {
                Ok(c) => c.hash().0,
                Err(_) => <sha2::Sha256 as sha2::Digest>::digest(plain).into(),
            };
            let trailer =
                crate::crypto::signing::sign_change(signing_key, &me, &ws.id, &doc_id, mark, &hash);
            crate::crypto::signing::signed_payload(plain, &trailer)
        };
        let seal = |plain: &[u8]| {
            ws.keys
                .seal(Sealed::Change, &ws.id, &doc_id, &signed(plain))
        };
        if !sent_genesis[which] && flags & 0x10 == 0 {
            let g = genesis(&doc_id, kind).expect("a genesis is made");
            for c in g.get_changes(&[]) {
                let bytes = seal(c.raw_bytes());
                entries.push(LogEntry {
                    seq: entries.len() as u64 + 1,
                    doc_id,
                    change_hash: ws.keys.entry_hash(&c.hash().0, &bytes),
                    bytes,
                });
            }
            sent_genesis[which] = true;
        }
        let doc = authors[author][which]
            .get_or_insert_with(|| genesis(&doc_id, kind).expect("a genesis is made"));
        let mut actor_bytes = me.0.to_vec();
        actor_bytes.extend_from_slice(&[actor; 8]);
        doc.set_actor(ActorId::from(actor_bytes.as_slice()));
        let text = String::from_utf8_lossy(value).to_string();
        let key = format!("k{}", key_byte % 8);
        let made = doc.transact(|tx| {
            if flags & 0x01 == 0 {
                tx.put(ROOT, key.as_str(), text.as_str())?;
            } else {
                let section = sections[usize::from(flags >> 5) % sections.len()];
                let obj = match tx.get(ROOT, section)? {
                    Some((automerge::Value::Object(_), id)) => id,
                    _ => tx.put_object(ROOT, section, automerge::ObjType::Map)?,
                };
                let entry = tx.put_object(&obj, key.as_str(), automerge::ObjType::Map)?;
                tx.put(&entry, "name", text.as_str())?;
                tx.put(&entry, "minutes", i64::from(key_byte))?;
            }
            Ok::<_, automerge::AutomergeError>(())
        });
        if made.is_err() {
            continue;
        }
        let Some(change) = doc.get_last_local_change() else {
            continue;
        };
        let plain = if flags & 0x02 != 0 {
            value.to_vec()
        } else {
            change.raw_bytes().to_vec()
        };
        let bytes = if flags & 0x04 != 0 {
            // Signed, but not sealed.
            signed(&plain)
        } else {
            seal(&plain)
        };
        let change_hash = if flags & 0x08 != 0 {
            [key_byte; 32]
        } else {
            ws.keys.entry_hash(&change.hash().0, &bytes)
        };
        entries.push(LogEntry {
            seq: entries.len() as u64 + 1,
            doc_id,
            change_hash,
            bytes,
        });
    }
    let n = entries.len() as u64;
    let batch = PullBatch {
        head: n,
        more: false,
        entries,
    };
    let (applied, _, aside) = store
        .apply_pulled(&ws, &roster, &batch, None)
        .expect("a pull never fails on what a member wrote");
    assert_eq!(applied + aside, n, "every entry is applied or set aside");
    let status = store.status().expect("the status reads");
    assert_eq!(status.cursor, n, "the cursor reaches the end of the batch");
    assert!(status.set_aside >= aside, "what was set aside is kept");
    let set_aside = store.set_aside().expect("the entries set aside list");
    assert_eq!(set_aside.len() as u64, status.set_aside);
    // The store goes on working: a write after the pull lands and is listed.
    store
        .add_org(&crate::NewOrg {
            name: "Lincoln Middle School".into(),
            ..Default::default()
        })
        .expect("a write after the pull works");
    assert!(store
        .organizations()
        .expect("the organizations list")
        .iter()
        .any(|o| o.name == "Lincoln Middle School"));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    set_aside
}

/// Seed inputs for each target, made with the real encoders (the committed corpus in
/// `fuzz/corpus/` is written from these plus the sample address-book files): `(target, bytes)`.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
    use trellis_protocol::snapshot::{DocBatch, DocSnapshot};

    let s = sealed();
    let entry = |n: u8, len: usize| PushEntry {
        doc_id: Id([n; 16]),
        change_hash: [n.wrapping_mul(3); 32],
        bytes: if len == s.envelope.len() {
            s.envelope.clone()
        } else {
            vec![n; len]
        },
    };
    let push = |entries: Vec<PushEntry>| ("push_batch", batch::encode_push(&entries));
    let log = |entries: &[PushEntry], more: bool| PullBatch {
        head: 40 + entries.len() as u64,
        more,
        entries: entries
            .iter()
            .enumerate()
            .map(|(i, e)| LogEntry {
                seq: 41 + i as u64,
                doc_id: e.doc_id,
                change_hash: e.change_hash,
                bytes: e.bytes.clone(),
            })
            .collect(),
    };
    let three = vec![entry(1, s.envelope.len()), entry(2, 1), entry(3, 300)];
    let docs = |n: usize, more: bool| DocBatch {
        more,
        docs: (0..n)
            .map(|i| DocSnapshot {
                doc_id: Id([i as u8; 16]),
                bytes: if i == 0 {
                    s.envelope.clone()
                } else {
                    vec![i as u8; 50 * i]
                },
            })
            .collect(),
    };
    let json = |which: u8, value: serde_json::Value| {
        let mut out = vec![which];
        out.extend(serde_json::to_vec(&value).expect("JSON serializes"));
        ("api_json", out)
    };
    let ws = Id([1; 16]).to_hex();
    let code = InviteCode {
        relay_url: "https://relay.example.org:8787".into(),
        workspace_id: Id([1; 16]),
        secret: "c".repeat(64),
        admit: [9; 32],
        inviter: Id([1; 16]),
        inviter_fingerprint: [8; 32],
    };
    let inner = URL_SAFE_NO_PAD
        .decode(
            code.encode()
                .strip_prefix("trellis3.")
                .expect("codes start with the prefix"),
        )
        .expect("a code is base64");
    let other = DeviceKeys::from_hex(&"17".repeat(32)).expect("a device key");
    let sealed_key =
        crate::crypto::seal_key_for(&other.public_hex(), &s.workspace, 1, s.ring.current().1)
            .expect("sealing to a valid public key");
    let mut out = vec![
        push(vec![]),
        push(vec![entry(1, s.envelope.len())]),
        push(three.clone()),
        ("pull_batch", batch::encode_pull(&PullBatch::default())),
        ("pull_batch", batch::encode_pull(&log(&three[..1], false))),
        ("pull_batch", batch::encode_pull(&log(&three, true))),
        ("snapshot_docs", snapshot::encode_docs(&docs(0, false))),
        ("snapshot_docs", snapshot::encode_docs(&docs(1, false))),
        ("snapshot_docs", snapshot::encode_docs(&docs(3, true))),
        json(
            0,
            serde_json::json!({"workspace_id": ws, "member_id": ws, "device_id": ws, "device_key": "ab".repeat(32)}),
        ),
        json(
            1,
            serde_json::json!({"role": "member", "device": false, "ttl_seconds": 3600}),
        ),
        json(
            2,
            serde_json::json!({"workspace_id": ws, "invite_secret": "c".repeat(64), "member_id": ws, "device_id": ws, "device_key": "ab".repeat(32)}),
        ),
        json(
            3,
            serde_json::json!({"epoch": 1, "wrapped": [{"device_id": ws, "sealed": "AAAA"}]}),
        ),
        json(4, serde_json::json!({"member_id": ws})),
        json(5, serde_json::json!({"seq": 42})),
        json(6, serde_json::json!({"docs": 3})),
        json(
            7,
            serde_json::json!({"seqs": [41, 42], "stored": 2, "head": 42}),
        ),
        json(
            8,
            serde_json::json!({"members": [{"member_id": ws, "role": "owner", "removed": false}], "devices": [{"device_id": ws, "member_id": ws, "device_key": "ab".repeat(32), "created_at": 1_800_000_000, "revoked": false}], "key_epoch": 0, "rotation_needed": false}),
        ),
        json(
            9,
            serde_json::json!({"keys": [{"epoch": 1, "sealed": "AAAA"}]}),
        ),
        json(10, serde_json::json!({"head": 42})),
        json(
            11,
            serde_json::json!({"error": "forbidden", "message": "this device does not belong to that workspace"}),
        ),
        (
            "invite_code",
            [&[0u8][..], code.encode().as_bytes()].concat(),
        ),
        ("invite_code", [&[1u8][..], &inner].concat()),
        ("invite_code", b"\0trellis3.".to_vec()),
        ("envelope", Vec::new()),
        ("envelope", vec![0; s.envelope.len()]),
        ("envelope", vec![0; 5]),
        (
            "envelope",
            [vec![0; s.envelope.len()], vec![0xff; 4]].concat(),
        ),
        ("sealed_key", sealed_key.into_bytes()),
        ("sealed_key", b"not base64!".to_vec()),
    ];
    out.push((
        "csv",
        b"name,organization,category,phones,emails,cadence_days\n\
          Rosa Jimenez,Lincoln Middle School,school-counselor,503-555-0100,rosa@example.org,30\n\
          Dr. Patel,Riverside Pediatrics,pediatrician,,patel@example.org;front@example.org,\n\
          ,no name,,,,\n\
          Bad Email,,,,not-an-email,\n"
            .to_vec(),
    ));
    out.push(("csv", b"organization,role\nLincoln,counselor\n".to_vec()));
    out.extend(
        crate::index::snapshot::seeds()
            .into_iter()
            .map(|s| ("index_snapshot", s)),
    );
    // Changes by three authors, two of them sharing an actor (a reused sequence number), to
    // each document; bytes that are not a change, one under a wrong hash, one unsealed, one
    // signed with a key the roster does not hold.
    let record = |author: u8, actor: u8, doc: u8, flags: u8, key: u8, value: &[u8]| {
        let mut r = vec![author, actor, doc, flags, key, value.len() as u8];
        r.extend_from_slice(value);
        r
    };
    out.push((
        "pulled_changes",
        [
            record(0, 1, 2, 0x01, 1, b"Monday drop-by"),
            record(1, 1, 2, 0x21, 1, b"another Monday"),
            record(2, 2, 1, 0x00, 2, b"Lincoln"),
            record(0, 3, 0, 0x41, 3, b"Dana"),
        ]
        .concat(),
    ));
    out.push((
        "pulled_changes",
        [
            record(0, 0, 1, 0x02, 4, b"not a change"),
            record(1, 0, 1, 0x08, 5, b"wrong hash"),
            record(2, 0, 1, 0x04, 6, b"not sealed"),
            record(0, 1, 2, 0x10, 7, b"no genesis"),
            record(1, 2, 2, 0x01, 0x81, b"a stranger's key"),
        ]
        .concat(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_accepts_empty_and_short_input() {
        for (name, check) in TARGETS {
            for input in [&b""[..], b"\x00", b"\x01", b"\xff\xff\xff\xff"] {
                check(input);
                assert!(target(name).is_some());
            }
        }
    }

    #[test]
    fn every_seed_passes_its_check_and_every_target_has_one() {
        let seeds = seeds();
        for (name, _) in TARGETS {
            if !matches!(*name, "vcard") {
                assert!(seeds.iter().any(|(n, _)| n == name), "{name} has no seed");
            }
        }
        for (name, bytes) in &seeds {
            target(name).expect("a seed names a target")(bytes);
        }
        // Each JSON seed is a body its type accepts, so the fuzzer starts inside the parser.
        for (_, body) in seeds.iter().filter(|(n, _)| *n == "api_json") {
            let value: serde_json::Value = serde_json::from_slice(&body[1..]).unwrap();
            let parsed = match body[0] {
                0 => serde_json::from_value::<api::CreateWorkspaceRequest>(value).is_ok(),
                1 => serde_json::from_value::<api::CreateInviteRequest>(value).is_ok(),
                2 => serde_json::from_value::<api::RedeemInviteRequest>(value).is_ok(),
                3 => serde_json::from_value::<api::KeyRotation>(value).is_ok(),
                4 => serde_json::from_value::<api::TransferRequest>(value).is_ok(),
                5 => serde_json::from_value::<snapshot::BeginCheckpoint>(value).is_ok(),
                6 => serde_json::from_value::<snapshot::CompleteCheckpoint>(value).is_ok(),
                7 => serde_json::from_value::<api::PushResponse>(value).is_ok(),
                8 => serde_json::from_value::<api::MembersResponse>(value).is_ok(),
                9 => serde_json::from_value::<api::KeysResponse>(value).is_ok(),
                10 => serde_json::from_value::<api::LiveMessage>(value).is_ok(),
                _ => serde_json::from_value::<api::ErrorBody>(value).is_ok(),
            };
            assert!(parsed, "seed {} does not parse", body[0]);
        }
        // The seeds of `pulled_changes` reach every way an entry is set aside.
        let mut reasons: Vec<&str> = seeds
            .iter()
            .filter(|(n, _)| *n == "pulled_changes")
            .flat_map(|(_, b)| pull_member_changes(b))
            .map(|e| e.reason.as_str())
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        assert_eq!(
            reasons,
            [
                "hash_mismatch",
                "not_a_change",
                "refused",
                "unreadable",
                "unsigned"
            ]
        );
        // The untouched envelope is among the seeds and opens.
        assert!(seeds
            .iter()
            .any(|(n, b)| *n == "envelope" && b.iter().all(|x| *x == 0)));
    }
}
