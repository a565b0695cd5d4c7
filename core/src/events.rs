//! Telling a UI that data changed and how sync is going.
//!
//! Every committed change to the index, local or pulled, is noticed by SQLite's update and
//! commit hooks on the store's connection: the tables written map to the kinds of data a
//! screen shows ([`ChangeKind`]), so no write path can forget to announce itself. Events are
//! delivered on a background thread owned by the store (or, in a store without threads, by
//! [`crate::Store::run_background`]), never while the store's lock is held, so a listener may
//! call straight back into the store. A [`Subscription`] stops delivery when dropped.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, Weak};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::base::error::Result;

/// A kind of data a screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Practice name, members, goals, pitches, memberships, referral reasons.
    Workspace,
    /// Organizations.
    Organizations,
    /// Contacts and their notes.
    Contacts,
    /// Logged activities.
    Activities,
    /// Follow-ups.
    FollowUps,
    /// Referrals.
    Referrals,
    /// Leave-behind stock.
    Stock,
    /// Local changes waiting for the relay.
    Pending,
}

/// Data changed in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataChanged {
    /// The workspace, when known.
    pub workspace_id: Option<String>,
    /// What changed.
    pub kinds: Vec<ChangeKind>,
}

/// How sync is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SyncState {
    /// Up to date as of the last sync.
    Idle {
        /// Last successful sync (RFC 3339).
        last_sync_at: Option<String>,
    },
    /// A sync is running.
    Syncing,
    /// The relay cannot be reached; changes wait on this device.
    Offline {
        /// Changes waiting for the relay.
        pending: u64,
    },
    /// The last sync failed for another reason.
    Error {
        /// What went wrong, for the user.
        reason: String,
    },
}

/// Something a listener is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Data changed (numbered in commit order).
    Data(u64, DataChanged),
    /// Sync state changed.
    Sync(SyncState),
    /// The current sync state, for one listener that just subscribed.
    Current(u64, SyncState),
}

/// Receives events. Implemented by UIs (through the bindings as a foreign trait).
pub trait Listener: Send + Sync {
    /// Data changed; reload what shows it.
    fn data_changed(&self, change: &DataChanged);
    /// Sync state changed.
    fn sync_state(&self, state: &SyncState);
}

/// Listeners with their id and the last commit number before they subscribed.
type Registry = Mutex<Vec<(u64, u64, Arc<dyn Listener>)>>;

/// The store's listeners and the thread that calls them.
pub(crate) struct Events {
    listeners: Arc<Registry>,
    next_id: AtomicU64,
    /// Number of the last commit that changed data.
    commits: Arc<AtomicU64>,
    tx: Mutex<Sender<Event>>,
    /// Events waiting for [`Events::deliver_queued`] (a store without threads).
    queued: Mutex<Option<Receiver<Event>>>,
    /// The workspace the current transaction writes, set by the write paths.
    pub(crate) workspace: Arc<Mutex<Option<String>>>,
}

/// Stops delivering events to its listener when dropped.
pub struct Subscription {
    id: u64,
    registry: Weak<Registry>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(r) = self.registry.upgrade() {
            r.lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(id, _, _)| *id != self.id);
        }
    }
}

impl Events {
    /// Installs the hooks on the store's connection, and starts the delivery thread if
    /// `threaded` (otherwise [`Events::deliver_queued`] delivers).
    pub(crate) fn install(conn: &mut Connection, threaded: bool) -> Result<Events> {
        let (tx, rx) = channel::<Event>();
        let listeners: Arc<Registry> = Arc::new(Mutex::new(Vec::new()));
        // Without a thread, events wait in the channel for `deliver_queued`.
        let queued = if threaded {
            let for_thread = Arc::downgrade(&listeners);
            std::thread::Builder::new()
                .name("trellis-events".into())
                .spawn(move || {
                    // Ends when every sender is gone, i.e. when the store is dropped.
                    while let Ok(event) = rx.recv() {
                        let Some(registry) = for_thread.upgrade() else {
                            break;
                        };
                        deliver(&registry, &event);
                    }
                })
                .map_err(|e| {
                    crate::base::error::Error::invalid(format!(
                        "cannot start the event thread: {e}"
                    ))
                })?;
            None
        } else {
            Some(rx)
        };

        let pending: Arc<Mutex<BTreeSet<ChangeKind>>> = Arc::default();
        let workspace: Arc<Mutex<Option<String>>> = Arc::default();
        let p = Arc::clone(&pending);
        conn.update_hook(Some(move |_action, _db: &str, table: &str, _row: i64| {
            if let Some(kind) = kind_of_table(table) {
                p.lock().unwrap_or_else(|e| e.into_inner()).insert(kind);
            }
        }))?;
        let commits = Arc::new(AtomicU64::new(0));
        let (p, w, n, commit_tx) = (
            Arc::clone(&pending),
            Arc::clone(&workspace),
            Arc::clone(&commits),
            tx.clone(),
        );
        conn.commit_hook(Some(move || {
            let kinds: Vec<ChangeKind> =
                std::mem::take(&mut *p.lock().unwrap_or_else(|e| e.into_inner()))
                    .into_iter()
                    .collect();
            if !kinds.is_empty() {
                let workspace_id = w.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let number = n.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = commit_tx.send(Event::Data(
                    number,
                    DataChanged {
                        workspace_id,
                        kinds,
                    },
                ));
            }
            false // never turn a commit into a rollback
        }))?;
        let p = Arc::clone(&pending);
        conn.rollback_hook(Some(move || {
            p.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }))?;
        Ok(Events {
            listeners,
            next_id: AtomicU64::new(1),
            commits,
            tx: Mutex::new(tx),
            queued: Mutex::new(queued),
            workspace,
        })
    }

    /// Delivers every event queued so far, in order, on the caller's thread (a store without
    /// threads; with its delivery thread, there is never anything here). Returns how many.
    pub(crate) fn deliver_queued(&self) -> usize {
        let mut delivered = 0;
        loop {
            // Not held while a listener runs: it may call back into the store.
            let next = match &*self.queued.lock().unwrap_or_else(|p| p.into_inner()) {
                Some(rx) => rx.try_recv().ok(),
                None => None,
            };
            let Some(event) = next else {
                return delivered;
            };
            deliver(&self.listeners, &event);
            delivered += 1;
        }
    }

    /// Registers a listener until the returned subscription is dropped; it hears `current`
    /// at once.
    pub(crate) fn subscribe(
        &self,
        listener: Arc<dyn Listener>,
        current: SyncState,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let since = self.commits.load(Ordering::SeqCst);
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, since, listener));
        let _ = self
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Event::Current(id, current));
        Subscription {
            id,
            registry: Arc::downgrade(&self.listeners),
        }
    }

    /// Queues a sync state for the listeners.
    pub(crate) fn sync_state(&self, state: SyncState) {
        let _ = self
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Event::Sync(state));
    }
}

/// Calls the listeners an event is for.
fn deliver(registry: &Registry, event: &Event) {
    let current: Vec<(u64, Arc<dyn Listener>)> = registry
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(_, since, l)| (*since, Arc::clone(l)))
        .collect();
    if let Event::Current(id, state) = event {
        let target = registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(i, _, _)| i == id)
            .map(|(_, _, l)| Arc::clone(l));
        if let Some(l) = target {
            l.sync_state(state);
        }
        return;
    }
    for (since, l) in current {
        match event {
            // Not what was committed before the listener subscribed.
            Event::Data(n, d) if *n > since => l.data_changed(d),
            Event::Data(..) | Event::Current(..) => {}
            Event::Sync(s) => l.sync_state(s),
        }
    }
}

fn kind_of_table(table: &str) -> Option<ChangeKind> {
    Some(match table {
        "orgs" => ChangeKind::Organizations,
        "contacts" | "contact_notes" => ChangeKind::Contacts,
        "activities" | "activity_contacts" => ChangeKind::Activities,
        "followups" => ChangeKind::FollowUps,
        "referrals" => ChangeKind::Referrals,
        "catalog" => ChangeKind::Stock,
        // `meta` changes when the device switches workspace.
        "members" | "settings" | "pitches" | "memberships" | "reasons" | "meta" => {
            ChangeKind::Workspace
        }
        "outbox" => ChangeKind::Pending,
        _ => return None,
    })
}
