//! Invites and joining: making an invite (a signed roster event and a code that carries no
//! key), listing and cancelling the open ones, joining with a code, and the hand-over of keys
//! that completes a join.
//!
//! A join takes one command on each side and works whichever device syncs first:
//!
//! 1. The inviting device makes the invite: a roster event naming the invite's public key and
//!    its id at the relay, and a code ([`InviteCode`]) with the secret half.
//! 2. The new device redeems the code at the relay, checks that the practice's roster holds the
//!    invite as the inviting device (the fingerprint the code names) signed it, and appends its
//!    own admission, signed by itself and by the invite's key. It keeps the join as pending
//!    ([`WsMeta::PendingJoin`]): it holds no key yet, and every command on the practice answers
//!    [`Error::AwaitingKeys`].
//! 3. At its next sync, a device of the practice that holds the keys (the one that made the
//!    invite, or an owner's or an admin's) finds the admitted device in the verified roster and
//!    seals every key epoch it holds to that device's X25519 key, as the roster names it
//!    ([`Store::grant_keys`]): the relay cannot slip its own key in, and a device nobody
//!    admitted gets nothing.
//! 4. At the new device's next sync, it takes each key only if the roster's key check names it
//!    ([`Store::finish_join`]), stores the practice and introduces its member in the workspace
//!    document; then the sync goes on as any other.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use trellis_protocol::api::{
    CreateInviteRequest, KeyEnvelope, KeyGrant, RedeemInviteRequest, Role,
};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::crypto::signing::{fingerprint_digest, key_check};
use crate::crypto::{seal_key_for, DeviceSigner, KeyRing};
use crate::documents::DocKind;
use crate::model::WorkspaceInfo;
use crate::read::members::MemberLookup;
use crate::roster::{admit_message, Roster, What};
use crate::storage::db::flush_to_disk;
use crate::storage::docstore::Tx;
use crate::storage::pending_join::{
    awaiting_workspaces, load_pending, save_pending, Admitted, PendingJoin,
};
use crate::storage::workspace::{
    current_ws, delete_meta, device, device_keys, device_signer, get_meta, info, insert_workspace,
    set_meta, Ws, WsMeta,
};
use crate::store::{add_member, change_doc, Store};
use crate::sync::client::{normalize_url, RelayClient};
use crate::sync::invite::InviteCode;
use crate::sync::members::device_id;
use crate::sync::roster::{roster_moved, wire, ROSTER_RETRIES};

/// How long an unused invite admits a device: 72 hours.
pub const INVITE_TTL_SECONDS: u64 = 72 * 3600;

/// An invite that has admitted nobody yet and is neither cancelled nor expired, as the
/// practice's signed roster holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    /// Its id (cancel it with a prefix of it).
    pub invite_id: String,
    /// The role it gives (for a device invite: the inviting member's).
    pub role: Role,
    /// Whether it adds a device of the inviting member rather than a new member.
    pub device: bool,
    /// The inviting member's name.
    pub invited_by: String,
    /// Whether this device made it.
    pub made_here: bool,
    /// When it stops admitting anyone (RFC 3339).
    pub expires_at: String,
}

impl Store {
    /// Asks the relay for a single-use invite to the current workspace and returns the code to
    /// hand over. `device: true` invites another device of this member; otherwise a new member
    /// with `role` (owners and admins only). The invite is a signed roster event; it admits one
    /// device, within 72 hours, and can be cancelled until then ([`Store::cancel_invite`]).
    /// The code carries no key: this device (or an owner's or admin's) hands the keys to the
    /// device it admitted at its next sync.
    pub async fn create_invite(&self, role: Role, device: bool) -> Result<String> {
        let ws = current_ws(&self.lock(), self.scope)?;
        let client = connected(&ws)?;
        let admit = DeviceSigner::generate();
        let invite_id = Id::random();
        let (me, signer, box_public) = {
            let conn = self.lock();
            (
                device_id(&conn)?,
                device_signer(&conn)?,
                device_keys(&conn)?.public_bytes(),
            )
        };
        for _ in 0..ROSTER_RETRIES {
            let roster = self.refresh_roster(&ws.id, &client).await?;
            let event = roster.make(
                &me,
                &signer,
                What::Invite {
                    admit: hex::encode(admit.public()),
                    id: invite_id,
                    role,
                    device,
                    expires_ms: time::now_ms() + INVITE_TTL_SECONDS as i64 * 1000,
                },
            );
            let resp = client
                .create_invite(
                    &ws.id,
                    &CreateInviteRequest {
                        role,
                        device,
                        ttl_seconds: Some(INVITE_TTL_SECONDS),
                        invite_id: Some(invite_id),
                        roster: wire(std::slice::from_ref(&event)),
                    },
                )
                .await;
            match resp {
                Err(e) if roster_moved(&e) => continue,
                other => {
                    let resp = self.guard(&ws, other).await?;
                    self.keep_roster_events(&ws.id, std::slice::from_ref(&event))?;
                    return Ok(InviteCode {
                        relay_url: ws.relay_url.clone().unwrap_or_default(),
                        workspace_id: ws.id,
                        secret: resp.invite_secret,
                        admit: admit.secret_bytes(),
                        inviter: me,
                        inviter_fingerprint: fingerprint_digest(&signer.public(), &box_public),
                    }
                    .encode());
                }
            }
        }
        Err(Error::Conflict(
            "other devices kept changing the practice's roster; invite again".into(),
        ))
    }

    /// The current workspace's open invites (not used, cancelled or expired), newest first, as
    /// the practice's signed roster holds them after fetching what the relay added.
    pub async fn invites(&self) -> Result<Vec<InviteView>> {
        let ws = current_ws(&self.lock(), self.scope)?;
        let client = connected(&ws)?;
        let roster = self.refresh_roster(&ws.id, &client).await?;
        self.open_invites(&ws, &roster)
    }

    fn open_invites(&self, ws: &Ws, roster: &Roster) -> Result<Vec<InviteView>> {
        let conn = self.lock();
        let me = device_id(&conn)?;
        let names = MemberLookup::load(&conn, ws)?;
        let now = time::now_ms();
        let mut open: Vec<InviteView> = roster
            .invites
            .values()
            .filter(|i| i.used_by.is_none() && !i.cancelled && i.expires_ms > now)
            .map(|i| InviteView {
                invite_id: i.id.to_hex(),
                role: i.role,
                device: i.device,
                invited_by: names
                    .name_of(&i.member.to_hex())
                    .unwrap_or_else(|| "a member not synced yet".into()),
                made_here: i.by == me,
                expires_at: time::format_ms(i.expires_ms),
            })
            .collect();
        open.sort_by(|a, b| b.expires_at.cmp(&a.expires_at));
        Ok(open)
    }

    /// Cancels the open invite whose id starts with `query` (owners and admins any, a member
    /// her own): a signed roster event, sent with the relay's cancellation (both or neither).
    /// Its code then admits nobody. Returns the invite as it was.
    pub async fn cancel_invite(&self, query: &str) -> Result<InviteView> {
        let ws = current_ws(&self.lock(), self.scope)?;
        let client = connected(&ws)?;
        let (me, signer) = {
            let conn = self.lock();
            (device_id(&conn)?, device_signer(&conn)?)
        };
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Err(Error::invalid(
                "name the invite by its id or a prefix of it (`trellis workspace invite list`)",
            ));
        }
        for _ in 0..ROSTER_RETRIES {
            let roster = self.refresh_roster(&ws.id, &client).await?;
            let open = self.open_invites(&ws, &roster)?;
            let hits: Vec<&InviteView> = open
                .iter()
                .filter(|i| i.invite_id.starts_with(&q))
                .collect();
            let view = match hits.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Error::NotFound {
                        what: "open invite",
                        query: query.into(),
                        candidates: open.iter().map(|i| i.invite_id[..8].to_string()).collect(),
                    })
                }
                many => {
                    return Err(Error::Ambiguous {
                        what: "invite",
                        query: query.into(),
                        candidates: many.iter().map(|i| i.invite_id.clone()).collect(),
                    })
                }
            };
            let Some((admit, state)) = roster
                .invites
                .iter()
                .find(|(_, i)| i.id.to_hex() == view.invite_id)
            else {
                continue;
            };
            let event = roster.make(
                &me,
                &signer,
                What::Cancel {
                    admit: hex::encode(admit),
                },
            );
            match client
                .cancel_invite(&ws.id, &state.id, wire(std::slice::from_ref(&event)))
                .await
            {
                Ok(()) => {
                    self.keep_roster_events(&ws.id, std::slice::from_ref(&event))?;
                    return Ok(view);
                }
                Err(e) if roster_moved(&e) => continue,
                Err(e) => return self.guard(&ws, Err(e)).await,
            }
        }
        Err(Error::Conflict(
            "other devices kept changing the practice's roster; cancel again".into(),
        ))
    }

    /// Joins the workspace an invite code names: redeems it at the relay, checks the roster
    /// against the code and appends this device's admission, then makes the practice current.
    /// The practice's keys come from one of its devices when that device next syncs: until
    /// then the answer has `awaiting_keys` set, and [`Store::sync`] answers
    /// [`Error::AwaitingKeys`]. Repeated (after a lost answer, or with the same code later),
    /// it goes on where it stopped.
    pub async fn join(&self, code: &str, relay_override: Option<&str>) -> Result<WorkspaceInfo> {
        let invite = InviteCode::decode(code)?;
        let relay_url = match relay_override {
            Some(u) => normalize_url(u)?,
            None => normalize_url(&invite.relay_url)?,
        };
        let ws_id = invite.workspace_id;
        let (me, box_hex, mut pending) = {
            let conn = self.lock();
            let me = device_id(&conn)?;
            let box_hex = device_keys(&conn)?.public_hex();
            let exists: i64 = conn.query_row(
                "SELECT count(*) FROM workspaces WHERE id = ?1",
                [ws_id.to_hex()],
                |r| r.get(0),
            )?;
            if exists > 0 {
                return Err(Error::Conflict(format!(
                    "this device is already in workspace {ws_id}"
                )));
            }
            let pending = match load_pending(&conn, &ws_id)? {
                Some(p) => p,
                None => {
                    let made = PendingJoin {
                        token: trellis_protocol::random_secret(),
                        member: Id::random(),
                        relay_url: relay_url.clone(),
                        admitted: None,
                        kind: self.scope.kind().to_string(),
                    };
                    save_pending(&conn, &ws_id, &made)?;
                    flush_to_disk(&conn)?;
                    made
                }
            };
            (me, box_hex, pending)
        };
        if pending.admitted.is_none() {
            let creds = RelayClient::new(&pending.relay_url, None)?
                .redeem(&RedeemInviteRequest {
                    workspace_id: ws_id,
                    invite_secret: invite.secret.clone(),
                    device_id: me,
                    member_id: pending.member,
                    device_key: box_hex.clone(),
                    token: Some(pending.token.clone()),
                    roster: Vec::new(),
                })
                .await?;
            let client = RelayClient::new(&pending.relay_url, Some(&pending.token))?;
            let role = self
                .admit_self(&ws_id, &client, &invite, creds.member_id, me, &box_hex)
                .await?;
            pending.admitted = Some(Admitted {
                member_id: creds.member_id,
                role,
            });
            let conn = self.lock();
            save_pending(&conn, &ws_id, &pending)?;
            set_meta(&conn, self.scope.current_key(), &ws_id.to_hex())?;
            flush_to_disk(&conn)?;
        }
        match self.finish_join(&ws_id).await {
            Err(Error::AwaitingKeys) => {
                let conn = self.lock();
                let current = get_meta(&conn, self.scope.current_key())?;
                awaiting_workspaces(&conn, self.scope, current.as_deref())?
                    .into_iter()
                    .find(|w| w.id == ws_id.to_hex())
                    .ok_or(Error::AwaitingKeys)
            }
            other => other,
        }
    }

    /// After redeeming an invite: verifies the practice's roster against the code (the
    /// inviting device made this invite), then appends this device's admission, signed by this
    /// device and by the invite's key. Returns this device's role. Repeated after a lost
    /// answer, it finds the admission there.
    async fn admit_self(
        &self,
        ws: &Id,
        client: &RelayClient,
        invite: &InviteCode,
        member: Id,
        me: Id,
        box_hex: &str,
    ) -> Result<Role> {
        let signer = device_signer(&self.lock())?;
        let admit = invite.admit_key();
        let admit_public = admit.public();
        for _ in 0..ROSTER_RETRIES {
            let roster = self.refresh_roster(ws, client).await?;
            let made_by_inviter = roster.invites.get(&admit_public).is_some_and(|i| {
                i.by == invite.inviter
                    && roster.devices.get(&i.by).is_some_and(|d| {
                        fingerprint_digest(&d.sign, &d.box_key) == invite.inviter_fingerprint
                    })
            });
            if !made_by_inviter {
                return Err(Error::Tampered(
                    "the practice's roster does not hold this invite as the device that made it \
                     signed it"
                        .into(),
                ));
            }
            let role_of = |r: &Roster| {
                r.role_of(&me).ok_or_else(|| {
                    Error::Conflict("this device's admission to the practice was refused".into())
                })
            };
            if roster.devices.contains_key(&me) {
                return role_of(&roster);
            }
            let mut box_key = [0u8; 32];
            hex::decode_to_slice(box_hex, &mut box_key)
                .map_err(|_| Error::invalid("the device key in this store is damaged"))?;
            let admit_sig = admit.sign(&admit_message(
                ws,
                &admit_public,
                &member,
                &me,
                &signer.public(),
                &box_key,
            ));
            let event = roster.make(
                &me,
                &signer,
                What::Admit {
                    admit: hex::encode(admit_public),
                    member,
                    sign: hex::encode(signer.public()),
                    box_key: box_hex.to_string(),
                    admit_sig: hex::encode(admit_sig),
                },
            );
            match client
                .append_roster(ws, wire(std::slice::from_ref(&event)))
                .await
            {
                Ok(()) => {
                    self.keep_roster_events(ws, std::slice::from_ref(&event))?;
                    return role_of(&*self.held_roster(ws)?);
                }
                Err(e) if roster_moved(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict(
            "other devices kept changing the practice's roster; join again".into(),
        ))
    }

    /// Finishes a join waiting for keys when they have arrived: fetches the keys sealed to
    /// this device, takes each one the verified roster's key check names (epoch 0 at least),
    /// stores the practice and introduces a new member in the workspace document, in one
    /// transaction. [`Error::AwaitingKeys`] while no device has handed them over.
    pub(crate) async fn finish_join(&self, ws_id: &Id) -> Result<WorkspaceInfo> {
        let (pending, me, this_device) = {
            let conn = self.lock();
            let pending = load_pending(&conn, ws_id)?;
            (pending, device_id(&conn)?, device(&conn)?)
        };
        let Some((pending, admitted)) = pending.and_then(|p| p.admitted.clone().map(|a| (p, a)))
        else {
            return Err(Error::NoWorkspace);
        };
        let client = RelayClient::new(&pending.relay_url, Some(&pending.token))?;
        let roster = self.refresh_roster(ws_id, &client).await?;
        if roster.devices.get(&me).is_some_and(|d| d.revoked.is_some()) {
            self.forget_join(ws_id)?;
            return Err(Error::Removed {
                workspace: "the practice this device was joining".into(),
                kept: None,
            });
        }
        let sealed = client.all_keys(ws_id).await?;
        let secret = device_keys(&self.lock())?;
        let mut keys = Vec::new();
        for env in &sealed.keys {
            let Ok(key) = secret.unseal_key(&env.sealed, ws_id, env.epoch) else {
                continue;
            };
            if roster.key_checks.get(&env.epoch) == Some(&key_check(ws_id, env.epoch, &key)) {
                keys.push((env.epoch, key));
            } else {
                tracing::warn!(epoch = env.epoch, "refused a key the roster does not name");
            }
        }
        let Ok(keys) = KeyRing::from_keys(keys) else {
            return Err(Error::AwaitingKeys);
        };
        let ws = Ws {
            id: *ws_id,
            name: String::new(),
            keys,
            member_id: admitted.member_id,
            role: roster.role_of(&me).unwrap_or(admitted.role),
            relay_url: Some(pending.relay_url.clone()),
            token: Some(pending.token.clone()),
            cursor: 0,
        };
        // The devices admitted before this one are the business of the devices that admitted
        // them: this one hands keys only to those admitted from now on.
        let known: Vec<String> = roster.devices.keys().map(Id::to_hex).collect();
        let mut conn = self.lock();
        let tx = Tx::new(conn.transaction()?, &self.docs);
        insert_workspace(&tx, &ws, self.scope)?;
        if admitted.member_id == pending.member {
            // A new member introduces herself to the practice in the workspace document.
            change_doc(&tx, &ws, &this_device, &ws.id, DocKind::Workspace, |t| {
                add_member(t, &ws.member_id, &this_device.name, ws.role)
            })?;
        }
        set_meta(
            &tx,
            &WsMeta::KeysGranted.key(&ws.id.to_hex()),
            &known.join(" "),
        )?;
        delete_meta(&tx, &WsMeta::PendingJoin.key(&ws.id.to_hex()))?;
        let current = get_meta(&tx, self.scope.current_key())?.as_deref() == Some(&ws.id.to_hex());
        tx.commit()?;
        flush_to_disk(&conn)?;
        Ok(info(&ws, current))
    }

    /// Deletes what this device kept of a join it will never finish (its roster events and
    /// the pending record).
    fn forget_join(&self, ws: &Id) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM roster WHERE ws = ?1", [ws.to_hex()])?;
        delete_meta(&tx, &WsMeta::PendingJoin.key(&ws.to_hex()))?;
        if get_meta(&tx, self.scope.current_key())?.as_deref() == Some(&ws.to_hex()) {
            delete_meta(&tx, self.scope.current_key())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Hands every key epoch this device holds to the devices the verified roster admitted
    /// that it has not handed them to yet, each sealed to the device's X25519 key as the
    /// roster names it. Only the device that made a device's invite, and owners' and admins'
    /// devices, do it (several may: the relay keeps the first copy of each epoch, and a device
    /// never replaces an epoch it holds). Returns how many devices got keys.
    pub(crate) async fn grant_keys(&self, ws: &Ws, client: &RelayClient) -> Result<u64> {
        let roster = self.held_roster(&ws.id)?;
        let (me, done) = {
            let conn = self.lock();
            let done: BTreeSet<String> =
                get_meta(&conn, &WsMeta::KeysGranted.key(&ws.id.to_hex()))?
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
            (device_id(&conn)?, done)
        };
        let Some(my_role) = roster.role_of(&me) else {
            return Ok(0);
        };
        let first = roster.events().first().map(|e| e.seq);
        let due: Vec<(Id, [u8; 32])> = roster
            .active_devices()
            .filter(|(id, d)| {
                **id != me && Some(d.admitted) != first && !done.contains(&id.to_hex())
            })
            .filter(|(id, _)| {
                my_role.can_invite_members()
                    || roster
                        .invites
                        .values()
                        .any(|i| i.by == me && i.used_by.as_ref() == Some(*id))
            })
            .map(|(id, d)| (*id, d.box_key))
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        // A device that missed a rotation fetches the newest key first: a device let in with
        // fewer keys than the practice has could not push.
        let mut ws = ws.clone();
        if roster.newest_epoch().is_some_and(|e| !ws.keys.holds(e)) {
            self.refresh_keys(&ws, client).await?;
            ws = crate::storage::workspace::load_ws(&self.lock(), &ws.id.to_hex())?;
        }
        let mut granted = 0;
        for (device, box_key) in due {
            let keys = ws
                .keys
                .iter()
                .map(|(epoch, key)| {
                    Ok(KeyEnvelope {
                        epoch,
                        sealed: seal_key_for(&hex::encode(box_key), &ws.id, epoch, key)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            match client
                .grant_keys(
                    &ws.id,
                    &KeyGrant {
                        device_id: device,
                        keys,
                    },
                )
                .await
            {
                Ok(()) => granted += 1,
                // Revoked meanwhile, or a device the relay does not know: nothing to hand over.
                Err(Error::Relay {
                    status: 404 | 409, ..
                }) => {}
                Err(e) => return self.guard(&ws, Err(e)).await,
            }
            let conn = self.lock();
            let key = WsMeta::KeysGranted.key(&ws.id.to_hex());
            let mut list = get_meta(&conn, &key)?.unwrap_or_default();
            if !list.is_empty() {
                list.push(' ');
            }
            list.push_str(&device.to_hex());
            set_meta(&conn, &key, &list)?;
        }
        if granted > 0 {
            tracing::info!(
                granted,
                "handed the practice's keys to newly admitted devices"
            );
        }
        Ok(granted)
    }
}

fn connected(ws: &Ws) -> Result<RelayClient> {
    match (&ws.relay_url, &ws.token) {
        (Some(url), Some(token)) => RelayClient::new(url, Some(token)),
        _ => Err(Error::NotConnected(ws.id.to_hex())),
    }
}
