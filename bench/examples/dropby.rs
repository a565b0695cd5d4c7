//! Logs N drop-bys (default 3,000) on a copy of the generated 10k-contact practice and prints
//! their p50, p99 and slowest, then the time of the first search after them (which writes the
//! full-text rows they queued), for profiling the write path outside criterion:
//!
//! ```text
//! cargo build --release -p trellis-bench --example dropby
//! perf record --call-graph dwarf target/release/examples/dropby 2000
//! strace -f -c -e trace=pwrite64,pread64,fsync target/release/examples/dropby 600
//! ```
//!
//! The copy lives in `$DROPBY_DIR` (default `target/dropby`); `DROPBY_REUSE=1` logs into the
//! existing copy, and `DROPBY_KEEP_WAL=1` exits without closing the store so that its WAL is
//! left for `bench/scripts/wal-frames.py` to count the pages one drop-by writes;
//! `DROPBY_PAUSE_EVERY=N` pauses 100 ms (not timed) after every N drop-bys, as a therapist
//! does between visits, which lets the background WAL checkpoint catch up.

use std::path::PathBuf;
use std::time::Instant;

use trellis_bench::gen::{self, Params, Rng};
use trellis_core::{Durability, NewActivity, Store, StoreOptions};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let n: usize = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 3000,
    };
    let practice = gen::cached(Params {
        contacts: 10_000,
        ..Params::default()
    })?;
    let dir = PathBuf::from(std::env::var("DROPBY_DIR").unwrap_or_else(|_| "target/dropby".into()));
    let path = dir.join("trellis.sqlite3");
    if std::env::var_os("DROPBY_REUSE").is_none() || !path.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        gen::copy_store(&practice.store_path("dana"), &path)?;
    }
    let store = Store::open_with(
        &path,
        StoreOptions {
            durability: Durability::Normal,
            ..Default::default()
        },
    )?;
    let pairs: Vec<(String, String)> = store
        .contacts()?
        .into_iter()
        .filter_map(|c| c.organization_id.map(|o| (o, c.id)))
        .collect();
    let pause_every: usize = std::env::var("DROPBY_PAUSE_EVERY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rng = Rng::new(7);
    let mut ms = Vec::with_capacity(n);
    let cpu_before = thread_cpu_ms();
    for _ in 0..n {
        let (org, contact) = rng.pick(&pairs).clone();
        let at = format!(
            "2026-10-{:02}T{:02}:{:02}:00Z",
            1 + rng.below(31),
            8 + rng.below(9),
            rng.below(60)
        );
        let visit = NewActivity {
            organization: Some(org),
            contacts: vec![contact],
            minutes: 20,
            note: Some(gen::note(&mut rng)),
            at: Some(at),
            ..Default::default()
        };
        if pause_every > 0 && ms.len() % pause_every == 0 {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let t = Instant::now();
        store.log_activity(&visit)?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu = thread_cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    // The slowest drop-by and which one it was: a rare stall (a document folded back into one
    // save, the WAL copied back) hides below the 99th percentile.
    let slowest = ms
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, d)| (i + 1, *d));
    ms.sort_by(f64::total_cmp);
    if let (Some(p50), Some(p99), Some((nth, max))) = (ms.get(n / 2), ms.get(n * 99 / 100), slowest)
    {
        print!("{n} drop-bys: p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.1} ms (#{nth})");
        match cpu {
            // Less sensitive to a busy machine than wall time (not to a slow one).
            Some(cpu) => println!(", {:.3} ms of CPU each", cpu / n as f64),
            None => println!(),
        }
    }
    if std::env::var_os("DROPBY_KEEP_WAL").is_some() {
        std::process::exit(0);
    }
    // The drop-bys queued their full-text rows (fewer than the 2,048 local writes after which
    // the catch-up would not wait for a pause): the first search writes them all, the next
    // one reads what is there.
    let t = Instant::now();
    let first = store.search(gen::SEARCH_PREFIX)?.len();
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let next = store.search(gen::SEARCH_PREFIX)?.len();
    println!(
        "first search after them: {first_ms:.1} ms ({first} hits), the next {:.1} ms ({next} hits)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// CPU time this thread has used (user and system), from `/proc/thread-self/stat`, in clock
/// ticks of 10 ms; `None` where there is no such file.
fn thread_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3)?.parse::<f64>().ok();
    Some((ticks(14)? + ticks(15)?) * 10.0)
}
