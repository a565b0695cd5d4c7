//! Background sync while an app is open: the relay's live socket says when there is something
//! to pull, the store's own change events say when there is something to push.
//!
//! [`Store::start_live_sync`] spawns one task on the current tokio runtime and returns a
//! [`LiveSync`] handle; dropping the handle (or [`LiveSync::close`]) stops the task. The task
//! works on the store's *current* workspace and does, in a loop:
//!
//! 1. **Connect** to `GET /v1/workspaces/{ws}/live` (WebSocket; `wss` for an `https` relay, with
//!    the device token as bearer). The relay sends the log's head at once and after every push.
//! 2. **Sync once** on connecting, so whatever happened while disconnected arrives.
//! 3. **Pull when told**: a head beyond the local cursor starts a sync.
//! 4. **Push after local writes**: a [`ChangeKind::Pending`] event (the outbox was written)
//!    wakes the task; it waits [`DEBOUNCE`] for more writes to gather (a drop-by with a note
//!    and a follow-up is several commits), then syncs if anything is still pending. A sync's own
//!    outbox deletions also raise `Pending`; the pending count keeps them from looping.
//! 5. **Reconnect with backoff** when the relay cannot be reached, or the socket ends (relay
//!    restarting): [`BACKOFF_START`] doubling up to [`BACKOFF_MAX`], reset after a good
//!    connection. While offline the listeners hear [`SyncState::Offline`] with the number of
//!    changes waiting; local writes go on as always.
//! 6. **Follow the workspace**: switching workspaces (`use_workspace`) is noticed within
//!    [`RECHECK`] and the socket moves to the new one. A workspace that is local only, or no
//!    workspace, is re-checked at the same pace.
//!
//! Sync states reach listeners through the store's events: [`Store::sync`] emits `Syncing` then
//! `Idle`/`Offline`/`Error`; this module adds `Offline` when the socket cannot connect. A device
//! that was revoked gets close code 4001 (or a 401 on connecting): the task runs one sync, which
//! learns the removal, deletes the workspace's data and reports [`crate::Error::Removed`] as an
//! `Error` state, and then waits for another workspace to become current.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use trellis_protocol::api::LiveMessage;

use crate::base::error::{Error, Result};
use crate::events::{ChangeKind, DataChanged, Listener, Subscription, SyncState};
use crate::storage::workspace::current_ws;
use crate::store::Store;
use crate::sync::live_endpoint::live_url;

/// How long local writes are gathered before they are pushed.
pub const DEBOUNCE: Duration = Duration::from_secs(1);
/// First wait before reconnecting to an unreachable relay.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How often the current workspace is re-read (a switch, or a workspace becoming connected).
pub const RECHECK: Duration = Duration::from_secs(5);
/// Close code the relay uses for a live socket whose device was revoked.
const REVOKED_CLOSE_CODE: u16 = 4001;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A running background sync. Stops when dropped or closed; a sync already under way finishes
/// first (it holds its own reference to the store).
pub struct LiveSync {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    _local_writes: Subscription,
}

impl LiveSync {
    /// Stops the background sync. Closing twice is harmless.
    pub fn close(&self) {
        let _ = self.stop.send(true);
    }

    /// Whether the background task is still running (false after `close` once it has ended).
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops the background sync and waits until its task has ended.
    pub async fn stop(mut self) {
        self.close();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LiveSync {
    fn drop(&mut self) {
        self.close();
    }
}

impl Store {
    /// Starts syncing the current workspace in the background on the current tokio runtime
    /// (see the [module docs](self)). Fails with `InvalidInput` outside a tokio runtime.
    pub fn start_live_sync(self: Arc<Self>) -> Result<LiveSync> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::invalid("live sync needs a running tokio runtime"))?;
        let wake = Arc::new(Wake::default());
        let subscription = self.subscribe(Arc::clone(&wake) as Arc<dyn Listener>);
        let (stop, stopped) = watch::channel(false);
        let task = runtime.spawn(run(self, wake, stopped));
        Ok(LiveSync {
            stop,
            task: Some(task),
            _local_writes: subscription,
        })
    }
}

/// Wakes the task when the outbox was written. `Notify` keeps one permit, so a write made
/// while a sync runs still wakes the task afterwards.
#[derive(Default)]
struct Wake {
    notify: Notify,
}

impl Listener for Wake {
    fn data_changed(&self, change: &DataChanged) {
        if change.kinds.contains(&ChangeKind::Pending) {
            self.notify.notify_one();
        }
    }

    fn sync_state(&self, _state: &SyncState) {}
}

/// The workspace the socket is for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    ws: String,
    url: String,
    token: String,
}

/// How one connection ended.
enum Ended {
    Stopped,
    /// Reconnect now (workspace switched, socket closed normally).
    Reconnect,
    /// Reconnect after the backoff (network trouble).
    Backoff,
}

async fn run(store: Arc<Store>, wake: Arc<Wake>, mut stopped: watch::Receiver<bool>) {
    let mut backoff = BACKOFF_START;
    // The pending count last reported as offline: a change made while offline is reported at
    // the next attempt, so the screen's "waiting to sync" count stays true.
    let mut offline_reported: Option<u64> = None;
    loop {
        if *stopped.borrow() {
            return;
        }
        let Some(target) = target(&store) else {
            // No workspace, or a local-only one: look again later.
            if sleep_or_stop(&mut stopped, RECHECK).await {
                return;
            }
            continue;
        };
        let ended = match connect(&target).await {
            Ok(socket) => {
                backoff = BACKOFF_START;
                offline_reported = None;
                connected(&store, &wake, &target, socket, &mut stopped).await
            }
            Err(Refused::Revoked) => {
                // The sync learns the removal, purges the workspace and reports it.
                let _ = store.sync().await;
                Ended::Backoff
            }
            Err(Refused::Other(reason)) => {
                tracing::debug!(%reason, "live socket refused");
                Ended::Backoff
            }
            Err(Refused::Unreachable) => {
                let pending = store.status().map(|s| s.pending_changes).unwrap_or(0);
                if offline_reported != Some(pending) {
                    store.events.sync_state(SyncState::Offline { pending });
                    offline_reported = Some(pending);
                }
                Ended::Backoff
            }
        };
        match ended {
            Ended::Stopped => return,
            Ended::Reconnect => {}
            Ended::Backoff => {
                if sleep_or_stop(&mut stopped, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// The current workspace, if it is connected to a relay.
fn target(store: &Store) -> Option<Target> {
    let ws = current_ws(&store.lock(), store.scope).ok()?;
    Some(Target {
        ws: ws.id.to_hex(),
        url: ws.relay_url?,
        token: ws.token?,
    })
}

/// Syncs, and tells the caller whether the relay could not be reached.
async fn sync(store: &Store) -> bool {
    matches!(store.sync().await, Err(Error::Network(_)))
}

/// Serves one open socket until it ends, the workspace changes or the task is stopped.
async fn connected(
    store: &Store,
    wake: &Wake,
    target: &Target,
    mut socket: Socket,
    stopped: &mut watch::Receiver<bool>,
) -> Ended {
    if sync(store).await {
        return Ended::Backoff;
    }
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            _ = stopped.changed() => {
                let _ = socket.close(None).await;
                return Ended::Stopped;
            }
            _ = wake.notify.notified() => {
                if sleep_or_stop(stopped, DEBOUNCE).await {
                    let _ = socket.close(None).await;
                    return Ended::Stopped;
                }
                if target_changed(store, target) {
                    return Ended::Reconnect;
                }
                let pending = store.status().map(|s| s.pending_changes).unwrap_or(0);
                if pending > 0 && sync(store).await {
                    return Ended::Backoff;
                }
            }
            _ = recheck.tick() => {
                if target_changed(store, target) {
                    let _ = socket.close(None).await;
                    return Ended::Reconnect;
                }
            }
            msg = socket.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let Ok(live) = serde_json::from_str::<LiveMessage>(&text) else {
                        tracing::warn!("unreadable live message ignored");
                        continue;
                    };
                    let cursor = current_ws(&store.lock(), store.scope).map(|w| w.cursor).unwrap_or(0);
                    if live.head > cursor && sync(store).await {
                        return Ended::Backoff;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    if frame.is_some_and(|f| f.code == CloseCode::from(REVOKED_CLOSE_CODE)) {
                        let _ = store.sync().await;
                        return Ended::Backoff;
                    }
                    // The relay is going away (restart): try again after the backoff.
                    return Ended::Backoff;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "live socket failed");
                    return Ended::Backoff;
                }
                None => return Ended::Backoff,
            },
        }
    }
}

fn target_changed(store: &Store, target: &Target) -> bool {
    self::target(store).as_ref() != Some(target)
}

/// Sleeps for `d`; true if the task was stopped meanwhile.
async fn sleep_or_stop(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stopped.borrow() {
        return true;
    }
    tokio::select! {
        _ = stopped.changed() => true,
        _ = tokio::time::sleep(d) => *stopped.borrow(),
    }
}

/// Why the socket did not open.
enum Refused {
    /// The relay could not be reached.
    Unreachable,
    /// The device was revoked (401 on the upgrade).
    Revoked,
    /// Another refusal (a bad URL, a relay without the endpoint).
    Other(String),
}

async fn connect(target: &Target) -> std::result::Result<Socket, Refused> {
    let url = live_url(&target.url, &target.ws).map_err(|e| Refused::Other(e.to_string()))?;
    let mut req = url
        .into_client_request()
        .map_err(|e| Refused::Other(e.to_string()))?;
    let auth = format!("Bearer {}", target.token)
        .parse()
        .map_err(|_| Refused::Other("the device token is not a valid header".into()))?;
    req.headers_mut().insert("authorization", auth);
    let connector = Connector::Rustls(Arc::new(tls_config().map_err(Refused::Other)?));
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(req, None, false, Some(connector));
    match tokio::time::timeout(Duration::from_secs(15), connecting).await {
        Err(_) => Err(Refused::Unreachable),
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(WsError::Http(resp))) if resp.status().as_u16() == 401 => Err(Refused::Revoked),
        Ok(Err(WsError::Http(resp))) => Err(Refused::Other(format!(
            "the relay answered {}",
            resp.status()
        ))),
        Ok(Err(WsError::Url(e))) => Err(Refused::Other(e.to_string())),
        // I/O, TLS, or a connection cut during the handshake.
        Ok(Err(_)) => Err(Refused::Unreachable),
    }
}

/// TLS for `wss://`: the Mozilla roots (as the HTTP client uses), ring as the crypto provider.
fn tls_config() -> std::result::Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
