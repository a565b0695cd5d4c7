//! The tracer bullet: one drop-by travels from a phone, through an end-to-end-encrypted relay,
//! to a second device and a second therapist — across real processes, offline stretches and a
//! relay crash.

use serde_json::Value;
use trellis_tests::{contains, Device, Relay};

fn names(v: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("an array")
        .iter()
        .map(|x| x[key].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn two_therapists_and_a_laptop_log_offline_at_one_school_then_converge_through_a_crashing_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let a_phone = Device::new(tmp.path().join("a-phone"));
    let a_laptop = Device::new(tmp.path().join("a-laptop"));
    let b_phone = Device::new(tmp.path().join("b-phone"));

    // Dana creates the practice on her phone and adds the school and its counselor.
    let ws = a_phone.found_practice(&relay, "Dana Whitfield", "Maple Street Counseling");
    assert_eq!(ws["role"], "owner");
    a_phone.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    a_phone.json(&[
        "contact",
        "add",
        "Rosa Jimenez",
        "--org",
        "Lincoln",
        "--category",
        "school-counselor",
        "--needs",
        "teens with school avoidance",
    ]);
    let first = a_phone.json(&["sync"]);
    assert!(first["pushed"].as_u64().unwrap() >= 3, "{first}");

    // She invites her colleague Sam and her own laptop.
    let code_b = a_phone.invite(&["--role", "member"]);
    let code_laptop = a_phone.invite(&["--device"]);
    b_phone.json(&["init", "--name", "Sam Okafor"]);
    let joined = b_phone.json(&["workspace", "join", &code_b]);
    assert_eq!(joined["workspace"]["role"], "member");
    a_laptop.json(&["init", "--name", "Dana Whitfield"]);
    let joined = a_laptop.json(&["workspace", "join", &code_laptop]);
    assert_eq!(joined["workspace"]["member_id"], ws["member_id"]);
    // An invite is single use.
    let again = Device::new(tmp.path().join("intruder"));
    again.json(&["init", "--name", "Someone"]);
    let err = again.json_err(&["workspace", "join", &code_b]);
    assert_eq!(err["error"], "relay", "{err}");
    // Dana's phone hands both devices the practice's keys at its next sync.
    a_phone.json(&["sync"]);
    b_phone.json(&["sync"]);
    a_laptop.json(&["sync"]);
    assert_eq!(
        names(&b_phone.json(&["contact", "list"]), "name"),
        ["Rosa Jimenez"]
    );

    // The relay goes down: everyone is offline in the school corridor.
    let (relay_dir, port) = relay.kill();
    a_phone.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--minutes",
        "20",
        "--note",
        "Dana: offered a parent night on anxiety",
        "--left",
        "brochure:10",
        "--at",
        "2026-11-20T09:30:00-05:00",
    ]);
    b_phone.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln Middle School",
        "--contact",
        "Rosa Jimenez",
        "--minutes",
        "15",
        "--note",
        "Sam: left cards at the front office",
        "--left",
        "business card:5",
        "--left",
        "succulent:1",
        "--at",
        "2026-11-20T13:00:00-05:00",
    ]);
    a_phone.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Prefers email before 8am",
    ]);
    b_phone.json(&[
        "contact",
        "note",
        "Rosa",
        "--append",
        "Asked for a teen group flyer",
    ]);
    let err = a_phone.json_err(&["sync"]);
    assert_eq!(err["error"], "network", "{err}");
    assert!(
        a_phone.json(&["status"])["pending_changes"]
            .as_u64()
            .unwrap()
            >= 2
    );

    // The relay comes back; Dana's phone syncs, then the relay crashes again mid-way.
    let relay = Relay::start_retrying(&relay_dir, port);
    a_phone.json(&["sync"]);
    let relay = relay.restart();
    b_phone.json(&["sync"]);
    a_laptop.json(&["sync"]);
    a_phone.json(&["sync"]);
    b_phone.json(&["sync"]);

    // All three devices show the same two drop-bys and both note lines.
    let expected_notes = ["Asked for a teen group flyer", "Prefers email before 8am"];
    let reference = a_phone.json(&["activity", "list"]);
    for device in [&a_phone, &a_laptop, &b_phone] {
        let acts = device.json(&["activity", "list"]);
        assert_eq!(acts, reference, "activity lists differ");
        assert_eq!(acts.as_array().unwrap().len(), 2);
        assert_eq!(names(&acts, "logged_by"), ["Dana Whitfield", "Sam Okafor"]);
        let rosa = device.json(&["contact", "show", "Rosa"]);
        assert_eq!(names(&rosa["notes"], "text"), expected_notes);
        assert_eq!(rosa["last_touch_at"], "2026-11-20T18:00:00Z");
        let status = device.json(&["status"]);
        assert_eq!(status["pending_changes"], 0, "{status}");
        assert_eq!(status["cursor"], a_phone.json(&["status"])["cursor"]);
        let hits = device.json(&["search", "flyer"]);
        assert_eq!(names(&hits, "kind"), ["contact"]);
    }
    let sam_visit = reference
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["logged_by"] == "Sam Okafor")
        .unwrap();
    assert_eq!(sam_visit["organization"], "Lincoln Middle School");
    assert_eq!(sam_visit["contacts"][0], "Rosa Jimenez");
    assert_eq!(sam_visit["left_behind"][1]["item"], "succulent");
    assert_eq!(sam_visit["left_behind"][0]["qty"], 5);

    // The relay's database holds no plaintext from any of it.
    let (relay_dir, _) = relay.kill();
    let db = Relay::database_bytes(&relay_dir);
    assert!(db.len() > 1000, "the relay stored the log");
    for secret in [
        "Maple Street",
        "Lincoln",
        "Rosa",
        "Jimenez",
        "Dana",
        "Sam Okafor",
        "anxiety",
        "Prefers email",
        "flyer",
        "succulent",
        "brochure",
    ] {
        assert!(
            !contains(&db, secret),
            "the relay's database contains {secret:?}"
        );
    }
}
