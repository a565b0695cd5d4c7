//! Setting up this device and its workspaces: the user's name, creating a practice, the list
//! of practices on this device and which one is current.

use rusqlite::TransactionBehavior;
use trellis_protocol::api::Role;
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::validate::non_empty;
use crate::crypto::DeviceKeys;
use crate::documents::DocKind;
use crate::model::WorkspaceInfo;
use crate::storage::docstore::Tx;
use crate::storage::workspace::{
    device, get_meta, info, insert_workspace, load_ws, set_meta, Device, Ws,
};

use super::write::{add_member, change_doc};
use super::Store;

impl Store {
    /// Sets up this device with the user's name. Fails if it is already set up.
    pub fn init(&self, name: &str) -> Result<Device> {
        let name = non_empty(name, "name")?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if get_meta(&tx, "device_id")?.is_some() {
            return Err(Error::Conflict(
                "this device is already set up; its data directory is in use".into(),
            ));
        }
        let id = Id::random().to_hex();
        set_meta(&tx, "device_id", &id)?;
        set_meta(&tx, "device_secret", &DeviceKeys::generate().secret_hex())?;
        set_meta(&tx, "user_name", &name)?;
        tx.commit()?;
        crate::storage::db::flush_to_disk(&conn)?;
        Ok(Device { id, name })
    }

    /// This device's identity.
    pub fn device(&self) -> Result<Device> {
        device(&self.lock())
    }

    /// Creates a workspace (a practice) on this device, with this user as its owner, and makes
    /// it current. It stays local until connected to a relay.
    pub fn create_workspace(&self, name: &str) -> Result<WorkspaceInfo> {
        let ws = Ws::new_owned(non_empty(name, "workspace name")?, None);
        let me = self.device()?;
        self.record_new_workspace(&ws, &me)
    }

    /// Stores a workspace this user just created, with the workspace document naming her its
    /// owner, and makes it current: one transaction.
    pub(crate) fn record_new_workspace(&self, ws: &Ws, me: &Device) -> Result<WorkspaceInfo> {
        self.mark(ws);
        let mut conn = self.lock();
        let tx = Tx::new(
            conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
            &self.docs,
        );
        insert_workspace(&tx, ws, self.scope)?;
        crate::storage::workspace::ensure_creation(&tx, ws)?;
        change_doc(&tx, ws, me, &ws.id, DocKind::Workspace, |t| {
            use automerge::transaction::Transactable;
            t.put(automerge::ROOT, "name", ws.name.as_str())?;
            add_member(t, &ws.member_id, &me.name, Role::Owner)
        })?;
        set_meta(&tx, self.scope.current_key(), &ws.id.to_hex())?;
        tx.commit()?;
        crate::storage::db::flush_to_disk(&conn)?;
        Ok(info(ws, true))
    }

    /// Every workspace on this device.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceInfo>> {
        let conn = self.lock();
        let current = get_meta(&conn, self.scope.current_key())?;
        let mut st =
            conn.prepare("SELECT id FROM workspaces WHERE kind = ?1 ORDER BY created_at")?;
        let ids: Vec<String> = st
            .query_map([self.scope.kind()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut all = ids
            .iter()
            .map(|id| {
                let ws = load_ws(&conn, id)?;
                Ok(info(&ws, current.as_deref() == Some(id.as_str())))
            })
            .collect::<Result<Vec<_>>>()?;
        all.extend(crate::storage::pending_join::awaiting_workspaces(
            &conn,
            self.scope,
            current.as_deref(),
        )?);
        Ok(all)
    }

    /// Makes the workspace named or id-prefixed by `query` current.
    pub fn use_workspace(&self, query: &str) -> Result<WorkspaceInfo> {
        let all = self.workspaces()?;
        let q = query.trim().to_lowercase();
        let hits: Vec<&WorkspaceInfo> = all
            .iter()
            .filter(|w| w.id.starts_with(&q) || w.name.to_lowercase() == q)
            .collect();
        match hits.as_slice() {
            [one] => {
                set_meta(&self.lock(), self.scope.current_key(), &one.id)?;
                Ok(WorkspaceInfo {
                    current: true,
                    ..(*one).clone()
                })
            }
            [] => Err(Error::NotFound {
                what: "workspace",
                query: query.into(),
                candidates: all.iter().map(|w| w.name.clone()).collect(),
            }),
            many => Err(Error::Ambiguous {
                what: "workspace",
                query: query.into(),
                candidates: many
                    .iter()
                    .map(|w| format!("{} ({})", w.name, &w.id[..8]))
                    .collect(),
            }),
        }
    }
}
