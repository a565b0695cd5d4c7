//! Who is in a practice: listing members and devices, revoking a device, removing a member with
//! a key rotation, leaving, transferring ownership, and what a device does when it learns it
//! was removed.
//!
//! The relay enforces every rule (roles, single owner, revocation) and every device checks them
//! again in the signed roster; this module drives both and keeps the local key ring and store
//! in step:
//!
//! * **Removing a member** makes the next key epoch here, seals it to every device that remains
//!   (their X25519 public keys, as the verified roster holds them) and sends it with the removal in one call;
//!   the relay applies both or neither. A 409 means the device list changed meanwhile: the list
//!   is fetched again and the rotation retried once.
//! * **Learning a new key** ([`Store::refresh_keys`], at the start of every sync) opens the
//!   sealed keys the relay holds for this device and re-seals whatever is still in the outbox
//!   with the newest key, so nothing pushed after that is readable with an old key.
//! * **Being removed**: a call answered `401 revoked` is checked against the practice's
//!   signed roster (`crate::roster`), which the relay still serves to a revoked device: only
//!   when it holds a revocation of this device, or a removal of its member, signed by a device
//!   entitled to it, is what the device had not synced written to a file the user can read,
//!   the workspace purged from this store (documents, outbox, index, keys) and
//!   [`Error::Removed`] returned naming that file. A revocation the roster does not hold
//!   deletes nothing.
//! * **Every membership change is a signed roster event** sent with the call that makes it
//!   (revoke, remove with its rotation, leave, transfer, rotate): the relay applies both or
//!   neither, and refuses them when another device appended first (then the events are made
//!   again). Rotations seal the next key only to the roster's devices, and a key the relay
//!   serves is taken only if the roster names it.

use serde::{Deserialize, Serialize};
use trellis_protocol::api::{codes, KeyRotation, Role, WrappedKey};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::crypto::signing::key_check;
use crate::crypto::{seal_key_for, Sealed, WorkspaceKey};
use crate::read::members::MemberLookup;
use crate::roster::{Roster, What};
use crate::storage::workspace::{
    current_ws, delete_meta, device, device_keys, device_signer, get_meta, load_ws, save_keys,
    set_meta, Scope, Ws, WsMeta,
};
use crate::store::Store;
use crate::sync::client::RelayClient;
use crate::sync::roster::{roster_moved, wire, ROSTER_RETRIES};

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
    /// Flagged: this device verified one of the member's devices face to face, and she has a
    /// device since that nobody here verified (a new phone, or keys someone slipped in).
    pub unverified_device: bool,
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
    /// Its fingerprint ("12345 67890 12345 67890"), derived from its public keys: compare it
    /// face to face with what that device shows.
    pub fingerprint: String,
    /// Whether this device recorded a face-to-face check of that fingerprint
    /// ([`Store::verify_member`]).
    pub verified: bool,
}

impl Store {
    /// The roster: members of the current workspace and their devices (removed members and
    /// revoked devices included), as the practice's signed roster says after fetching what the
    /// relay added, with each device's fingerprint and whether this device verified it.
    pub async fn roster(&self) -> Result<Vec<MemberView>> {
        let (ws, client) = self.connected()?;
        let roster = self.refresh_roster(&ws.id, &client).await?;
        self.views(&ws, &roster)
    }

    /// This device's fingerprint in the current workspace, to show a colleague who verifies it.
    pub fn fingerprint(&self) -> Result<String> {
        let conn = self.lock();
        let sign = device_signer(&conn)?.public();
        let boxk = device_keys(&conn)?.public_bytes();
        Ok(crate::crypto::signing::fingerprint(&sign, &boxk))
    }

    /// Records that the fingerprint of one of `member`'s devices (by name or id prefix) was
    /// compared face to face and matched. Fails, recording nothing, when no device of hers
    /// has that fingerprint.
    pub fn verify_member(&self, member: &str, fingerprint: &str) -> Result<MemberView> {
        let ws = current_ws(&self.lock(), self.scope)?;
        let typed =
            crate::crypto::signing::normalize_fingerprint(fingerprint).ok_or_else(|| {
                Error::invalid("a fingerprint is 20 digits, as \"12345 67890 12345 67890\"")
            })?;
        let target = self.member_id(&ws, member)?;
        let roster = self.held_roster(&ws.id)?;
        let device = roster
            .devices
            .iter()
            .find(|(_, d)| {
                d.member == target
                    && crate::crypto::signing::normalize_fingerprint(&d.fingerprint()).as_deref()
                        == Some(typed.as_str())
            })
            .map(|(id, d)| (*id, d.fingerprint()));
        let Some((device, shown)) = device else {
            return Err(Error::Conflict(
                "that fingerprint is none of this member's devices: compare it again with what \
                 her device shows (sync first if she joined lately)"
                    .into(),
            ));
        };
        self.lock().execute(
            "INSERT OR REPLACE INTO verified_devices (ws, device_id, fingerprint, at)
             VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![ws.id.to_hex(), device.to_hex(), shown, time::now_rfc3339()],
        )?;
        self.views(&ws, &roster)?
            .into_iter()
            .find(|m| m.member_id == target.to_hex())
            .ok_or_else(|| Error::invalid("the member left the roster"))
    }

    /// The views of the members of a verified roster.
    fn views(&self, ws: &Ws, roster: &Roster) -> Result<Vec<MemberView>> {
        let conn = self.lock();
        let names = MemberLookup::load(&conn, ws)?;
        let me = device(&conn)?.id;
        let verified: std::collections::HashMap<String, String> = {
            let mut st =
                conn.prepare("SELECT device_id, fingerprint FROM verified_devices WHERE ws = ?1")?;
            let rows = st.query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let admitted_at: std::collections::HashMap<u64, i64> = roster
            .events()
            .iter()
            .filter_map(|e| e.body.as_ref().map(|b| (e.seq, b.at)))
            .collect();
        Ok(roster
            .members
            .iter()
            .map(|(member_id, m)| {
                let devices: Vec<DeviceView> = roster
                    .devices
                    .iter()
                    .filter(|(_, d)| d.member == *member_id)
                    .map(|(id, d)| {
                        let fingerprint = d.fingerprint();
                        DeviceView {
                            device_id: id.to_hex(),
                            registered_at: time::format_ms(
                                admitted_at.get(&d.admitted).copied().unwrap_or(0),
                            ),
                            revoked: d.revoked.is_some(),
                            this_device: id.to_hex() == me,
                            verified: verified.get(&id.to_hex()) == Some(&fingerprint),
                            fingerprint,
                        }
                    })
                    .collect();
                let any_verified = devices.iter().any(|d| d.verified);
                let unverified_device = any_verified
                    && devices
                        .iter()
                        .any(|d| !d.verified && !d.revoked && !d.this_device);
                MemberView {
                    member_id: member_id.to_hex(),
                    name: names
                        .name_of(&member_id.to_hex())
                        .unwrap_or_else(|| "a member not synced yet".into()),
                    role: m.role,
                    removed: m.removed.is_some(),
                    devices,
                    unverified_device,
                }
            })
            .collect())
    }

    /// Revokes a device (by id prefix): owners and admins any device, members their own. The
    /// device loses access at once; rotate the key afterwards (`rotate_key`) if it was lost.
    pub async fn revoke_device(&self, device: &str) -> Result<()> {
        let (ws, client) = self.connected()?;
        let roster = self.refresh_roster(&ws.id, &client).await?;
        let q = device.trim().to_lowercase();
        let hits: Vec<&Id> = roster
            .devices
            .keys()
            .filter(|d| q.len() >= 4 && d.to_hex().starts_with(&q))
            .collect();
        let id = match hits.as_slice() {
            [one] => **one,
            [] => {
                return Err(Error::NotFound {
                    what: "device",
                    query: device.into(),
                    candidates: roster
                        .devices
                        .keys()
                        .map(|d| d.to_hex()[..8].to_string())
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
        self.with_roster(
            &ws,
            &client,
            |_| vec![What::Revoke { device: id }],
            |events| client.revoke_device(&ws.id, &id, events),
        )
        .await
    }

    /// Makes roster events with `make` (signed by this device, after the roster as the relay
    /// holds it now), sends them with `send`, and keeps them once the relay accepted them. When
    /// another device appended first, fetches the roster and makes them again.
    pub(crate) async fn with_roster<T, F, Fut>(
        &self,
        ws: &Ws,
        client: &RelayClient,
        make: impl Fn(&Roster) -> Vec<What>,
        send: F,
    ) -> Result<T>
    where
        F: Fn(Vec<trellis_protocol::api::RosterEvent>) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let (me, signer) = {
            let conn = self.lock();
            (device_id(&conn)?, device_signer(&conn)?)
        };
        for _ in 0..ROSTER_RETRIES {
            let roster = self.refresh_roster(&ws.id, client).await?;
            let mut events: Vec<(u64, Vec<u8>)> = Vec::new();
            for what in make(&roster) {
                let ev = match events.last() {
                    Some(prev) => roster.make_after(prev, &me, &signer, what),
                    None => roster.make(&me, &signer, what),
                };
                events.push(ev);
            }
            match send(wire(&events)).await {
                Ok(v) => {
                    self.keep_roster_events(&ws.id, &events)?;
                    return Ok(v);
                }
                Err(e) if roster_moved(&e) => continue,
                Err(e) => return self.guard(ws, Err(e)).await,
            }
        }
        Err(Error::Conflict(
            "other devices kept changing the practice's roster; try again".into(),
        ))
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
        self.with_roster(
            &ws,
            &client,
            |_| vec![What::Leave {}],
            |events| client.leave(&ws.id, events),
        )
        .await?;
        self.purge(&ws)?;
        Ok(())
    }

    /// Makes another member (by name or id prefix) the owner; this member becomes an admin.
    pub async fn transfer_ownership(&self, member: &str) -> Result<()> {
        let (ws, client) = self.connected()?;
        let target = self.member_id(&ws, member)?;
        self.with_roster(
            &ws,
            &client,
            |_| vec![What::Transfer { member: target }],
            |events| client.transfer(&ws.id, &target, events),
        )
        .await?;
        self.lock().execute(
            "UPDATE workspaces SET role = ?2 WHERE id = ?1",
            rusqlite::params![ws.id.to_hex(), Role::Admin.as_str()],
        )?;
        Ok(())
    }

    /// Opens any newer keys the relay holds sealed for this device, adds them to the ring and
    /// re-seals the outbox with the newest. Returns whether a new key arrived. A key is taken
    /// only if the practice's signed roster names it (its key check), and never in place of an
    /// epoch this device holds: a relay cannot hand out a key it made.
    pub(crate) async fn refresh_keys(&self, ws: &Ws, client: &RelayClient) -> Result<bool> {
        // From the first epoch this device lacks: a rotation made while it had not fetched
        // the one before leaves a hole, and entries sealed with that key must still open.
        let after = ws.keys.whole_through();
        let resp = self.guard(ws, client.keys(&ws.id, after).await).await?;
        let mut updated = load_ws(&self.lock(), &ws.id.to_hex())?;
        let fresh: Vec<_> = resp
            .keys
            .iter()
            .filter(|env| !updated.keys.holds(env.epoch))
            .collect();
        if fresh.is_empty() {
            return Ok(false);
        }
        let mut roster = self.held_roster(&ws.id)?;
        if fresh
            .iter()
            .any(|env| !roster.key_checks.contains_key(&env.epoch))
        {
            roster = self.refresh_roster(&ws.id, client).await?;
        }
        let secret = device_keys(&self.lock())?;
        let mut problems = Vec::new();
        for env in fresh {
            let key = match secret.unseal_key(&env.sealed, &ws.id, env.epoch) {
                Ok(key) => key,
                Err(e) => {
                    problems.push(format!("the key served for epoch {}: {e}", env.epoch));
                    continue;
                }
            };
            match roster.key_checks.get(&env.epoch) {
                Some(check) if *check == key_check(&ws.id, env.epoch, &key) => {
                    updated.keys.insert(env.epoch, key);
                }
                _ => problems.push(format!(
                    "the relay served a key for epoch {} that the practice's roster does not name",
                    env.epoch
                )),
            }
        }
        let mut conn = self.lock();
        let key_problem = WsMeta::KeyProblem.key(&ws.id.to_hex());
        match problems.first() {
            Some(why) => {
                tracing::warn!("refused a key the relay served");
                set_meta(&conn, &key_problem, why)?;
            }
            None => delete_meta(&conn, &key_problem)?,
        }
        if updated.keys.current().0 == ws.keys.current().0
            && updated.keys.iter().count() == ws.keys.iter().count()
        {
            return Ok(false);
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
        let (me, signer) = {
            let conn = self.lock();
            (device_id(&conn)?, device_signer(&conn)?)
        };
        for _ in 0..ROSTER_RETRIES {
            let roster = self.refresh_roster(&ws.id, client).await?;
            let resp = self.guard(ws, client.members(&ws.id).await).await?;
            let epoch = roster.newest_epoch().map_or(0, |e| e + 1);
            if epoch != resp.key_epoch + 1 {
                return Err(Error::Tampered(format!(
                    "the relay says the practice's key is at epoch {} but its roster names epoch {}",
                    resp.key_epoch,
                    epoch.saturating_sub(1)
                )));
            }
            let key = WorkspaceKey::generate();
            // Sealed only to devices of the verified roster: a device the relay lists but no
            // entitled device admitted gets nothing.
            let mut wrapped = Vec::new();
            let mut sealed_to = Vec::new();
            for (id, d) in roster
                .active_devices()
                .filter(|(_, d)| Some(d.member) != remove)
            {
                wrapped.push(WrappedKey {
                    device_id: *id,
                    sealed: seal_key_for(&hex::encode(d.box_key), &ws.id, epoch, &key)?,
                });
                sealed_to.push(*id);
            }
            let mut whats = Vec::new();
            if let Some(member) = remove {
                whats.push(What::Remove { member });
            }
            whats.push(What::Rotate {
                epoch,
                key_check: hex::encode(key_check(&ws.id, epoch, &key)),
                sealed_to,
            });
            let mut events: Vec<(u64, Vec<u8>)> = Vec::new();
            for what in whats {
                let ev = match events.last() {
                    Some(prev) => roster.make_after(prev, &me, &signer, what),
                    None => roster.make(&me, &signer, what),
                };
                events.push(ev);
            }
            let rotation = KeyRotation {
                epoch,
                wrapped,
                roster: wire(&events),
            };
            let sent = match remove {
                Some(member) => client.remove_member(&ws.id, &member, &rotation).await,
                None => client.rotate(&ws.id, &rotation).await,
            };
            match sent {
                Ok(()) => {
                    self.keep_roster_events(&ws.id, &events)?;
                    let mut conn = self.lock();
                    let mut updated = load_ws(&conn, &ws.id.to_hex())?;
                    updated.keys.insert(epoch, key);
                    let tx = conn.transaction()?;
                    save_keys(&tx, &updated)?;
                    reseal_outbox(&tx, &updated)?;
                    tx.commit()?;
                    return Ok(epoch);
                }
                // The roster or the device list changed meanwhile: make it again.
                Err(Error::Relay { status: 409, .. }) => continue,
                Err(e) => return self.guard(ws, Err(e)).await,
            }
        }
        Err(Error::Conflict(
            "the practice's devices kept changing during the key rotation; try again".into(),
        ))
    }

    /// The current workspace and a client for its relay.
    pub(crate) fn connected(&self) -> Result<(Ws, RelayClient)> {
        let ws = current_ws(&self.lock(), self.scope)?;
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
                    tracing::warn!("a revocation the signed roster does not hold; nothing deleted");
                    return Err(Error::Relay {
                        status: 401,
                        code,
                        message: format!(
                            "{message} (the practice's signed roster does not say so: nothing was deleted)"
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

    /// Whether the practice's signed roster, as this device verifies it, says that this
    /// device was revoked or its member removed: a `401 revoked` alone (from the relay or
    /// anything on the path) deletes nothing.
    async fn revocation_confirmed(&self, ws: &Ws) -> bool {
        let (Some(url), Some(token)) = (&ws.relay_url, &ws.token) else {
            return false;
        };
        let Ok(client) = RelayClient::new(url, Some(token)) else {
            return false;
        };
        let Ok(me) = device_id(&self.lock()) else {
            return false;
        };
        match self.refresh_roster(&ws.id, &client).await {
            Ok(roster) => roster.devices.get(&me).is_some_and(|d| d.revoked.is_some()),
            Err(_) => false,
        }
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
                .and_then(|plain| {
                    let (bytes, _) = crate::crypto::signing::split_signed(&plain)?;
                    automerge::Change::from_bytes(bytes.to_vec()).ok()
                });
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
            "roster",
            "change_sigs",
            "verified_devices",
            "cards",
            "posts",
            "held_changes",
            "set_aside",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE ws = ?1"), [&id])?;
        }
        let kind: String = tx
            .query_row("SELECT kind FROM workspaces WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .unwrap_or_else(|_| Scope::Practice.kind().to_string());
        let scope = Scope::of_kind(&kind);
        tx.execute("DELETE FROM workspaces WHERE id = ?1", [&id])?;
        for entry in WsMeta::ALL {
            delete_meta(&tx, &entry.key(&id))?;
        }
        // The next workspace of the same kind becomes current (a region's purge leaves the
        // current practice as it was).
        if get_meta(&tx, scope.current_key())?.as_deref() == Some(id.as_str()) {
            let next: Option<String> = tx
                .query_row(
                    "SELECT id FROM workspaces WHERE kind = ?1 ORDER BY created_at LIMIT 1",
                    [&kind],
                    |r| r.get(0),
                )
                .ok();
            match next {
                Some(n) => set_meta(&tx, scope.current_key(), &n)?,
                None => {
                    delete_meta(&tx, scope.current_key())?;
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

/// This device's id.
pub(crate) fn device_id(conn: &rusqlite::Connection) -> Result<Id> {
    device(conn)?
        .id
        .parse()
        .map_err(|_| Error::invalid("the device id in this store is damaged"))
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
        let damaged = || Error::invalid("an outbox row in this store is damaged");
        let (bytes, _) = crate::crypto::signing::split_signed(&plain).ok_or_else(damaged)?;
        let change = automerge::Change::from_bytes(bytes.to_vec()).map_err(|_| damaged())?;
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
