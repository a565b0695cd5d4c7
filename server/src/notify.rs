//! In-process fan-out of "the log of workspace W now ends at seq N" to live WebSockets.
//!
//! One `tokio::sync::watch` channel per workspace that has listeners: a watch keeps only the
//! newest value, which is all a client needs (it pulls everything after its cursor), so a slow
//! socket can never make the relay buffer. Heads only move forward: [`Notifier::advance`]
//! ignores an older value, so racing pushes and the initial read of the head cannot move a
//! listener backwards. Channels are dropped once their last listener is gone.
//!
//! It also tells live sockets that their device was revoked ([`Notifier::revoke_devices`]), so
//! each closes at once instead of waiting for its next request to fail: one `watch` channel per
//! connected device, which flips to `true` once.
//!
//! With several relay processes on one PostgreSQL database, a push or a revocation served by
//! another process reaches this one's sockets through the database: each process follows
//! LISTEN/NOTIFY (`storage/postgres/listen.rs`) and calls [`Notifier::advance`] and
//! [`Notifier::revoke_devices`] here, the same calls the routes make for their own writes.
//! After (re)connecting, the listener catches up from [`Notifier::workspaces`] and
//! [`Notifier::watched_devices`]. The sockets do not know where a wakeup came from.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;
use trellis_protocol::Id;

/// Per-workspace head channels and per-device revocation channels. Share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct Notifier {
    channels: Mutex<HashMap<Id, watch::Sender<u64>>>,
    devices: Mutex<HashMap<(Id, Id), watch::Sender<bool>>>,
}

impl Notifier {
    /// An empty notifier.
    pub fn new() -> Notifier {
        Notifier::default()
    }

    /// Starts listening to a workspace's head. The receiver's current value is the newest head
    /// this notifier has seen (0 if none): call [`Notifier::advance`] with the stored head after
    /// subscribing, so that no push between the read and the subscription is missed.
    pub fn subscribe(&self, workspace: Id) -> watch::Receiver<u64> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .entry(workspace)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Announces that a workspace's log now ends at `head`; listeners wake only if it moved
    /// forward.
    pub fn advance(&self, workspace: Id, head: u64) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(sender) = channels.get(&workspace) else {
            return;
        };
        if sender.receiver_count() == 0 {
            channels.remove(&workspace);
            return;
        }
        sender.send_if_modified(|current| {
            let moved = head > *current;
            if moved {
                *current = head;
            }
            moved
        });
    }

    /// Drops the channel of a workspace whose listeners are all gone.
    pub fn release(&self, workspace: Id) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if channels
            .get(&workspace)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            channels.remove(&workspace);
        }
    }

    /// Starts watching for a device's revocation: the receiver's value becomes `true` when
    /// [`Notifier::revoke_devices`] names the device. Check the device in storage after
    /// subscribing, so that a revocation between the two is not missed.
    pub fn watch_device(&self, workspace: Id, device: Id) -> watch::Receiver<bool> {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        devices
            .entry((workspace, device))
            .or_insert_with(|| watch::channel(false).0)
            .subscribe()
    }

    /// How many live sockets of this device are open in this process.
    pub fn device_sockets(&self, workspace: Id, device: Id) -> usize {
        let devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        devices
            .get(&(workspace, device))
            .map_or(0, watch::Sender::receiver_count)
    }

    /// Tells the live sockets of these devices that they were revoked.
    pub fn revoke_devices(&self, workspace: Id, revoked: &[Id]) {
        let devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        for device in revoked {
            if let Some(sender) = devices.get(&(workspace, *device)) {
                sender.send_replace(true);
            }
        }
    }

    /// Drops the revocation channel of a device whose sockets are all gone.
    pub fn release_device(&self, workspace: Id, device: Id) {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        if devices
            .get(&(workspace, device))
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            devices.remove(&(workspace, device));
        }
    }

    /// Drops every channel, which ends every live socket (the relay is shutting down).
    pub fn close_all(&self) {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The workspaces that currently have a channel (live sockets may be listening).
    pub fn workspaces(&self) -> Vec<Id> {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .copied()
            .collect()
    }

    /// The `(workspace, device)` pairs whose revocation is being watched.
    pub fn watched_devices(&self) -> Vec<(Id, Id)> {
        self.devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .copied()
            .collect()
    }

    /// How many workspaces currently have a channel.
    pub fn channel_count(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_only_move_forward_and_idle_channels_are_dropped() {
        let n = Notifier::new();
        let ws = Id([1; 16]);
        n.advance(ws, 5); // nobody listens: nothing is kept
        assert_eq!(n.channel_count(), 0);

        let mut rx = n.subscribe(ws);
        assert_eq!(*rx.borrow_and_update(), 0);
        n.advance(ws, 3);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 3);
        n.advance(ws, 2);
        assert!(
            !rx.has_changed().unwrap(),
            "an older head must not wake listeners"
        );
        assert_eq!(*rx.borrow(), 3);

        n.advance(Id([2; 16]), 9);
        assert_eq!(*rx.borrow(), 3, "other workspaces do not leak in");

        drop(rx);
        n.release(ws);
        assert_eq!(n.channel_count(), 0);
    }

    #[test]
    fn a_revocation_reaches_only_the_named_devices() {
        let n = Notifier::new();
        let (ws, phone, laptop) = (Id([1; 16]), Id([2; 16]), Id([3; 16]));
        let mut phone_rx = n.watch_device(ws, phone);
        let mut laptop_rx = n.watch_device(ws, laptop);
        let mut other_ws_rx = n.watch_device(Id([9; 16]), phone);
        assert!(!*phone_rx.borrow_and_update());
        n.revoke_devices(ws, &[phone, Id([4; 16])]);
        assert!(phone_rx.has_changed().unwrap());
        assert!(*phone_rx.borrow_and_update());
        assert!(!laptop_rx.has_changed().unwrap());
        assert!(!other_ws_rx.has_changed().unwrap());
        assert!(!*other_ws_rx.borrow_and_update());
        assert!(!*laptop_rx.borrow_and_update());

        // A socket that subscribes late still sees the revocation while the channel lives.
        assert!(*n.watch_device(ws, phone).borrow());
        drop(phone_rx);
        n.release_device(ws, phone);
        assert!(
            !*n.watch_device(ws, phone).borrow(),
            "released once unwatched"
        );
    }

    #[test]
    fn closing_all_channels_ends_every_listener() {
        let n = Notifier::new();
        let rx = n.subscribe(Id([1; 16]));
        let device_rx = n.watch_device(Id([1; 16]), Id([2; 16]));
        n.close_all();
        assert!(rx.has_changed().is_err());
        assert!(device_rx.has_changed().is_err());
        assert_eq!(n.channel_count(), 0);
    }
}
