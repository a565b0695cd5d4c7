//! Stories of background sync: two phones of one practice, each with live sync running, never
//! call `sync()` themselves; a relay served in-process on loopback carries their changes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use trellis_core::events::{ChangeKind, DataChanged, Listener, SyncState};
use trellis_core::{NewActivity, NewOrg, Role, Store};

use crate::common;

const SECRET: &str = "live-test-secret";

/// A TCP proxy in front of the relay whose link can be cut and restored, like a phone going
/// into a basement. While cut, connections are accepted and dropped at once, and the ones open
/// are closed.
struct Link {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Link {
    async fn to(relay: SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (up2, open2) = (Arc::clone(&up), Arc::clone(&open));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                // Checked and registered under the lock `cut` takes, so a connection accepted
                // just as the link is cut is either refused or closed by the cut.
                let mut open = open2.lock().expect("lock");
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(relay).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.push(task.abort_handle());
            }
        });
        Link { addr, up, open }
    }

    fn cut(&self) {
        let mut open = self.open.lock().expect("lock");
        self.up.store(false, Ordering::SeqCst);
        for task in open.drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Records what a store's listeners hear.
#[derive(Default)]
struct Heard {
    changes: Mutex<Vec<DataChanged>>,
    states: Mutex<Vec<SyncState>>,
}

impl Listener for Heard {
    fn data_changed(&self, change: &DataChanged) {
        self.changes.lock().expect("lock").push(change.clone());
    }
    fn sync_state(&self, state: &SyncState) {
        self.states.lock().expect("lock").push(state.clone());
    }
}

impl Heard {
    fn heard_kind(&self, kind: ChangeKind) -> bool {
        self.changes
            .lock()
            .expect("lock")
            .iter()
            .any(|c| c.kinds.contains(&kind))
    }
    fn heard_state(&self, f: impl Fn(&SyncState) -> bool) -> bool {
        self.states.lock().expect("lock").iter().any(f)
    }
}

/// Waits until `done` holds, failing after `secs` seconds.
async fn eventually(secs: u64, what: &str, done: impl Fn() -> bool) {
    eventually_explained(secs, what, done, String::new).await;
}

/// As [`eventually`], and a failure also prints what `explain` says (e.g. the states heard).
async fn eventually_explained(
    secs: u64,
    what: &str,
    done: impl Fn() -> bool,
    explain: impl Fn() -> String,
) {
    // Generous: a loaded 2-core CI machine can be slow; a pass never waits for the bound.
    let until = Instant::now() + Duration::from_secs(secs * 4);
    while !done() {
        assert!(
            Instant::now() < until,
            "timed out waiting for: {what} {}",
            explain()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Dana's phone with a shared practice and a school, and Sam's phone joined to it (through
/// `b_relay` when given) and synced once.
async fn two_phones(
    dir: &TempDir,
    relay: SocketAddr,
    b_relay: Option<SocketAddr>,
) -> (Arc<Store>, Arc<Store>) {
    let a = Arc::new(Store::open(dir.path().join("a.sqlite3")).expect("open a"));
    a.init("Dana").expect("init a");
    a.create_shared_workspace(
        "Maple Street Counseling",
        &format!("http://{relay}"),
        SECRET,
    )
    .await
    .expect("shared workspace");
    a.add_org(&NewOrg {
        name: "Lincoln Middle School".into(),
        ..Default::default()
    })
    .expect("org");
    let code = a.create_invite(Role::Member, false).await.expect("invite");
    a.sync().await.expect("a syncs");

    let b = Arc::new(Store::open(dir.path().join("b.sqlite3")).expect("open b"));
    b.init("Sam").expect("init b");
    let over = b_relay.map(|r| format!("http://{r}"));
    b.join(&code, over.as_deref()).await.expect("join");
    a.sync().await.expect("a hands the keys over");
    b.sync().await.expect("b syncs");
    assert_eq!(b.organizations().expect("orgs").len(), 1);
    (a, b)
}

fn drop_by(note: &str) -> NewActivity {
    NewActivity {
        organization: Some("Lincoln".into()),
        minutes: 20,
        note: Some(note.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_by_on_one_phone_reaches_the_other_without_anyone_calling_sync() {
    let dir = TempDir::new().expect("tempdir");
    let addr = common::relay(&dir, SECRET).await;
    let (a, b) = two_phones(&dir, addr, None).await;
    let heard_b = Arc::new(Heard::default());
    let _sub = b.subscribe(Arc::clone(&heard_b) as Arc<dyn Listener>);
    let live_a = Arc::clone(&a).start_live_sync().expect("live a");
    let live_b = Arc::clone(&b).start_live_sync().expect("live b");
    assert!(live_a.is_running() && live_b.is_running());

    // Dana logs a drop-by; her phone pushes it after the debounce, the relay announces the new
    // head on Sam's socket, and Sam's phone pulls it.
    a.log_activity(&drop_by("Met the counselor at the front office"))
        .expect("drop-by");
    eventually(15, "the drop-by on Sam's phone", || {
        b.activities().map(|v| v.len() == 1).unwrap_or(false)
    })
    .await;
    assert_eq!(
        b.activities().expect("activities")[0].note.as_deref(),
        Some("Met the counselor at the front office")
    );
    eventually(5, "Sam's listener hears activities", || {
        heard_b.heard_kind(ChangeKind::Activities)
    })
    .await;
    assert!(heard_b.heard_state(|s| *s == SyncState::Syncing));
    eventually(5, "Sam's sync ends idle", || {
        heard_b.heard_state(|s| matches!(s, SyncState::Idle { .. }))
    })
    .await;
    assert_eq!(a.status().expect("status").pending_changes, 0);

    // Stopped, Sam's phone no longer follows.
    live_b.stop().await;
    a.log_activity(&drop_by("Second visit")).expect("drop-by");
    eventually(10, "Dana's second drop-by pushed", || {
        a.status().map(|s| s.pending_changes == 0).unwrap_or(false)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(b.activities().expect("activities").len(), 1);
    b.sync().await.expect("sync by hand");
    assert_eq!(b.activities().expect("activities").len(), 2);
    drop(live_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_offline_reports_it_and_catches_up_when_the_link_returns() {
    let dir = TempDir::new().expect("tempdir");
    let addr = common::relay(&dir, SECRET).await;
    let link = Link::to(addr).await;
    let (a, b) = two_phones(&dir, addr, Some(link.addr)).await;
    let heard_b = Arc::new(Heard::default());
    let _sub = b.subscribe(Arc::clone(&heard_b) as Arc<dyn Listener>);
    let _live_b = Arc::clone(&b).start_live_sync().expect("live b");
    eventually(10, "Sam's first sync", || {
        heard_b.heard_state(|s| matches!(s, SyncState::Idle { .. }))
    })
    .await;

    // In the basement: Sam logs a visit offline; it waits on the phone and he is told so.
    link.cut();
    b.log_activity(&drop_by("Left brochures with the nurse"))
        .expect("offline drop-by");
    eventually_explained(
        15,
        "Sam is told he is offline with a change waiting",
        || heard_b.heard_state(|s| matches!(s, SyncState::Offline { pending } if *pending > 0)),
        || {
            format!(
                "(heard: {:?}; pending: {:?})",
                heard_b.states.lock().expect("lock"),
                b.status().map(|s| s.pending_changes)
            )
        },
    )
    .await;
    a.log_activity(&drop_by("Dana's visit meanwhile"))
        .expect("drop-by");
    a.sync().await.expect("a syncs");

    // Back upstairs: the phone reconnects by itself, pushes Sam's visit and pulls Dana's.
    link.restore();
    eventually(20, "Sam's phone caught up", || {
        b.activities().map(|v| v.len() == 2).unwrap_or(false)
            && b.status().map(|s| s.pending_changes == 0).unwrap_or(false)
    })
    .await;
    a.sync().await.expect("a syncs");
    assert_eq!(a.activities().expect("activities").len(), 2);
}

#[tokio::test]
async fn live_sync_needs_a_runtime_and_a_local_workspace_does_not_stop_it() {
    let dir = TempDir::new().expect("tempdir");
    let store = Arc::new(Store::open(dir.path().join("s.sqlite3")).expect("open"));
    // Outside a runtime it is an error, not a panic.
    let outside = std::thread::spawn({
        let store = Arc::clone(&store);
        move || store.start_live_sync().is_err()
    });
    assert!(outside.join().expect("thread"));
    // With no workspace it waits quietly, and stops when asked.
    let live = Arc::clone(&store).start_live_sync().expect("live");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(live.is_running());
    live.stop().await;
}
