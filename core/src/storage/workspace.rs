//! The workspace rows and this device's identity as stored: the `meta` table (device id,
//! name, secret, current workspace), the `workspaces` row and its key ring, loaded into the
//! [`Ws`] every operation runs with.

use rusqlite::{params, Connection, OptionalExtension};
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::crypto::{DeviceKeys, DeviceSigner, KeyRing, WorkspaceKey};
use crate::model::WorkspaceInfo;
use crate::roster::Roster;

/// This device's identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// Device id (the first half of its automerge actors: each opening of the store adds an
    /// incarnation of its own).
    pub id: String,
    /// The user's name, shown to the rest of the practice.
    pub name: String,
}

/// Which workspaces a [`crate::Store`] acts on: practices (the default), or regions, the shared
/// spaces that span practices. Both are workspaces alike (relay, roster, keys, sync); each
/// scope has its own current one, and lists only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// A practice: contacts, visits, referrals, its members.
    #[default]
    Practice,
    /// A region: therapists of many practices.
    Region,
}

impl Scope {
    /// The `meta` key naming the current workspace of this scope.
    pub(crate) fn current_key(self) -> &'static str {
        match self {
            Scope::Practice => "current_workspace",
            Scope::Region => "current_region",
        }
    }

    /// The `kind` of its workspaces' rows.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Scope::Practice => "practice",
            Scope::Region => "region",
        }
    }

    /// The scope of a row's `kind`.
    pub(crate) fn of_kind(kind: &str) -> Scope {
        if kind == "region" {
            Scope::Region
        } else {
            Scope::Practice
        }
    }
}

/// A workspace as loaded for an operation.
#[derive(Debug, Clone)]
pub(crate) struct Ws {
    pub id: Id,
    pub name: String,
    pub keys: KeyRing,
    pub member_id: Id,
    pub role: Role,
    pub relay_url: Option<String>,
    pub token: Option<String>,
    pub cursor: u64,
}

impl Ws {
    /// A new workspace owned by this user, with fresh ids and key.
    pub(crate) fn new_owned(name: String, relay_url: Option<String>) -> Ws {
        Ws {
            id: Id::random(),
            name,
            keys: KeyRing::new(WorkspaceKey::generate()),
            member_id: Id::random(),
            role: Role::Owner,
            relay_url,
            token: None,
            cursor: 0,
        }
    }
}

pub(crate) fn device(conn: &Connection) -> Result<Device> {
    match (get_meta(conn, "device_id")?, get_meta(conn, "user_name")?) {
        (Some(id), Some(name)) => Ok(Device { id, name }),
        _ => Err(Error::NotInitialized),
    }
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub(crate) fn delete_meta(conn: &Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

/// The `meta` entries kept for one workspace (key `<name>:<workspace id>`); a purge deletes
/// them all with the workspace.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WsMeta {
    /// The token made for a connect that has not been answered yet.
    PendingSignup,
    /// The token and proposed member id made for a join that has not been answered yet.
    PendingJoin,
    /// The newest held change a whole-log pull was made for.
    RepulledForHeld,
    /// A rolled-back relay log is being healed: set when the heal starts, deleted in the
    /// transaction that queues what the relay lacks. A heal cut short (the network, a crash)
    /// starts over at the next sync, even though the new log's identity is known by then.
    Healing,
    /// Why the relay's roster or keys last failed this device's checks (shown by `status`);
    /// deleted once a sync verifies them again.
    RosterProblem,
    /// How many events of the verified roster were refused (shown by `status`).
    RosterRefused,
    /// Why a key the relay served was last refused (shown by `status`); deleted once the keys
    /// it serves are taken again.
    KeyProblem,
    /// The devices this device handed the keys to, or left to others (space-separated ids);
    /// deleted when the relay is found rolled back, so devices it lost grants of get them
    /// again.
    KeysGranted,
}

impl WsMeta {
    /// Every kind.
    pub(crate) const ALL: [WsMeta; 8] = [
        WsMeta::PendingSignup,
        WsMeta::PendingJoin,
        WsMeta::RepulledForHeld,
        WsMeta::Healing,
        WsMeta::RosterProblem,
        WsMeta::RosterRefused,
        WsMeta::KeyProblem,
        WsMeta::KeysGranted,
    ];

    /// The key of this entry for workspace `ws` (hex id).
    pub(crate) fn key(self, ws: &str) -> String {
        let name = match self {
            WsMeta::PendingSignup => "pending_signup",
            WsMeta::PendingJoin => "pending_join",
            WsMeta::RepulledForHeld => "repulled_for_held",
            WsMeta::Healing => "healing",
            WsMeta::RosterProblem => "roster_problem",
            WsMeta::RosterRefused => "roster_refused",
            WsMeta::KeyProblem => "key_problem",
            WsMeta::KeysGranted => "keys_granted",
        };
        format!("{name}:{ws}")
    }
}

pub(crate) fn insert_workspace(conn: &Connection, ws: &Ws, scope: Scope) -> Result<()> {
    conn.execute(
        "INSERT INTO workspaces (id, name, key, member_id, role, relay_url, token, cursor, created_at, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            ws.id.to_hex(),
            ws.name,
            ws.keys.iter().next().map(|(_, k)| k.as_bytes().to_vec()).unwrap_or_default(),
            ws.member_id.to_hex(),
            ws.role.as_str(),
            ws.relay_url,
            ws.token,
            ws.cursor as i64,
            crate::base::time::now_rfc3339(),
            scope.kind()
        ],
    )?;
    save_keys(conn, ws)
}

/// Stores every epoch of a workspace's key ring (existing epochs are kept).
pub(crate) fn save_keys(conn: &Connection, ws: &Ws) -> Result<()> {
    for (epoch, key) in ws.keys.iter() {
        conn.execute(
            "INSERT OR IGNORE INTO workspace_keys (ws, epoch, key) VALUES (?1, ?2, ?3)",
            params![ws.id.to_hex(), epoch, key.as_bytes().as_slice()],
        )?;
    }
    Ok(())
}

/// This device's key pair (made now if the store predates device keys).
pub(crate) fn device_keys(conn: &Connection) -> Result<DeviceKeys> {
    match get_meta(conn, "device_secret")? {
        Some(hex) => DeviceKeys::from_hex(&hex),
        None => {
            let keys = DeviceKeys::generate();
            set_meta(conn, "device_secret", &keys.secret_hex())?;
            Ok(keys)
        }
    }
}

/// This device's signing key (made now if the store has none yet).
pub(crate) fn device_signer(conn: &Connection) -> Result<DeviceSigner> {
    match get_meta(conn, "device_sign_secret")? {
        Some(hex) => DeviceSigner::from_hex(&hex),
        None => {
            let key = DeviceSigner::generate();
            set_meta(conn, "device_sign_secret", &key.secret_hex())?;
            Ok(key)
        }
    }
}

/// The roster of `ws` as this device verified it (empty before its first sync).
pub(crate) fn load_roster(conn: &Connection, ws: &Id) -> Result<Roster> {
    let mut st = conn.prepare_cached("SELECT seq, event FROM roster WHERE ws = ?1 ORDER BY seq")?;
    let rows = st.query_map([ws.to_hex()], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
    })?;
    let events = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Roster::from_events(*ws, events)
}

/// Stores verified roster events (those already held are kept).
pub(crate) fn save_roster_events(
    conn: &Connection,
    ws: &Id,
    events: &[(u64, Vec<u8>)],
) -> Result<()> {
    for (seq, bytes) in events {
        conn.prepare_cached("INSERT OR IGNORE INTO roster (ws, seq, event) VALUES (?1, ?2, ?3)")?
            .execute(params![ws.to_hex(), *seq as i64, bytes])?;
    }
    Ok(())
}

/// The first event of the roster of `ws`, a workspace this device created: made, signed and
/// stored now if the store holds none yet (a workspace is born with its roster; the relay
/// receives it when the workspace is connected).
pub(crate) fn ensure_creation(conn: &Connection, ws: &Ws) -> Result<(u64, Vec<u8>)> {
    let held = load_roster(conn, &ws.id)?;
    if let Some(first) = held.events().first() {
        return Ok((first.seq, first.bytes.clone()));
    }
    let signer = device_signer(conn)?;
    let me: Id = device(conn)?
        .id
        .parse()
        .map_err(|_| Error::invalid("the device id in this store is damaged"))?;
    let event = held.make(
        &me,
        &signer,
        crate::roster::What::Create {
            member: ws.member_id,
            sign: hex::encode(signer.public()),
            box_key: device_keys(conn)?.public_hex(),
            key_check: hex::encode(crate::crypto::signing::key_check(
                &ws.id,
                0,
                ws.keys.first(),
            )),
        },
    );
    save_roster_events(conn, &ws.id, std::slice::from_ref(&event))?;
    Ok(event)
}

/// The newest roster event this device holds, as a mark to sign entries with.
pub(crate) fn roster_mark(conn: &Connection, ws: &Id) -> Result<crate::crypto::RosterMark> {
    let newest: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, event FROM roster WHERE ws = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([ws.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let mut hash = [0u8; 16];
    let seq = match newest {
        Some((seq, bytes)) => {
            hash.copy_from_slice(&crate::roster::event_hash(&bytes)[..16]);
            seq as u64
        }
        None => 0,
    };
    Ok(crate::crypto::RosterMark { seq, hash })
}

/// The current workspace of `scope`; [`Error::AwaitingKeys`] when it is a join no device of the
/// practice has handed the keys to yet.
pub(crate) fn current_ws(conn: &Connection, scope: Scope) -> Result<Ws> {
    let id = get_meta(conn, scope.current_key())?.ok_or(match scope {
        Scope::Practice => Error::NoWorkspace,
        Scope::Region => Error::NoRegion,
    })?;
    match load_ws(conn, &id) {
        Err(Error::NoWorkspace) if crate::storage::pending_join::awaiting(conn, &id)? => {
            Err(Error::AwaitingKeys)
        }
        other => other,
    }
}

pub(crate) fn load_ws(conn: &Connection, id: &str) -> Result<Ws> {
    let row = conn
        .prepare_cached(
            "SELECT id, name, key, member_id, role, relay_url, token, cursor
             FROM workspaces WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?
        .ok_or(Error::NoWorkspace)?;
    let damaged = || Error::invalid("a workspace record in this store is damaged");
    Ok(Ws {
        id: row.0.parse().map_err(|_| damaged())?,
        name: row.1,
        keys: load_ring(conn, id, &row.2)?,
        member_id: row.3.parse().map_err(|_| damaged())?,
        role: Role::parse(&row.4).ok_or_else(damaged)?,
        relay_url: row.5,
        token: row.6,
        cursor: u64::try_from(row.7).unwrap_or(0),
    })
}

fn load_ring(conn: &Connection, ws: &str, first: &[u8]) -> Result<KeyRing> {
    let damaged = || Error::invalid("a workspace key in this store is damaged");
    let mut ring = KeyRing::new(WorkspaceKey::from_slice(first).map_err(|_| damaged())?);
    let mut st = conn.prepare_cached("SELECT epoch, key FROM workspace_keys WHERE ws = ?1")?;
    let rows = st.query_map([ws], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for row in rows {
        let (epoch, key) = row?;
        ring.insert(
            epoch,
            WorkspaceKey::from_slice(&key).map_err(|_| damaged())?,
        );
    }
    Ok(ring)
}

pub(crate) fn info(ws: &Ws, current: bool) -> WorkspaceInfo {
    WorkspaceInfo {
        id: ws.id.to_hex(),
        name: ws.name.clone(),
        relay_url: ws.relay_url.clone(),
        member_id: ws.member_id.to_hex(),
        role: ws.role,
        current,
        awaiting_keys: false,
    }
}
