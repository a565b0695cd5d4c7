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
//! * **Being removed**: a call answered `401 revoked` is checked with a second request of this
//!   device's own; when the relay says it again, what the device had not synced is written to
//!   a file the user can read, the workspace is purged from this store (documents, outbox,
//!   index, keys) and the call returns [`Error::Removed`] naming that file. An answer the relay
//!   does not confirm deletes nothing.

use serde::{Deserialize, Serialize};
use trellis_protocol::api::{codes, KeyRotation, MembersResponse, Role, WrappedKey};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::crypto::{seal_key_for, Sealed, WorkspaceKey};
use crate::read::members::MemberLookup;
use crate::storage::workspace::{
    current_ws, delete_meta, device, device_keys, get_meta, load_ws, save_keys, set_meta, Ws,
    WsMeta,
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
        // From the first epoch this device lacks: a rotation made while it had not fetched
        // the one before leaves a hole, and entries sealed with that key must still open.
        let after = ws.keys.whole_through();
        let resp = self.guard(ws, client.keys(&ws.id, after).await).await?;
        let mut conn = self.lock();
        let mut updated = load_ws(&conn, &ws.id.to_hex())?;
        if resp.keys.iter().all(|env| updated.keys.holds(env.epoch)) {
            return Ok(false);
        }
        let secret = device_keys(&conn)?;
        for env in &resp.keys {
            updated.keys.insert(
                env.epoch,
                secret.unseal_key(&env.sealed, &ws.id, env.epoch)?,
            );
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
        // The device that makes the next key must hold the current one (an admin may have
        // rotated since this device last synced), or what others seal with it would not
        // open here.
        self.refresh_keys(ws, client).await?;
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
                    sealed: seal_key_for(&d.device_key, &ws.id, epoch, &key)?,
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
    /// revoked or its member removed. One such answer is not enough (anything on the path can
    /// send a 401): the relay is asked again, with this device's token, and only a second
    /// `revoked` purges. Before the purge, this device's changes the practice never received
    /// are written to a file the user can read ([`Store::keep_unsynced`]).
    pub(crate) async fn guard<T>(&self, ws: &Ws, r: Result<T>) -> Result<T> {
        match r {
            Err(Error::Relay {
                status: 401,
                code,
                message,
            }) if code == codes::REVOKED => {
                if !self.revocation_confirmed(ws).await {
                    tracing::warn!("a revocation was not confirmed by the relay; nothing deleted");
                    return Err(Error::Relay {
                        status: 401,
                        code,
                        message: format!(
                            "{message} (the relay did not confirm it when asked again: nothing was deleted)"
                        ),
                    });
                }
                let kept = self.keep_unsynced(ws)?;
                self.purge(ws)?;
                Err(Error::Removed {
                    workspace: ws.name.clone(),
                    kept,
                })
            }
            other => other,
        }
    }

    /// Whether the relay says again, to a request of its own with this device's token, that
    /// this device was revoked.
    async fn revocation_confirmed(&self, ws: &Ws) -> bool {
        let (Some(url), Some(token)) = (&ws.relay_url, &ws.token) else {
            return false;
        };
        let Ok(client) = RelayClient::new(url, Some(token)) else {
            return false;
        };
        matches!(
            client.members(&ws.id).await,
            Err(Error::Relay { status: 401, ref code, .. }) if code == codes::REVOKED
        )
    }

    /// Writes what this device changed in workspace `ws` and never pushed (its outbox) to a
    /// JSON file beside the store, readable by the user only, and returns its path; `None` when
    /// everything was synced. For each document a change touched: its kind, and the entries
    /// the changes touched as they are now (a whole organization or contact when the change
    /// was to one), so the user can see and re-enter what the practice never received.
    pub(crate) fn keep_unsynced(&self, ws: &Ws) -> Result<Option<String>> {
        let conn = self.lock();
        let ws_hex = ws.id.to_hex();
        let rows: Vec<(String, Vec<u8>)> = {
            let mut st =
                conn.prepare("SELECT doc_id, envelope FROM outbox WHERE ws = ?1 ORDER BY id")?;
            let rows = st.query_map([&ws_hex], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if rows.is_empty() {
            return Ok(None);
        }
        let mut by_doc: std::collections::BTreeMap<String, Vec<automerge::Change>> =
            Default::default();
        for (doc_hex, envelope) in &rows {
            let Ok(doc_id) = doc_hex.parse::<Id>() else {
                continue;
            };
            let change = ws
                .keys
                .open(Sealed::Change, &ws.id, &doc_id, envelope)
                .ok()
                .and_then(|plain| automerge::Change::from_bytes(plain).ok());
            if let Some(change) = change {
                by_doc.entry(doc_hex.clone()).or_default().push(change);
            }
        }
        let mut documents = Vec::new();
        for (doc_hex, changes) in by_doc {
            let doc = automerge::Automerge::load(&crate::storage::docstore::stored_bytes(
                &conn, &ws_hex, &doc_hex,
            )?)?;
            let kind = crate::documents::kind_of(&doc);
            let mut entries = std::collections::BTreeSet::new();
            let mut whole = false;
            for change in &changes {
                match crate::index::touched_by_change(&doc, kind, change) {
                    Some(crate::index::Touched::Entries(e)) => entries.extend(e),
                    _ => whole = true,
                }
            }
            let now = crate::documents::to_json(&doc, &automerge::ROOT);
            let body = if whole {
                now
            } else {
                let picked: Vec<serde_json::Value> = entries
                    .into_iter()
                    .map(|(section, id)| {
                        serde_json::json!({
                            "section": section,
                            "id": id,
                            "now": now.get(&section).and_then(|s| s.get(&id)).cloned(),
                        })
                    })
                    .collect();
                serde_json::Value::Array(picked)
            };
            documents.push(serde_json::json!({
                "document": doc_hex,
                "kind": kind.map(|k| k.as_str()),
                "unsynced_changes": changes.len(),
                "touched": body,
            }));
        }
        // The organizations and contacts those entries name, by id, as this device knew them
        // (their documents go with the purge).
        let mut known: std::collections::HashMap<String, String> = Default::default();
        for table in ["orgs", "contacts"] {
            let mut st = conn.prepare(&format!("SELECT id, name FROM {table} WHERE ws = ?1"))?;
            let rows = st.query_map([&ws_hex], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for row in rows {
                let (id, name) = row?;
                known.insert(id, name);
            }
        }
        let mut names = serde_json::Map::new();
        let mut ids = Vec::new();
        for d in &documents {
            strings_in(d, &mut ids);
        }
        for id in ids {
            if let Some(name) = known.get(&id) {
                names.insert(id, serde_json::Value::String(name.clone()));
            }
        }
        let export = serde_json::json!({
            "practice": ws.name,
            "workspace_id": ws_hex,
            "names": names,
            "kept_at": time::now_rfc3339(),
            "why": "This device was removed from the practice before these changes reached it. \
                    They are kept here for you; the practice's data was deleted from the device.",
            "documents": documents,
        });
        let dir = conn
            .path()
            .map(std::path::Path::new)
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let stamp: String = time::now_rfc3339()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let path = dir.join(format!("kept-{}-{stamp}.json", &ws_hex[..8]));
        let text = serde_json::to_vec_pretty(&export)
            .map_err(|e| Error::invalid(format!("the export could not be written: {e}")))?;
        write_private(&path, &text).map_err(|e| {
            Error::invalid(format!(
                "this device was removed from {}, but what it had not synced could not be kept ({e}); nothing was deleted",
                ws.name
            ))
        })?;
        Ok(Some(path.display().to_string()))
    }

    /// Deletes everything this device holds of a workspace, in one transaction.
    pub(crate) fn purge(&self, ws: &Ws) -> Result<()> {
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
        for entry in WsMeta::ALL {
            delete_meta(&tx, &entry.key(&id))?;
        }
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
                    delete_meta(&tx, "current_workspace")?;
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

/// Every string in a JSON value, depth first.
fn strings_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| strings_in(i, out)),
        _ => {}
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
        let plain = ws.keys.open(Sealed::Change, &ws.id, &doc_id, &envelope)?;
        let change = automerge::Change::from_bytes(plain.clone())
            .map_err(|_| Error::invalid("an outbox row in this store is damaged"))?;
        let envelope = ws.keys.seal(Sealed::Change, &ws.id, &doc_id, &plain);
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
