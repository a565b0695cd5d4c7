//! Joins this device started and has not finished, kept in `meta` (`pending_join:<workspace>`)
//! before the relay is asked: the token and member id it proposed (so a repeated join sends the
//! same ones), the relay, and, once the relay redeemed the invite and the roster holds this
//! device's admission, its member and role. A join waiting for its keys is listed among the
//! workspaces of its scope, and makes the current workspace answer
//! [`crate::Error::AwaitingKeys`] (`crate::sync::join` finishes it).

use serde::{Deserialize, Serialize};
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use crate::base::error::Result;
use crate::model::WorkspaceInfo;
use crate::storage::workspace::{get_meta, set_meta, Scope, WsMeta};

/// A join this device started and has not finished: kept before the relay is asked, so a
/// repeated join sends the same token and proposed member id, and the relay answers as the
/// first time instead of refusing a used invite.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingJoin {
    /// The token this device proposed.
    pub(crate) token: String,
    /// The member id it proposed (used when the invite makes a new member).
    pub(crate) member: Id,
    /// The relay.
    pub(crate) relay_url: String,
    /// Set once the relay redeemed the invite and the roster holds this device's admission.
    pub(crate) admitted: Option<Admitted>,
    /// A practice's join or a region's ([`Scope::kind`]).
    #[serde(default = "practice")]
    pub(crate) kind: String,
}

pub(crate) fn practice() -> String {
    Scope::Practice.kind().to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Admitted {
    /// The member this device belongs to.
    pub(crate) member_id: Id,
    /// Her role.
    pub(crate) role: Role,
}

pub(crate) fn load_pending(conn: &rusqlite::Connection, ws: &Id) -> Result<Option<PendingJoin>> {
    Ok(get_meta(conn, &WsMeta::PendingJoin.key(&ws.to_hex()))?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

pub(crate) fn save_pending(
    conn: &rusqlite::Connection,
    ws: &Id,
    pending: &PendingJoin,
) -> Result<()> {
    let json = serde_json::to_string(pending).expect("a pending join always serializes");
    set_meta(conn, &WsMeta::PendingJoin.key(&ws.to_hex()), &json)
}

/// The workspace a join is waiting for keys of, if the current one is such a join.
pub(crate) fn awaiting(conn: &rusqlite::Connection, ws: &str) -> Result<bool> {
    let Ok(id) = ws.parse::<Id>() else {
        return Ok(false);
    };
    Ok(load_pending(conn, &id)?.is_some_and(|p| p.admitted.is_some()))
}

/// The joins of `scope` on this device waiting for keys, as workspaces to list (no name yet).
pub(crate) fn awaiting_workspaces(
    conn: &rusqlite::Connection,
    scope: Scope,
    current: Option<&str>,
) -> Result<Vec<WorkspaceInfo>> {
    let mut st = conn.prepare("SELECT key, value FROM meta WHERE key LIKE 'pending_join:%'")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (key, value) = row?;
        let Some(id) = key.strip_prefix("pending_join:") else {
            continue;
        };
        let Ok(pending) = serde_json::from_str::<PendingJoin>(&value) else {
            continue;
        };
        if pending.kind != scope.kind() {
            continue;
        }
        if let Some(admitted) = pending.admitted {
            out.push(WorkspaceInfo {
                id: id.to_string(),
                name: String::new(),
                relay_url: Some(pending.relay_url),
                member_id: admitted.member_id.to_hex(),
                role: admitted.role,
                current: current == Some(id),
                awaiting_keys: true,
            });
        }
    }
    Ok(out)
}
