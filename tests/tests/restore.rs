//! Restored and cloned phones, a restored relay, and bad entries: a phone put back from last
//! night's backup (once or twice), a phone copied to a new one with both in use, a relay put
//! back from a backup (with or without its operator saying so), and a member who pushes junk
//! (unreadable bytes, other bytes under the hash of a colleague's change) never stop the
//! practice's sync, and every drop-by reaches everyone.

use sha2::{Digest, Sha256};
use trellis_core::crypto::Sealed;
use trellis_protocol::batch::{self, PushEntry};
use trellis_protocol::Id;
use trellis_tests::{copy_dir, Device, Relay};

/// Dana's practice on a new relay, with Lincoln Middle School, and Sam as a member.
fn practice(dir: &std::path::Path) -> (Relay, Device, Device) {
    let relay = Relay::start(&dir.join("relay"), 0);
    let dana = Device::new(dir.join("dana"));
    let sam = Device::new(dir.join("sam"));
    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.invite_member(&sam, "Sam");
    (relay, dana, sam)
}

fn notes(d: &Device) -> Vec<String> {
    d.activity_notes()
}

fn drop_by(d: &Device, note: &str) {
    d.json(&["log", "drop-by", "--org", "Lincoln", "--note", note]);
}

/// Syncs and asserts that nothing was set aside.
fn sync_clean(d: &Device) {
    let report = d.json(&["sync"]);
    assert_eq!(report["set_aside"], 0, "{report}");
    assert_eq!(report["gaps"], 0, "{report}");
}

fn expect(visits: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = visits.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn a_phone_restored_from_last_nights_backup_twice_keeps_the_whole_practice_syncing() {
    let tmp = tempfile::tempdir().unwrap();
    let (_relay, dana, sam) = practice(tmp.path());
    drop_by(&dana, "Monday: met the counselor");
    sync_clean(&dana);

    // Last night's backup of Dana's phone.
    let backup = tmp.path().join("backup");
    copy_dir(&dana.data, &backup);

    // Tuesday's drop-by reaches the relay; then the phone is restored from the backup.
    drop_by(&dana, "Tuesday: brochures at the front desk");
    sync_clean(&dana);
    copy_dir(&backup, &dana.data);
    assert_eq!(notes(&dana), expect(&["Monday: met the counselor"]));

    // On the restored phone Dana logs Wednesday's visit and syncs: she gets Tuesday back.
    drop_by(&dana, "Wednesday: staff meeting talk");
    sync_clean(&dana);
    let three = expect(&[
        "Monday: met the counselor",
        "Tuesday: brochures at the front desk",
        "Wednesday: staff meeting talk",
    ]);
    assert_eq!(notes(&dana), three);
    sync_clean(&sam);
    assert_eq!(notes(&sam), three);

    // Restored from the same backup a second time: Thursday's visit too reaches everyone.
    copy_dir(&backup, &dana.data);
    drop_by(&dana, "Thursday: thank-you card");
    sync_clean(&dana);
    sync_clean(&sam);
    let four = expect(&[
        "Monday: met the counselor",
        "Thursday: thank-you card",
        "Tuesday: brochures at the front desk",
        "Wednesday: staff meeting talk",
    ]);
    assert_eq!(notes(&dana), four);
    assert_eq!(notes(&sam), four);

    // A colleague who joins afterwards sees the whole practice.
    let lee = Device::new(tmp.path().join("lee"));
    let joined = dana.invite_member(&lee, "Lee");
    assert_eq!(joined["sync"]["set_aside"], 0, "{joined}");
    assert_eq!(notes(&lee), four);
    for d in [&dana, &sam, &lee] {
        let status = d.json(&["status"]);
        assert_eq!(status["set_aside"], 0, "{status}");
        assert_eq!(status["gaps"], 0, "{status}");
    }
}

#[test]
fn a_phone_copied_to_a_new_one_with_both_in_use_converges() {
    let tmp = tempfile::tempdir().unwrap();
    let (_relay, dana, sam) = practice(tmp.path());
    drop_by(&dana, "before the transfer");
    sync_clean(&dana);

    // The phone's store is copied to a new phone, and for a week both are used offline.
    let clone = Device::new(tmp.path().join("dana-new-phone"));
    copy_dir(&dana.data, &clone.data);
    drop_by(&dana, "old phone: Tuesday");
    drop_by(&clone, "new phone: Tuesday");
    drop_by(&dana, "old phone: Wednesday");
    drop_by(&clone, "new phone: Wednesday");
    sync_clean(&clone);
    sync_clean(&dana);
    sync_clean(&clone);
    sync_clean(&sam);
    let all = expect(&[
        "before the transfer",
        "new phone: Tuesday",
        "new phone: Wednesday",
        "old phone: Tuesday",
        "old phone: Wednesday",
    ]);
    assert_eq!(notes(&dana), all);
    assert_eq!(notes(&clone), all);
    assert_eq!(notes(&sam), all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_from_a_member_under_a_colleagues_predicted_hash_is_set_aside_and_stops_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (relay, dana, sam) = practice(tmp.path());
    sync_clean(&dana);
    sync_clean(&sam);

    // Sam, a hostile member, predicts the first change of Dana's logbook for this month: it is
    // the same on every device (here: what a copy of Dana's store makes for her first drop-by).
    let keys = sam.keys();
    let scratch = Device::new(tmp.path().join("scratch"));
    copy_dir(&dana.data, &scratch.data);
    drop_by(&scratch, "a visit Sam imagines");
    let made = scratch.outbox_changes(&keys);
    let (logbook, genesis) = made
        .iter()
        .find(|(_, c)| c.deps().is_empty())
        .expect("the new logbook's first change");
    let (_, visit) = made
        .iter()
        .find(|(doc, c)| doc == logbook && !c.deps().is_empty())
        .expect("the visit");
    // The hash a device used to store that change under: keyed with the first key, and
    // nothing else, so anyone in the practice could compute it ahead of time.
    let predicted: [u8; 32] = {
        let mut h = Sha256::new();
        h.update(b"trellis/change-id/v1");
        h.update(keys.iter().next().unwrap().1.as_bytes());
        h.update(genesis.hash().0);
        h.finalize().into()
    };
    let (_, ws) = sam.credentials();
    let ws_id: Id = ws.parse().unwrap();
    let junk = vec![
        // Another change, properly sealed and signed by Sam, under the predicted hash of
        // Dana's genesis.
        PushEntry {
            doc_id: *logbook,
            change_hash: predicted,
            bytes: keys.seal(
                Sealed::Change,
                &ws_id,
                logbook,
                &sam.sign_change(logbook, &visit.hash().0, visit.raw_bytes()),
            ),
        },
        // Bytes that open with no key at all.
        PushEntry {
            doc_id: *logbook,
            change_hash: [7; 32],
            bytes: b"not an envelope at all".to_vec(),
        },
    ];
    let (token, _) = sam.credentials();
    let status = reqwest::Client::new()
        .post(format!("{}/v1/workspaces/{ws}/push", relay.url))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(batch::encode_push(&junk))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);

    // Dana logs her first drop-by of the month and syncs: it reaches Sam and a colleague
    // who joins later; the junk is set aside on every device and stops nothing.
    drop_by(&dana, "Monday: met the counselor");
    let report = dana.json(&["sync"]);
    assert_eq!(report["set_aside"], 2, "{report}");
    assert_eq!(report["gaps"], 0, "{report}");
    let report = sam.json(&["sync"]);
    assert_eq!(report["set_aside"], 2, "{report}");
    assert_eq!(report["gaps"], 0, "{report}");
    assert_eq!(notes(&sam), expect(&["Monday: met the counselor"]));
    let aside = sam.json(&["set-aside"]);
    let mut reasons: Vec<&str> = aside
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["hash_mismatch", "unreadable"], "{aside}");
    assert_eq!(sam.json(&["status"])["set_aside"], 2);
    // A device holding entries it could not apply does not cut a checkpoint.
    let refused = dana.json_err(&["workspace", "checkpoint"]);
    assert!(
        refused["message"].as_str().unwrap().contains("set aside"),
        "{refused}"
    );

    drop_by(&dana, "Tuesday: brochures");
    dana.json(&["sync"]);
    let lee = Device::new(tmp.path().join("lee"));
    let joined = dana.invite_member(&lee, "Lee");
    assert_eq!(joined["sync"]["gaps"], 0, "{joined}");
    assert_eq!(
        notes(&lee),
        expect(&["Monday: met the counselor", "Tuesday: brochures"])
    );
    assert_eq!(lee.json(&["status"])["set_aside"], 2);
}

/// The relay is backed up, the practice goes on (visits, a new contact), then the relay is
/// put back from the backup. `tell`: the operator runs `admin restored` as the procedure says.
fn relay_restored_from_a_backup(tell: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let (relay, dana, sam) = practice(tmp.path());
    drop_by(&dana, "Monday: met the counselor");
    sync_clean(&dana);
    sync_clean(&sam);

    // Last night's backup of the relay (taken while it was stopped).
    let (data, port) = relay.kill();
    let backup = tmp.path().join("relay-backup");
    Relay::backup(&data, &backup);
    let relay = Relay::start_retrying(&data, port);

    // The next day both therapists log visits and sync; the relay acknowledges them all.
    drop_by(&dana, "Tuesday: brochures at the front desk");
    sync_clean(&dana);
    drop_by(&sam, "Tuesday: Sam's talk to the PTA");
    drop_by(&sam, "Tuesday: Sam's follow-up call");
    sync_clean(&sam);
    sync_clean(&dana);

    // The relay's disk fails and the backup is put back.
    let (data, port) = relay.kill();
    Relay::restore(&data, &backup, tell);
    let _relay = Relay::start_retrying(&data, port);

    if tell {
        // Dana logs Wednesday's visit and syncs: the log's new identity tells her sync of the
        // rollback, and it pushes back what the relay lost (hers and Sam's); Sam's does too.
        drop_by(&dana, "Wednesday: staff meeting");
        let report = dana.json(&["sync"]);
        assert_eq!(report["relay_rolled_back"], true, "{report}");
        assert!(report["repushed"].as_u64().unwrap() > 0, "{report}");
        let report = sam.json(&["sync"]);
        assert_eq!(report["relay_rolled_back"], true, "{report}");
    } else {
        // Nobody said so, but the relay's head is behind Sam's cursor: his sync notices and
        // pushes back what the relay lost; Dana's visit of Wednesday then lands on a whole log.
        let report = sam.json(&["sync"]);
        assert_eq!(report["relay_rolled_back"], true, "{report}");
        assert!(report["repushed"].as_u64().unwrap() > 0, "{report}");
        drop_by(&dana, "Wednesday: staff meeting");
        sync_clean(&dana);
    }
    sync_clean(&dana);
    sync_clean(&sam);
    let all = expect(&[
        "Monday: met the counselor",
        "Tuesday: Sam's follow-up call",
        "Tuesday: Sam's talk to the PTA",
        "Tuesday: brochures at the front desk",
        "Wednesday: staff meeting",
    ]);
    assert_eq!(notes(&dana), all);
    assert_eq!(notes(&sam), all);
    // A colleague who joins the restored relay sees everything, with nothing missing.
    let lee = Device::new(tmp.path().join("lee"));
    let joined = dana.invite_member(&lee, "Lee");
    assert_eq!(joined["sync"]["gaps"], 0, "{joined}");
    assert_eq!(notes(&lee), all);
    // Later syncs are ordinary again.
    let report = dana.json(&["sync"]);
    assert_eq!(report["relay_rolled_back"], false, "{report}");
}

#[test]
fn a_relay_restored_from_a_backup_is_noticed_and_loses_no_visit() {
    relay_restored_from_a_backup(true);
}

#[test]
fn a_relay_restored_without_a_word_from_its_operator_is_noticed_by_the_devices_cursors() {
    relay_restored_from_a_backup(false);
}
