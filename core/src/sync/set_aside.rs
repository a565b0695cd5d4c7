//! Entries set aside: pulled log entries this device could not apply.
//!
//! A pull never stops at one bad entry. An entry that does not open with the practice's keys,
//! is not an automerge change, does not match the hash it was stored under, or that automerge
//! refuses (a sequence number its author already used, say) is kept in the `set_aside` table
//! with its seq, document and encrypted bytes, and the pull goes on: the cursor moves past it,
//! the other changes of the batch and of its document are applied, and other devices are not
//! affected. `status` counts them and [`Store::set_aside`] lists them; a device holding any
//! does not cut a checkpoint (the checkpoint would not be the whole practice).
//!
//! An entry set aside because it did not open is tried again when a key the device lacked
//! arrives (a relay that withheld a rotation's key, or served one the roster does not name,
//! and later the real one): applied then, it leaves the list.

use automerge::{Automerge, Change, PatchLog};
use rusqlite::{params, Transaction};

use crate::base::error::Result;
use crate::base::time;
use crate::model::{SetAsideEntry, SetAsideReason};
use crate::store::Store;

/// Keeps a pulled entry aside (with the hash it was stored under, when it has one). Setting
/// aside the same seq twice (a batch pulled again after a crash or a re-pull) keeps the first.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    tx: &Transaction,
    ws: &str,
    seq: Option<u64>,
    doc_id: &str,
    reason: SetAsideReason,
    detail: &str,
    bytes: &[u8],
    hash: Option<&[u8]>,
) -> Result<()> {
    tracing::warn!(
        seq,
        reason = reason.as_str(),
        "set aside a pulled entry this device cannot apply"
    );
    tx.execute(
        "INSERT OR IGNORE INTO set_aside (ws, seq, doc_id, reason, detail, bytes, at, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ws,
            seq.map(|s| s as i64),
            doc_id,
            reason.as_str(),
            detail,
            bytes,
            time::now_rfc3339(),
            hash
        ],
    )?;
    Ok(())
}

/// Applies `changes` to `doc`, one at a time, after applying them together failed: each
/// change automerge refuses is returned with the reason, and `doc` ends holding every change
/// it accepted. `reload` gives the document as it was before any of them.
pub(crate) fn apply_each(
    doc: &mut Automerge,
    changes: Vec<(Option<u64>, Change)>,
    mut reload: impl FnMut() -> Result<Automerge>,
) -> Result<Vec<(Option<u64>, Change, String)>> {
    let mut accepted: Vec<Change> = Vec::new();
    let mut refused = Vec::new();
    *doc = reload()?;
    for (seq, change) in changes {
        match doc.apply_changes_log_patches([change.clone()], &mut PatchLog::inactive()) {
            Ok(()) => accepted.push(change),
            Err(e) => {
                refused.push((seq, change, e.to_string()));
                // A refused change may have left the document half-changed: start again from
                // what is stored, with what was accepted so far.
                *doc = reload()?;
                doc.apply_changes_log_patches(accepted.clone(), &mut PatchLog::inactive())?;
            }
        }
    }
    Ok(refused)
}

impl Store {
    /// The current workspace's entries set aside, oldest first. Each was pulled from the relay
    /// and could not be applied; none of them stops a sync.
    pub fn set_aside(&self) -> Result<Vec<SetAsideEntry>> {
        self.read(|c, ws| {
            let mut st = c.prepare(
                "SELECT seq, doc_id, reason, detail, at FROM set_aside WHERE ws = ?1
                 ORDER BY id",
            )?;
            let rows = st.query_map([ws.id.to_hex()], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, doc_id, reason, detail, at) = row?;
                out.push(SetAsideEntry {
                    seq: seq.and_then(|s| u64::try_from(s).ok()),
                    doc_id,
                    reason: SetAsideReason::parse(&reason).unwrap_or(SetAsideReason::Refused),
                    detail,
                    at,
                });
            }
            Ok(out)
        })
    }
}
