//! The sync client: connecting a workspace to a relay, and push/pull (invites and joining are
//! in `join`).
//!
//! Sync is cursor-based (`docs/DESIGN.md`): **push** sends the outbox in order and deletes the rows
//! the relay acknowledged (a retry after a lost answer is harmless: the relay stores each change
//! once); **pull** asks for the log after the workspace's cursor and applies each batch in one
//! transaction together with the new cursor, so a crash mid-pull repeats at most one batch, and
//! applying a change twice is a no-op in automerge. Cost grows with what changed, not with the
//! number of documents.
//!
//! The store's lock is never held across a network call: local writes go on during a sync.

use std::collections::{BTreeMap, HashSet};

use automerge::{Automerge, Change, ChangeHash, PatchLog, ReadDoc};
use rusqlite::params;
use trellis_protocol::api::{CreateWorkspaceRequest, Role};
use trellis_protocol::batch::{LogEntry, PullBatch, PushEntry};
use trellis_protocol::{Id, HASH_LEN};

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::base::validate::non_empty;
use crate::crypto::signing::{change_message, signed_payload, split_signed};
use crate::crypto::Sealed;
use crate::crypto::Trailer;
use crate::documents;
use crate::events::SyncState;
use crate::index::{self, Touched};
use crate::model::{SetAsideReason, SyncReport, WorkspaceInfo};
use crate::roster::Roster;
use crate::storage::db::flush_to_disk;
use crate::storage::docstore::Tx;
use crate::storage::workspace::{
    current_ws, delete_meta, device, device_keys, ensure_creation, get_meta, info, set_meta, Ws,
    WsMeta,
};
use crate::store::Store;
use crate::store::{keep_signature, kept_signature};
use crate::sync::client::{normalize_url, RelayClient};
use crate::sync::roster::wire;
use crate::sync::set_aside;
use crate::sync::verify;

/// Outbox rows sent in one push.
const PUSH_BATCH: usize = 500;
/// Log entries asked for in one pull.
const PULL_BATCH: usize = 500;

impl Store {
    /// Creates a workspace and registers it on a relay at once, with this user as owner. Needs
    /// the relay operator's signup secret. When the relay refuses (4xx), nothing is kept. When
    /// it does not answer (or a gateway breaks its answer), the relay may have registered it:
    /// the practice stays on this device, current, and the error says to connect it
    /// ([`Store::connect_workspace`] with the same relay and secret registers it once).
    pub async fn create_shared_workspace(
        &self,
        name: &str,
        relay_url: &str,
        signup_secret: &str,
    ) -> Result<WorkspaceInfo> {
        let name = non_empty(name, "workspace name")?;
        let relay_url = normalize_url(relay_url)?;
        // Made here first, then connected as a local practice is: the token is kept before it
        // is sent, so a retry after a lost answer registers the same practice once. A retry of
        // this call finds the practice the last try kept (current, same name, not connected,
        // its token made) and connects it instead of making a second one.
        let resume = {
            let conn = self.lock();
            match current_ws(&conn, self.scope) {
                Ok(ws) => {
                    ws.token.is_none()
                        && ws.name == name
                        && get_meta(&conn, &WsMeta::PendingSignup.key(&ws.id.to_hex()))?.is_some()
                }
                Err(_) => false,
            }
        };
        if !resume {
            self.create_workspace(&name)?;
        }
        let undo = |store: &Store| -> Result<()> {
            let ws = current_ws(&store.lock(), store.scope)?;
            store.purge(&ws)
        };
        match self.connect_workspace(&relay_url, signup_secret).await {
            Ok(info) => Ok(info),
            // The relay said no (a wrong signup secret, say): nothing was registered, and what
            // this call made is not kept (a practice an earlier try kept, and what was written
            // in it since, stays).
            Err(e @ Error::Relay { status, .. }) if status < 500 => {
                if !resume {
                    undo(self)?;
                }
                Err(e)
            }
            Err(e @ (Error::InvalidInput(_) | Error::NotConnected(_))) => {
                if !resume {
                    undo(self)?;
                }
                Err(e)
            }
            // No answer, or a broken one: the relay may have registered it. The practice stays
            // on this device, and connecting it again finishes the job.
            Err(Error::Network(m)) => Err(Error::Network(format!("{m}; {}", kept_hint(&name)))),
            Err(Error::Relay {
                status,
                code,
                message,
            }) => Err(Error::Relay {
                status,
                code,
                message: format!("{message}; {}", kept_hint(&name)),
            }),
            Err(e) => Err(e),
        }
    }

    /// Registers the current, local-only workspace on a relay; what was recorded so far is
    /// pushed by the next sync.
    pub async fn connect_workspace(
        &self,
        relay_url: &str,
        signup_secret: &str,
    ) -> Result<WorkspaceInfo> {
        let relay_url = normalize_url(relay_url)?;
        let (ws, me) = {
            let conn = self.lock();
            (current_ws(&conn, self.scope)?, device(&conn)?)
        };
        if ws.token.is_some() {
            return Err(Error::Conflict(format!(
                "workspace {} is already connected to a relay",
                ws.id
            )));
        }
        let device_key = device_keys(&self.lock())?.public_hex();
        // The token is made here and kept before asking, so a retry after a lost answer sends
        // the same one and the relay recognizes it instead of refusing a taken workspace id.
        let pending = WsMeta::PendingSignup.key(&ws.id.to_hex());
        let token = {
            let conn = self.lock();
            match get_meta(&conn, &pending)? {
                Some(token) => token,
                None => {
                    let token = trellis_protocol::random_secret();
                    set_meta(&conn, &pending, &token)?;
                    flush_to_disk(&conn)?;
                    token
                }
            }
        };
        // The roster's first event, made and kept here before asking (a retry sends the same
        // bytes, which the relay recognizes).
        let create = {
            let conn = self.lock();
            let event = ensure_creation(&conn, &ws)?;
            flush_to_disk(&conn)?;
            event
        };
        let creds = register(
            &ws,
            &me.id,
            &device_key,
            &relay_url,
            signup_secret,
            &token,
            &create,
        )
        .await?;
        {
            let mut conn = self.lock();
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE workspaces SET relay_url = ?2, token = ?3 WHERE id = ?1",
                params![ws.id.to_hex(), relay_url, creds.token],
            )?;
            delete_meta(&tx, &pending)?;
            tx.commit()?;
            flush_to_disk(&conn)?;
        }
        Ok(info(
            &Ws {
                relay_url: Some(relay_url),
                token: Some(creds.token),
                ..ws
            },
            true,
        ))
    }

    /// Pushes the current workspace's outbox, then pulls everything after its cursor.
    /// Listeners hear `Syncing`, then `Idle`, `Offline` or `Error`.
    pub async fn sync(&self) -> Result<SyncReport> {
        self.events.sync_state(SyncState::Syncing);
        // The full-text rows a bootstrap leaves for later (also after a failure mid-bootstrap)
        // and those the pulled entries queue are written once the sync is done.
        let hold = self.hold_search_catch_up();
        let mut result = self.sync_once().await;
        drop(hold);
        // A region's posts closed as connected that involve this member become referrals in
        // her practice (on this same connection), whoever hosts the store.
        if let (Ok(report), crate::storage::workspace::Scope::Region) = (&mut result, self.scope) {
            match self.record_in_practice() {
                Ok(n) => report.referrals_recorded = n,
                Err(e) => result = Err(e),
            }
        }
        let state = match &result {
            Ok(_) => SyncState::Idle {
                last_sync_at: self.status().ok().and_then(|s| s.last_sync_at),
            },
            Err(Error::Network(_)) => SyncState::Offline {
                pending: self.status().map(|s| s.pending_changes).unwrap_or(0),
            },
            Err(e) => SyncState::Error {
                reason: e.to_string(),
            },
        };
        self.events.sync_state(state);
        result
    }

    async fn sync_once(&self) -> Result<SyncReport> {
        // A join waiting for keys is finished first, if they have arrived.
        let awaiting = {
            let conn = self.lock();
            match current_ws(&conn, self.scope) {
                Err(Error::AwaitingKeys) => get_meta(&conn, self.scope.current_key())?,
                _ => None,
            }
        };
        if let Some(id) = awaiting.and_then(|id| id.parse::<Id>().ok()) {
            self.finish_join(&id).await?;
        }
        let ws = current_ws(&self.lock(), self.scope)?;
        let client = connected_client(&ws)?;
        let mut report = SyncReport::default();
        let mut keys = KeyCheck::default();
        let mut ws = ws;
        let pushed = self
            .push_outbox(&mut ws, &client, &mut report, &mut keys)
            .await?;
        // A roster the relay moved past this device's (or lost, restored from a backup) is
        // fetched, or handed back, before anything is pulled.
        let held_head = self.held_roster(&ws.id)?.head();
        if pushed.roster_head.is_some_and(|h| h != held_head) {
            self.refresh_roster(&ws.id, &client).await?;
        }
        let healing = get_meta(&self.lock(), &WsMeta::Healing.key(&ws.id.to_hex()))?.is_some();
        let mut rolled_back = pushed.rolled_back || healing;
        if !rolled_back {
            if ws.cursor == 0 {
                // A new device starts from the newest checkpoint, if there is one.
                if let Some(info) = self
                    .guard(&ws, client.latest_checkpoint(&ws.id).await)
                    .await?
                {
                    let boot = self.bootstrap(&ws, &client, &info).await?;
                    report.bootstrapped_docs = boot.docs;
                    report.bootstrap_loaded_docs = boot.loaded;
                }
            }
            // After a push that left the cursor at the relay's head there is nothing to pull.
            let cursor = current_ws(&self.lock(), self.scope)?.cursor;
            if pushed.head != Some(cursor) {
                rolled_back = self
                    .pull_to_head(&ws, &client, &mut report, &mut keys, None)
                    .await?;
            }
        }
        if rolled_back {
            self.heal_rollback(&client, &mut report, &mut keys).await?;
            ws = current_ws(&self.lock(), self.scope)?;
        }
        if self.gaps(&ws)? > 0 && self.held_since_last_repull(&ws)? {
            // Changes are waiting for dependencies that the log should have delivered before
            // them: pull the whole log once more rather than silently diverge. Once per new
            // held change: a change whose dependencies the log never had (a member's junk)
            // must not make every later sync pull the whole log again.
            tracing::warn!("changes with missing dependencies; pulling the log again");
            self.lock().execute(
                "UPDATE workspaces SET cursor = 0 WHERE id = ?1",
                [ws.id.to_hex()],
            )?;
            if self
                .pull_to_head(&ws, &client, &mut report, &mut keys, None)
                .await?
            {
                return Err(Error::Conflict(
                    "the relay's log moved back during this sync; sync again".into(),
                ));
            }
            report.repulled = true;
            self.note_repull(&ws)?;
        }
        if keys.new_key {
            report.new_key = true;
            // Entries that did not open for want of the key that just arrived open now.
            let ws = current_ws(&self.lock(), self.scope)?;
            let (applied, updated, _) = self.retry_unreadable(&ws)?;
            report.pulled += applied;
            report.documents_updated += updated;
        }
        report.gaps = self.gaps(&ws)?;
        // The role as the relay said it during this sync (a transfer or promotion shows here).
        let ws = current_ws(&self.lock(), self.scope)?;
        if matches!(ws.role, Role::Owner | Role::Admin) {
            // Someone left or a device was revoked since the last rotation: as an owner or
            // admin, make the next key now so later changes are beyond what they held. The
            // pull said whether; ask only if there was no pull or the relay did not say.
            let rotated = match keys.rotation_needed {
                Some(true) => Some(self.rotate_with(&ws, &client, None).await?),
                Some(false) => None,
                None => self.rotate_if_needed(&ws, &client).await?,
            };
            if let Some(epoch) = rotated {
                report.rotated_to = Some(epoch);
            }
        }
        // Devices admitted since get every key (after a rotation, the new one too).
        let ws = current_ws(&self.lock(), self.scope)?;
        report.keys_granted = self.grant_keys(&ws, &client).await?;

        let conn = self.lock();
        conn.execute(
            "UPDATE workspaces SET last_sync_at = ?2 WHERE id = ?1",
            params![ws.id.to_hex(), time::now_rfc3339()],
        )?;
        report.cursor = current_ws(&conn, self.scope)?.cursor;
        Ok(report)
    }

    /// Pulls and applies everything after the cursor. Returns `true`, before applying
    /// anything, when the relay's log turns out to be rolled back ([`Store::log_rolled_back`]).
    /// With `present`, collects the hash of every change the pulled entries hold.
    async fn pull_to_head(
        &self,
        ws: &Ws,
        client: &RelayClient,
        report: &mut SyncReport,
        keys: &mut KeyCheck,
        mut present: Option<&mut HashSet<ChangeHash>>,
    ) -> Result<bool> {
        let mut ws = ws.clone();
        loop {
            let cursor = current_ws(&self.lock(), self.scope)?.cursor;
            let pulled = match client.pull(&ws.id, cursor, PULL_BATCH).await {
                Err(Error::Relay {
                    status: 410, code, ..
                }) if code == trellis_protocol::api::codes::COMPACTED => {
                    // What this device needs was compacted into a checkpoint: start from it.
                    let info = self
                        .guard(&ws, client.latest_checkpoint(&ws.id).await)
                        .await?
                        .ok_or_else(|| {
                            Error::Corrupt(
                                "the relay compacted its log but has no checkpoint".into(),
                            )
                        })?;
                    let boot = self.bootstrap(&ws, client, &info).await?;
                    report.bootstrapped_docs += boot.docs;
                    report.bootstrap_loaded_docs += boot.loaded;
                    continue;
                }
                other => self.guard(&ws, other).await?,
            };
            self.note_role(&ws, pulled.role)?;
            if self.log_rolled_back(&ws, pulled.log_id.as_deref(), pulled.batch.head)? {
                return Ok(true);
            }
            // Open the batch with every key it may be sealed with: if the practice moved to a
            // key this device does not hold yet (or the relay does not say), fetch it first.
            let behind = match pulled.key_epoch {
                Some(epoch) => epoch > ws.keys.current().0,
                None => !keys.checked,
            } || (!keys.checked
                && pulled.batch.entries.iter().any(|e| {
                    crate::crypto::envelope_epoch(&e.bytes).is_some_and(|ep| !ws.keys.holds(ep))
                }));
            if behind {
                if self.refresh_keys(&ws, client).await? {
                    keys.new_key = true;
                }
                keys.checked = true;
                ws = current_ws(&self.lock(), self.scope)?;
            }
            if pulled.rotation_needed.is_some() {
                keys.rotation_needed = pulled.rotation_needed;
            }
            let batch = pulled.batch;
            let opened = open_batch(&ws, &batch);
            // The roster the changes were signed under: fetched when the relay says it grew,
            // or when a change names an event this device has not seen.
            let mut roster = self.held_roster(&ws.id)?;
            let trailers = opened
                .iter()
                .filter_map(|o| o.as_ref().ok().map(|(_, t)| t));
            if pulled.roster_head.is_some_and(|h| h != roster.head())
                || verify::names_newer_roster(&roster, trailers)
            {
                roster = self.refresh_roster(&ws.id, client).await?;
            }
            let (applied, updated, aside) =
                self.apply_opened(&ws, &roster, &batch, opened, present.as_deref_mut(), false)?;
            report.pulled += applied;
            report.set_aside += aside;
            report.documents_updated += updated;
            if !batch.more || batch.entries.is_empty() {
                return Ok(false);
            }
        }
    }

    /// Applies again the entries set aside as unreadable whose key epoch this device now holds.
    fn retry_unreadable(&self, ws: &Ws) -> Result<(u64, u64, u64)> {
        let rows: Vec<(i64, String, Vec<u8>, Vec<u8>)> = {
            let conn = self.lock();
            let mut st = conn.prepare(
                "SELECT seq, doc_id, hash, bytes FROM set_aside
                 WHERE ws = ?1 AND reason = ?2 AND seq IS NOT NULL AND hash IS NOT NULL
                 ORDER BY seq",
            )?;
            let rows = st.query_map(
                params![ws.id.to_hex(), SetAsideReason::Unreadable.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let entries: Vec<LogEntry> = rows
            .into_iter()
            .filter(|(_, _, _, bytes)| {
                crate::crypto::envelope_epoch(bytes).is_some_and(|e| ws.keys.holds(e))
            })
            .filter_map(|(seq, doc, hash, bytes)| {
                Some(LogEntry {
                    seq: u64::try_from(seq).ok()?,
                    doc_id: doc.parse().ok()?,
                    change_hash: hash.try_into().ok()?,
                    bytes,
                })
            })
            .collect();
        if entries.is_empty() {
            return Ok((0, 0, 0));
        }
        tracing::info!(
            entries = entries.len(),
            "applying again entries that did not open before a key arrived"
        );
        let batch = PullBatch {
            head: 0,
            more: false,
            entries,
        };
        let roster = self.held_roster(&ws.id)?;
        let opened = open_batch(ws, &batch);
        self.apply_opened(ws, &roster, &batch, opened, None, true)
    }

    /// Pushes the outbox in batches until it is empty, deleting what the relay acknowledged.
    /// Says the relay's head after the last push and whether its log turned out to be rolled
    /// back ([`Store::log_rolled_back`]).
    async fn push_outbox(
        &self,
        ws: &mut Ws,
        client: &RelayClient,
        report: &mut SyncReport,
        keys: &mut KeyCheck,
    ) -> Result<Pushed> {
        let mut pushed = Pushed::default();
        loop {
            let rows = self.outbox_batch(ws)?;
            if rows.is_empty() {
                return Ok(pushed);
            }
            let entries: Vec<PushEntry> = rows.iter().map(|(_, e)| e.clone()).collect();
            // Changes must be sealed with the practice's newest key: the relay refuses a batch
            // sealed with an older one, and only then are the keys fetched (and the outbox
            // sealed again), so a push is one request.
            let resp = match client.push(&ws.id, ws.keys.current().0, &entries).await {
                Err(Error::Relay {
                    status: 409, code, ..
                }) if code == trellis_protocol::api::codes::STALE_KEY && !keys.checked => {
                    if self.refresh_keys(ws, client).await? {
                        keys.new_key = true;
                    }
                    keys.checked = true;
                    *ws = current_ws(&self.lock(), self.scope)?;
                    continue;
                }
                other => self.guard(ws, other).await?,
            };
            if resp.key_epoch.is_some() {
                keys.rotation_needed = resp.rotation_needed;
            }
            if resp.seqs.len() != entries.len() {
                return Err(Error::Corrupt(
                    "the relay acknowledged a different number of changes".into(),
                ));
            }
            self.note_role(ws, resp.role)?;
            // The relay holds these now, whatever its past: let them go, then look at it.
            let rolled_back = self.log_rolled_back(ws, resp.log_id.as_deref(), resp.head)?;
            pushed.rolled_back |= rolled_back;
            let mut conn = self.lock();
            let tx = conn.transaction()?;
            {
                let mut del = tx.prepare("DELETE FROM outbox WHERE id = ?1")?;
                for (id, _) in &rows {
                    del.execute([id])?;
                }
            }
            // When the acknowledged seqs are exactly the ones right after the cursor, every
            // entry up to them is this device's own: skip pulling them back.
            let cursor = crate::storage::workspace::load_ws(&tx, &ws.id.to_hex())?.cursor;
            if let (false, Some(next)) = (rolled_back, own_run_after(cursor, &resp.seqs)) {
                tx.execute(
                    "UPDATE workspaces SET cursor = ?2 WHERE id = ?1 AND cursor = ?3",
                    params![ws.id.to_hex(), next as i64, cursor as i64],
                )?;
            }
            tx.commit()?;
            report.pushed += rows.len() as u64;
            pushed.head = Some(resp.head);
            pushed.roster_head = Some(resp.roster_head);
        }
    }

    /// Keeps the role the relay says this member has now, if it says and it changed.
    fn note_role(&self, ws: &Ws, role: Option<Role>) -> Result<()> {
        if let Some(role) = role {
            self.lock().execute(
                "UPDATE workspaces SET role = ?2 WHERE id = ?1 AND role != ?2",
                params![ws.id.to_hex(), role.as_str()],
            )?;
        }
        Ok(())
    }

    /// Whether the relay's log was rolled back since this device last heard from it: the log
    /// has another identity than the one remembered (the operator restored a backup and said
    /// so), or its head is behind this device's cursor (entries this device already applied
    /// are gone). The first identity heard is remembered.
    fn log_rolled_back(&self, ws: &Ws, log_id: Option<&str>, head: u64) -> Result<bool> {
        let conn = self.lock();
        let (known, cursor): (Option<String>, i64) = conn.query_row(
            "SELECT log_id, cursor FROM workspaces WHERE id = ?1",
            [ws.id.to_hex()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let (None, Some(seen)) = (&known, log_id) {
            conn.execute(
                "UPDATE workspaces SET log_id = ?2 WHERE id = ?1",
                params![ws.id.to_hex(), seen],
            )?;
        }
        let other_log = matches!((&known, log_id), (Some(k), Some(seen)) if k != seen);
        let behind = i64::try_from(head).is_ok_and(|h| h < cursor);
        Ok(other_log || behind)
    }

    /// Heals a rolled-back relay log: pulls the whole log again (applying what it holds, as
    /// any pull does) and pushes back every change of this device's documents that it lacks,
    /// whoever made it. Nothing this device holds is lost with the relay's rollback.
    async fn heal_rollback(
        &self,
        client: &RelayClient,
        report: &mut SyncReport,
        keys: &mut KeyCheck,
    ) -> Result<()> {
        tracing::warn!(
            "the relay's log was rolled back; pulling it again and pushing back what it lost"
        );
        let ws = current_ws(&self.lock(), self.scope)?;
        {
            let mut conn = self.lock();
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE workspaces SET cursor = 0, log_id = NULL WHERE id = ?1",
                [ws.id.to_hex()],
            )?;
            set_meta(&tx, &WsMeta::Healing.key(&ws.id.to_hex()), "1")?;
            // The relay may have lost the keys handed to devices lately: hand them again.
            delete_meta(&tx, &WsMeta::KeysGranted.key(&ws.id.to_hex()))?;
            tx.commit()?;
        }
        let mut present = HashSet::new();
        if self
            .pull_to_head(&ws, client, report, keys, Some(&mut present))
            .await?
        {
            return Err(Error::Conflict(
                "the relay's log moved back again during this sync; sync again".into(),
            ));
        }
        let mut ws = current_ws(&self.lock(), self.scope)?;
        report.repushed = self.queue_missing(&ws, &present)?;
        report.relay_rolled_back = true;
        self.push_outbox(&mut ws, client, report, keys).await?;
        Ok(())
    }

    /// Puts into the outbox every change of the workspace's documents whose hash is not in
    /// `present`, in each document's causal order. Returns how many.
    fn queue_missing(&self, ws: &Ws, present: &HashSet<ChangeHash>) -> Result<u64> {
        let ws_hex = ws.id.to_hex();
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let docs: Vec<String> = {
            let mut st =
                tx.prepare("SELECT doc_id FROM documents WHERE ws = ?1 ORDER BY doc_id")?;
            let rows = st.query_map([&ws_hex], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut queued = 0;
        let mut unsigned = 0u64;
        for doc_hex in docs {
            let doc_id: Id = doc_hex
                .parse()
                .map_err(|_| Error::invalid("a document id in this store is damaged"))?;
            let doc = Automerge::load(&crate::storage::docstore::stored_bytes(
                &tx, &ws_hex, &doc_hex,
            )?)?;
            for change in doc.get_changes(&[]) {
                if present.contains(&change.hash()) {
                    continue;
                }
                // Handed back with its author's signature; a change whose signature this
                // device does not hold (it came in a checkpoint's snapshot) is left to its
                // author's devices, which hold it.
                let Some(trailer) = kept_signature(&tx, &ws_hex, &change.hash().0)? else {
                    unsigned += 1;
                    continue;
                };
                let envelope = ws.keys.seal(
                    Sealed::Change,
                    &ws.id,
                    &doc_id,
                    &signed_payload(change.raw_bytes(), &trailer),
                );
                let hash = ws.keys.entry_hash(&change.hash().0, &envelope);
                tx.execute(
                    "INSERT INTO outbox (ws, doc_id, change_hash, envelope) VALUES (?1, ?2, ?3, ?4)",
                    params![ws_hex, doc_hex, hash.as_slice(), envelope],
                )?;
                queued += 1;
            }
        }
        delete_meta(&tx, &WsMeta::Healing.key(&ws_hex))?;
        tx.commit()?;
        if unsigned > 0 {
            tracing::warn!(
                unsigned,
                "changes the relay lacks were not handed back: this device holds no signature for them"
            );
        }
        Ok(queued)
    }

    /// Documents holding changes whose dependencies have not arrived.
    fn gaps(&self, ws: &Ws) -> Result<u64> {
        let n: i64 = self.lock().query_row(
            "SELECT count(DISTINCT doc_id) FROM held_changes WHERE ws = ?1",
            [ws.id.to_hex()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether a change was held back since the last time a held change made this device pull
    /// the whole log again (held rows are numbered in the order they were kept).
    fn held_since_last_repull(&self, ws: &Ws) -> Result<bool> {
        let conn = self.lock();
        let seen = get_meta(&conn, &WsMeta::RepulledForHeld.key(&ws.id.to_hex()))?
            .and_then(|v| v.parse::<i64>().ok());
        Ok(match (newest_held(&conn, ws)?, seen) {
            (Some(newest), Some(seen)) => newest > seen,
            (Some(_), None) => true,
            (None, _) => false,
        })
    }

    /// Remembers the newest held change a whole-log pull was made for.
    fn note_repull(&self, ws: &Ws) -> Result<()> {
        let conn = self.lock();
        let key = WsMeta::RepulledForHeld.key(&ws.id.to_hex());
        match newest_held(&conn, ws)? {
            Some(n) => set_meta(&conn, &key, &n.to_string()),
            None => delete_meta(&conn, &key),
        }
    }

    fn outbox_batch(&self, ws: &Ws) -> Result<Vec<(i64, PushEntry)>> {
        let conn = self.lock();
        let mut st = conn.prepare(
            "SELECT id, doc_id, change_hash, envelope FROM outbox WHERE ws = ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st.query_map(params![ws.id.to_hex(), PUSH_BATCH as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, doc, hash, envelope) = row?;
            let damaged = || Error::invalid("an outbox row in this store is damaged");
            let change_hash: [u8; HASH_LEN] = hash.try_into().map_err(|_| damaged())?;
            out.push((
                id,
                PushEntry {
                    doc_id: doc.parse().map_err(|_| damaged())?,
                    change_hash,
                    bytes: envelope,
                },
            ));
        }
        Ok(out)
    }

    /// Applies one pulled batch and advances the cursor, in one transaction. Returns the number
    /// of entries applied, of documents that changed, and of entries set aside: an entry that
    /// does not open, is not a change, does not match its hash or that automerge refuses is
    /// kept aside ([`set_aside`]) and never stops the rest.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn apply_pulled(
        &self,
        ws: &Ws,
        roster: &Roster,
        batch: &PullBatch,
        present: Option<&mut HashSet<ChangeHash>>,
    ) -> Result<(u64, u64, u64)> {
        let opened = open_batch(ws, batch);
        self.apply_opened(ws, roster, batch, opened, present, false)
    }

    /// [`Store::apply_pulled`] for entries opened already ([`open_batch`]): checks their
    /// signatures against `roster` and applies them.
    fn apply_opened(
        &self,
        ws: &Ws,
        roster: &Roster,
        batch: &PullBatch,
        opened: Vec<std::result::Result<(Change, Trailer), SetAsideReason>>,
        present: Option<&mut HashSet<ChangeHash>>,
        again: bool,
    ) -> Result<(u64, u64, u64)> {
        let Some(last) = batch.entries.last() else {
            return Ok((0, 0, 0));
        };
        let claims = batch
            .entries
            .iter()
            .zip(&opened)
            .map(|(e, o)| {
                o.as_ref()
                    .map_err(|r| *r)
                    .map(|(change, trailer)| verify::Claim {
                        trailer: *trailer,
                        message: change_message(
                            &ws.id,
                            &e.doc_id,
                            &trailer.signer,
                            trailer.roster,
                            &change.hash().0,
                        ),
                    })
            })
            .collect();
        let checked = verify::check_claims(roster, claims);
        let mut by_doc: BTreeMap<Id, Vec<(Option<u64>, Change)>> = BTreeMap::new();
        let mut signatures: Vec<([u8; 32], Trailer)> = Vec::new();
        let mut unusable: Vec<(&LogEntry, SetAsideReason)> = Vec::new();
        for ((e, o), check) in batch.entries.iter().zip(opened).zip(checked) {
            let usable = check.and(o).and_then(|(change, trailer)| {
                verify::check_author(roster, &trailer.signer, &change)?;
                Ok((change, trailer))
            });
            match usable {
                Ok((c, trailer)) => {
                    signatures.push((c.hash().0, trailer));
                    by_doc.entry(e.doc_id).or_default().push((Some(e.seq), c));
                }
                Err(reason) => unusable.push((e, reason)),
            }
        }
        if let Some(present) = present {
            present.extend(by_doc.values().flatten().map(|(_, c)| c.hash()));
        }
        self.mark(ws);
        let mut conn = self.lock();
        let tx = Tx::new(
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            &self.docs,
        );
        let mut updated = 0;
        let mut aside = unusable.len() as u64;
        let ws_hex = ws.id.to_hex();
        if again {
            // Entries set aside before, tried again: they leave the list unless set aside anew.
            for e in &batch.entries {
                tx.execute(
                    "DELETE FROM set_aside WHERE ws = ?1 AND seq = ?2",
                    params![ws_hex, e.seq as i64],
                )?;
            }
        }
        for (e, reason) in unusable {
            set_aside::record(
                &tx,
                &ws_hex,
                Some(e.seq),
                &e.doc_id.to_hex(),
                reason,
                "",
                &e.bytes,
                Some(e.change_hash.as_slice()),
            )?;
        }
        for (hash, trailer) in &signatures {
            keep_signature(&tx, &ws_hex, hash, trailer)?;
        }
        for (doc_id, mut changes) in by_doc {
            let doc_hex = doc_id.to_hex();
            changes.extend(held(&tx, &ws_hex, &doc_hex)?.into_iter().map(|c| (None, c)));
            let (mut doc, stored) = match tx.load(&ws_hex, &doc_hex)? {
                Some((doc, stored)) => (doc, Some(stored)),
                None => (Automerge::new(), None),
            };
            let before = doc.get_heads();
            let mut log = PatchLog::active();
            let all: Vec<Change> = changes.iter().map(|(_, c)| c.clone()).collect();
            let mut whole_doc = stored.is_none();
            if let Err(err) = doc.apply_changes_log_patches(all, &mut log) {
                tracing::warn!(%err, "a pulled batch was refused; applying its changes one by one");
                let refused = set_aside::apply_each(&mut doc, changes.clone(), || {
                    Ok(match tx.load(&ws_hex, &doc_hex)? {
                        Some((doc, _)) => doc,
                        None => Automerge::new(),
                    })
                })?;
                let mut refused_hashes = std::collections::HashSet::new();
                for (seq, change, detail) in refused {
                    set_aside::record(
                        &tx,
                        &ws_hex,
                        seq,
                        &doc_hex,
                        SetAsideReason::Refused,
                        &detail,
                        change.raw_bytes(),
                        None,
                    )?;
                    tx.execute(
                        "DELETE FROM held_changes WHERE ws = ?1 AND doc_id = ?2 AND hash = ?3",
                        params![ws_hex, doc_hex, change.hash().0.to_vec()],
                    )?;
                    aside += u64::from(seq.is_some());
                    refused_hashes.insert(change.hash());
                }
                // What is neither applied nor refused still waits for its dependencies.
                changes.retain(|(_, c)| !refused_hashes.contains(&c.hash()));
                whole_doc = true;
            }
            // Automerge queues a change whose dependencies are missing and drops it on save:
            // keep such changes until their dependencies arrive.
            for (_, c) in &changes {
                let hash = c.hash().0.to_vec();
                if doc.get_change_by_hash(&c.hash()).is_some() {
                    tx.execute(
                        "DELETE FROM held_changes WHERE ws = ?1 AND doc_id = ?2 AND hash = ?3",
                        params![ws_hex, doc_hex, hash],
                    )?;
                } else {
                    tx.execute(
                        "INSERT OR IGNORE INTO held_changes (ws, doc_id, hash, bytes)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![ws_hex, doc_hex, hash, c.raw_bytes()],
                    )?;
                }
            }
            if doc.get_heads() != before {
                let touched = if whole_doc {
                    Touched::All
                } else {
                    index::touched(documents::kind_of(&doc), &doc.make_patches(&mut log))
                };
                index::update(&tx, &ws_hex, &doc_hex, &doc, &touched)?;
                tx.save(&ws_hex, &doc_hex, doc, &before, stored)?;
                updated += 1;
            }
        }
        tx.execute(
            "UPDATE workspaces SET cursor = ?2 WHERE id = ?1 AND cursor < ?2",
            params![ws.id.to_hex(), last.seq as i64],
        )?;
        tx.commit()?;
        Ok((batch.entries.len() as u64 - aside, updated, aside))
    }
}

/// Opens every entry of a pulled batch: decrypts it with the practice's keys, splits the
/// change from its signed trailer, reads the automerge change and checks that it is the
/// change the entry's hash names. Signatures are checked after ([`Store::apply_pulled`]).
pub(crate) fn open_batch(
    ws: &Ws,
    batch: &PullBatch,
) -> Vec<std::result::Result<(Change, Trailer), SetAsideReason>> {
    batch.entries.iter().map(|e| open_entry(ws, e)).collect()
}

fn open_entry(ws: &Ws, e: &LogEntry) -> std::result::Result<(Change, Trailer), SetAsideReason> {
    let plain = ws
        .keys
        .open(Sealed::Change, &ws.id, &e.doc_id, &e.bytes)
        .map_err(|_| SetAsideReason::Unreadable)?;
    let (bytes, trailer) = split_signed(&plain).ok_or(SetAsideReason::Unsigned)?;
    let change = Change::from_bytes(bytes.to_vec()).map_err(|_| SetAsideReason::NotAChange)?;
    if !ws
        .keys
        .entry_matches(&e.change_hash, &change.hash().0, &e.bytes)
    {
        return Err(SetAsideReason::HashMismatch);
    }
    Ok((change, trailer))
}

/// What a practice created with a relay that did not answer says about itself.
fn kept_hint(name: &str) -> String {
    format!(
        "the practice \"{name}\" was created on this device; connect it to the relay \
         (`workspace connect`, with the same relay and signup secret) once the relay answers"
    )
}

/// What pushing the outbox learned about the relay.
#[derive(Debug, Default)]
struct Pushed {
    /// The relay's head after the last push, if anything was pushed.
    head: Option<u64>,
    /// Whether the relay's log turned out to be rolled back.
    rolled_back: bool,
    /// The relay's roster head after the last push, if anything was pushed.
    roster_head: Option<u64>,
}

/// What one sync learned about the workspace key.
#[derive(Debug, Default)]
struct KeyCheck {
    /// The sealed keys were fetched this sync.
    checked: bool,
    /// A key this device did not hold arrived.
    new_key: bool,
    /// The last pull's word on whether an owner or admin should rotate the key.
    rotation_needed: Option<bool>,
}

/// The number of the newest change of workspace `ws` held back for missing dependencies.
fn newest_held(conn: &rusqlite::Connection, ws: &Ws) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT max(rowid) FROM held_changes WHERE ws = ?1",
        [ws.id.to_hex()],
        |r| r.get(0),
    )?)
}

/// Changes of a document held back for missing dependencies.
fn held(tx: &rusqlite::Transaction, ws: &str, doc: &str) -> Result<Vec<Change>> {
    let mut st = tx.prepare("SELECT bytes FROM held_changes WHERE ws = ?1 AND doc_id = ?2")?;
    let rows = st.query_map(params![ws, doc], |r| r.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for bytes in rows {
        if let Ok(c) = Change::from_bytes(bytes?) {
            out.push(c);
        }
    }
    Ok(out)
}

/// If `seqs` are exactly `cursor + 1 ..= cursor + n` (in any order, repeats allowed), the new
/// cursor `cursor + n`.
fn own_run_after(cursor: u64, seqs: &[u64]) -> Option<u64> {
    let mut sorted: Vec<u64> = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let first = *sorted.first()?;
    let last = *sorted.last()?;
    (first == cursor + 1 && last - first + 1 == sorted.len() as u64).then_some(last)
}

async fn register(
    ws: &Ws,
    device_id: &str,
    device_key: &str,
    relay_url: &str,
    signup_secret: &str,
    token: &str,
    create: &(u64, Vec<u8>),
) -> Result<trellis_protocol::api::DeviceCredentials> {
    let device_id: Id = device_id
        .parse()
        .map_err(|_| Error::invalid("the device id in this store is damaged"))?;
    RelayClient::new(relay_url, None)?
        .create_workspace(
            signup_secret,
            &CreateWorkspaceRequest {
                workspace_id: ws.id,
                member_id: ws.member_id,
                device_id,
                device_key: device_key.to_string(),
                token: Some(token.to_string()),
                roster: wire(std::slice::from_ref(create)),
            },
        )
        .await
}

fn connected_client(ws: &Ws) -> Result<RelayClient> {
    match (&ws.relay_url, &ws.token) {
        (Some(url), Some(token)) => RelayClient::new(url, Some(token)),
        _ => Err(Error::NotConnected(ws.id.to_hex())),
    }
}

#[cfg(test)]
mod tests {
    use super::own_run_after;

    #[test]
    fn the_cursor_skips_only_a_contiguous_run_of_own_changes() {
        assert_eq!(own_run_after(4, &[5, 6, 7]), Some(7));
        assert_eq!(own_run_after(4, &[7, 5, 6, 6]), Some(7));
        assert_eq!(own_run_after(4, &[5, 7]), None, "seq 6 is someone else's");
        assert_eq!(own_run_after(4, &[6, 7]), None, "seq 5 is someone else's");
        assert_eq!(
            own_run_after(4, &[3, 5]),
            None,
            "a resent change sits earlier in the log"
        );
        assert_eq!(own_run_after(4, &[]), None);
    }
}
