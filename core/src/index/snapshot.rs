//! What a checkpoint seals for each document: its saved bytes and, so that a new device need
//! not load it, the index rows read from it (an index snapshot).
//!
//! Loading a document (`Automerge::load`) only to read the rows its index needs was most of a
//! new device's bootstrap for a large practice. So the device that makes a checkpoint, which
//! holds every document already, reads each document's rows ([`NewRows`]) and seals them with
//! the document's saved bytes. A new device writes the rows, stores the bytes as they came, and
//! loads the document only when something first changes it.
//!
//! ```text
//! plaintext := "TRIX" version:u8 (=1) doc_len:u32 doc:[doc_len] rows
//! rows      := deflate(JSON of IndexSnapshot)
//! ```
//!
//! Any other plaintext is a document alone: the workspace document (indexed from itself, as
//! joining writes some of its rows before it is stored), a document whose rows would make its
//! snapshot too large, and every snapshot of a checkpoint made before index snapshots. A
//! snapshot whose rows do not decode is also read as its document alone.
//!
//! The rows are trusted as the document is: both are sealed together with the workspace key by
//! a device of the practice. Should they ever disagree, the next change to the document, or
//! `rebuild_index`, rewrites its rows from the document itself.

use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};
use crate::documents::DocKind;
use crate::index::NewRows;

/// The first bytes of a snapshot with an index snapshot (automerge's own start with `85 6f 4a
/// 83`, so the two cannot be confused).
const MAGIC: &[u8; 4] = b"TRIX";
/// The layout version written after [`MAGIC`].
const VERSION: u8 = 1;
/// Magic, version and the document's length.
const HEADER: usize = 4 + 1 + 4;
/// Most bytes an index snapshot may inflate to: far above any real document's rows (a month's
/// logbook of 3,000 visits is about 2 MB), and a bound on what a damaged one can allocate.
const MAX_ROWS_JSON: u64 = 64 << 20;

/// A document's index rows as a checkpoint carries them.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct IndexSnapshot {
    /// The document's kind, as `documents.kind` records it (`None` before its genesis).
    pub kind: Option<DocKind>,
    /// Its rows.
    pub rows: NewRows,
}

/// A snapshot's plaintext, read.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // One a snapshot, moved once into its `Loaded`.
pub(crate) enum Plain {
    /// A document alone: it must be loaded to be indexed.
    Doc(Vec<u8>),
    /// A document, its index rows and those rows as they came (deflated JSON, which is how a
    /// bulk bootstrap keeps them for the search catch-up: see `index::defer_search`).
    WithRows(Vec<u8>, IndexSnapshot, Vec<u8>),
}

/// The plaintext of a document's snapshot with its index rows.
pub(crate) fn encode(doc: &[u8], index: &IndexSnapshot) -> Result<Vec<u8>> {
    let len = u32::try_from(doc.len())
        .map_err(|_| Error::invalid("a document is too large for a checkpoint"))?;
    let mut out = Vec::with_capacity(HEADER + doc.len() + doc.len() / 2);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(doc);
    // Writing to memory cannot fail, nor can serializing these plain structs; mapped anyway.
    let unwritable = |_| Error::invalid("a document's index rows could not be encoded");
    let json = serde_json::to_vec(index)
        .map_err(|_| Error::invalid("a document's index rows could not be encoded"))?;
    let mut deflate = DeflateEncoder::new(out, Compression::default());
    deflate.write_all(&json).map_err(unwritable)?;
    deflate.finish().map_err(unwritable)
}

/// Reads a snapshot's plaintext. Errors only when it claims to carry rows but its document is
/// cut short; rows that do not decode leave the document alone (logged, without content).
pub(crate) fn decode(mut plain: Vec<u8>) -> Result<Plain> {
    if plain.len() < HEADER || &plain[..4] != MAGIC {
        return Ok(Plain::Doc(plain));
    }
    if plain[4] != VERSION {
        return Err(Error::Corrupt(
            "a snapshot was made by a newer version of Trellis".into(),
        ));
    }
    let len = u32::from_le_bytes([plain[5], plain[6], plain[7], plain[8]]) as usize;
    let Some(end) = HEADER.checked_add(len).filter(|end| *end <= plain.len()) else {
        return Err(Error::Corrupt("a snapshot is cut short".into()));
    };
    let deflated = plain.split_off(end);
    let index = read_rows(&deflated);
    plain.drain(..HEADER);
    Ok(match index {
        Some(index) => Plain::WithRows(plain, index, deflated),
        None => {
            tracing::warn!("a snapshot's index rows do not decode; its document will be loaded");
            Plain::Doc(plain)
        }
    })
}

/// Inflates and reads an index snapshot's rows (the part of a plaintext after the document);
/// `None` if they do not decode.
pub(crate) fn read_rows(deflated: &[u8]) -> Option<IndexSnapshot> {
    let mut json = Vec::with_capacity(deflated.len() * 4);
    DeflateDecoder::new(deflated)
        .take(MAX_ROWS_JSON + 1)
        .read_to_end(&mut json)
        .ok()?;
    if json.len() as u64 > MAX_ROWS_JSON {
        return None;
    }
    serde_json::from_slice(&json).ok()
}

/// Plaintexts for the fuzz target's seed corpus (`fuzzing::index_snapshot`): a logbook, a
/// contact, a document before its genesis, and a document alone.
#[cfg(feature = "fuzzing")]
pub(crate) fn seeds() -> Vec<Vec<u8>> {
    use crate::documents::{ActivityDoc, ContactDoc, FollowUpDoc};
    use crate::index::new_rows::NewEntry;
    let doc = b"\x85\x6f\x4a\x83 automerge bytes".to_vec();
    let mut out: Vec<Vec<u8>> = [
        IndexSnapshot {
            kind: Some(DocKind::Logbook),
            rows: NewRows::Entries(vec![
                NewEntry::Activity(
                    "a1".into(),
                    ActivityDoc {
                        kind: "drop_by".into(),
                        at_ms: 1_700_000_000_000,
                        contact_ids: vec!["c1".into()],
                        note: Some("Left brochures.".into()),
                        ..Default::default()
                    },
                ),
                NewEntry::FollowUp(
                    "f1".into(),
                    FollowUpDoc {
                        kind: "thank_you".into(),
                        due_ms: 1_700_100_000_000,
                        ..Default::default()
                    },
                ),
            ]),
        },
        IndexSnapshot {
            kind: Some(DocKind::Contact),
            rows: NewRows::Contact(ContactDoc {
                name: "Ms. Alvarez".into(),
                ..Default::default()
            }),
        },
        IndexSnapshot {
            kind: None,
            rows: NewRows::Nothing,
        },
    ]
    .iter()
    .filter_map(|index| encode(&doc, index).ok())
    .collect();
    out.push(doc);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{ActivityDoc, ContactDoc, NoteDoc};
    use crate::index::new_rows::NewEntry;

    fn logbook_rows() -> IndexSnapshot {
        IndexSnapshot {
            kind: Some(DocKind::Logbook),
            rows: NewRows::Entries(vec![NewEntry::Activity(
                "a1".into(),
                ActivityDoc {
                    kind: "drop_by".into(),
                    at_ms: 1_700_000_000_000,
                    minutes: 15,
                    contact_ids: vec!["c1".into(), "c2".into()],
                    note: Some(
                        "Left brochures with the front desk; ask about the spring fair.".into(),
                    ),
                    logged_by: "m1".into(),
                    ..Default::default()
                },
            )]),
        }
    }

    #[test]
    fn a_document_and_its_rows_come_back_as_they_went() {
        let doc = b"\x85\x6f\x4a\x83 pretend automerge bytes".to_vec();
        for index in [
            logbook_rows(),
            IndexSnapshot {
                kind: Some(DocKind::Contact),
                rows: NewRows::Contact(ContactDoc {
                    name: "Ms. Alvarez".into(),
                    category: "school".into(),
                    phones: vec!["555-0100".into()],
                    notes: vec![NoteDoc {
                        id: "n1".into(),
                        text: "Prefers email.".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            IndexSnapshot {
                kind: None,
                rows: NewRows::Nothing,
            },
        ] {
            let plain = encode(&doc, &index).unwrap();
            match decode(plain).unwrap() {
                Plain::WithRows(d, i, deflated) => {
                    assert_eq!(d, doc);
                    assert_eq!(i, index);
                    assert_eq!(read_rows(&deflated), Some(index));
                }
                Plain::Doc(_) => panic!("the rows were lost"),
            }
        }
    }

    #[test]
    fn a_document_alone_or_with_damaged_rows_is_read_as_a_document() {
        let doc = b"\x85\x6f\x4a\x83 pretend automerge bytes".to_vec();
        assert!(matches!(decode(doc.clone()).unwrap(), Plain::Doc(d) if d == doc));

        let mut plain = encode(&doc, &logbook_rows()).unwrap();
        let last = plain.len() - 1;
        plain[last] ^= 0xff;
        plain.truncate(plain.len() - 3);
        assert!(matches!(decode(plain).unwrap(), Plain::Doc(d) if d == doc));

        // A header that claims more document than there is, and a newer layout, are refused.
        let mut short = encode(&doc, &logbook_rows()).unwrap();
        short[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(short).is_err());
        let mut newer = encode(&doc, &logbook_rows()).unwrap();
        newer[4] = VERSION + 1;
        assert!(decode(newer).is_err());
    }
}
