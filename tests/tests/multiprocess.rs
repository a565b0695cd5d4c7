//! Two relay processes on one PostgreSQL database, as a service runs them behind a load
//! balancer. Dana's phone reaches the relays through the balancer (a TCP proxy here, sending
//! her to relay A), Sam's straight to relay B. Both log drop-bys offline, sync, and see the
//! same thing; with Sam's app open on relay B, a drop-by Dana pushes through relay A appears on
//! Sam's screen without Sam syncing; then relay A is killed (SIGKILL) while Dana's push is in
//! flight, the balancer sends her retry to relay B, and nothing is lost or stored twice.
//!
//! Needs PostgreSQL: `#[ignore]`d in a plain `cargo test` (the output says so); scripts/test.sh
//! runs it through scripts/pg.sh with `--include-ignored`. Run without TRELLIS_TEST_POSTGRES it
//! fails rather than passes without checking anything.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use trellis_tests::{bin_dir, database_url, Device, Relay, POSTGRES_ENV, SIGNUP_SECRET};

/// A load balancer: forwards each connection to the backend port it holds at accept time. When
/// armed, it reports the first push it forwards and drops the answers on that connection, as a
/// relay that dies mid-push would.
struct Balancer {
    url: String,
    backend: Arc<AtomicU16>,
    armed: Arc<AtomicBool>,
    push_seen: mpsc::Receiver<()>,
}

impl Balancer {
    fn start(backend: u16) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let backend = Arc::new(AtomicU16::new(backend));
        let armed = Arc::new(AtomicBool::new(false));
        let (tell, push_seen) = mpsc::channel();
        let tell = Arc::new(Mutex::new(tell));
        let (to, arm) = (Arc::clone(&backend), Arc::clone(&armed));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", to.load(Ordering::SeqCst)))
                else {
                    continue; // the backend is down: the client sees the connection close
                };
                let drop_answers = Arc::new(AtomicBool::new(false));
                let (c_in, s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (arm, tell, dropping) = (
                    Arc::clone(&arm),
                    Arc::clone(&tell),
                    Arc::clone(&drop_answers),
                );
                std::thread::spawn(move || {
                    pipe(c_in, s_out, |chunk| {
                        let push = chunk.windows(5).any(|w| w == b"/push");
                        if push && arm.swap(false, Ordering::SeqCst) {
                            dropping.store(true, Ordering::SeqCst);
                            let _ = tell.lock().unwrap().send(());
                        }
                        true
                    })
                });
                std::thread::spawn(move || {
                    pipe(server, client, |_| !drop_answers.load(Ordering::SeqCst))
                });
            }
        });
        Balancer {
            url,
            backend,
            armed,
            push_seen,
        }
    }

    fn send_to(&self, port: u16) {
        self.backend.store(port, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` while `forward` says so for each chunk, then closes both directions.
fn pipe(mut from: TcpStream, mut to: TcpStream, mut forward: impl FnMut(&[u8]) -> bool) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if forward(&buf[..n]) && to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

fn notes(device: &Device) -> Vec<String> {
    let mut notes: Vec<String> = device
        .json(&["activity", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["note"].as_str().map(str::to_string))
        .collect();
    notes.sort();
    notes
}

fn drop_by(device: &Device, note: &str) {
    device.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--note",
        note,
    ]);
}

/// `(entries, highest seq, distinct changes)` of the relays' shared log.
fn shared_log(url: &str) -> (i64, i64, i64) {
    let out = Command::new("psql")
        .args([
            url,
            "-qAt",
            "-F",
            " ",
            "-c",
            "SELECT count(*), coalesce(max(seq), 0), count(DISTINCT (doc_id, change_hash)) FROM log",
        ])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let n: Vec<i64> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}

#[test]
#[ignore = "needs PostgreSQL: run through scripts/pg.sh (scripts/test.sh does)"]
fn two_relay_processes_on_one_postgres_keep_two_therapists_in_step_and_survive_one_dying() {
    assert!(
        std::env::var(POSTGRES_ENV).is_ok_and(|u| !u.is_empty()),
        "{POSTGRES_ENV} is not set: this story needs a PostgreSQL server \
         (bash scripts/pg.sh cargo test -p trellis-tests --test e2e multiprocess:: -- --include-ignored)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let (data_a, data_b) = (tmp.path().join("relay-a"), tmp.path().join("relay-b"));
    let database = database_url(&data_a).expect("a PostgreSQL database");
    std::fs::create_dir_all(&data_b).unwrap();
    std::fs::write(data_b.join("postgres-url"), &database).unwrap();
    let relay_a = Relay::start(&data_a, 0);
    let relay_b = Relay::start(&data_b, 0);
    let balancer = Balancer::start(relay_a.port);

    // Dana founds the practice through the balancer (relay A); Sam joins on relay B.
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    dana.json(&["init", "--name", "Dana"]);
    dana.json(&[
        "workspace",
        "create",
        "Maple Street Counseling",
        "--relay",
        &balancer.url,
        "--signup-secret",
        SIGNUP_SECRET,
    ]);
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&["contact", "add", "Rosa Jimenez", "--org", "Lincoln"]);
    dana.json(&["sync"]);
    let code = dana.invite(&[]);
    sam.json(&["init", "--name", "Sam"]);
    sam.json(&["workspace", "join", &code, "--relay", &relay_b.url]);
    dana.json(&["sync"]);
    sam.json(&["sync"]);

    // Offline, both log drop-bys; then they sync, each through their own relay process.
    drop_by(&dana, "dana: lunch with the counselors");
    drop_by(&dana, "dana: brochures at the front desk");
    drop_by(&sam, "sam: met the new principal");
    drop_by(&sam, "sam: left cards in the staff room");
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    dana.json(&["sync"]);
    assert_eq!(notes(&dana), notes(&sam));
    assert_eq!(notes(&dana).len(), 4);

    // Sam's app is open, following relay B's live socket; Dana pushes through relay A.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = Arc::new(trellis_core::Store::open(sam.data.join("trellis.sqlite3")).unwrap());
    let live = {
        let _entered = runtime.enter();
        Arc::clone(&store).start_live_sync().unwrap()
    };
    drop_by(&dana, "dana: follow-up about the group");
    dana.json(&["sync"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = store
            .activities()
            .unwrap()
            .into_iter()
            .any(|a| a.note.as_deref() == Some("dana: follow-up about the group"));
        if seen {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the push through relay A never reached Sam's live socket on relay B"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    live.close();
    drop(live);
    drop(store);
    drop(runtime);

    // Relay A dies while Dana's next push is in flight: her sync fails.
    for n in 1..=5 {
        drop_by(&dana, &format!("dana: afternoon round {n}"));
    }
    balancer.armed.store(true, Ordering::SeqCst);
    let mut sync = Command::new(bin_dir().join("trellis"))
        .arg("--data")
        .arg(&dana.data)
        .args(["--json", "sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    balancer
        .push_seen
        .recv_timeout(Duration::from_secs(60))
        .expect("Dana's push reached relay A");
    relay_a.kill();
    let failed = sync.wait().unwrap();
    assert!(
        !failed.success(),
        "the sync whose relay died mid-push reports a failure"
    );
    let (entries, _, _) = shared_log(&database);
    eprintln!("relay A was killed mid-push; the log held {entries} entries then");

    // The balancer sends the retry to relay B; nothing is lost, nothing stored twice.
    balancer.send_to(relay_b.port);
    let retried: Value = dana.json(&["sync"]);
    eprintln!("retry through relay B: {retried}");
    sam.json(&["sync"]);
    let dana_sees = notes(&dana);
    assert_eq!(dana_sees, notes(&sam));
    assert_eq!(dana_sees.len(), 10, "{dana_sees:?}");
    for n in 1..=5 {
        assert!(dana_sees.contains(&format!("dana: afternoon round {n}")));
    }
    let (entries, head, distinct) = shared_log(&database);
    assert_eq!(entries, head, "seqs are gap-free");
    assert_eq!(entries, distinct, "no change is stored twice");
    drop(relay_b);
}
