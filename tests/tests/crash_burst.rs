//! "Instant, never lost", under bursts: the CLI runs writes back to back (organizations,
//! contacts, notes, drop-bys with leave-behinds, restocks) and is killed with SIGKILL at a
//! random moment of each burst. Every write the CLI reported as done is there afterwards, the
//! stock is what the writes that ran say, the index equals a rebuild from the documents, and
//! SQLite's integrity check passes.
//!
//! Kill points come from a seeded RNG: `TRELLIS_CRASH_SEED` replays a seed (it is printed).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trellis_tests::sim::rng::Rng;
use trellis_tests::{bin_dir, Device};

/// Bursts per run (each ends in at most one kill); `TRELLIS_CRASH_BURSTS` sets another number.
const BURSTS: usize = 40;
/// Writes per burst, at most.
const BURST_LEN: usize = 5;

fn seed() -> u64 {
    std::env::var("TRELLIS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
        })
}

#[derive(Debug, Clone)]
enum Write {
    Org(String),
    Contact(String),
    Note(String),
    DropBy(String),
    Restock(u32),
}

impl Write {
    fn args(&self) -> Vec<String> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        match self {
            Write::Org(n) => s(&["org", "add", n, "--kind", "school"]),
            Write::Contact(n) => s(&["contact", "add", n, "--org", "Lincoln"]),
            Write::Note(t) => s(&["contact", "note", "Rosa", "--append", t]),
            Write::DropBy(t) => s(&[
                "log",
                "drop-by",
                "--org",
                "Lincoln",
                "--contact",
                "Rosa",
                "--note",
                t,
                "--left",
                "Brochures:1",
            ]),
            Write::Restock(q) => s(&["stock", "add", "Brochures", &q.to_string()]),
        }
    }
}

fn spawn(phone: &Device, args: &[String]) -> Child {
    Command::new(bin_dir().join("trellis"))
        .arg("--data")
        .arg(&phone.data)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the CLI starts")
}

#[test]
fn a_phone_killed_in_the_middle_of_write_bursts_keeps_every_write_it_confirmed() {
    let seed = seed();
    eprintln!("crash_burst seed {seed} (replay: TRELLIS_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);
    let bursts: usize = std::env::var("TRELLIS_CRASH_BURSTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(BURSTS);
    let tmp = tempfile::tempdir().unwrap();
    let phone = Device::new(tmp.path().join("phone"));
    phone.json(&["init", "--name", "Dana"]);
    phone.json(&["workspace", "create", "Maple Street Counseling"]);
    phone.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    phone.json(&["contact", "add", "Rosa Diaz", "--org", "Lincoln"]);
    // One write's time here, to start with.
    let started = Instant::now();
    phone.json(&["stock", "add", "Brochures", "500"]);
    let one = started.elapsed().as_micros() as u64;

    let mut confirmed: Vec<Write> = Vec::new();
    let mut attempted: Vec<Write> = Vec::new();
    let mut kills = 0;
    let mut n = 0;
    // The typical time of one write, kept current (the machine may be busy or idle).
    let mut typical = one.max(1);
    for _ in 0..bursts {
        // From the burst's `first_target`-th write on, each write is killed at a random point
        // of a typical write's time (if it finishes first, the next one is the target).
        let first_target = rng.below(3) as usize;
        for i in 0..BURST_LEN {
            let kill_after =
                (i >= first_target).then(|| Duration::from_micros(rng.below(typical * 5 / 4)));
            let started = Instant::now();
            n += 1;
            let w = match rng.below(5) {
                0 => Write::Org(format!("Org {n}")),
                1 => Write::Contact(format!("Contact {n}")),
                2 => Write::Note(format!("note {n}")),
                3 => Write::DropBy(format!("visit {n}")),
                _ => Write::Restock(1 + rng.below(9) as u32),
            };
            attempted.push(w.clone());
            let mut child = spawn(&phone, &w.args());
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Some(status);
                }
                if kill_after.is_some_and(|d| started.elapsed() >= d) {
                    let _ = child.kill();
                    let _ = child.wait();
                    kills += 1;
                    break None;
                }
                std::thread::sleep(Duration::from_micros(500));
            };
            match status {
                Some(s) if s.success() => {
                    typical = (typical * 3 + started.elapsed().as_micros() as u64) / 4;
                    confirmed.push(w);
                }
                Some(s) => panic!("{w:?} failed without a kill: {s}"),
                None => break,
            }
        }
    }
    eprintln!(
        "{kills} kills in {bursts} bursts; {} of {} writes confirmed",
        confirmed.len(),
        attempted.len()
    );
    assert!(kills >= bursts / 2, "too few kills landed: {kills}");

    // What the screens show now.
    let names = |v: serde_json::Value, key: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x[key].as_str().map(str::to_string))
            .collect()
    };
    let orgs = names(phone.json(&["org", "list"]), "name");
    let contacts = names(phone.json(&["contact", "list"]), "name");
    let activities = names(phone.json(&["activity", "list"]), "note");
    let notes = names(
        phone.json(&["contact", "show", "Rosa"])["notes"].clone(),
        "text",
    );
    let stock = phone.json(&["stock", "list"])[0]["stock"].as_i64().unwrap();
    for w in &confirmed {
        let present = match w {
            Write::Org(n) => orgs.contains(n),
            Write::Contact(n) => contacts.contains(n),
            Write::Note(t) => notes.contains(t),
            Write::DropBy(t) => activities.contains(t),
            Write::Restock(_) => true,
        };
        assert!(present, "the confirmed write {w:?} was lost (seed {seed})");
    }
    // Nothing appears that was never attempted, and the stock is 500 plus the restocks minus
    // the drop-bys that are there (each left one brochure), with every confirmed restock in.
    let restocked_confirmed: i64 = confirmed
        .iter()
        .map(|w| match w {
            Write::Restock(q) => i64::from(*q),
            _ => 0,
        })
        .sum();
    let restocked_attempted: i64 = attempted
        .iter()
        .map(|w| match w {
            Write::Restock(q) => i64::from(*q),
            _ => 0,
        })
        .sum();
    let left = activities.len() as i64;
    assert!(
        stock >= 500 + restocked_confirmed - left && stock <= 500 + restocked_attempted - left,
        "stock {stock}: restocked {restocked_confirmed}..{restocked_attempted}, {left} left behind (seed {seed})"
    );

    let db = phone.data.join("trellis.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "seed {seed}");
    drop(conn);

    // The index is exactly what the documents say: rebuilding it changes no screen.
    let store = trellis_core::Store::open(&db).unwrap();
    let before = screens(&store);
    store.rebuild_index().unwrap();
    assert_eq!(screens(&store), before, "seed {seed}");
}

fn screens(store: &trellis_core::Store) -> Vec<String> {
    vec![
        format!("{:?}", store.organizations().unwrap()),
        format!("{:?}", store.contacts().unwrap()),
        format!("{:?}", store.activities().unwrap()),
        format!("{:?}", store.contact("Rosa").unwrap().notes),
        format!("{:?}", store.stock().unwrap()),
        format!(
            "{:?}",
            store.followups(trellis_core::FollowUpFilter::All).unwrap()
        ),
    ]
}
