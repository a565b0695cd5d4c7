//! Who is in a practice: listing members and devices, revoking a device, removing a member with
//! a key rotation, leaving, transferring ownership, and what a device does when it learns it
//! was removed.
//!
//! The relay enforces every rule (roles, single owner, revocation); this module drives it and
//! keeps the local key ring and store in step:
//!
//! * **Removing a member** makes the next key epoch here, seals it to every device that remains
//!   (their X25519 public keys, listed by the relay) and sends it with the removal in one call;
//!   the relay applies both or neither. A 409 means the device list changed meanwhile: the list
//!   is fetched again and the rotation retried once.
//! * **Learning a new key** ([`Store::refresh_keys`], at the start of every sync) opens the
//!   sealed keys the relay holds for this device and re-seals whatever is still in the outbox
//!   with the newest key, so nothing pushed after that is readable with an old key.
//! * **Being removed**: any call answered `401 revoked` purges the workspace from this store
//!   (documents, outbox, index, keys) and returns [`Error::Removed`].

use serde::{Deserialize, Serialize};
use trellis_protocol::api::{KeyRotation, MembersResponse, Role, WrappedKey};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::crypto::{seal_key_for, WorkspaceKey};
use crate::read::members::MemberLookup;
use crate::storage::workspace::{
    current_ws, device, device_keys, get_meta, load_ws, save_keys, set_meta, Ws,
};
use crate::store::Store;
use crate::sync::client::RelayClient;

/// A member of the practice, with their devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// Member id.
    pub member_id: String,
    /// Name, from the workspace document.
    pub name: String,
    /// owner, admin or member.
    pub role: Role,
    /// Whether the member was removed or left.
    pub removed: bool,
    /// Their devices.
    pub devices: Vec<DeviceView>,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// Device id.
    pub device_id: String,
    /// When it joined (RFC 3339).
    pub registered_at: String,
    /// Whether it was revoked.
    pub revoked: bool,
    /// Whether it is this device.
    pub this_device: bool,
}

impl Store {
    /// The roster: members of the current workspace and their devices, as the relay knows
    /// them (removed members and revoked devices included).
    pub async fn roster(&self) -> Result<Vec<MemberView>> {
        let (ws, client) = self.connected()?;
        let resp = self.guard(&ws, client.members(&ws.id).await).await?;
        let (names, me) = {
            let conn = self.lock();
            (MemberLookup::load(&conn, &ws)?, device(&conn)?.id)
        };
        Ok(views(&resp, &names, &me))
    }

    /// Revokes a device (by id prefix): owners and admins any device, members their own. The
    /// device loses access at once; rotate the key afterwards (`rotate_key`) if it was lost.
    pub async fn revoke_device(&self, device: &str) -> Result<()> {
        let (ws, client) = self.connected()?;
        let resp = self.guard(&ws, client.members(&ws.id).await).await?;
        let q = device.trim().to_lowercase();
        let hits: Vec<&Id> = resp
            .devices
            .iter()
            .filter(|d| q.len() >= 4 && d.device_id.to_hex().starts_with(&q))
            .map(|d| &d.device_id)
            .collect();
        let id = match hits.as_slice() {
            [one] => **one,
            [] => {
                return Err(Error::NotFound {
                    what: "device",
                    query: device.into(),
                    candidates: resp
                        .devices
                        .iter()
                        .map(|d| d.device_id.to_hex()[..8].to_string())
                        .collect(),
                })
            }
            many => {
                return Err(Error::Ambiguous {
                    what: "device",
                    query: device.into(),
                    candidates: many.iter().map(|d| d.to_hex()[..12].to_string()).collect(),
                })
            }
        };
        self.guard(&ws, client.revoke_device(&ws.id, &id).await)
            .await
    }

    /// Removes a member (by name or id prefix) from the practice and rotates the workspace key
    /// so that nothing written from now on is readable with the keys they had.
    pub async fn remove_member(&self, member: &str) -> Result<()> {
        let (ws, client) = self.connected()?;
        let target = self.member_id(&ws, member)?;
        if target == ws.member_id {
            return Err(Error::invalid(
                "to leave the practice yourself, use `workspace leave`",
            ));
        }
        self.rotate_with(&ws, &client, Some(target)).await.map(drop)
    }

    /// Makes the next key epoch and seals it to every remaining device (owners and admins).
    /// Returns the new epoch.
    pub async fn rotate_key(&self) -> Result<u32> {
        let (ws, client) = self.connected()?;
        self.rotate_with(&ws, &client, None).await
    }

    /// Leaves the practice: this member's devices lose access, and this device deletes the
    /// workspace's data. The owner must transfer ownership first.
    pub async fn leave(&self) -> Result<()> {
        let (ws, client) = self.connected()?;
        self.guard(&ws, client.leave(&ws.id).await).await?;
        self.purge(&ws)?;
        Ok(())
    }

    /// Makes another member (by name or id prefix) the owner; this member becomes an admin.
    pub async fn transfer_ownership(&self, member: &str) -> Result<()> {
        let (ws, client) = self.connected()?;
        let target = self.member_id(&ws, member)?;
        self.guard(&ws, client.transfer(&ws.id, &target).await)
            .await?;
        self.lock().execute(
            "UPDATE workspaces SET role = ?2 WHERE id = ?1",
            rusqlite::params![ws.id.to_hex(), Role::Admin.as_str()],
        )?;
        Ok(())
    }

    /// Opens any newer keys the relay holds sealed for this device, adds them to the ring and
    /// re-seals the outbox with the newest. Returns whether a new key arrived.
    pub(crate) async fn refresh_keys(&self, ws: &Ws, client: &RelayClient) -> Result<bool> {
        let (current, _) = ws.keys.current();
        let resp = self.guard(ws, client.keys(&ws.id, current).await).await?;
        if resp.keys.is_empty() {
            return Ok(false);
        }
        let mut conn = self.lock();
        let secret = device_keys(&conn)?;
        let mut updated = load_ws(&conn, &ws.id.to_hex())?;
        for env in &resp.keys {
            updated
                .keys
                .insert(env.epoch, secret.unseal_key(&env.sealed)?);
        }
        let tx = conn.transaction()?;
        save_keys(&tx, &updated)?;
        reseal_outbox(&tx, &updated)?;
        tx.commit()?;
        Ok(true)
    }

    /// The member a typed name or id prefix names.
    fn member_id(&self, ws: &Ws, member: &str) -> Result<Id> {
        let conn = self.lock();
        MemberLookup::load(&conn, ws)?
            .resolve_member(member)?
            .parse()
            .map_err(|_| Error::invalid("a member id in this store is damaged"))
    }

    /// Rotates the key if the relay says someone left or was revoked since the last rotation.
    pub(crate) async fn rotate_if_needed(
        &self,
        ws: &Ws,
        client: &RelayClient,
    ) -> Result<Option<u32>> {
        let resp = self.guard(ws, client.members(&ws.id).await).await?;
        if !resp.rotation_needed {
            return Ok(None);
        }
        self.rotate_with(ws, client, None).await.map(Some)
    }

    pub(crate) async fn rotate_with(
        &self,
        ws: &Ws,
        client: &RelayClient,
        remove: Option<Id>,
    ) -> Result<u32> {
        for attempt in 0..2 {
            let resp = self.guard(ws, client.members(&ws.id).await).await?;
            let key = WorkspaceKey::generate();
            let epoch = resp.key_epoch + 1;
            let mut wrapped = Vec::new();
            for d in resp
                .devices
                .iter()
                .filter(|d| !d.revoked && Some(d.member_id) != remove)
            {
                wrapped.push(WrappedKey {
                    device_id: d.device_id,
                    sealed: seal_key_for(&d.device_key, &key)?,
                });
            }
            let rotation = KeyRotation { epoch, wrapped };
            let sent = match remove {
                Some(member) => client.remove_member(&ws.id, &member, &rotation).await,
                None => client.rotate(&ws.id, &rotation).await,
            };
            match sent {
                Ok(()) => {
                    let mut conn = self.lock();
                    let mut updated = load_ws(&conn, &ws.id.to_hex())?;
                    updated.keys.insert(epoch, key);
                    let tx = conn.transaction()?;
                    save_keys(&tx, &updated)?;
                    reseal_outbox(&tx, &updated)?;
                    tx.commit()?;
                    return Ok(epoch);
                }
                Err(Error::Relay { status: 409, .. }) if attempt == 0 => continue,
                Err(e) => return self.guard(ws, Err(e)).await,
            }
        }
        Err(Error::Conflict(
            "the practice's devices kept changing during the key rotation; try again".into(),
        ))
    }

    /// The current workspace and a client for its relay.
    pub(crate) fn connected(&self) -> Result<(Ws, RelayClient)> {
        let ws = current_ws(&self.lock())?;
        let client = match (&ws.relay_url, &ws.token) {
            (Some(url), Some(token)) => RelayClient::new(url, Some(token))?,
            _ => return Err(Error::NotConnected(ws.id.to_hex())),
        };
        Ok((ws, client))
    }

    /// Passes a relay result through, purging the workspace if the relay says this device was
    /// revoked or its member removed.
    pub(crate) async fn guard<T>(&self, ws: &Ws, r: Result<T>) -> Result<T> {
        match r {
            Err(Error::Relay {
                status: 401, code, ..
            }) if code == trellis_protocol::api::codes::REVOKED => {
                self.purge(ws)?;
                Err(Error::Removed(ws.name.clone()))
            }
            other => other,
        }
    }

    /// Deletes everything this device holds of a workspace, in one transaction.
    fn purge(&self, ws: &Ws) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let id = ws.id.to_hex();
        for table in [
            "orgs",
            "contacts",
            "contact_notes",
            "activities",
            "activity_contacts",
            "followups",
            "referrals",
            "catalog",
            "pitches",
            "memberships",
            "reasons",
            "settings",
            "members",
            "search",
            "search_rows",
            "search_pending",
            "search_queue",
            "documents",
            "doc_chunks",
            "outbox",
            "workspace_keys",
            "held_changes",
            "set_aside",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE ws = ?1"), [&id])?;
        }
        tx.execute("DELETE FROM workspaces WHERE id = ?1", [&id])?;
        if get_meta(&tx, "current_workspace")?.as_deref() == Some(id.as_str()) {
            let next: Option<String> = tx
                .query_row(
                    "SELECT id FROM workspaces ORDER BY created_at LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .ok();
            match next {
                Some(n) => set_meta(&tx, "current_workspace", &n)?,
                None => {
                    tx.execute("DELETE FROM meta WHERE key = 'current_workspace'", [])?;
                }
            }
        }
        tx.commit()?;
        self.docs.clear();
        // Move the overwritten pages out of the WAL too.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        tracing::info!("purged a workspace this device was removed from");
        Ok(())
    }
}

/// Re-seals every outbox row of the workspace with its newest key (and gives it the hash of its
/// new envelope).
fn reseal_outbox(tx: &rusqlite::Transaction, ws: &Ws) -> Result<()> {
    let rows: Vec<(i64, String, Vec<u8>)> = {
        let mut st = tx.prepare("SELECT id, doc_id, envelope FROM outbox WHERE ws = ?1")?;
        let rows = st.query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let (epoch, _) = ws.keys.current();
    for (id, doc, envelope) in rows {
        if crate::crypto::envelope_epoch(&envelope) == Some(epoch) {
            continue;
        }
        let doc_id: Id = doc
            .parse()
            .map_err(|_| Error::invalid("an outbox row in this store is damaged"))?;
        let plain = ws.keys.open(&ws.id, &doc_id, &envelope)?;
        let change = automerge::Change::from_bytes(plain.clone())
            .map_err(|_| Error::invalid("an outbox row in this store is damaged"))?;
        let envelope = ws.keys.seal(&ws.id, &doc_id, &plain);
        // The entry's hash is bound to its envelope: a new envelope, a new hash.
        let hash = ws.keys.entry_hash(&change.hash().0, &envelope);
        tx.execute(
            "UPDATE outbox SET envelope = ?2, change_hash = ?3 WHERE id = ?1",
            rusqlite::params![id, envelope, hash.as_slice()],
        )?;
    }
    Ok(())
}

fn views(resp: &MembersResponse, names: &MemberLookup, me: &str) -> Vec<MemberView> {
    resp.members
        .iter()
        .map(|m| MemberView {
            member_id: m.member_id.to_hex(),
            name: names
                .name_of(&m.member_id.to_hex())
                .unwrap_or_else(|| "a member not synced yet".into()),
            role: m.role,
            removed: m.removed,
            devices: resp
                .devices
                .iter()
                .filter(|d| d.member_id == m.member_id)
                .map(|d| DeviceView {
                    device_id: d.device_id.to_hex(),
                    registered_at: time::format_ms(d.created_at.saturating_mul(1000)),
                    revoked: d.revoked,
                    this_device: d.device_id.to_hex() == me,
                })
                .collect(),
        })
        .collect()
}
