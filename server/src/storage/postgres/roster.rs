//! The signed roster in PostgreSQL: appending events inside the transaction of the call they
//! describe, under the workspace's row lock that call holds ([`policy::check_roster_append`]:
//! at the roster's next positions, or the whole call is refused), recognizing the events of a
//! repeated call ([`policy::check_roster_repeat`]), appending events on their own, and reading a
//! page of them. The roster's head is its highest seq: events are never deleted, so the seqs
//! run from 1 to the head without a gap.

use trellis_protocol::Id;

use super::members::lock_for;
use super::{all, b, exec, one, Tx};
use crate::storage::records::{roster_entry, seq_column, to_seq};
use crate::storage::{policy, DeviceAuth, RosterEntry, RosterPage, StorageResult};

/// The newest seq of a workspace's roster (0: empty).
pub(super) async fn head(tx: &Tx<'_>, workspace: &Id) -> StorageResult<u64> {
    let row = one(
        tx,
        "SELECT coalesce(max(seq), 0)::bigint FROM roster WHERE workspace_id = $1",
        &[&b(workspace)],
    )
    .await?;
    to_seq(row.try_get(0)?)
}

/// Appends `events` to the roster inside the caller's transaction, which holds the
/// workspace's row lock, where they must go ([`policy::check_roster_append`]); returns the new
/// head. An error rolls the transaction back with the call's own changes.
pub(super) async fn append(
    tx: &Tx<'_>,
    workspace: &Id,
    events: &[RosterEntry],
) -> StorageResult<u64> {
    let roster_head = head(tx, workspace).await?;
    if events.is_empty() {
        return Ok(roster_head);
    }
    let new_head = policy::check_roster_append(roster_head, events)?;
    let seqs: Vec<i64> = events.iter().map(|e| seq_column(e.seq)).collect();
    let bytes: Vec<&[u8]> = events.iter().map(|e| e.event.as_slice()).collect();
    exec(
        tx,
        "INSERT INTO roster (workspace_id, seq, event)
         SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])",
        &[&b(workspace), &seqs, &bytes],
    )
    .await?;
    Ok(new_head)
}

/// Whether a repeated call carries the events it appended the first time, byte for byte
/// ([`policy::check_roster_repeat`]).
pub(super) async fn check_repeat(
    tx: &Tx<'_>,
    workspace: &Id,
    events: &[RosterEntry],
) -> StorageResult<()> {
    let seqs: Vec<i64> = events.iter().map(|e| seq_column(e.seq)).collect();
    let mut found = std::collections::HashMap::new();
    for row in all(
        tx,
        "SELECT seq, event FROM roster WHERE workspace_id = $1 AND seq = ANY($2::bigint[])",
        &[&b(workspace), &seqs],
    )
    .await?
    {
        found.insert(row.try_get::<_, i64>(0)?, row.try_get::<_, Vec<u8>>(1)?);
    }
    let stored: Vec<Option<Vec<u8>>> = seqs.iter().map(|seq| found.get(seq).cloned()).collect();
    policy::check_roster_repeat(head(tx, workspace).await?, events, &stored)?;
    Ok(())
}

/// Appends events on their own, as any active device of the workspace may; returns the head.
pub(super) async fn append_roster(
    tx: &Tx<'_>,
    actor: &DeviceAuth,
    events: &[RosterEntry],
) -> StorageResult<u64> {
    lock_for(tx, actor).await?;
    append(tx, &actor.workspace_id, events).await
}

/// The events after `after`, oldest first, at most `limit`, and the head (the caller's
/// transaction reads one snapshot).
pub(super) async fn page(
    tx: &Tx<'_>,
    workspace: &Id,
    after: u64,
    limit: usize,
) -> StorageResult<RosterPage> {
    let roster_head = head(tx, workspace).await?;
    let mut events = Vec::new();
    for row in all(
        tx,
        "SELECT seq, event FROM roster WHERE workspace_id = $1 AND seq > $2
         ORDER BY seq LIMIT $3",
        &[
            &b(workspace),
            &seq_column(after),
            &i64::try_from(limit).unwrap_or(i64::MAX),
        ],
    )
    .await?
    {
        events.push(roster_entry(row.try_get(0)?, row.try_get(1)?)?);
    }
    Ok(RosterPage {
        events,
        head: roster_head,
    })
}
