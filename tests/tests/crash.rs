//! "Instant, never lost": the CLI is killed with SIGKILL at different points while logging
//! drop-bys. Every drop-by it reported as saved is there afterwards, nothing is half-written
//! (the index matches the documents it is built from), and the file passes SQLite's check.

use std::process::Command;
use std::time::Duration;

use trellis_tests::{bin_dir, Device};

#[test]
fn a_phone_killed_while_logging_keeps_every_drop_by_it_confirmed() {
    let tmp = tempfile::tempdir().unwrap();
    let phone = Device::new(tmp.path().join("phone"));
    phone.json(&["init", "--name", "Dana"]);
    phone.json(&["workspace", "create", "Maple Street Counseling"]);
    phone.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);

    let rounds = 24;
    let mut confirmed = Vec::new();
    for round in 0..rounds {
        let note = format!("visit {round}");
        let mut child = Command::new(bin_dir().join("trellis"))
            .arg("--data")
            .arg(&phone.data)
            .args(["log", "drop-by", "--org", "Lincoln", "--note", &note])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different moment each round: before start-up, mid-write, after exit.
        // One run takes ~30 ms here; the kill lands anywhere from 0 to ~70 ms.
        std::thread::sleep(Duration::from_micros(round as u64 * 3_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            confirmed.push(note);
        }
    }

    let acts = phone.json(&["activity", "list"]);
    let notes: Vec<&str> = acts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["note"].as_str().unwrap())
        .collect();
    for note in &confirmed {
        assert!(
            notes.contains(&note.as_str()),
            "confirmed {note:?} was lost"
        );
    }
    assert!(notes.len() >= confirmed.len() && notes.len() <= rounds);

    eprintln!(
        "{} of {rounds} runs confirmed, {} drop-bys stored",
        confirmed.len(),
        notes.len()
    );
    let db = phone.data.join("trellis.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    // Rebuilding the index from the documents gives exactly what the screens showed.
    let store = trellis_core::Store::open(&db).unwrap();
    store.rebuild_index().unwrap();
    let rebuilt: Vec<String> = store
        .activities()
        .unwrap()
        .into_iter()
        .filter_map(|a| a.note)
        .collect();
    let mut a = rebuilt.clone();
    let mut b: Vec<String> = notes.iter().map(|s| s.to_string()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // And every drop-by is queued for the relay: one logbook change per visit, at least.
    assert!(store.status().unwrap().pending_changes as usize >= notes.len());
}
