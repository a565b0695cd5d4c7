//! Core benchmarks on a generated practice (`trellis_bench::gen`, cached under
//! `target/bench-data/`):
//!
//! ```text
//! cargo bench -p trellis-bench --bench core                   # 10,000 contacts
//! BENCH_CONTACTS=1000 cargo bench -p trellis-bench --bench core
//! ```
//!
//! First a percentile table (printed as markdown, the source of docs/PERFORMANCE.md): a
//! durable drop-by with `synchronous=NORMAL` and `FULL`, opening the store to the first page
//! of contacts (each sample a fresh open), contacts losing touch, a prefix search (top 20),
//! the weekly report, and the peak resident memory of open + first page measured in a fresh
//! process (`open-probe`). Then the same operations under criterion, for its means and
//! change detection (`BENCH_SKIP_CRITERION=1` skips that part).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use trellis_bench::gen::{self, Params, Rng, SEARCH_PREFIX};
use trellis_bench::stats::{Summary, Table};
use trellis_core::{Durability, NewActivity, Store, StoreOptions};

/// The week the weekly report covers: the last full week of the generated activities.
const WEEK: (&str, &str) = ("2026-10-19", "2026-10-25");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn open(path: &Path, durability: Durability) -> Store {
    Store::open_with(
        path,
        StoreOptions {
            durability,
            ..Default::default()
        },
    )
    .expect("the benchmark store opens")
}

/// A drop-by as a phone logs it: an organization and a contact by id, a 100–300 character
/// note, in October 2026 (the generated data's last month).
struct DropBys {
    rng: Rng,
    pairs: Vec<(String, String)>,
}

impl DropBys {
    fn new(store: &Store) -> DropBys {
        let pairs = store
            .contacts()
            .expect("contacts list")
            .into_iter()
            .filter_map(|c| c.organization_id.map(|o| (o, c.id)))
            .collect();
        DropBys {
            rng: Rng::new(7),
            pairs,
        }
    }

    fn next(&mut self) -> NewActivity {
        let (org, contact) = self.rng.pick(&self.pairs).clone();
        let at = format!(
            "2026-10-{:02}T{:02}:{:02}:00Z",
            1 + self.rng.below(31),
            8 + self.rng.below(9),
            self.rng.below(60)
        );
        NewActivity {
            organization: Some(org),
            contacts: vec![contact],
            minutes: 20,
            note: Some(gen::note(&mut self.rng)),
            at: Some(at),
            ..Default::default()
        }
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn row(table: &mut Table, what: &str, s: &Summary, goal: &str) {
    table.row(vec![
        what.into(),
        s.n.to_string(),
        format!("{:.2}", s.p50),
        format!("{:.2}", s.p95),
        format!("{:.2}", s.p99),
        format!("{:.2}–{:.2}", s.min, s.max),
        goal.into(),
    ]);
}

fn probe(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_open-probe"))
        .arg(store)
        .args(args)
        .output()
        .expect("open-probe runs");
    assert!(
        out.status.success(),
        "open-probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("open-probe prints JSON")
}

fn main() {
    let contacts = env_usize("BENCH_CONTACTS", 10_000);
    let samples = env_usize("BENCH_SAMPLES", 1000);
    let practice = gen::cached(Params {
        contacts,
        ..Params::default()
    })
    .expect("the practice is generated");
    let work = tempfile::tempdir().expect("a temporary directory");
    let store_path = work.path().join("dana").join("trellis.sqlite3");
    gen::copy_store(&practice.store_path("dana"), &store_path).expect("the store copies");
    // The drop-bys go to a copy of their own, so every read below is timed on the practice as
    // generated: criterion logs thousands, all in the month the weekly report reads.
    let writes_path = work.path().join("writes").join("trellis.sqlite3");
    gen::copy_store(&practice.store_path("dana"), &writes_path).expect("the store copies");
    let p = &practice.practice;
    println!(
        "\n## Core: {} contacts, {} organizations, {} activities, {} notes, {} follow-ups, {} referrals; store {:.1} MB\n\n{}\n",
        p.contacts,
        p.organizations,
        p.activities,
        p.notes,
        p.followups,
        p.referrals,
        p.store_bytes as f64 / 1e6,
        trellis_bench::machine()
    );

    let mut table = Table::new(&[
        "operation (ms)",
        "n",
        "p50",
        "p95",
        "p99",
        "min–max",
        "goal",
    ]);
    // NORMAL, then FULL, each its own `Store` on the writes copy (two writing one logbook in turns
    // would defeat the store's document cache); every drop-by lands in October 2026, the last month
    // of the generated data, whose logbooks already hold that month's activities.
    let samples_of = |durability| {
        let store = open(&writes_path, durability);
        let mut drops = DropBys::new(&store);
        // Warm up: the month's logbook, statements, the page cache.
        for _ in 0..10 {
            store.log_activity(&drops.next()).expect("a drop-by logs");
        }
        let mut ms = Vec::with_capacity(samples);
        for _ in 0..samples {
            let a = drops.next();
            let (d, r) = time(|| store.log_activity(&a));
            r.expect("a drop-by logs");
            ms.push(d.as_secs_f64() * 1000.0);
        }
        ms
    };
    let normal_ms = samples_of(Durability::Normal);
    let full_ms = samples_of(Durability::Full);
    row(
        &mut table,
        "log a drop-by, durable (NORMAL)",
        &Summary::of(&normal_ms),
        "p50 ≤ 1, p99 ≤ 5",
    );
    row(
        &mut table,
        "log a drop-by, durable (FULL)",
        &Summary::of(&full_ms),
        "—",
    );

    // Opened once first, as on a phone after an upgrade: a copy made by an older build migrates
    // its schema on its first open, and that first commit after the copy was written waits for
    // the kernel to flush the copy (300–530 ms here), which is no part of opening the store.
    drop(open(&store_path, Durability::Normal));
    let opens = env_usize("BENCH_OPEN_SAMPLES", 30);
    let mut ms = Vec::new();
    for _ in 0..opens {
        let (d, n) = time(|| {
            let s = open(&store_path, Durability::Normal);
            s.contacts_page(None, 50).expect("first page").len()
        });
        assert!(n > 0);
        ms.push(d.as_secs_f64() * 1000.0);
    }
    row(
        &mut table,
        "open store to first page of contacts",
        &Summary::of(&ms),
        "≤ 50",
    );

    let store = open(&store_path, Durability::Normal);
    let mut per = |what: &str, n: usize, goal: &str, f: &dyn Fn() -> usize| {
        let mut ms = Vec::new();
        for _ in 0..n {
            let (d, rows) = time(f);
            std::hint::black_box(rows);
            ms.push(d.as_secs_f64() * 1000.0);
        }
        row(&mut table, what, &Summary::of(&ms), goal);
    };
    per("contacts losing touch", 30, "—", &|| {
        store.losing_touch().expect("losing touch").len()
    });
    per(
        &format!("search \"{SEARCH_PREFIX}\", top 20"),
        200,
        "p95 ≤ 10",
        &|| {
            store
                .search(SEARCH_PREFIX)
                .expect("search")
                .into_iter()
                .take(20)
                .count()
        },
    );
    per("weekly report (a week of the data)", 200, "—", &|| {
        store
            .time_report(Some(WEEK.0), Some(WEEK.1))
            .expect("report")
            .weeks
            .len()
    });
    per("time report, a year by week", 30, "—", &|| {
        store
            .time_report(Some("2025-11-01"), Some("2026-10-31"))
            .expect("report")
            .weeks
            .len()
    });
    println!("{}", table.render());

    let mut mem = Table::new(&["fresh process", "ms", "rows", "peak RSS (MiB)", "goal"]);
    for (what, args, goal) in [
        (
            "open + first page of contacts",
            vec!["contacts"],
            "≤ 50 ms, ≤ 40 MiB",
        ),
        ("open + contacts losing touch", vec!["losing-touch"], "—"),
        ("open + search top 20", vec!["search", SEARCH_PREFIX], "—"),
    ] {
        let runs: Vec<serde_json::Value> = (0..5).map(|_| probe(&store_path, &args)).collect();
        let f = |k: &str| {
            Summary::of(
                &runs
                    .iter()
                    .map(|v| v[k].as_f64().unwrap_or(f64::NAN))
                    .collect::<Vec<_>>(),
            )
        };
        mem.row(vec![
            what.into(),
            f("ms").median_range(1),
            f("rows").p50.to_string(),
            f("peak_rss_mib").median_range(1),
            goal.into(),
        ]);
    }
    println!("{}", mem.render());

    if std::env::var_os("BENCH_SKIP_CRITERION").is_some() {
        return;
    }
    let mut c = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    for (durability, name) in [(Durability::Normal, "normal"), (Durability::Full, "full")] {
        let store = open(&writes_path, durability);
        let mut drops = DropBys::new(&store);
        c.bench_function(&format!("log_drop_by_{name}"), |b| {
            b.iter_batched(
                || drops.next(),
                |a| store.log_activity(&a).expect("a drop-by logs"),
                BatchSize::SmallInput,
            )
        });
    }
    c.bench_function("open_to_first_page", |b| {
        b.iter(|| {
            let s = open(&store_path, Durability::Normal);
            s.contacts_page(None, 50).expect("first page").len()
        })
    });
    let store = open(&store_path, Durability::Normal);
    c.bench_function("losing_touch", |b| {
        b.iter(|| store.losing_touch().expect("losing touch").len())
    });
    c.bench_function("search_top_20", |b| {
        b.iter(|| store.search(SEARCH_PREFIX).expect("search").len().min(20))
    });
    c.bench_function("weekly_report", |b| {
        b.iter(|| {
            store
                .time_report(Some(WEEK.0), Some(WEEK.1))
                .expect("report")
                .weeks
                .len()
        })
    });
    c.final_summary();
}
