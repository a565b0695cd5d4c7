//! Bootstrapping a new device into the core suite's generated practice (goal: "10k contacts
//! / 100k activities ready to browse in ≤ 3 s; bytes ≤ 1.5× the compressed snapshots").
//!
//! ```text
//! cargo build --release -p trellis-relay && cargo bench -p trellis-bench --bench bootstrap -- --runs 3
//! cargo bench -p trellis-bench --bench bootstrap -- --contacts 1000 --runs 3
//! ```
//!
//! The practice is `trellis-gen`'s (cached under `target/bench-data/`, generated on first use):
//! the relay's data, with the checkpoint Dana uploaded, and Dana's store, both copied to a
//! temporary directory so the cache is never written. A relay runs on the copy behind the
//! byte-counting proxy; Dana's copy is pointed at the proxy. Each run, a new device (an empty
//! store) redeems an invite Dana made and syncs, which downloads Dana's checkpoint and pulls
//! the log after it; the run ends when the first page of contacts (50, as the app lists them)
//! is read. Counted: wall time from the join to the first page, every byte on the wire and
//! every HTTP request, and the documents the new device had to load. The bytes are shown
//! against the checkpoint's sealed snapshots and against the documents alone (Dana's stored
//! bytes: the snapshots without their index rows). Then, the app idle, the time until the
//! search catch-up has written every full-text row ("search ready"; a search before then
//! writes what is left first), and the size of the device's database and WAL files once the
//! catch-up has truncated the WAL (waited for up to a minute; a practice small enough to be
//! written at once has no catch-up, and its WAL is measured as it is). Then the times of a prefix
//! search (top 20, the core suite's) on the device right after its catch-up, and the peak
//! resident memory of the bench process over the run (the new device, Dana's open store and
//! the proxy; the kernel's peak is reset before each run).
//! Checked after the clock stops: the device lists every contact
//! of the practice, and its search finds Dana's first contact by name.

use std::path::Path;
use std::time::Instant;

use trellis_bench::gen::{self, Params, SEARCH_PREFIX};
use trellis_bench::proxy::{Proxy, Traffic};
use trellis_bench::relay::{relay_bin, RelayOptions, RelayProcess};
use trellis_bench::stats::{bytes, self_peak_rss_mib, Summary, Table};
use trellis_core::{Role, Store};

type Res<T> = trellis_bench::Result<T>;

/// Contacts on the first page of the list.
const FIRST_PAGE: u32 = 50;

/// Searches timed on the new device once its catch-up is done.
const SEARCHES: usize = 200;

struct Args {
    contacts: usize,
    runs: usize,
}

fn parse_args() -> Res<Args> {
    let mut a = Args {
        contacts: Params::default().contacts,
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--contacts" => a.contacts = it.next().unwrap_or_default().parse()?,
            "--runs" => a.runs = it.next().unwrap_or_default().parse()?,
            // cargo bench passes --bench; criterion-style filters are not used here.
            _ => {}
        }
    }
    if a.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(a)
}

/// Sealed bytes of the relay's newest complete checkpoint: what the snapshots weigh.
fn checkpoint_bytes(relay_db: &Path) -> Res<u64> {
    let c = rusqlite::Connection::open_with_flags(
        relay_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let n: i64 = c.query_row(
        "SELECT coalesce(sum(length(d.bytes)), 0) FROM checkpoint_docs d
         WHERE d.checkpoint_id = (SELECT checkpoint_id FROM checkpoints
                                  WHERE complete = 1 ORDER BY seq DESC, created_at DESC LIMIT 1)",
        [],
        |r| r.get(0),
    )?;
    if n == 0 {
        return Err("the practice's relay holds no complete checkpoint".into());
    }
    Ok(n as u64)
}

/// Bytes of the documents in a member's store, as a checkpoint seals them (each one's full save
/// and the changes saved since): the checkpoint without its index snapshots.
fn document_bytes(store: &Path) -> Res<u64> {
    let c =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let n: i64 = c.query_row(
        "SELECT (SELECT coalesce(sum(length(bytes)), 0) FROM documents)
              + (SELECT coalesce(sum(length(bytes)), 0) FROM doc_chunks)",
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Copies the relay's data directory (its database with WAL and shared memory).
fn copy_relay(from: &Path, to: &Path) -> Res<()> {
    gen::copy_store(&from.join("relay.sqlite3"), &to.join("relay.sqlite3"))
}

/// One bootstrap: time to the first page, to synced and to search ready, the traffic, and
/// what it listed.
struct Run {
    first_page_ms: f64,
    synced_ms: f64,
    search_ready_ms: f64,
    traffic: Traffic,
    bootstrapped_docs: u64,
    loaded_docs: u64,
    /// The new device's database file and WAL file once the WAL is truncated (bytes).
    files: (u64, u64),
    /// Each search's time right after the catch-up (ms).
    searches_ms: Vec<f64>,
    /// The bench process's peak resident memory during the run (MiB).
    peak_rss_mib: f64,
}

/// Resets the kernel's record of this process's peak resident memory (`VmHWM`) to what it
/// holds now, so that the next reading is the peak of what follows.
fn reset_peak_rss() -> Res<()> {
    std::fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| format!("cannot reset the peak memory reading: {e}").into())
}

async fn bootstrap_once(
    dana: &Store,
    proxy: &Proxy,
    i: usize,
) -> Res<(Run, Store, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let device = Store::open(dir.path().join("trellis.sqlite3"))?;
    device.init(&format!("New device {i}"))?;
    let code = dana.create_invite(Role::Member, false).await?;
    reset_peak_rss()?;
    proxy.counters.take();
    let t = Instant::now();
    device.join(&code, None).await?;
    let joined_ms = t.elapsed().as_secs_f64() * 1000.0;
    let joined = proxy.counters.take();
    // Dana's device hands the keys over at its next sync: neither the new device's time nor
    // its traffic.
    dana.sync().await?;
    proxy.counters.take();
    let t = Instant::now();
    let sync = device.sync().await?;
    let synced_ms = joined_ms + t.elapsed().as_secs_f64() * 1000.0;
    let page = device.contacts_page(None, FIRST_PAGE)?;
    let first_page_ms = joined_ms + t.elapsed().as_secs_f64() * 1000.0;
    let traffic = joined.plus(proxy.counters.take());
    if page.len() != FIRST_PAGE as usize {
        return Err(format!("the first page lists {} contacts", page.len()).into());
    }
    // The search catch-up writes the full-text rows in the background; the app stays idle.
    // A small practice's bootstrap writes them at once and leaves no catch-up to wait for.
    let deferred = device.search_backlog()? > 0;
    while device.search_backlog()? > 0 {
        if t.elapsed() > std::time::Duration::from_secs(600) {
            return Err("the search catch-up did not finish in 10 minutes".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let search_ready_ms = t.elapsed().as_secs_f64() * 1000.0;
    // Then the catch-up copies the WAL into the database and truncates it (after the
    // background checkpoint, which may take a while): the files as they stay. Only a catch-up
    // truncates it; without one the WAL stays within the store's size limit.
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
    let settling = Instant::now();
    while deferred && size("trellis.sqlite3-wal") > 0 && settling.elapsed().as_secs() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let files = (size("trellis.sqlite3"), size("trellis.sqlite3-wal"));
    let mut searches_ms = Vec::with_capacity(SEARCHES);
    for _ in 0..SEARCHES {
        let s = Instant::now();
        let found = device.search(SEARCH_PREFIX)?.len();
        searches_ms.push(s.elapsed().as_secs_f64() * 1000.0);
        if found == 0 {
            return Err(
                format!("the new device's search for \"{SEARCH_PREFIX}\" finds nothing").into(),
            );
        }
    }
    let peak_rss_mib = self_peak_rss_mib();
    Ok((
        Run {
            first_page_ms,
            synced_ms,
            search_ready_ms,
            traffic,
            bootstrapped_docs: sync.bootstrapped_docs,
            loaded_docs: sync.bootstrap_loaded_docs,
            files,
            searches_ms,
            peak_rss_mib,
        },
        device,
        dir,
    ))
}

fn median_u64(v: &[u64]) -> u64 {
    Summary::of(&v.iter().map(|x| *x as f64).collect::<Vec<_>>()).p50 as u64
}

async fn run(args: &Args, practice: &gen::Generated) -> Res<Table> {
    let p = &practice.practice;
    let tmp = tempfile::tempdir()?;
    let relay_dir = tmp.path().join("relay");
    copy_relay(&practice.relay_dir(), &relay_dir)?;
    let snapshots = checkpoint_bytes(&relay_dir.join("relay.sqlite3"))?;
    let dana_path = tmp.path().join("dana").join("trellis.sqlite3");
    gen::copy_store(&practice.store_path("dana"), &dana_path)?;
    let documents = document_bytes(&dana_path)?;

    let relay = RelayProcess::start(&relay_bin()?, &RelayOptions::sqlite(&relay_dir))?;
    let proxy = Proxy::start(relay.port).await?;
    {
        // The cached store knows the relay of the run that generated it: point the copy at
        // this one, through the proxy.
        let c = rusqlite::Connection::open(&dana_path)?;
        c.execute("UPDATE workspaces SET relay_url = ?1", [&proxy.url])?;
    }
    let dana = Store::open(&dana_path)?;

    let mut runs = Vec::new();
    for i in 0..args.runs {
        let (r, device, _dir) = bootstrap_once(&dana, &proxy, i).await?;
        // After the clock: the new device shows the whole practice, and search finds it.
        let listed = device.contacts()?.len();
        if listed != p.contacts {
            return Err(format!("the new device lists {listed} of {} contacts", p.contacts).into());
        }
        if device
            .search(&dana.contacts_page(None, 1)?[0].name)?
            .is_empty()
        {
            return Err("the new device's search does not find Dana's first contact".into());
        }
        eprintln!(
            "bootstrap bench: run {}: first page at {:.0} ms (synced at {:.0} ms, search ready at {:.0} ms), {} docs from the checkpoint, {} down, {} requests",
            i + 1,
            r.first_page_ms,
            r.synced_ms,
            r.search_ready_ms,
            r.bootstrapped_docs,
            bytes(r.traffic.down),
            r.traffic.requests
        );
        runs.push(r);
    }
    drop(relay);

    let first = Summary::of(&runs.iter().map(|r| r.first_page_ms).collect::<Vec<_>>());
    let synced = Summary::of(&runs.iter().map(|r| r.synced_ms).collect::<Vec<_>>());
    let search_ready = Summary::of(&runs.iter().map(|r| r.search_ready_ms).collect::<Vec<_>>());
    let up = median_u64(&runs.iter().map(|r| r.traffic.up).collect::<Vec<_>>());
    let down = median_u64(&runs.iter().map(|r| r.traffic.down).collect::<Vec<_>>());
    let requests = median_u64(&runs.iter().map(|r| r.traffic.requests).collect::<Vec<_>>());
    let docs = median_u64(&runs.iter().map(|r| r.bootstrapped_docs).collect::<Vec<_>>());
    let loaded = median_u64(&runs.iter().map(|r| r.loaded_docs).collect::<Vec<_>>());
    let db_file = median_u64(&runs.iter().map(|r| r.files.0).collect::<Vec<_>>());
    let wal_file = median_u64(&runs.iter().map(|r| r.files.1).collect::<Vec<_>>());
    let searches = Summary::of(
        &runs
            .iter()
            .flat_map(|r| r.searches_ms.iter().copied())
            .collect::<Vec<_>>(),
    );
    let peak = Summary::of(&runs.iter().map(|r| r.peak_rss_mib).collect::<Vec<_>>());

    let mut table = Table::new(&[
        "practice",
        "scenario",
        "runs",
        "to first page, ms median (min–max)",
        "to synced, ms median (min–max)",
        "to search ready, ms median (min–max)",
        "bytes on the wire",
        "requests",
        "snapshots (sealed)",
        "of which documents",
        "wire ÷ snapshots, ÷ documents",
        "documents loaded",
        "device files: database + WAL",
        "search top 20 after the catch-up, ms p50 / p95",
        "peak RSS of the bench process, MiB median (min–max)",
        "notes",
    ]);
    table.row(vec![
        format!("{} contacts / {} activities", p.contacts, p.activities),
        "bootstrap a new device from Dana's checkpoint".into(),
        runs.len().to_string(),
        first.median_range(1),
        synced.median_range(1),
        search_ready.median_range(1),
        format!(
            "{} ({} up, {} down)",
            bytes(up + down),
            bytes(up),
            bytes(down)
        ),
        requests.to_string(),
        format!("{} in {docs} documents", bytes(snapshots)),
        bytes(documents),
        format!(
            "{:.2}, {:.2}",
            (up + down) as f64 / snapshots as f64,
            (up + down) as f64 / documents as f64
        ),
        format!("{loaded} of {docs}"),
        format!("{} + {}", bytes(db_file), bytes(wal_file)),
        format!("{:.2} / {:.2}", searches.p50, searches.p95),
        peak.median_range(1),
        format!("join + sync + first page of {FIRST_PAGE} contacts; goal ≤ 3 s, ≤ 1.5× snapshots; the snapshots carry index rows beside the documents"),
    ]);
    Ok(table)
}

fn main() -> Res<()> {
    let args = parse_args()?;
    // Generated (or read from the cache) before the runtime starts: generating runs its own.
    let practice = gen::cached(Params {
        contacts: args.contacts,
        ..Params::default()
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let table = rt.block_on(run(&args, &practice))?;
    println!(
        "\n## Bootstrap: a new device joins the generated practice\n\n{}\n",
        trellis_bench::machine()
    );
    println!("{}", table.render());
    Ok(())
}
