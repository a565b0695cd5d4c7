//! The network of one simulated schedule: the real relay (`trellis_relay::app` over a SQLite
//! file) served in-process on loopback, and in front of it one fault-injecting proxy per device,
//! on a port that stays the same across relay restarts.
//!
//! The proxy forwards every request to the relay that is up at the time and, while faults are
//! on, uses the schedule's seeded RNG to:
//! - lose a push on the way (the relay never sees it),
//! - drop the answer to a push after the relay committed it (the client sees a broken
//!   connection and pushes the same changes again later),
//! - send a push to the relay twice,
//! - drop the answer to a pull,
//! - ask the relay for small pages, duplicate entries within a page and shuffle them,
//! - hold an entry back and deliver it in a later answer (after entries that depend on it).
//!
//! A device that is offline gets a broken connection for every request. A device's live socket
//! (background sync) goes through its proxy too: refused while the device is offline, cut when
//! it goes offline or the relay stops.
//!
//! The relay keeps its log in SQLite (a file in the schedule's directory) or, for a share of
//! the schedules, in a fresh PostgreSQL database. Its backups are taken while it runs (`VACUUM
//! INTO`, `pg_dump`); a restore puts one back into a new file or database, gives the log a new
//! identity as the restore procedure says (`trellis-relay admin restored`) and starts a relay
//! on it, so nothing the stopped relay still holds can touch the restored copy.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use trellis_protocol::batch::{self, LogEntry};
use trellis_relay::{app, AppState, Limits, PgStorage, SqliteStorage, Storage};

use super::rng::Rng;

/// The signup secret of the simulated relay.
pub const SIGNUP_SECRET: &str = "sim-signup-secret";

/// Fault probabilities while chaos is on (each out of 1000).
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Lose a push before it reaches the relay.
    pub lose_push: u32,
    /// Drop the answer to a push the relay committed.
    pub drop_push_answer: u32,
    /// Forward a push twice.
    pub duplicate_push: u32,
    /// Drop the answer to a pull.
    pub drop_pull_answer: u32,
    /// Ask the relay for a page of 1 to 4 entries instead of the client's limit.
    pub small_page: u32,
    /// Duplicate and shuffle the entries of a page.
    pub shuffle_page: u32,
    /// Hold one entry of a page back until a later answer.
    pub delay_entry: u32,
}

impl Faults {
    /// No faults: the final full sync.
    pub const NONE: Faults = Faults {
        lose_push: 0,
        drop_push_answer: 0,
        duplicate_push: 0,
        drop_pull_answer: 0,
        small_page: 0,
        shuffle_page: 0,
        delay_entry: 0,
    };

    /// Random fault rates for one schedule.
    pub fn random(rng: &mut Rng) -> Faults {
        Faults {
            lose_push: rng.below(150) as u32,
            drop_push_answer: rng.below(250) as u32,
            duplicate_push: rng.below(200) as u32,
            drop_pull_answer: rng.below(150) as u32,
            small_page: rng.below(500) as u32,
            shuffle_page: rng.below(500) as u32,
            delay_entry: rng.below(400) as u32,
        }
    }
}

/// What the proxies did, for the trace and the totals.
#[derive(Debug, Default, Clone, Copy)]
pub struct FaultCounts {
    /// Pushes lost before they reached the relay.
    pub lost_pushes: u64,
    /// Push answers dropped after the relay committed.
    pub dropped_push_answers: u64,
    /// Pushes forwarded twice.
    pub duplicated_pushes: u64,
    /// Pull answers dropped.
    pub dropped_pull_answers: u64,
    /// Pages with duplicated and shuffled entries.
    pub shuffled_pages: u64,
    /// Entries delivered late, after later entries.
    pub delayed_entries: u64,
    /// Requests refused because the device was offline.
    pub refused_offline: u64,
    /// Relay restarts.
    pub relay_restarts: u64,
    /// Relay backups taken.
    pub relay_backups: u64,
    /// Relays put back to an earlier backup.
    pub relay_restores: u64,
    /// Power cuts of the relay's machine.
    pub relay_power_cuts: u64,
}

/// Where the simulated relay keeps its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the schedule's directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this superuser URL.
    Postgres(String),
}

/// The relay's current database.
#[derive(Debug, Clone)]
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

struct Control {
    rng: Rng,
    faults: Faults,
    offline: Vec<bool>,
    /// Entries held back per device, delivered in its next answered pull.
    delayed: Vec<VecDeque<LogEntry>>,
    upstream: String,
    http: reqwest::Client,
    counts: FaultCounts,
}

#[derive(Clone)]
struct Proxy {
    device: usize,
    control: Arc<Mutex<Control>>,
}

/// The relay and the devices' proxies of one schedule.
pub struct Net {
    backend: Backend,
    dir: PathBuf,
    db: Database,
    /// Databases made so far (the first, then one per restore).
    generation: u32,
    /// How long the relay keeps the entries a checkpoint compacted, in seconds.
    grace: u64,
    relay: Option<JoinHandle<()>>,
    proxies: Vec<JoinHandle<()>>,
    /// Each device's relay URL (its proxy).
    pub urls: Vec<String>,
    control: Arc<Mutex<Control>>,
}

impl Net {
    /// Starts a relay on `backend` (a SQLite file in `dir`, or a fresh PostgreSQL database)
    /// and a proxy for each of `devices`.
    ///
    /// In half the schedules (drawn from `rng`) the relay deletes what a checkpoint compacts at
    /// once; in the others it keeps it for its default grace period and serves it meanwhile.
    pub async fn start(dir: &Path, devices: usize, backend: Backend, mut rng: Rng) -> Net {
        let db = match &backend {
            Backend::Sqlite => Database::Sqlite(dir.join("relay0.sqlite3")),
            Backend::Postgres(server) => Database::Postgres(crate::fresh_database(server)),
        };
        let grace = if rng.chance(500) { 0 } else { 7 * 24 * 3600 };
        let (relay, upstream) = start_relay(&db, grace).await;
        let control = Arc::new(Mutex::new(Control {
            rng,
            faults: Faults::NONE,
            offline: vec![false; devices],
            delayed: vec![VecDeque::new(); devices],
            upstream,
            http: reqwest::Client::new(),
            counts: FaultCounts::default(),
        }));
        let mut proxies = Vec::new();
        let mut urls = Vec::new();
        for device in 0..devices {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port for the proxy");
            let addr = listener.local_addr().expect("a bound address");
            urls.push(format!("http://{addr}"));
            let router = Router::new().fallback(forward).with_state(Proxy {
                device,
                control: Arc::clone(&control),
            });
            proxies.push(tokio::spawn(async move {
                let _ = axum::serve(listener, router).await;
            }));
        }
        Net {
            backend,
            dir: dir.to_path_buf(),
            db,
            generation: 0,
            grace,
            relay: Some(relay),
            proxies,
            urls,
            control,
        }
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the fault rates.
    pub fn set_faults(&self, faults: Faults) {
        self.control().faults = faults;
    }

    /// How long the relay keeps what a checkpoint compacted, in seconds.
    pub fn grace(&self) -> u64 {
        self.grace
    }

    /// The fault rates now.
    pub fn faults(&self) -> Faults {
        self.control().faults
    }

    /// Takes a device off the network, or brings it back.
    pub fn set_offline(&self, device: usize, offline: bool) {
        self.control().offline[device] = offline;
    }

    /// Whether a device is offline.
    pub fn is_offline(&self, device: usize) -> bool {
        self.control().offline[device]
    }

    /// Entries still held back for a device.
    pub fn delayed(&self, device: usize) -> usize {
        self.control().delayed[device].len()
    }

    /// What the proxies did so far.
    pub fn counts(&self) -> FaultCounts {
        self.control().counts
    }

    /// Stops the relay (dropping its connections) and starts a new one over the same
    /// database; the proxies forward to it from now on.
    pub async fn restart_relay(&mut self) {
        self.stop_relay().await;
        let (relay, upstream) = start_relay(&self.db, self.grace).await;
        self.relay = Some(relay);
        let mut c = self.control();
        c.upstream = upstream;
        c.counts.relay_restarts += 1;
    }

    async fn stop_relay(&mut self) {
        if let Some(old) = self.relay.take() {
            old.abort();
            let _ = old.await;
        }
        // A new client: no pooled connection to the stopped relay is used again.
        self.control().http = reqwest::Client::new();
    }

    /// Cuts the power of the relay's machine: the relay stops, and a relay starts on what the
    /// disk holds of its database (every write it had not yet synced is dropped; see
    /// [`crate::powercut`]), with the same log identity. Returns each workspace's head before
    /// the cut (in the live file) and after (in what the disk kept): the relay syncs every
    /// commit it acknowledges, so nothing committed may be missing. `None` on PostgreSQL, whose
    /// durability is its own.
    pub async fn power_cut_relay(&mut self) -> Result<Option<(Heads, Heads)>, String> {
        let Database::Sqlite(path) = self.db.clone() else {
            return Ok(None);
        };
        self.stop_relay().await;
        let before = heads(&path)?;
        self.generation += 1;
        let kept = self.dir.join(format!("relay{}.sqlite3", self.generation));
        crate::powercut::durable_copy(&path, &kept).map_err(|e| format!("power cut: {e}"))?;
        let after = heads(&kept)?;
        self.db = Database::Sqlite(kept);
        let (relay, upstream) = start_relay(&self.db, self.grace).await;
        self.relay = Some(relay);
        let mut c = self.control();
        c.upstream = upstream;
        c.counts.relay_power_cuts += 1;
        Ok(Some((before, after)))
    }

    /// Takes a backup of the running relay's database into `to` (a consistent copy, as an
    /// operator's nightly backup would be).
    pub fn backup_relay(&mut self, to: &Path) -> Result<(), String> {
        match &self.db {
            Database::Sqlite(path) => {
                let _ = std::fs::remove_file(to);
                let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])
                    .map_err(|e| format!("relay backup: {e}"))?;
            }
            Database::Postgres(url) => {
                let out = Command::new("pg_dump")
                    .args(["-Fc", "-d", url, "-f"])
                    .arg(to)
                    .output()
                    .map_err(|e| format!("pg_dump: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "pg_dump failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
        self.control().counts.relay_backups += 1;
        Ok(())
    }

    /// Stops the relay and starts one on a copy of the backup at `from`, with a new log
    /// identity (the restore procedure's `trellis-relay admin restored`).
    pub async fn restore_relay(&mut self, from: &Path) -> Result<(), String> {
        self.stop_relay().await;
        self.generation += 1;
        let db = match &self.backend {
            Backend::Sqlite => {
                let path = self.dir.join(format!("relay{}.sqlite3", self.generation));
                std::fs::copy(from, &path).map_err(|e| format!("relay restore: {e}"))?;
                SqliteStorage::restored(&path).map_err(|e| format!("admin restored: {e}"))?;
                Database::Sqlite(path)
            }
            Backend::Postgres(server) => {
                let url = crate::fresh_database(server);
                let out = Command::new("pg_restore")
                    .args(["--no-owner", "-d", &url])
                    .arg(from)
                    .output()
                    .map_err(|e| format!("pg_restore: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "pg_restore failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                let storage = PgStorage::connect(&url, 1)
                    .await
                    .map_err(|e| format!("relay restore: {e}"))?;
                storage
                    .restored()
                    .await
                    .map_err(|e| format!("admin restored: {e}"))?;
                Database::Postgres(url)
            }
        };
        self.db = db;
        let (relay, upstream) = start_relay(&self.db, self.grace).await;
        self.relay = Some(relay);
        let mut c = self.control();
        c.upstream = upstream;
        c.counts.relay_restores += 1;
        // Entries held back stand for answers still in flight from the relay that is gone; a
        // real network delivers none of them after the restore.
        for held in &mut c.delayed {
            held.clear();
        }
        Ok(())
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(r) = self.relay.take() {
            r.abort();
        }
        for p in &self.proxies {
            p.abort();
        }
    }
}

/// Each workspace's head, by workspace id.
pub type Heads = std::collections::BTreeMap<Vec<u8>, i64>;

/// The heads a relay database file holds, read through a connection of its own.
fn heads(path: &Path) -> Result<Heads, String> {
    let conn = rusqlite::Connection::open(path).map_err(|e| format!("relay heads: {e}"))?;
    let mut st = conn
        .prepare("SELECT id, head FROM workspaces")
        .map_err(|e| format!("relay heads: {e}"))?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| format!("relay heads: {e}"))?;
    rows.collect::<rusqlite::Result<Heads>>()
        .map_err(|e| format!("relay heads: {e}"))
}

async fn start_relay(db: &Database, grace: u64) -> (JoinHandle<()>, String) {
    let storage: Arc<dyn Storage> = match db {
        Database::Sqlite(path) => {
            Arc::new(SqliteStorage::open(path).expect("the relay database opens"))
        }
        Database::Postgres(url) => Arc::new(
            PgStorage::connect(url, 4)
                .await
                .expect("the relay's PostgreSQL database opens"),
        ),
    };
    storage.set_compacted_grace(grace);
    let limits = Limits {
        rate_per_minute: std::num::NonZeroU32::new(10_000_000).unwrap_or(std::num::NonZeroU32::MIN),
        ..Limits::default()
    };
    let state = AppState::new(storage, SIGNUP_SECRET).with_limits(limits);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the relay");
    let addr = listener.local_addr().expect("a bound address");
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, service).await;
    });
    (task, format!("http://{addr}"))
}

/// An answer whose headers say 200 and whose body breaks off: the connection drops after the
/// relay did the work.
fn broken() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("the simulated network dropped it"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

enum Kind {
    Push,
    Pull,
    Other,
}

/// Forwards a live socket: the device's upgrade is accepted only if it is online and the relay
/// accepts its own, then messages (close codes included) go both ways until either side ends.
/// The live socket has no faults of its own: the requests its syncs make do.
async fn forward_live(proxy: Proxy, req: Request) -> Response {
    use axum::extract::FromRequest;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let upstream = {
        let mut c = proxy.lock();
        if c.offline[proxy.device] {
            c.counts.refused_offline += 1;
            return broken();
        }
        c.upstream.replacen("http://", "ws://", 1)
    };
    let path = req.uri().path().to_string();
    let auth = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .cloned();
    let Ok(upgrade) = axum::extract::ws::WebSocketUpgrade::from_request(req, &()).await else {
        return broken();
    };
    let Ok(mut request) = format!("{upstream}{path}").into_client_request() else {
        return broken();
    };
    if let Some(auth) = auth {
        request
            .headers_mut()
            .insert(axum::http::header::AUTHORIZATION, auth);
    }
    let relay = match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => socket,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            return Response::builder()
                .status(resp.status().as_u16())
                .body(Body::empty())
                .unwrap_or_else(|_| Response::new(Body::empty()));
        }
        Err(_) => return broken(),
    };
    upgrade.on_upgrade(move |device| pipe(device, relay, proxy))
}

/// Copies messages between the device's socket and the relay's until either ends or the device
/// goes offline.
async fn pipe(
    device: axum::extract::ws::WebSocket,
    relay: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    proxy: Proxy,
) {
    use axum::extract::ws::{CloseFrame as DeviceClose, Message as ToDevice};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::CloseFrame as RelayClose;
    use tokio_tungstenite::tungstenite::Message as ToRelay;
    let (mut to_device, mut from_device) = device.split();
    let (mut to_relay, mut from_relay) = relay.split();
    loop {
        if proxy.lock().offline[proxy.device] {
            return;
        }
        tokio::select! {
            m = from_relay.next() => {
                let out = match m {
                    Some(Ok(ToRelay::Text(t))) => ToDevice::Text(t.as_str().into()),
                    Some(Ok(ToRelay::Binary(b))) => ToDevice::Binary(b),
                    Some(Ok(ToRelay::Ping(b))) => ToDevice::Ping(b),
                    Some(Ok(ToRelay::Pong(b))) => ToDevice::Pong(b),
                    Some(Ok(ToRelay::Close(frame))) => {
                        let frame = frame.map(|f| DeviceClose {
                            code: u16::from(f.code),
                            reason: f.reason.as_str().into(),
                        });
                        let _ = to_device.send(ToDevice::Close(frame)).await;
                        return;
                    }
                    Some(Ok(ToRelay::Frame(_))) => continue,
                    _ => return,
                };
                if to_device.send(out).await.is_err() {
                    return;
                }
            }
            m = from_device.next() => {
                let out = match m {
                    Some(Ok(ToDevice::Text(t))) => ToRelay::Text(t.as_str().into()),
                    Some(Ok(ToDevice::Binary(b))) => ToRelay::Binary(b),
                    Some(Ok(ToDevice::Ping(b))) => ToRelay::Ping(b),
                    Some(Ok(ToDevice::Pong(b))) => ToRelay::Pong(b),
                    Some(Ok(ToDevice::Close(frame))) => {
                        let frame = frame.map(|f| RelayClose {
                            code: f.code.into(),
                            reason: f.reason.as_str().into(),
                        });
                        let _ = to_relay.send(ToRelay::Close(frame)).await;
                        return;
                    }
                    _ => return,
                };
                if to_relay.send(out).await.is_err() {
                    return;
                }
            }
            // Looks at the device's link again now and then.
            _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
        }
    }
}

async fn forward(State(proxy): State<Proxy>, req: Request) -> Response {
    if req
        .headers()
        .get(axum::http::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
    {
        return forward_live(proxy, req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return broken();
    };
    let path = parts.uri.path().to_string();
    let kind = if parts.method == Method::POST && path.ends_with("/push") {
        Kind::Push
    } else if parts.method == Method::GET && path.ends_with("/pull") {
        Kind::Pull
    } else {
        Kind::Other
    };
    // Decide everything up front, under the lock, in request order (deterministic per seed).
    let (upstream, http, twice, drop_answer, page, shuffle, delay) = {
        let mut c = proxy.control.lock().unwrap_or_else(|e| e.into_inner());
        if c.offline[proxy.device] {
            c.counts.refused_offline += 1;
            return broken();
        }
        let f = c.faults;
        let mut roll = |p: u32| c.rng.below(1000) < u64::from(p);
        if matches!(kind, Kind::Push) && roll(f.lose_push) {
            c.counts.lost_pushes += 1;
            return broken();
        }
        let mut roll = |p: u32| c.rng.below(1000) < u64::from(p);
        let (twice, drop_answer, page, shuffle, delay) = match kind {
            Kind::Push => (
                roll(f.duplicate_push),
                roll(f.drop_push_answer),
                false,
                false,
                false,
            ),
            Kind::Pull => (
                false,
                roll(f.drop_pull_answer),
                roll(f.small_page),
                roll(f.shuffle_page),
                roll(f.delay_entry),
            ),
            Kind::Other => (false, false, false, false, false),
        };
        let page = page.then(|| 1 + c.rng.below(4));
        (
            c.upstream.clone(),
            c.http.clone(),
            twice,
            drop_answer,
            page,
            shuffle,
            delay,
        )
    };
    let mut query = parts.uri.query().unwrap_or_default().to_string();
    if let Some(n) = page {
        query = query
            .split('&')
            .map(|kv| {
                if kv.starts_with("limit=") {
                    format!("limit={n}")
                } else {
                    kv.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("&");
    }
    let url = if query.is_empty() {
        format!("{upstream}{path}")
    } else {
        format!("{upstream}{path}?{query}")
    };
    let send = || {
        let mut rb = http.request(parts.method.clone(), url.as_str());
        for (name, value) in parts.headers.iter() {
            if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
                rb = rb.header(name, value);
            }
        }
        rb.body(body.clone()).send()
    };
    if twice {
        let _ = send().await;
        proxy.lock().counts.duplicated_pushes += 1;
    }
    let Ok(resp) = send().await else {
        return broken();
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let Ok(bytes) = resp.bytes().await else {
        return broken();
    };
    if drop_answer {
        let mut c = proxy.lock();
        match kind {
            Kind::Push => c.counts.dropped_push_answers += 1,
            _ => c.counts.dropped_pull_answers += 1,
        }
        return broken();
    }
    let bytes = match kind {
        Kind::Pull if status.is_success() => proxy.rework_pull(&bytes, shuffle, delay),
        _ => bytes,
    };
    answer(status, &headers, bytes)
}

impl Proxy {
    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reorders a pull answer as the schedule asks and delivers entries held back earlier.
    fn rework_pull(&self, bytes: &Bytes, shuffle: bool, delay: bool) -> Bytes {
        let Ok(mut batch) = batch::decode_pull(bytes) else {
            return bytes.clone();
        };
        let mut c = self.lock();
        let held: Vec<LogEntry> = c.delayed[self.device].drain(..).collect();
        if delay && batch.entries.len() >= 2 {
            // Hold back one entry that is not the last: the cursor moves past it now.
            let i = c.rng.below(batch.entries.len() as u64 - 1) as usize;
            let e = batch.entries.remove(i);
            c.delayed[self.device].push_back(e);
            c.counts.delayed_entries += 1;
        }
        if shuffle && batch.entries.len() >= 2 {
            let n = batch.entries.len();
            for _ in 0..=c.rng.below(2) {
                let i = c.rng.below(n as u64) as usize;
                let copy = batch.entries[i].clone();
                batch.entries.push(copy);
            }
            // Shuffle all but the last entry, which keeps the page's highest seq.
            let last = batch.entries.len() - 1;
            let max_at = (0..batch.entries.len())
                .max_by_key(|&i| batch.entries[i].seq)
                .unwrap_or(last);
            batch.entries.swap(max_at, last);
            for i in (1..last).rev() {
                let j = c.rng.below(i as u64 + 1) as usize;
                batch.entries.swap(i, j);
            }
            c.counts.shuffled_pages += 1;
        }
        // Late entries go first, so the answer still ends with the highest seq.
        let mut entries = held;
        entries.append(&mut batch.entries);
        batch.entries = entries;
        Bytes::from(batch::encode_pull(&batch))
    }
}

fn answer(status: reqwest::StatusCode, headers: &HeaderMap, body: Bytes) -> Response {
    let mut builder = Response::builder().status(status.as_u16());
    for (name, value) in headers.iter() {
        if name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::TRANSFER_ENCODING
            && name != axum::http::header::CONNECTION
        {
            builder = builder.header(name, value);
        }
    }
    builder
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
