//! Checkpoints: encrypted per-document snapshots that bring a new device up to date without
//! replaying the whole log, and let the relay drop the log entries they cover.
//!
//! A device whose cursor is `S` (every log entry up to `S` applied, nothing left in its outbox)
//! uploads a snapshot of every document of the workspace — each one the automerge document's
//! saved bytes (with, in the plaintext, the index rows read from it: the relay cannot tell),
//! sealed with the workspace key like a change — and then completes the
//! checkpoint. From then on a new device downloads the snapshots and pulls the log after `S`;
//! the relay may delete log entries up to `S`, and answers a pull from before its oldest entry
//! with `410` and the code [`crate::api::codes::COMPACTED`], telling a device that was far
//! behind to bootstrap from the checkpoint too.
//!
//! Endpoints:
//!
//! * `POST /v1/workspaces/{ws}/checkpoints` ([`BeginCheckpoint`]) → [`CheckpointInfo`]
//! * `POST /v1/workspaces/{ws}/checkpoints/{id}/docs` — body [`encode_docs`]; `204`
//! * `POST /v1/workspaces/{ws}/checkpoints/{id}/complete` ([`CompleteCheckpoint`]) → `204`
//! * `GET /v1/workspaces/{ws}/checkpoint` → the newest complete [`CheckpointInfo`], or 404
//! * `GET /v1/workspaces/{ws}/checkpoints/{id}/docs?after=DOC_ID&limit=N` → [`encode_docs`]
//!   with `more`
//!
//! ```text
//! docs body := version:u8 (=1) more:u8 count:u32 { doc_id:[16] len:u32 bytes:[len] }*
//! ```

use serde::{Deserialize, Serialize};

use crate::batch::DecodeError;
use crate::Id;

/// The codec version written in the first byte.
pub const VERSION: u8 = 1;

/// Largest sealed snapshot of one document (8 MiB).
pub const MAX_SNAPSHOT_BYTES: usize = 8 << 20;

/// Most snapshots in one body.
pub const MAX_SNAPSHOTS_PER_BODY: usize = 5_000;

/// `POST /v1/workspaces/{ws}/checkpoints`: start a checkpoint at a seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeginCheckpoint {
    /// Every log entry up to this seq is in the snapshots to come; at most the log's head.
    pub seq: u64,
}

/// A checkpoint, as started or as the newest complete one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckpointInfo {
    /// Checkpoint id.
    pub checkpoint_id: Id,
    /// The log seq it covers.
    pub seq: u64,
    /// Documents in it (so far, while being uploaded).
    pub docs: u64,
    /// Their sealed bytes.
    pub bytes: u64,
}

/// `POST /v1/workspaces/{ws}/checkpoints/{id}/complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteCheckpoint {
    /// How many documents the uploader sent; the relay refuses to complete on a mismatch.
    pub docs: u64,
}

/// One document's sealed snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSnapshot {
    /// The document.
    pub doc_id: Id,
    /// Its saved automerge bytes, sealed with the workspace key.
    pub bytes: Vec<u8>,
}

/// A body of snapshots, and whether more follow (downloads only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocBatch {
    /// Whether documents after the last one remain.
    pub more: bool,
    /// The snapshots, in doc id order for downloads.
    pub docs: Vec<DocSnapshot>,
}

/// Encodes a body of snapshots.
pub fn encode_docs(batch: &DocBatch) -> Vec<u8> {
    let size: usize = batch.docs.iter().map(|d| 20 + d.bytes.len()).sum();
    let mut out = Vec::with_capacity(6 + size);
    out.push(VERSION);
    out.push(u8::from(batch.more));
    out.extend_from_slice(&(batch.docs.len() as u32).to_le_bytes());
    for d in &batch.docs {
        out.extend_from_slice(d.doc_id.as_bytes());
        out.extend_from_slice(&(d.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&d.bytes);
    }
    out
}

/// Decodes a body of snapshots; strict like the change codec.
pub fn decode_docs(buf: &[u8]) -> Result<DocBatch, DecodeError> {
    let mut rest = buf;
    let mut take = |n: usize| -> Result<&[u8], DecodeError> {
        if rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    match take(1)?[0] {
        VERSION => {}
        v => return Err(DecodeError::Version(v)),
    }
    let more = match take(1)?[0] {
        0 => false,
        1 => true,
        _ => return Err(DecodeError::BadHeader),
    };
    let c = take(4)?;
    let count = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize;
    if count > MAX_SNAPSHOTS_PER_BODY {
        return Err(DecodeError::TooManyEntries(count as u64));
    }
    let mut docs = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let doc_id = Id::from_slice(take(16)?).map_err(|_| DecodeError::Truncated)?;
        let l = take(4)?;
        let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
        if len > MAX_SNAPSHOT_BYTES {
            return Err(DecodeError::EntryTooLarge(len as u64));
        }
        if len == 0 {
            return Err(DecodeError::EmptyEntry);
        }
        docs.push(DocSnapshot {
            doc_id,
            bytes: take(len)?.to_vec(),
        });
    }
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(DocBatch { more, docs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_bodies_round_trip_and_garbage_is_refused() {
        let batch = DocBatch {
            more: true,
            docs: (1..4u8)
                .map(|n| DocSnapshot {
                    doc_id: Id([n; 16]),
                    bytes: vec![n; 100 * n as usize],
                })
                .collect(),
        };
        let body = encode_docs(&batch);
        assert_eq!(decode_docs(&body).unwrap(), batch);
        for cut in 0..body.len() {
            assert!(decode_docs(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = body.clone();
        trailing.push(7);
        assert_eq!(decode_docs(&trailing), Err(DecodeError::TrailingBytes));
        let mut bad_more = body;
        bad_more[1] = 9;
        assert_eq!(decode_docs(&bad_more), Err(DecodeError::BadHeader));
    }
}
