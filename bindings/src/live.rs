//! Live updates for a UI: a listener told when data changed and how sync is going, and the
//! background sync that keeps the current workspace up to date while the app is open.
//!
//! Both return a handle with one owner: the subscription or the background sync
//! lasts until the handle is closed or freed. In Kotlin the generated `close()` (the object is
//! `AutoCloseable`) frees it at once; Swift frees it when the last reference goes; Python when
//! the object is collected, or at once with `close()`.
//!
//! Listeners are called on a background thread owned by the store, never while the store is
//! locked, so a listener may call straight back into the store (to reload a list). A UI hops
//! to its main thread itself (`withContext(Dispatchers.Main)`, `MainActor`).

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::TrellisError;
use crate::runtime::runtime;
use crate::store::TrellisStore;
use crate::types::{DataChanged, SyncState};

/// Told when data changed and how sync is going. Implement it in Kotlin, Swift or Python and
/// pass it to `TrellisStore.subscribe`.
#[uniffi::export(with_foreign)]
pub trait TrellisListener: Send + Sync {
    /// Data changed in a workspace (a local write, or changes pulled by a sync): reload the
    /// screens that show these kinds.
    fn data_changed(&self, change: DataChanged);
    /// Sync moved to a new state: show it in the status line.
    fn sync_state(&self, state: SyncState);
}

/// Hands the core's events to a foreign listener.
struct Forward(Arc<dyn TrellisListener>);

impl trellis_core::events::Listener for Forward {
    fn data_changed(&self, change: &trellis_core::events::DataChanged) {
        self.0.data_changed(change.clone().into());
    }

    fn sync_state(&self, state: &trellis_core::events::SyncState) {
        self.0.sync_state(state.clone().into());
    }
}

/// A listener's registration: events stop when it is closed or freed.
#[derive(uniffi::Object)]
pub struct SubscriptionHandle {
    inner: Mutex<Option<trellis_core::events::Subscription>>,
}

#[uniffi::export]
impl SubscriptionHandle {
    /// Stops events to the listener. An event already being delivered may still arrive;
    /// none after that. Closing twice is harmless.
    pub fn close(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// The background sync of the current workspace: it stops when closed or freed. A sync
/// already under way finishes first.
#[derive(uniffi::Object)]
pub struct LiveSyncHandle {
    inner: Mutex<Option<trellis_core::live::LiveSync>>,
}

#[uniffi::export]
impl LiveSyncHandle {
    /// Stops the background sync. Closing twice is harmless.
    pub fn close(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Whether the background sync is running (false once closed).
    pub fn is_running(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|l| l.is_running())
    }
}

#[uniffi::export]
impl TrellisStore {
    /// Registers `listener` for data changes and sync states until the returned handle is
    /// closed or freed. Keep the handle as long as the screen that listens.
    pub fn subscribe(
        &self,
        listener: Arc<dyn TrellisListener>,
    ) -> Result<Arc<SubscriptionHandle>, TrellisError> {
        let subscription = self.store()?.subscribe(Arc::new(Forward(listener)));
        Ok(Arc::new(SubscriptionHandle {
            inner: Mutex::new(Some(subscription)),
        }))
    }

    /// Starts syncing the current workspace in the background while the app is open: the
    /// relay's live socket announces new changes, local writes are pushed about a second after
    /// they are made, and an unreachable relay is retried with backoff. Listeners hear the
    /// sync states (`Syncing`, `Idle`, `Offline` with the changes waiting, `Failed`). Keep the
    /// handle while the app is in the foreground; close it when it goes to the background.
    pub fn start_live_sync(&self) -> Result<Arc<LiveSyncHandle>, TrellisError> {
        let store = self.store()?;
        let _entered = runtime()?.enter();
        let live = store.start_live_sync()?;
        Ok(Arc::new(LiveSyncHandle {
            inner: Mutex::new(Some(live)),
        }))
    }
}
