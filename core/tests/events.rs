//! A screen hears about every change it shows, and stops hearing once it unsubscribes.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trellis_core::events::{ChangeKind, DataChanged, Listener, SyncState};
use trellis_core::{NewActivity, NewOrg, OrgKind, Store};

struct Screen(Mutex<Sender<DataChanged>>, Mutex<Sender<SyncState>>);

impl Listener for Screen {
    fn data_changed(&self, change: &DataChanged) {
        let _ = self.0.lock().unwrap().send(change.clone());
    }
    fn sync_state(&self, state: &SyncState) {
        let _ = self.1.lock().unwrap().send(state.clone());
    }
}

fn next(rx: &Receiver<DataChanged>) -> DataChanged {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("an event arrives")
}

#[test]
fn a_listener_hears_what_changed_until_its_subscription_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("s.sqlite3")).unwrap());
    store.init("Dana").unwrap();
    let ws = store.create_workspace("Maple").unwrap();
    let (tx, rx) = channel();
    let (state_tx, state_rx) = channel();
    let sub = store.subscribe(Arc::new(Screen(Mutex::new(tx), Mutex::new(state_tx))));
    // A new listener hears where sync stands at once.
    assert_eq!(
        state_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        SyncState::Idle { last_sync_at: None }
    );

    store
        .add_org(&NewOrg {
            name: "Lincoln Middle School".into(),
            kind: Some(OrgKind::School),
            ..Default::default()
        })
        .unwrap();
    let e = next(&rx);
    assert_eq!(e.workspace_id.as_deref(), Some(ws.id.as_str()));
    assert!(e.kinds.contains(&ChangeKind::Organizations), "{e:?}");
    assert!(e.kinds.contains(&ChangeKind::Pending));
    assert!(!e.kinds.contains(&ChangeKind::Contacts));

    // A listener may call back into the store from the event.
    store
        .log_activity(&NewActivity {
            organization: Some("Lincoln".into()),
            minutes: 20,
            ..Default::default()
        })
        .unwrap();
    let e = next(&rx);
    assert!(e.kinds.contains(&ChangeKind::Activities), "{e:?}");
    assert!(
        e.kinds.contains(&ChangeKind::FollowUps),
        "a thank-you was added"
    );
    assert_eq!(store.activities().unwrap().len(), 1);

    // A failed action announces nothing.
    assert!(store
        .log_activity(&NewActivity {
            organization: Some("Nowhere".into()),
            ..Default::default()
        })
        .is_err());
    drop(sub);
    store.restock("brochure", 10).unwrap();
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "nothing after the subscription is dropped, nor from the failed action"
    );
}
