//! Keys that move while devices are away: an admin rotates the practice's key while the owner's
//! phone and tablet are not looking. The owner's phone still invites a colleague who can push,
//! still makes the next key and reads what was sealed with the one it skipped, and the tablet,
//! which slept through two rotations, starts from a checkpoint sealed with the newest key and
//! sees everything. Nothing is set aside anywhere.

use serde_json::Value;
use trellis_tests::{Device, Relay};

fn set_aside(d: &Device) -> u64 {
    d.json(&["status"])["set_aside"].as_u64().expect("a count")
}

fn contact_notes(d: &Device, who: &str) -> Vec<String> {
    let page = d.json(&["contact", "show", who]);
    let mut notes: Vec<String> = page["notes"]
        .as_array()
        .map(|n| {
            n.iter()
                .map(|n| n["text"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    notes.sort();
    notes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_that_missed_key_rotations_invite_remove_and_bootstrap_without_losing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let tablet = Device::new(tmp.path().join("dana-tablet"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));

    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["sync"]);
    dana.add_device(&tablet, "Dana");
    let code = dana.invite(&["--role", "admin"]);
    sam.json(&["init", "--name", "Sam"]);
    dana.let_in(&sam, &code);

    // Sam, an admin, makes a new key and writes with it; Dana's phone does not sync.
    let rotated = sam.json(&["workspace", "rotate-key"]);
    assert_eq!(rotated["epoch"], 1, "{rotated}");
    sam.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Asked for the anxiety group flyer",
    ]);
    sam.json(&["sync"]);

    // Dana's phone invites Lee without having synced: the code must carry the newest key, or
    // Lee's phone could never push anything.
    dana.invite_member(&lee, "Lee");
    lee.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--note",
        "Brought the spring calendar",
    ]);
    let lee_sync = lee.json(&["sync"]);
    assert!(lee_sync["pushed"].as_u64().unwrap() >= 1, "{lee_sync}");
    assert_eq!(lee.json(&["status"])["pending_changes"], 0);
    assert_eq!(
        contact_notes(&lee, "Rosa"),
        ["Asked for the anxiety group flyer"]
    );

    // Dana's phone makes the next key, still without syncing: epoch 2 from the relay's
    // epoch 1, whose key it must fetch first, or what Sam and Lee sealed with it would never
    // open here.
    let rotated = dana.json(&["workspace", "rotate-key"]);
    assert_eq!(rotated["epoch"], 2, "{rotated}");
    dana.json(&["sync"]);
    assert_eq!(set_aside(&dana), 0);
    assert_eq!(
        contact_notes(&dana, "Rosa"),
        ["Asked for the anxiety group flyer"]
    );
    assert_eq!(dana.activity_notes(), ["Brought the spring calendar"]);
    let ring = dana.keys();
    assert_eq!(
        ring.iter().map(|(e, _)| e).collect::<Vec<_>>(),
        [0, 1, 2],
        "the phone holds every key"
    );

    // A checkpoint sealed with epoch 2; the tablet, asleep since it joined at epoch 0, starts
    // from it, since this relay deletes what a checkpoint compacts at once (`Relay::start`
    // gives it no grace period).
    let cut: Value = dana.json(&["workspace", "checkpoint"]);
    assert!(cut["docs"].as_u64().unwrap() >= 3, "{cut}");
    let boot = tablet.json(&["sync"]);
    assert!(boot["bootstrapped_docs"].as_u64().unwrap() >= 3, "{boot}");
    assert_eq!(set_aside(&tablet), 0);
    assert_eq!(
        contact_notes(&tablet, "Rosa"),
        ["Asked for the anxiety group flyer"]
    );
    assert_eq!(tablet.activity_notes(), ["Brought the spring calendar"]);
}
