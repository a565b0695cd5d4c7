//! The binary codec of change batches: push request bodies and pull reply bodies.
//!
//! Change blobs are small (a drop-by is ~400 bytes) and numerous, so they travel as
//! length-prefixed binary, not JSON with base64. All integers are little-endian.
//!
//! ```text
//! push body := version:u8 (=1) count:u32 { doc_id:[16] hash:[32] len:u32 bytes:[len] }*
//! pull body := version:u8 (=1) head:u64 more:u8 count:u32
//!              { seq:u64 doc_id:[16] hash:[32] len:u32 bytes:[len] }*
//! ```
//!
//! Decoding is strict: a wrong version, a count or length over the limits, a truncated entry or
//! trailing bytes is a [`DecodeError`], and nothing is partially returned.

use crate::{Id, HASH_LEN, MAX_BATCH_ENTRIES, MAX_ENTRY_BYTES};

/// The codec version written in the first byte.
pub const VERSION: u8 = 1;

/// One change a device pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEntry {
    /// The document the change belongs to.
    pub doc_id: Id,
    /// The change's (keyed) hash; with `doc_id`, the key that makes pushes idempotent.
    pub change_hash: [u8; HASH_LEN],
    /// The encrypted change.
    pub bytes: Vec<u8>,
}

/// One entry of a workspace's log, as pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the workspace's log, assigned by the relay, starting at 1.
    pub seq: u64,
    /// The document the change belongs to.
    pub doc_id: Id,
    /// The change's (keyed) hash.
    pub change_hash: [u8; HASH_LEN],
    /// The encrypted change, byte for byte as pushed.
    pub bytes: Vec<u8>,
}

/// A pull reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullBatch {
    /// The newest seq in the workspace's log when the reply was made.
    pub head: u64,
    /// Whether entries after the last one returned remain.
    pub more: bool,
    /// Entries in seq order.
    pub entries: Vec<LogEntry>,
}

/// Why a batch body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The first byte is not a version this codec reads.
    #[error("unsupported batch version {0}")]
    Version(u8),
    /// The body ended in the middle of a field.
    #[error("the batch is truncated")]
    Truncated,
    /// Bytes remain after the last entry.
    #[error("the batch has trailing bytes")]
    TrailingBytes,
    /// More entries than [`MAX_BATCH_ENTRIES`].
    #[error("the batch has {0} entries; at most {max} are allowed", max = MAX_BATCH_ENTRIES)]
    TooManyEntries(u64),
    /// An entry larger than [`MAX_ENTRY_BYTES`].
    #[error("an entry has {0} bytes; at most {max} are allowed", max = MAX_ENTRY_BYTES)]
    EntryTooLarge(u64),
    /// An entry with no bytes.
    #[error("an entry is empty")]
    EmptyEntry,
    /// The `more` flag is neither 0 nor 1.
    #[error("the batch header is malformed")]
    BadHeader,
}

/// Encodes a push body.
pub fn encode_push(entries: &[PushEntry]) -> Vec<u8> {
    let size: usize = entries.iter().map(|e| 52 + e.bytes.len()).sum();
    let mut out = Vec::with_capacity(5 + size);
    out.push(VERSION);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        put_entry(&mut out, &e.doc_id, &e.change_hash, &e.bytes);
    }
    out
}

/// Decodes a push body.
pub fn decode_push(buf: &[u8]) -> Result<Vec<PushEntry>, DecodeError> {
    let mut r = Reader { buf };
    r.version()?;
    let count = r.count()?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let (doc_id, change_hash, bytes) = r.entry()?;
        entries.push(PushEntry {
            doc_id,
            change_hash,
            bytes,
        });
    }
    r.finish()?;
    Ok(entries)
}

/// Encodes a pull reply.
pub fn encode_pull(batch: &PullBatch) -> Vec<u8> {
    let size: usize = batch.entries.iter().map(|e| 60 + e.bytes.len()).sum();
    let mut out = Vec::with_capacity(14 + size);
    out.push(VERSION);
    out.extend_from_slice(&batch.head.to_le_bytes());
    out.push(u8::from(batch.more));
    out.extend_from_slice(&(batch.entries.len() as u32).to_le_bytes());
    for e in &batch.entries {
        out.extend_from_slice(&e.seq.to_le_bytes());
        put_entry(&mut out, &e.doc_id, &e.change_hash, &e.bytes);
    }
    out
}

/// Decodes a pull reply.
pub fn decode_pull(buf: &[u8]) -> Result<PullBatch, DecodeError> {
    let mut r = Reader { buf };
    r.version()?;
    let head = r.u64()?;
    let more = match r.take(1)?[0] {
        0 => false,
        1 => true,
        _ => return Err(DecodeError::BadHeader),
    };
    let count = r.count()?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let seq = r.u64()?;
        let (doc_id, change_hash, bytes) = r.entry()?;
        entries.push(LogEntry {
            seq,
            doc_id,
            change_hash,
            bytes,
        });
    }
    r.finish()?;
    Ok(PullBatch {
        head,
        more,
        entries,
    })
}

fn put_entry(out: &mut Vec<u8>, doc_id: &Id, hash: &[u8; HASH_LEN], bytes: &[u8]) {
    out.extend_from_slice(doc_id.as_bytes());
    out.extend_from_slice(hash);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn version(&mut self) -> Result<(), DecodeError> {
        match self.take(1)?[0] {
            VERSION => Ok(()),
            v => Err(DecodeError::Version(v)),
        }
    }

    fn count(&mut self) -> Result<usize, DecodeError> {
        let count = self.u32()?;
        if count as usize > MAX_BATCH_ENTRIES {
            return Err(DecodeError::TooManyEntries(u64::from(count)));
        }
        Ok(count as usize)
    }

    fn entry(&mut self) -> Result<(Id, [u8; HASH_LEN], Vec<u8>), DecodeError> {
        let doc_id = Id::from_slice(self.take(16)?).map_err(|_| DecodeError::Truncated)?;
        let mut hash = [0u8; HASH_LEN];
        hash.copy_from_slice(self.take(HASH_LEN)?);
        let len = self.u32()?;
        if len as usize > MAX_ENTRY_BYTES {
            return Err(DecodeError::EntryTooLarge(u64::from(len)));
        }
        if len == 0 {
            return Err(DecodeError::EmptyEntry);
        }
        Ok((doc_id, hash, self.take(len as usize)?.to_vec()))
    }

    fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8) -> PushEntry {
        PushEntry {
            doc_id: Id([n; 16]),
            change_hash: [n; HASH_LEN],
            bytes: vec![n; 10 + n as usize],
        }
    }

    #[test]
    fn push_and_pull_bodies_round_trip() {
        let entries = vec![entry(1), entry(2), entry(3)];
        assert_eq!(decode_push(&encode_push(&entries)).unwrap(), entries);
        assert_eq!(decode_push(&encode_push(&[])).unwrap(), vec![]);

        let batch = PullBatch {
            head: 42,
            more: true,
            entries: entries
                .into_iter()
                .enumerate()
                .map(|(i, e)| LogEntry {
                    seq: i as u64 + 7,
                    doc_id: e.doc_id,
                    change_hash: e.change_hash,
                    bytes: e.bytes,
                })
                .collect(),
        };
        assert_eq!(decode_pull(&encode_pull(&batch)).unwrap(), batch);
    }

    #[test]
    fn malformed_bodies_are_rejected_whole() {
        let good = encode_push(&[entry(1), entry(2)]);
        assert_eq!(decode_push(&[]), Err(DecodeError::Truncated));
        assert_eq!(decode_push(&[9, 0, 0, 0, 0]), Err(DecodeError::Version(9)));
        for cut in 1..good.len() {
            assert!(decode_push(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode_push(&trailing), Err(DecodeError::TrailingBytes));

        let mut many = vec![VERSION];
        many.extend_from_slice(&(MAX_BATCH_ENTRIES as u32 + 1).to_le_bytes());
        assert!(matches!(
            decode_push(&many),
            Err(DecodeError::TooManyEntries(_))
        ));

        let mut huge = vec![VERSION, 1, 0, 0, 0];
        huge.extend_from_slice(&[0u8; 48]);
        huge.extend_from_slice(&(MAX_ENTRY_BYTES as u32 + 1).to_le_bytes());
        assert!(matches!(
            decode_push(&huge),
            Err(DecodeError::EntryTooLarge(_))
        ));

        let mut empty = vec![VERSION, 1, 0, 0, 0];
        empty.extend_from_slice(&[0u8; 52]);
        assert_eq!(decode_push(&empty), Err(DecodeError::EmptyEntry));

        let mut bad_more = encode_pull(&PullBatch::default());
        bad_more[9] = 2;
        assert_eq!(decode_pull(&bad_more), Err(DecodeError::BadHeader));
    }
}
