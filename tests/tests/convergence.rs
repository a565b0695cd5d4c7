//! "Every device converges, nothing acknowledged is lost": many seeded schedules of devices
//! writing (in this month's and earlier months' documents), going offline, syncing, restored
//! from their backups, cutting checkpoints, rotating keys, removing members and joining late,
//! through a lossy, duplicating, reordering network and a relay that restarts and is restored
//! from its backups (see `trellis_tests::sim`). After each schedule's final full sync every
//! device of a workspace shows the same screens, every acknowledged write is there and the
//! stock adds up.
//!
//! The relay keeps its log in SQLite; `every_device_converges_on_postgresql` runs a share of
//! the seeds on PostgreSQL (`scripts/pg.sh` provides the server).
//!
//! `TRELLIS_SIM_SCHEDULES` sets how many schedules run (default 1000 on SQLite, 150 on
//! PostgreSQL), `TRELLIS_SIM_BASE` the first seed (default 1; 100001 on PostgreSQL),
//! `TRELLIS_SIM_SEED` replays one seed with its trace, and `TRELLIS_SIM_THREADS` the number of
//! schedules run at once (default: the machine's cores).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use trellis_tests::sim::net::Backend;
use trellis_tests::sim::{run_schedule, Failure, Outcome};
use trellis_tests::POSTGRES_ENV;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn report(f: &Failure) -> String {
    format!(
        "schedule with seed {seed} failed: {msg}\n\
         replay it: TRELLIS_SIM_SEED={seed} cargo test -p trellis-tests --test e2e convergence:: -- --nocapture --include-ignored\n\
         trace:\n{trace}",
        seed = f.seed,
        msg = f.message,
        trace = f.trace.join("\n")
    )
}

#[test]
fn every_device_converges_and_keeps_every_acknowledged_write() {
    run_many(Backend::Sqlite, 1000, 1);
}

#[test]
#[ignore = "needs PostgreSQL: scripts/pg.sh runs it"]
fn every_device_converges_on_postgresql() {
    let server = std::env::var(POSTGRES_ENV).expect("TRELLIS_TEST_POSTGRES names a server");
    run_many(Backend::Postgres(server), 150, 100_001);
}

/// Runs `count` schedules from seed `base` on `backend` (or what the environment says) and
/// fails with the lowest failing seed's trace.
fn run_many(backend: Backend, count: u64, base: u64) {
    if let Some(seed) = env_u64("TRELLIS_SIM_SEED") {
        match run_schedule(seed, backend) {
            Ok(o) => {
                eprintln!("seed {seed} passed: {o:?}");
                return;
            }
            Err(f) => panic!("{}", report(&f)),
        }
    }
    let count = env_u64("TRELLIS_SIM_SCHEDULES").unwrap_or(count);
    let base = env_u64("TRELLIS_SIM_BASE").unwrap_or(base);
    let threads = env_u64("TRELLIS_SIM_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u64));
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    let totals: Mutex<(Outcome, u64)> = Mutex::new((Outcome::default(), 0));
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    return;
                }
                match run_schedule(base + i, backend.clone()) {
                    Ok(o) => {
                        let mut t = totals.lock().unwrap();
                        t.1 += 1;
                        let s = &mut t.0;
                        s.devices += o.devices;
                        s.workspaces += o.workspaces;
                        s.steps += o.steps;
                        s.acknowledged += o.acknowledged;
                        s.syncs += o.syncs;
                        s.failed_syncs += o.failed_syncs;
                        s.backups += o.backups;
                        s.restores += o.restores;
                        s.checkpoints += o.checkpoints;
                        s.refused += o.refused;
                        s.rotations += o.rotations;
                        s.removals += o.removals;
                        s.late_joins += o.late_joins;
                        s.power_cuts += o.power_cuts;
                        s.live_schedules += o.live_schedules;
                        s.live_syncs += o.live_syncs;
                        let (f, g) = (&mut s.faults, o.faults);
                        f.lost_pushes += g.lost_pushes;
                        f.dropped_push_answers += g.dropped_push_answers;
                        f.duplicated_pushes += g.duplicated_pushes;
                        f.dropped_pull_answers += g.dropped_pull_answers;
                        f.shuffled_pages += g.shuffled_pages;
                        f.delayed_entries += g.delayed_entries;
                        f.refused_offline += g.refused_offline;
                        f.relay_restarts += g.relay_restarts;
                        f.relay_backups += g.relay_backups;
                        f.relay_restores += g.relay_restores;
                        f.relay_power_cuts += g.relay_power_cuts;
                    }
                    Err(f) => {
                        stop.store(true, Ordering::SeqCst);
                        let mut slot = failure.lock().unwrap();
                        // Keep the lowest failing seed: the same one on every rerun.
                        if slot.as_ref().is_none_or(|old| f.seed < old.seed) {
                            *slot = Some(f);
                        }
                        return;
                    }
                }
            });
        }
    });
    if let Some(f) = failure.into_inner().unwrap() {
        panic!("{}", report(&f));
    }
    let (t, passed) = totals.into_inner().unwrap();
    eprintln!(
        "convergence on {backend:?}: {passed} schedules (seeds {base}..={}) passed in {:.1} s on \
         {threads} threads: {} devices, {} workspaces, {} steps, {} acknowledged writes checked, \
         {} syncs ({} failed under faults), {} device backups, {} devices restored from one, {} \
         checkpoints, {} key rotations, {} members removed, {} late joins, {} checkpoints and \
         rotations refused to members, {} device power cuts, {} schedules with a device syncing \
         live ({} syncs heard on it); network and relay: {:?}",
        base + count - 1,
        started.elapsed().as_secs_f64(),
        t.devices,
        t.workspaces,
        t.steps,
        t.acknowledged,
        t.syncs,
        t.failed_syncs,
        t.backups,
        t.restores,
        t.checkpoints,
        t.rotations,
        t.removals,
        t.late_joins,
        t.refused,
        t.power_cuts,
        t.live_schedules,
        t.live_syncs,
        t.faults
    );
    assert_eq!(passed, count);
}
