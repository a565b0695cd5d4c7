//! Keeping the signed roster (`crate::roster`) in step with the relay: fetching and verifying
//! what it added, keeping what this device appended, putting back what a relay restored from a
//! backup lost, and saying in `status` when the relay's copy fails a check.
//!
//! A device holds every roster event it verified and accepts from the relay only events that
//! extend them. A relay whose roster ends before this device's (restored from a backup) gets
//! the missing events back from this device, as it gets log entries back: they are signed by
//! the devices that made them, so any device can hand them over. A relay whose events differ
//! from those this device holds (a rewritten or forked history) is refused, and
//! [`Store::status`] says so until a sync verifies the roster again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use trellis_protocol::api::{codes, RosterEvent};
use trellis_protocol::Id;

use crate::base::error::{Error, Result};
use crate::roster::Roster;
use std::sync::Arc;

use crate::storage::workspace::{
    delete_meta, load_roster, roster_mark, save_roster_events, set_meta, WsMeta,
};
use crate::store::Store;
use crate::sync::client::RelayClient;

/// Events as the relay's API carries them.
pub(crate) fn wire(events: &[(u64, Vec<u8>)]) -> Vec<RosterEvent> {
    events
        .iter()
        .map(|(seq, bytes)| RosterEvent {
            seq: *seq,
            event: URL_SAFE_NO_PAD.encode(bytes),
        })
        .collect()
}

/// Whether the relay refused a call because another device appended to the roster first.
pub(crate) fn roster_moved(e: &Error) -> bool {
    matches!(e, Error::Relay { status: 409, code, .. } if code == codes::ROSTER_MOVED)
}

/// How many times an action is made again after the roster moved under it.
pub(crate) const ROSTER_RETRIES: usize = 3;

fn decode(events: Vec<RosterEvent>) -> Result<Vec<(u64, Vec<u8>)>> {
    events
        .into_iter()
        .map(|e| {
            URL_SAFE_NO_PAD
                .decode(&e.event)
                .map(|b| (e.seq, b))
                .map_err(|_| Error::Tampered(format!("roster event {} is not base64", e.seq)))
        })
        .collect()
}

impl Store {
    /// The roster of `ws` as this device holds it (verified), without asking the relay: the
    /// one verified last while the file holds no newer event, else verified from the file.
    pub(crate) fn held_roster(&self, ws: &Id) -> Result<Arc<Roster>> {
        let conn = self.lock();
        let newest = roster_mark(&conn, ws)?;
        if let Some(cached) = self.cached_roster(ws) {
            if cached.mark() == newest {
                return Ok(cached);
            }
        }
        let roster = Arc::new(load_roster(&conn, ws)?);
        drop(conn);
        self.cache_roster(ws, &roster);
        Ok(roster)
    }

    fn cached_roster(&self, ws: &Id) -> Option<Arc<Roster>> {
        self.rosters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ws)
            .cloned()
    }

    fn cache_roster(&self, ws: &Id, roster: &Arc<Roster>) {
        self.rosters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(*ws, Arc::clone(roster));
    }

    /// Keeps newly verified events of `roster` (those past what the file holds) and the count of
    /// refused events `status` shows, and makes it the cached roster.
    fn keep_roster(&self, ws: &Id, roster: Roster, new: &[(u64, Vec<u8>)]) -> Result<Arc<Roster>> {
        {
            let conn = self.lock();
            save_roster_events(&conn, ws, new)?;
            set_meta(
                &conn,
                &WsMeta::RosterRefused.key(&ws.to_hex()),
                &roster.refused().len().to_string(),
            )?;
        }
        let roster = Arc::new(roster);
        self.cache_roster(ws, &roster);
        Ok(roster)
    }

    /// Fetches the roster events the relay holds past this device's, verifies and keeps them,
    /// and returns the roster. A relay that lost events this device holds gets them back. A
    /// relay whose events do not extend this device's is [`Error::Tampered`], recorded for
    /// `status`.
    pub(crate) async fn refresh_roster(
        &self,
        ws: &Id,
        client: &RelayClient,
    ) -> Result<Arc<Roster>> {
        let result = self.refresh_roster_inner(ws, client).await;
        let key = WsMeta::RosterProblem.key(&ws.to_hex());
        match &result {
            Err(Error::Tampered(why)) => set_meta(&self.lock(), &key, why)?,
            Ok(_) => delete_meta(&self.lock(), &key)?,
            Err(_) => {}
        }
        result
    }

    async fn refresh_roster_inner(&self, ws: &Id, client: &RelayClient) -> Result<Arc<Roster>> {
        let mut roster = self.held_roster(ws)?;
        loop {
            let held = roster.head();
            let resp = client.roster(ws, held).await?;
            if resp.head < held {
                self.restore_roster(ws, client, &roster, resp.head).await?;
                continue;
            }
            let events = decode(resp.events)?;
            if events.is_empty() {
                if resp.head > held {
                    return Err(Error::Tampered(format!(
                        "the relay says its roster reaches event {} but serves none after {held}",
                        resp.head
                    )));
                }
                return Ok(roster);
            }
            let mut next = (*roster).clone();
            next.extend(events.iter().cloned())?;
            roster = self.keep_roster(ws, next, &events)?;
            if roster.head() >= resp.head {
                return Ok(roster);
            }
        }
    }

    /// Gives a relay whose roster ends at `relay_head`, before this device's, the events it
    /// lost, after checking that the last one it kept is this device's.
    async fn restore_roster(
        &self,
        ws: &Id,
        client: &RelayClient,
        roster: &Roster,
        relay_head: u64,
    ) -> Result<()> {
        if relay_head > 0 {
            let theirs = decode(client.roster(ws, relay_head - 1).await?.events)?;
            let same = theirs
                .first()
                .zip(roster.events().get(relay_head as usize - 1))
                .is_some_and(|((seq, bytes), mine)| *seq == relay_head && *bytes == mine.bytes);
            if !same {
                return Err(Error::Tampered(format!(
                    "the relay's roster event {relay_head} is not the one this device holds"
                )));
            }
        }
        tracing::warn!(
            relay_head,
            held = roster.head(),
            "the relay lost roster events; handing them back"
        );
        let missing: Vec<(u64, Vec<u8>)> = roster
            .events()
            .iter()
            .filter(|e| e.seq > relay_head)
            .map(|e| (e.seq, e.bytes.clone()))
            .collect();
        for chunk in missing.chunks(16) {
            match client.append_roster(ws, wire(chunk)).await {
                Ok(()) => {}
                // Another device handed them back first.
                Err(e) if roster_moved(&e) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Keeps events this device made and the relay accepted.
    /// Events a concurrent refresh fetched already are skipped.
    pub(crate) fn keep_roster_events(&self, ws: &Id, events: &[(u64, Vec<u8>)]) -> Result<()> {
        let held = self.held_roster(ws)?;
        let new: Vec<(u64, Vec<u8>)> = events
            .iter()
            .filter(|(seq, _)| *seq > held.head())
            .cloned()
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let mut roster = (*held).clone();
        roster.extend(new.iter().cloned())?;
        self.keep_roster(ws, roster, &new).map(drop)
    }
}
