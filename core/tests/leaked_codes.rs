//! An invite code that leaks gives nothing: once used, once expired, or once cancelled it lets
//! no device in and leaves nothing of the practice on it. The relay runs in-process with a
//! clock the story moves forward.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tempfile::TempDir;
use trellis_core::{Error, NewActivity, NewOrg, Role, Store};
use trellis_relay::Clock;

use crate::common;

const SECRET: &str = "leaked-codes-secret";

fn refused_as_gone(result: trellis_core::Result<trellis_core::WorkspaceInfo>) {
    match result {
        Err(Error::Relay { status: 410, .. }) => {}
        other => panic!("expected 410 from the relay, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_code_gives_nothing_once_used_expired_or_cancelled() {
    let dir = TempDir::new().expect("temp dir");
    let now = Arc::new(AtomicI64::new(1_800_000_000));
    let relay_now = Arc::clone(&now);
    let addr = common::relay_with_clock(
        &dir,
        SECRET,
        Clock::from_fn(move || relay_now.load(Ordering::SeqCst)),
    )
    .await;
    let url = format!("http://{addr}");

    let dana = Store::open(dir.path().join("dana.sqlite3")).expect("open");
    dana.init("Dana").expect("init");
    dana.create_shared_workspace("Maple Street Counseling", &url, SECRET)
        .await
        .expect("practice");
    dana.add_org(&NewOrg {
        name: "Lincoln Middle School".into(),
        ..Default::default()
    })
    .expect("org");
    dana.log_activity(&NewActivity {
        organization: Some("Lincoln".into()),
        minutes: 20,
        note: Some("Monday: met the counselor".into()),
        ..Default::default()
    })
    .expect("drop-by");
    dana.sync().await.expect("sync");

    let eve = Store::open(dir.path().join("eve.sqlite3")).expect("open");
    eve.init("Eve").expect("init");

    // Used: Sam joined with it; the same code later gets nobody in.
    let used = dana
        .create_invite(Role::Member, false)
        .await
        .expect("invite");
    let sam = Store::open(dir.path().join("sam.sqlite3")).expect("open");
    sam.init("Sam").expect("init");
    assert!(sam.join(&used, None).await.expect("join").awaiting_keys);
    assert_eq!(dana.sync().await.expect("sync").keys_granted, 1);
    sam.sync().await.expect("sam syncs");
    assert_eq!(sam.organizations().expect("orgs").len(), 1);
    refused_as_gone(eve.join(&used, None).await);
    assert!(eve.workspaces().expect("list").is_empty());

    // Expired: 72 hours and a minute after it was made.
    let expired = dana
        .create_invite(Role::Member, false)
        .await
        .expect("invite");
    now.fetch_add(72 * 3600 + 60, Ordering::SeqCst);
    refused_as_gone(eve.join(&expired, None).await);
    assert!(eve.workspaces().expect("list").is_empty());

    // Cancelled before anyone used it.
    let cancelled = dana
        .create_invite(Role::Admin, false)
        .await
        .expect("invite");
    let open = dana.invites().await.expect("open invites");
    let id = open
        .iter()
        .find(|i| i.role == Role::Admin)
        .expect("the admin invite is open")
        .invite_id
        .clone();
    dana.cancel_invite(&id[..6]).await.expect("cancel");
    refused_as_gone(eve.join(&cancelled, None).await);
    assert!(eve.workspaces().expect("list").is_empty());
    assert!(matches!(eve.status(), Err(Error::NoWorkspace)));

    // Dana's device hands nobody keys: nobody else was admitted.
    assert_eq!(dana.sync().await.expect("sync").keys_granted, 0);
}
