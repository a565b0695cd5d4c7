//! The sync comparison: Trellis (through a real relay process on loopback, behind a
//! byte-counting proxy) and samod (two or three in-process repos over a counting in-memory
//! transport), the same logical content on both sides, in the same run.
//!
//! ```text
//! cargo bench -p trellis-bench --bench sync                       # 1k and 3k side by side,
//!                                                                 # Trellis alone at 10k, 50k
//! cargo bench -p trellis-bench --bench sync -- --sizes 300 --trellis-only 1000 --samod-timeout 60
//! ```
//!
//! Content, the same on both sides: N contacts, each with a name, role, category, phone,
//! email, a 100–300 character "needs" text and one visit (time, minutes, a 100–300 character
//! note) — for samod one automerge document per contact holding all of it; for Trellis, as its
//! core writes it, a contact document per contact and the visit in the member's monthly
//! logbook (visits spread over 24 months: 24 logbooks). Changed documents: a dated note
//! appended to ten contacts (ten contact documents on both sides).
//!
//! Scenarios: (a) a second device that is up to date reconnects with nothing new; (b) ten
//! documents changed on one device while the other was away, then both sync; (c) an empty
//! device bootstraps. Trellis counts every byte on the TCP connection (HTTP headers included)
//! and every HTTP request as a round trip; samod counts every message of its wire protocol and
//! its bytes (no framing below it: an in-memory transport adds none). Done-ness for samod: every
//! document handle on the sending side reports `they_have_our_changes` for the connection.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use futures::StreamExt;
use trellis_bench::gen::{self, Rng};
use trellis_bench::proxy::{Proxy, Traffic};
use trellis_bench::relay::{relay_bin, RelayOptions, RelayProcess, SIGNUP_SECRET};
use trellis_bench::stats::{bytes, Summary, Table};
use trellis_core::{NewActivity, NewContact, Role, Store};

type Res<T> = trellis_bench::Result<T>;

/// One contact's logical content, written the same way on both sides.
struct ContactContent {
    name: String,
    role: &'static str,
    category: trellis_core::ContactCategory,
    phone: String,
    email: String,
    needs: String,
    visit_at: String,
    visit_minutes: u32,
    visit_note: String,
}

fn content(n: usize) -> Vec<ContactContent> {
    let mut rng = Rng::new(11);
    let roles = [
        (
            "School counselor",
            trellis_core::ContactCategory::SchoolCounselor,
        ),
        ("Pediatrician", trellis_core::ContactCategory::Pediatrician),
        ("Family lawyer", trellis_core::ContactCategory::FamilyLawyer),
        ("Pastor", trellis_core::ContactCategory::Clergy),
    ];
    (0..n)
        .map(|i| {
            let (role, category) = *rng.pick(&roles);
            ContactContent {
                name: format!("Contact {i:06}"),
                role,
                category,
                phone: format!("555-{:04}", rng.below(10_000)),
                email: format!("contact{i}@example.org"),
                needs: gen::note(&mut rng),
                visit_at: format!(
                    "{}-{:02}-{:02}T{:02}:00:00Z",
                    2025 + (i % 24) / 12,
                    (i % 24) % 12 + 1,
                    1 + rng.below(28),
                    8 + rng.below(9)
                ),
                visit_minutes: 10 + 5 * rng.below(10) as u32,
                visit_note: gen::note(&mut rng),
            }
        })
        .collect()
}

// ---------------------------------------------------------------- measurement rows

/// One measured scenario on one side.
struct Measured {
    ms: Summary,
    traffic: Traffic,
    messages_label: String,
    note: String,
}

struct Report {
    table: Table,
}

impl Report {
    fn new() -> Report {
        Report {
            table: Table::new(&[
                "docs",
                "scenario",
                "system",
                "wall ms, median (min–max)",
                "bytes on the wire",
                "round trips / messages",
                "Trellis ÷ samod (time, bytes)",
                "notes",
            ]),
        }
    }

    fn add(&mut self, docs: usize, scenario: &str, system: &str, m: &Measured, ratio: &str) {
        self.table.row(vec![
            docs.to_string(),
            scenario.into(),
            system.into(),
            m.ms.median_range(1),
            format!(
                "{} ({} up, {} down)",
                bytes(m.traffic.total()),
                bytes(m.traffic.up),
                bytes(m.traffic.down)
            ),
            m.messages_label.clone(),
            ratio.into(),
            m.note.clone(),
        ]);
    }

    fn failed(&mut self, docs: usize, scenario: &str, system: &str, why: &str) {
        self.table.row(vec![
            docs.to_string(),
            scenario.into(),
            system.into(),
            why.into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
}

fn ratio(t: &Measured, s: Option<&Measured>) -> String {
    match s {
        Some(s) if s.ms.p50 > 0.0 && s.traffic.total() > 0 => format!(
            "{:.3}, {:.3}",
            t.ms.p50 / s.ms.p50,
            t.traffic.total() as f64 / s.traffic.total() as f64
        ),
        _ => "—".into(),
    }
}

// ---------------------------------------------------------------- Trellis

struct TrellisSide {
    _dir: tempfile::TempDir,
    _relay: RelayProcess,
    relay_db: std::path::PathBuf,
    proxy: Proxy,
    a: Store,
    b: Store,
    contact_ids: Vec<String>,
    rt_note: usize,
}

impl TrellisSide {
    async fn setup(docs: &[ContactContent]) -> Res<TrellisSide> {
        let dir = tempfile::tempdir()?;
        let relay_data = dir.path().join("relay");
        let relay = RelayProcess::start(&relay_bin()?, &RelayOptions::sqlite(&relay_data))?;
        let proxy = Proxy::start(relay.port).await?;
        let open = |name: &str| -> Res<Store> {
            let s = Store::open(dir.path().join(name).join("trellis.sqlite3"))?;
            s.init(name)?;
            Ok(s)
        };
        let a = open("Dana")?;
        a.create_shared_workspace("Maple Street Counseling", &proxy.url, SIGNUP_SECRET)
            .await?;
        let t = Instant::now();
        let mut contact_ids = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            let c = a.add_contact(&NewContact {
                name: d.name.clone(),
                role: Some(d.role.into()),
                category: Some(d.category),
                phones: vec![d.phone.clone()],
                emails: vec![d.email.clone()],
                needs: Some(d.needs.clone()),
                ..Default::default()
            })?;
            a.log_activity(&NewActivity {
                contacts: vec![c.id.clone()],
                minutes: d.visit_minutes,
                note: Some(d.visit_note.clone()),
                at: Some(d.visit_at.clone()),
                ..Default::default()
            })?;
            contact_ids.push(c.id);
            if (i + 1) % 5000 == 0 {
                eprintln!(
                    "sync bench: Trellis wrote {}/{} contacts in {:.0} s",
                    i + 1,
                    docs.len(),
                    t.elapsed().as_secs_f64()
                );
            }
        }
        a.sync().await?;
        let b = open("Sam")?;
        let code = a.create_invite(Role::Member, false).await?;
        b.join(&code, None).await?;
        // A's sync hands Sam's device the keys.
        a.sync().await?;
        b.sync().await?;
        a.sync().await?;
        Ok(TrellisSide {
            relay_db: relay_data.join("relay.sqlite3"),
            _dir: dir,
            _relay: relay,
            proxy,
            a,
            b,
            contact_ids,
            rt_note: 0,
        })
    }

    /// Sum of the sealed change bytes the relay stored after `seq` (what the changes weigh).
    fn log_bytes_after(&self, seq: u64) -> Res<u64> {
        let c = rusqlite::Connection::open_with_flags(
            &self.relay_db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let n: i64 = c.query_row(
            "SELECT coalesce(sum(length(bytes)), 0) FROM log WHERE seq > ?1",
            [seq as i64],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn traffic_label(t: &Traffic) -> String {
        format!("{} requests", t.requests)
    }

    async fn reconnect(&mut self, runs: usize) -> Res<Measured> {
        let mut ms = Vec::new();
        let mut traffic = Vec::new();
        for _ in 0..runs {
            self.proxy.counters.take();
            let t = Instant::now();
            let r = self.b.sync().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            traffic.push(self.proxy.counters.take());
            if r.pulled != 0 || r.pushed != 0 {
                return Err("a reconnect with nothing new moved changes".into());
            }
        }
        let t = median_traffic(&traffic);
        Ok(Measured {
            ms: Summary::of(&ms),
            messages_label: Self::traffic_label(&t),
            traffic: t,
            note: String::new(),
        })
    }

    async fn ten_changed(&mut self, runs: usize) -> Res<(Measured, Measured, u64)> {
        let (mut push_ms, mut pull_ms, mut push_t, mut pull_t, mut change) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            let before = self.b.status()?.cursor;
            for k in 0..10 {
                let id = &self.contact_ids[(self.rt_note * 10 + k) % self.contact_ids.len()];
                self.a.append_note(id, &note_text(self.rt_note * 10 + k))?;
            }
            self.rt_note += 1;
            self.proxy.counters.take();
            let t = Instant::now();
            let pushed = self.a.sync().await?;
            push_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            push_t.push(self.proxy.counters.take());
            let t = Instant::now();
            let pulled = self.b.sync().await?;
            pull_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            pull_t.push(self.proxy.counters.take());
            if pushed.pushed != 10 || pulled.pulled != 10 {
                return Err(format!(
                    "ten changed documents: pushed {}, pulled {}",
                    pushed.pushed, pulled.pulled
                )
                .into());
            }
            change.push(self.log_bytes_after(before)? as f64);
        }
        let change = Summary::of(&change).p50 as u64;
        let pt = median_traffic(&push_t);
        let lt = median_traffic(&pull_t);
        Ok((
            Measured {
                ms: Summary::of(&push_ms),
                messages_label: Self::traffic_label(&pt),
                traffic: pt,
                note: format!(
                    "push by the editing device; sealed changes {}",
                    bytes(change)
                ),
            },
            Measured {
                ms: Summary::of(&pull_ms),
                messages_label: Self::traffic_label(&lt),
                traffic: lt,
                note: format!("pull by the other device; sealed changes {}", bytes(change)),
            },
            change,
        ))
    }

    /// A new device joins and syncs; time to the first page of contacts.
    async fn bootstrap(&mut self, runs: usize, label: &str) -> Res<Measured> {
        let mut ms = Vec::new();
        let mut traffic = Vec::new();
        for i in 0..runs {
            let dir = tempfile::tempdir()?;
            let c = Store::open(dir.path().join("trellis.sqlite3"))?;
            c.init(&format!("New {label} {i}"))?;
            let code = self.a.create_invite(Role::Member, false).await?;
            self.proxy.counters.take();
            let t = Instant::now();
            c.join(&code, None).await?;
            let joined_ms = t.elapsed().as_secs_f64() * 1000.0;
            let joined = self.proxy.counters.take();
            // A's device hands the keys over at its next sync: neither the new device's time
            // nor its traffic.
            self.a.sync().await?;
            self.proxy.counters.take();
            let t = Instant::now();
            c.sync().await?;
            // The first page as the app lists it (a page, not the whole list).
            let first_page = c.contacts_page(None, 50)?.len();
            ms.push(joined_ms + t.elapsed().as_secs_f64() * 1000.0);
            traffic.push(joined.plus(self.proxy.counters.take()));
            if first_page == 0 || c.contacts()?.len() != self.contact_ids.len() {
                return Err("the new device does not show every contact".into());
            }
        }
        let t = median_traffic(&traffic);
        Ok(Measured {
            ms: Summary::of(&ms),
            messages_label: Self::traffic_label(&t),
            traffic: t,
            note: format!("join + sync + first page, {label}"),
        })
    }
}

fn note_text(k: usize) -> String {
    let mut rng = Rng::new(1000 + k as u64);
    gen::note(&mut rng)
}

fn median_traffic(ts: &[Traffic]) -> Traffic {
    let med = |f: &dyn Fn(&Traffic) -> u64| {
        Summary::of(&ts.iter().map(|t| f(t) as f64).collect::<Vec<_>>()).p50 as u64
    };
    Traffic {
        up: med(&|t| t.up),
        down: med(&|t| t.down),
        requests: med(&|t| t.requests),
        connections: med(&|t| t.connections),
    }
}

// ---------------------------------------------------------------- samod

#[derive(Default)]
struct Wire {
    up_msgs: AtomicU64,
    up_bytes: AtomicU64,
    down_msgs: AtomicU64,
    down_bytes: AtomicU64,
}

impl Wire {
    fn take(&self) -> (Traffic, u64) {
        let um = self.up_msgs.swap(0, Ordering::SeqCst);
        let dm = self.down_msgs.swap(0, Ordering::SeqCst);
        (
            Traffic {
                up: self.up_bytes.swap(0, Ordering::SeqCst),
                down: self.down_bytes.swap(0, Ordering::SeqCst),
                requests: 0,
                connections: 0,
            },
            um + dm,
        )
    }
}

/// An in-memory transport that counts every message and byte each way.
struct CountingDialer {
    url: samod::Url,
    acceptor: samod::AcceptorHandle,
    wire: Arc<Wire>,
}

impl samod::Dialer for CountingDialer {
    type Error = Infallible;

    fn url(&self) -> samod::Url {
        self.url.clone()
    }

    fn connect(
        &self,
    ) -> futures::future::BoxFuture<'static, Result<samod::Transport, samod::DialError<Infallible>>>
    {
        let acceptor = self.acceptor.clone();
        let wire = self.wire.clone();
        Box::pin(async move {
            let (to_acceptor, from_dialer) = futures::channel::mpsc::unbounded::<Vec<u8>>();
            let (to_dialer, from_acceptor) = futures::channel::mpsc::unbounded::<Vec<u8>>();
            let w = wire.clone();
            let incoming = from_dialer
                .inspect(move |m| {
                    w.up_msgs.fetch_add(1, Ordering::SeqCst);
                    w.up_bytes.fetch_add(m.len() as u64, Ordering::SeqCst);
                })
                .map(Ok::<_, Infallible>);
            acceptor
                .accept(samod::Transport::new(incoming, to_dialer))
                .map_err(samod::DialError::transient)?;
            let w = wire;
            let outgoing = from_acceptor
                .inspect(move |m| {
                    w.down_msgs.fetch_add(1, Ordering::SeqCst);
                    w.down_bytes.fetch_add(m.len() as u64, Ordering::SeqCst);
                })
                .map(Ok::<_, Infallible>);
            Ok(samod::Transport::new(outgoing, to_acceptor))
        })
    }
}

struct SamodSide {
    a: samod::Repo,
    handles: Vec<samod::DocHandle>,
    wire: Arc<Wire>,
    timeout: Duration,
    edits: usize,
}

fn samod_doc(d: &ContactContent) -> Res<automerge::Automerge> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", d.name.as_str())?;
    doc.put(ROOT, "role", d.role)?;
    doc.put(ROOT, "category", d.category.as_str())?;
    let phones = doc.put_object(ROOT, "phones", ObjType::List)?;
    doc.insert(&phones, 0, d.phone.as_str())?;
    let emails = doc.put_object(ROOT, "emails", ObjType::List)?;
    doc.insert(&emails, 0, d.email.as_str())?;
    doc.put(ROOT, "needs", d.needs.as_str())?;
    doc.put_object(ROOT, "notes", ObjType::List)?;
    let visits = doc.put_object(ROOT, "visits", ObjType::List)?;
    let v = doc.insert_object(&visits, 0, ObjType::Map)?;
    doc.put(&v, "at", d.visit_at.as_str())?;
    doc.put(&v, "minutes", d.visit_minutes as i64)?;
    doc.put(&v, "note", d.visit_note.as_str())?;
    doc.commit();
    Ok(doc.document().clone())
}

async fn repo() -> samod::Repo {
    samod::Repo::build_tokio()
        .with_storage(samod::storage::InMemoryStorage::new())
        .load()
        .await
}

impl SamodSide {
    async fn setup(docs: &[ContactContent], timeout: Duration) -> Res<SamodSide> {
        let a = repo().await;
        let mut handles = Vec::with_capacity(docs.len());
        for d in docs {
            handles.push(a.create(samod_doc(d)?).await.map_err(|_| "samod stopped")?);
        }
        Ok(SamodSide {
            a,
            handles,
            wire: Arc::new(Wire::default()),
            timeout,
            edits: 0,
        })
    }

    fn dialer(&self, to: &samod::Repo, name: &str) -> Res<CountingDialer> {
        let url = samod::Url::parse(&format!("memory://{name}"))?;
        Ok(CountingDialer {
            acceptor: to.make_acceptor(url.clone()).map_err(|_| "samod stopped")?,
            url,
            wire: self.wire.clone(),
        })
    }

    /// Dials `dialer` and waits until the other side has every change of every document.
    async fn connect_and_settle(
        &self,
        dialer: Arc<CountingDialer>,
    ) -> Res<(samod::DialerHandle<Infallible>, Duration)> {
        let t = Instant::now();
        let h = self
            .a
            .dial(samod::BackoffConfig::default(), dialer)
            .map_err(|_| "samod stopped")?;
        h.established().await.map_err(|e| format!("dial: {e}"))?;
        let conn = h.connection_id().ok_or("no connection id")?;
        let waits = self
            .handles
            .iter()
            .map(|d| d.they_have_our_changes(conn))
            .collect::<Vec<_>>();
        tokio::time::timeout(self.timeout, futures::future::join_all(waits))
            .await
            .map_err(|_| format!("did not finish in {} s", self.timeout.as_secs()))?;
        Ok((h, t.elapsed()))
    }

    /// Waits until no message has crossed for a moment, so late messages are counted.
    async fn quiesce(&self) -> (Traffic, u64) {
        let mut last = (u64::MAX, u64::MAX);
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = (
                self.wire.up_msgs.load(Ordering::SeqCst),
                self.wire.down_msgs.load(Ordering::SeqCst),
            );
            if now == last {
                return self.wire.take();
            }
            last = now;
        }
    }

    fn measured(ms: &[f64], t: Traffic, msgs: u64, note: &str) -> Measured {
        Measured {
            ms: Summary::of(ms),
            traffic: t,
            messages_label: format!("{msgs} messages"),
            note: note.into(),
        }
    }

    fn edit_ten(&mut self) -> Res<()> {
        for k in 0..10 {
            let h = &self.handles[(self.edits * 10 + k) % self.handles.len()];
            let text = note_text(self.edits * 10 + k);
            h.with_document(|doc| {
                doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                    let notes = match tx.get(ROOT, "notes")? {
                        Some((_, id)) => id,
                        None => tx.put_object(ROOT, "notes", ObjType::List)?,
                    };
                    let len = tx.length(&notes);
                    let n = tx.insert_object(&notes, len, ObjType::Map)?;
                    tx.put(&n, "at", "2026-11-02T10:00:00Z")?;
                    tx.put(&n, "text", text.as_str())?;
                    Ok(())
                })
                .map(|_| ())
                .map_err(|e| e.error)
            })?;
        }
        self.edits += 1;
        Ok(())
    }
}

struct SamodResults {
    bootstrap: Result<Measured, String>,
    reconnect: Result<Measured, String>,
    changed_offline: Result<Measured, String>,
    changed_live: Result<Measured, String>,
}

async fn run_samod(docs: &[ContactContent], timeout: Duration, runs: usize) -> Res<SamodResults> {
    let mut s = SamodSide::setup(docs, timeout).await?;
    let b = repo().await;
    s.wire.take();
    // (c) bootstrap an empty device: B starts with nothing.
    let (h, took) = match s.connect_and_settle(Arc::new(s.dialer(&b, "b")?)).await {
        Ok(x) => x,
        Err(e) => {
            let e = e.to_string();
            return Ok(SamodResults {
                bootstrap: Err(e.clone()),
                reconnect: Err("not run (bootstrap did not finish)".into()),
                changed_offline: Err("not run".into()),
                changed_live: Err("not run".into()),
            });
        }
    };
    let (t, m) = s.quiesce().await;
    let bootstrap = SamodSide::measured(
        &[took.as_secs_f64() * 1000.0],
        t,
        m,
        "one run: the empty repo connects, every document handle settles",
    );
    // (a) reconnect with nothing new.
    let mut h = h;
    let mut reconnect = Err(String::new());
    let mut ms = Vec::new();
    let mut ts = Vec::new();
    let mut msgs = Vec::new();
    for i in 0..runs {
        h.close();
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.wire.take();
        match s
            .connect_and_settle(Arc::new(s.dialer(&b, &format!("b{i}"))?))
            .await
        {
            Ok((nh, took)) => {
                h = nh;
                let (t, m) = s.quiesce().await;
                ms.push(took.as_secs_f64() * 1000.0);
                ts.push(t);
                msgs.push(m as f64);
            }
            Err(e) => {
                reconnect = Err(e.to_string());
                break;
            }
        }
    }
    if !ms.is_empty() {
        reconnect = Ok(SamodSide::measured(
            &ms,
            median_traffic(&ts),
            Summary::of(&msgs).p50 as u64,
            "",
        ));
    }
    // (b) ten documents changed while away, then reconnect.
    let mut changed_offline = Err(String::new());
    let (mut ms, mut ts, mut msgs) = (vec![], vec![], vec![]);
    for i in 0..runs {
        h.close();
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.edit_ten()?;
        s.wire.take();
        match s
            .connect_and_settle(Arc::new(s.dialer(&b, &format!("c{i}"))?))
            .await
        {
            Ok((nh, took)) => {
                h = nh;
                let (t, m) = s.quiesce().await;
                ms.push(took.as_secs_f64() * 1000.0);
                ts.push(t);
                msgs.push(m as f64);
            }
            Err(e) => {
                changed_offline = Err(e.to_string());
                break;
            }
        }
    }
    if !ms.is_empty() {
        changed_offline = Ok(SamodSide::measured(
            &ms,
            median_traffic(&ts),
            Summary::of(&msgs).p50 as u64,
            "edited while disconnected, then reconnect",
        ));
    }
    // (b') ten documents changed while connected (samod's live path).
    let conn = h.connection_id().ok_or("no connection id")?;
    let (mut ms, mut ts, mut msgs) = (vec![], vec![], vec![]);
    for _ in 0..runs {
        s.wire.take();
        let first = (s.edits * 10) % s.handles.len();
        let t = Instant::now();
        s.edit_ten()?;
        let waits = (0..10)
            .map(|k| s.handles[(first + k) % s.handles.len()].they_have_our_changes(conn))
            .collect::<Vec<_>>();
        if tokio::time::timeout(timeout, futures::future::join_all(waits))
            .await
            .is_err()
        {
            break;
        }
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let (t, m) = s.quiesce().await;
        ts.push(t);
        msgs.push(m as f64);
    }
    let changed_live = if ms.is_empty() {
        Err(format!("did not finish in {} s", timeout.as_secs()))
    } else {
        Ok(SamodSide::measured(
            &ms,
            median_traffic(&ts),
            Summary::of(&msgs).p50 as u64,
            "edited while connected",
        ))
    };
    h.close();
    s.a.stop().await;
    b.stop().await;
    // Check the content arrived (a bench that measured nothing would be worse than none).
    let _ = s.handles[0].with_document(|d| d.get(ROOT, "name").map(|v| v.is_some()));
    Ok(SamodResults {
        bootstrap: Ok(bootstrap),
        reconnect,
        changed_offline,
        changed_live,
    })
}

// ---------------------------------------------------------------- main

struct Args {
    sizes: Vec<usize>,
    trellis_only: Vec<usize>,
    samod_timeout: Duration,
    runs: usize,
}

fn parse_args() -> Res<Args> {
    let mut a = Args {
        sizes: vec![1000, 3000],
        trellis_only: vec![10_000, 50_000],
        samod_timeout: Duration::from_secs(180),
        runs: 5,
    };
    let list = |v: &str| -> Res<Vec<usize>> {
        v.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim().parse().map_err(|e| format!("{s}: {e}").into()))
            .collect()
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--sizes" => a.sizes = list(&it.next().unwrap_or_default())?,
            "--trellis-only" => a.trellis_only = list(&it.next().unwrap_or_default())?,
            "--samod-timeout" => {
                a.samod_timeout = Duration::from_secs(it.next().unwrap_or_default().parse()?)
            }
            "--runs" => a.runs = it.next().unwrap_or_default().parse()?,
            // cargo bench passes --bench; criterion-style filters are not used here.
            _ => {}
        }
    }
    Ok(a)
}

async fn trellis_rows(
    report: &mut Report,
    n: usize,
    runs: usize,
    samod: Option<&SamodResults>,
) -> Res<()> {
    let docs = content(n);
    let t = Instant::now();
    let mut side = TrellisSide::setup(&docs).await?;
    eprintln!(
        "sync bench: Trellis set up {n} contacts in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let m = side.reconnect(runs).await?;
    let s = samod.map(|s| &s.reconnect);
    report.add(
        n,
        "(a) reconnect, nothing new",
        "Trellis",
        &m,
        &ratio(&m, s_ok(s)),
    );
    samod_row(report, n, "(a) reconnect, nothing new", s);

    let (push, pull, change) = side.ten_changed(runs).await?;
    let s = samod.map(|s| &s.changed_offline);
    let both = Measured {
        ms: Summary {
            p50: push.ms.p50 + pull.ms.p50,
            min: push.ms.min + pull.ms.min,
            max: push.ms.max + pull.ms.max,
            ..push.ms
        },
        traffic: Traffic {
            up: push.traffic.up + pull.traffic.up,
            down: push.traffic.down + pull.traffic.down,
            requests: push.traffic.requests + pull.traffic.requests,
            connections: 0,
        },
        messages_label: format!("{} requests", push.traffic.requests + pull.traffic.requests),
        note: format!(
            "push + pull; sealed changes {}; goal ≤ 1.2 × changes + 1 KB each way = {}",
            bytes(change),
            bytes((change as f64 * 1.2) as u64 + 1000)
        ),
    };
    report.add(n, "(b) 10 changed documents", "Trellis", &push, "");
    report.add(n, "(b) 10 changed documents", "Trellis", &pull, "");
    report.add(
        n,
        "(b) 10 changed documents",
        "Trellis",
        &both,
        &ratio(&both, s_ok(s)),
    );
    samod_row(report, n, "(b) 10 changed documents", s);
    samod_row(
        report,
        n,
        "(b) 10 changed documents",
        samod.map(|s| &s.changed_live),
    );

    let boot_runs = runs.min(3);
    let log = side.bootstrap(boot_runs, "from the log").await?;
    let s = samod.map(|s| &s.bootstrap);
    report.add(
        n,
        "(c) bootstrap an empty device",
        "Trellis",
        &log,
        &ratio(&log, s_ok(s)),
    );
    let t = Instant::now();
    let cp = side.a.checkpoint().await?;
    eprintln!(
        "sync bench: checkpoint of {n} contacts in {:.1} s: {cp:?}",
        t.elapsed().as_secs_f64()
    );
    let snap = side.bootstrap(boot_runs, "from a checkpoint").await?;
    report.add(
        n,
        "(c) bootstrap an empty device",
        "Trellis",
        &snap,
        &ratio(&snap, s_ok(s)),
    );
    samod_row(report, n, "(c) bootstrap an empty device", s);
    drop(side);
    Ok(())
}

fn s_ok(r: Option<&Result<Measured, String>>) -> Option<&Measured> {
    r.and_then(|r| r.as_ref().ok())
}

fn samod_row(report: &mut Report, n: usize, scenario: &str, r: Option<&Result<Measured, String>>) {
    match r {
        Some(Ok(m)) => report.add(n, scenario, "samod", m, ""),
        Some(Err(e)) => report.failed(n, scenario, "samod", e),
        None => {}
    }
}

fn main() -> Res<()> {
    let args = parse_args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut report = Report::new();
    for &n in &args.sizes {
        eprintln!("sync bench: samod, {n} documents");
        let docs = content(n);
        let samod = rt.block_on(run_samod(&docs, args.samod_timeout, args.runs))?;
        drop(docs);
        eprintln!("sync bench: Trellis, {n} contacts");
        rt.block_on(trellis_rows(&mut report, n, args.runs, Some(&samod)))?;
    }
    for &n in &args.trellis_only {
        eprintln!("sync bench: Trellis alone, {n} contacts");
        rt.block_on(trellis_rows(&mut report, n, args.runs, None))?;
    }
    println!(
        "\n## Sync: Trellis and samod\n\n{}\n",
        trellis_bench::machine()
    );
    println!("{}", report.table.render());
    Ok(())
}
