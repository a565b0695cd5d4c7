//! The sync status of a workspace: what is waiting to be pushed, when it last synced, and
//! documents held back for a missing change, entries set aside, and what the signed roster's
//! checks found.

use rusqlite::Connection;

use crate::base::error::Result;
use crate::model::Status;
use crate::storage::workspace::{get_meta, Ws, WsMeta};

/// The sync status of workspace `ws`.
pub(crate) fn status(c: &Connection, ws: &Ws) -> Result<Status> {
    let pending: i64 = c.query_row(
        "SELECT count(*) FROM outbox WHERE ws = ?1",
        [ws.id.to_hex()],
        |r| r.get(0),
    )?;
    let last_sync_at: Option<String> = c.query_row(
        "SELECT last_sync_at FROM workspaces WHERE id = ?1",
        [ws.id.to_hex()],
        |r| r.get(0),
    )?;
    let gaps: i64 = c.query_row(
        "SELECT count(DISTINCT doc_id) FROM held_changes WHERE ws = ?1",
        [ws.id.to_hex()],
        |r| r.get(0),
    )?;
    let set_aside: i64 = c.query_row(
        "SELECT count(*) FROM set_aside WHERE ws = ?1",
        [ws.id.to_hex()],
        |r| r.get(0),
    )?;
    let roster_problem = match get_meta(c, &WsMeta::RosterProblem.key(&ws.id.to_hex()))? {
        Some(why) => Some(why),
        None => get_meta(c, &WsMeta::KeyProblem.key(&ws.id.to_hex()))?,
    };
    let roster_refused = get_meta(c, &WsMeta::RosterRefused.key(&ws.id.to_hex()))?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok(Status {
        roster_problem,
        roster_refused,
        set_aside: u64::try_from(set_aside).unwrap_or(0),
        gaps: u64::try_from(gaps).unwrap_or(0),
        workspace_id: ws.id.to_hex(),
        workspace: ws.name.clone(),
        relay_url: ws.relay_url.clone(),
        pending_changes: u64::try_from(pending).unwrap_or(0),
        last_sync_at,
        cursor: ws.cursor,
    })
}
