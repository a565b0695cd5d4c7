//! Relay load: K synthetic devices in W workspaces push changes while M live sockets listen,
//! against relay processes this command starts on loopback (and stops when it ends).
//!
//! ```text
//! cargo run --release -p trellis-bench --bin relay-load -- \
//!     --devices 40 --workspaces 10 --listeners 2000 --changes 20000 [--batch 1] \
//!     [--preload 0] [--rate 0] [--relays 1 --database postgres://...] [--max-seconds 120]
//! ```
//!
//! The relay is blind, so the devices speak the wire protocol directly: each workspace is
//! signed up, its devices and listeners join through invites, and each device pushes batches
//! of random sealed-looking entries of `--change-bytes` bytes (default 400, a drop-by's
//! sealed change) one request at a time. Every listener is a real WebSocket on
//! `/v1/workspaces/{ws}/live`; fanout latency is from the start of the push that produced a
//! head to a listener of the same workspace receiving that head (or a later one); "after
//! answer" is the same from the moment the pusher got its answer (the commit), which leaves
//! out the push's own wait for the database and shows the notifier and socket path alone
//! (0 when the head reached the listener before the answer reached the pusher).
//! `--preload` fills each workspace's log first, to see how ingest changes with log size.
//! `--rate` paces each device to that many push requests a second, so fanout can be measured
//! at a load the relay keeps up with instead of behind a saturated queue.
//! With `--database` and `--relays R`, R relay processes share one PostgreSQL database and
//! devices and listeners are spread over them round robin.
//!
//! Bounded: a fixed number of changes, and `--max-seconds` for the push phase; loopback only.
//! Prints a markdown table row (with its header), including the CPU seconds the relay and the
//! load generator each used during the push phase: both share the machine's cores, so a load
//! generator near a core's worth of CPU is itself the limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use trellis_bench::relay::{cpu_seconds, relay_bin, RelayOptions, RelayProcess, SIGNUP_SECRET};
use trellis_bench::stats::{proc_status_kib, Summary, Table};
use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    LiveMessage, PushResponse, RedeemInviteRequest, Role, RosterEvent, SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{encode_push, PushEntry};
use trellis_protocol::{Id, HASH_LEN};

type Res<T> = trellis_bench::Result<T>;

/// Read buffer of each listening socket (a live message is a few dozen bytes; tungstenite
/// zero-fills the buffer's free part on every read, so small is cheap).
const LISTENER_READ_BUFFER_BYTES: usize = 256;

/// Load a relay with pushing devices and listening sockets, and print what it sustained.
#[derive(Parser, Debug, Clone)]
struct Args {
    /// Pushing devices (spread evenly over the workspaces).
    #[arg(long, default_value_t = 20)]
    devices: usize,
    /// Workspaces.
    #[arg(long, default_value_t = 10)]
    workspaces: usize,
    /// Live sockets listening (spread evenly over the workspaces), each its own device.
    #[arg(long, default_value_t = 100)]
    listeners: usize,
    /// Changes pushed in all.
    #[arg(long, default_value_t = 20_000)]
    changes: usize,
    /// Changes per push request.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Bytes of each sealed change.
    #[arg(long, default_value_t = 400)]
    change_bytes: usize,
    /// Changes written to each workspace's log before measuring (in batches of 500).
    #[arg(long, default_value_t = 0)]
    preload: usize,
    /// Relay processes (more than one needs --database).
    #[arg(long, default_value_t = 1)]
    relays: usize,
    /// PostgreSQL URL the relays share; default: one relay on SQLite in a temporary directory.
    #[arg(long)]
    database: Option<String>,
    /// Push requests a second from each device (0: each sends its next request as soon as the
    /// last is answered). A set rate measures fanout at a load the relay keeps up with, rather
    /// than the queue of a saturated one.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Most seconds the push phase may take; pushing stops there.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
}

struct Workspace {
    id: Id,
    relay: usize,
    owner_token: String,
}

struct Client {
    http: reqwest::Client,
    urls: Vec<String>,
}

impl Client {
    async fn signup(&self, relay: usize) -> Res<Workspace> {
        let id = Id::random();
        let creds: DeviceCredentials = self
            .http
            .post(format!("{}/v1/workspaces", self.urls[relay]))
            .header(SIGNUP_SECRET_HEADER, SIGNUP_SECRET)
            .json(&CreateWorkspaceRequest {
                workspace_id: id,
                member_id: Id::random(),
                device_id: Id::random(),
                device_key: random_hex(32),
                token: None,
                // The relay stores roster events without reading them (devices sign and verify
                // them); a load test needs only the first one a signup must carry.
                roster: vec![RosterEvent {
                    seq: 1,
                    event: random_hex(32),
                }],
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Workspace {
            id,
            relay,
            owner_token: creds.token,
        })
    }

    /// A new member's device in `ws`, through an invite; its token.
    async fn join(&self, ws: &Workspace, relay: usize) -> Res<String> {
        let invite: CreateInviteResponse = self
            .http
            .post(format!(
                "{}/v1/workspaces/{}/invites",
                self.urls[ws.relay],
                ws.id.to_hex()
            ))
            .bearer_auth(&ws.owner_token)
            .json(&CreateInviteRequest {
                role: Role::Member,
                device: false,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let creds: DeviceCredentials = self
            .http
            .post(format!("{}/v1/invites/redeem", self.urls[relay]))
            .json(&RedeemInviteRequest {
                workspace_id: ws.id,
                invite_secret: invite.invite_secret,
                device_id: Id::random(),
                member_id: Id::random(),
                device_key: random_hex(32),
                token: None,
                roster: Vec::new(),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(creds.token)
    }

    async fn push(&self, relay: usize, ws: Id, token: &str, body: Vec<u8>) -> Res<PushResponse> {
        Ok(self
            .http
            .post(format!(
                "{}/v1/workspaces/{}/push",
                self.urls[relay],
                ws.to_hex()
            ))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    trellis_protocol::fill_random(&mut v);
    v
}

fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

fn batch(n: usize, change_bytes: usize) -> Vec<u8> {
    let entries: Vec<PushEntry> = (0..n)
        .map(|_| {
            let mut hash = [0u8; HASH_LEN];
            trellis_protocol::fill_random(&mut hash);
            PushEntry {
                // A handful of documents per workspace, as a month's logbooks would be.
                doc_id: Id([(hash[0] % 8); 16]),
                change_hash: hash,
                bytes: random_bytes(change_bytes),
            }
        })
        .collect();
    encode_push(&entries)
}

/// Microseconds since the run started.
fn micros(base: Instant) -> u64 {
    base.elapsed().as_micros() as u64
}

/// What one listener saw: (head, when) in arrival order.
type Seen = Arc<Mutex<Vec<(u64, u64)>>>;

async fn listen(
    url: String,
    token: String,
    base: Instant,
    seen: Seen,
    ready: Arc<AtomicU64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Res<()> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    // tungstenite's default 128 KiB read buffer is zero-filled on every read: with thousands
    // of listeners receiving a 14-byte head each, that memset was the load generator's top cost
    // (and the load generator shares the cores with the relay).
    let config = WebSocketConfig::default().read_buffer_size(LISTENER_READ_BUFFER_BYTES);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
    let mut first = true;
    loop {
        // No timer per message: the stop signal is a watch channel polled next to the socket.
        let msg = tokio::select! {
            _ = stop.changed() => break,
            msg = socket.next() => match msg {
                None => break,
                Some(m) => m?,
            },
        };
        if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
            let head: LiveMessage = serde_json::from_str(text.as_str())?;
            if first {
                first = false;
                ready.fetch_add(1, Ordering::SeqCst);
            } else {
                seen.lock()
                    .map_err(|_| "a listener panicked")?
                    .push((head.head, micros(base)));
            }
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

fn relay_mem_mib(pids: &[u32]) -> (f64, f64) {
    let sum = |f: &str| {
        pids.iter()
            .map(|p| proc_status_kib(*p, f).unwrap_or(0))
            .sum::<u64>() as f64
            / 1024.0
    };
    (sum("VmRSS"), sum("VmHWM"))
}

/// CPU seconds used so far by the relay processes and by this load generator: on a shared
/// machine this tells whether the relay or the load generator ran out of cores.
fn cpu_use(pids: &[u32]) -> (f64, f64) {
    let relays = pids.iter().filter_map(|p| cpu_seconds(*p)).sum();
    (relays, cpu_seconds(std::process::id()).unwrap_or(0.0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let a = Args::parse();
    if a.relays > 1 && a.database.is_none() {
        return Err("several relays need --database (they share one PostgreSQL database)".into());
    }
    if a.workspaces == 0 || a.devices < a.workspaces || a.batch == 0 {
        return Err("need at least one device per workspace and a batch of at least 1".into());
    }
    if !(a.rate.is_finite() && a.rate >= 0.0) {
        return Err("--rate is push requests a second from each device: 0 or more".into());
    }
    let tmp = tempfile::tempdir()?;
    let bin = relay_bin()?;
    let mut relays = Vec::new();
    for r in 0..a.relays {
        let mut opts = RelayOptions::sqlite(&tmp.path().join(format!("relay{r}")));
        opts.database = a.database.clone();
        relays.push(RelayProcess::start(&bin, &opts)?);
    }
    let pids: Vec<u32> = relays.iter().map(|r| r.pid()).collect();
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(a.devices + 16)
            .build()?,
        urls: relays.iter().map(|r| r.url.clone()).collect(),
    });
    let mem_idle = relay_mem_mib(&pids);

    // Workspaces, devices, listeners.
    let mut workspaces = Vec::new();
    for w in 0..a.workspaces {
        workspaces.push(Arc::new(client.signup(w % a.relays).await?));
    }
    let mut devices = Vec::new();
    for d in 0..a.devices {
        let ws = workspaces[d % a.workspaces].clone();
        let relay = d % a.relays;
        devices.push((ws.clone(), relay, client.join(&ws, relay).await?));
    }
    if a.preload > 0 {
        let t = Instant::now();
        for ws in &workspaces {
            let mut left = a.preload;
            while left > 0 {
                let n = left.min(500);
                client
                    .push(ws.relay, ws.id, &ws.owner_token, batch(n, a.change_bytes))
                    .await?;
                left -= n;
            }
        }
        eprintln!(
            "relay-load: preloaded {} changes in {:.1} s",
            a.preload * a.workspaces,
            t.elapsed().as_secs_f64()
        );
    }
    let base = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let ready = Arc::new(AtomicU64::new(0));
    let mut listeners = Vec::new();
    for l in 0..a.listeners {
        let ws = workspaces[l % a.workspaces].clone();
        let relay = l % a.relays;
        let token = client.join(&ws, relay).await?;
        let url = format!(
            "{}/v1/workspaces/{}/live",
            client.urls[relay].replacen("http://", "ws://", 1),
            ws.id.to_hex()
        );
        let seen: Seen = Arc::default();
        let task = tokio::spawn(listen(
            url,
            token,
            base,
            seen.clone(),
            ready.clone(),
            stopped.clone(),
        ));
        listeners.push((ws.id, seen, task));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ready.load(Ordering::SeqCst) < a.listeners as u64 {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {} live sockets connected",
                ready.load(Ordering::SeqCst),
                a.listeners
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mem_connected = relay_mem_mib(&pids);
    eprintln!(
        "relay-load: {} live sockets connected; pushing",
        a.listeners
    );

    // Push phase.
    let per_device = a.changes.div_ceil(a.devices);
    let push_deadline = Instant::now() + Duration::from_secs(a.max_seconds);
    let cpu0 = cpu_use(&pids);
    let t0 = Instant::now();
    let mut pushers = Vec::new();
    for (ws, relay, token) in devices {
        let client = client.clone();
        let (batch_n, bytes) = (a.batch, a.change_bytes);
        let mut pace = (a.rate > 0.0).then(|| {
            let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / a.rate));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every
        });
        pushers.push(tokio::spawn(async move {
            // (head, push start µs, push latency µs, changes)
            let mut out: Vec<(u64, u64, u64, usize)> = Vec::new();
            let mut left = per_device;
            while left > 0 && Instant::now() < push_deadline {
                if let Some(every) = pace.as_mut() {
                    every.tick().await;
                }
                let n = left.min(batch_n);
                let body = batch(n, bytes);
                let start = micros(base);
                let r = client.push(relay, ws.id, &token, body).await?;
                out.push((r.head, start, micros(base) - start, n));
                left -= n;
            }
            Ok::<_, trellis_bench::BenchError>((ws.id, out))
        }));
    }
    // Per workspace: (head, push start µs, push answer µs).
    let mut pushes: HashMap<Id, Vec<(u64, u64, u64)>> = HashMap::new();
    let mut push_ms = Vec::new();
    let mut pushed = 0usize;
    for p in pushers {
        let (ws, out) = p.await??;
        for (head, start, lat, n) in out {
            pushes
                .entry(ws)
                .or_default()
                .push((head, start, start + lat));
            push_ms.push(lat as f64 / 1000.0);
            pushed += n;
        }
    }
    let push_s = t0.elapsed().as_secs_f64();
    let cpu1 = cpu_use(&pids);
    let mem_after = relay_mem_mib(&pids);
    // Let the last notifications arrive, then stop the listeners.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send_replace(true);

    // Fanout: for every push and every listener of its workspace, the first head at or past
    // the push's head that the listener received.
    for v in pushes.values_mut() {
        v.sort();
    }
    let mut fanout_ms = Vec::new();
    let mut after_answer_ms = Vec::new();
    let mut notifications = 0usize;
    let mut missed = 0usize;
    for (ws, seen, task) in listeners {
        task.await??;
        let seen = seen.lock().map_err(|_| "a listener panicked")?.clone();
        notifications += seen.len();
        for &(head, start, answered) in pushes.get(&ws).map(Vec::as_slice).unwrap_or(&[]) {
            let i = seen.partition_point(|&(h, _)| h < head);
            match seen.get(i) {
                Some(&(_, at)) => {
                    fanout_ms.push(at.saturating_sub(start) as f64 / 1000.0);
                    after_answer_ms.push(at.saturating_sub(answered) as f64 / 1000.0);
                }
                None => missed += 1,
            }
        }
    }
    let push = Summary::of(&push_ms);
    let fan = Summary::of(&fanout_ms);
    let after_answer = Summary::of(&after_answer_ms);
    let mut t = Table::new(&[
        "relays",
        "devices",
        "workspaces",
        "live sockets",
        "batch",
        "requests/s a device",
        "preload/ws",
        "changes",
        "changes/s",
        "push p50 / p99 ms",
        "fanout p50 / p99 ms",
        "after answer p50 / p99 ms",
        "notifications (missed)",
        "relay RSS MiB: idle → sockets → end (peak)",
        "CPU s in push phase: relay / load generator",
    ]);
    t.row(vec![
        format!(
            "{} ({})",
            a.relays,
            if a.database.is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        ),
        a.devices.to_string(),
        a.workspaces.to_string(),
        a.listeners.to_string(),
        a.batch.to_string(),
        if a.rate > 0.0 {
            format!("{}", a.rate)
        } else {
            "as fast as answered".into()
        },
        a.preload.to_string(),
        pushed.to_string(),
        format!("{:.0}", pushed as f64 / push_s),
        format!("{:.2} / {:.2}", push.p50, push.p99),
        if a.listeners > 0 {
            format!("{:.2} / {:.2}", fan.p50, fan.p99)
        } else {
            "—".into()
        },
        if a.listeners > 0 {
            format!("{:.2} / {:.2}", after_answer.p50, after_answer.p99)
        } else {
            "—".into()
        },
        format!("{notifications} ({missed})"),
        format!(
            "{:.1} → {:.1} → {:.1} ({:.1})",
            mem_idle.0, mem_connected.0, mem_after.0, mem_after.1
        ),
        format!("{:.1} / {:.1}", cpu1.0 - cpu0.0, cpu1.1 - cpu0.1),
    ]);
    println!("{}", t.render());
    if pushed < a.changes {
        eprintln!(
            "relay-load: stopped at --max-seconds {} after {pushed} of {} changes",
            a.max_seconds, a.changes
        );
    }
    Ok(())
}
