//! Invites that carry no key: what a code holds (and what someone who reads it can do with
//! it), a join that finishes whichever device syncs first, keys handed over by the inviting
//! device or an admin's, invites listed and cancelled, a device revoked before it got its keys,
//! and a relay that tries to hand a joiner a key it made. Real processes: a relay, the CLI on
//! each device, and `trellis_tests::hostile::HostileRelay` where the relay lies.

use serde_json::{json, Value};
use trellis_core::crypto::{seal_key_for, WorkspaceKey};
use trellis_tests::hostile::{
    b64url, found, found_with_visit, from_b64url, HostileRelay, Identity, Rule,
};
use trellis_tests::{Device, Relay};

const PRACTICE: &str = "Maple Street Counseling";

/// The JSON inside an invite code.
fn code_json(code: &str) -> Value {
    let body = code.strip_prefix("trellis3.").expect("a trellis3 code");
    serde_json::from_slice(&from_b64url(body).expect("base64")).expect("JSON")
}

/// Every workspace key a device holds, as stored.
fn held_keys(d: &Device) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(d.data.join("trellis.sqlite3")).unwrap();
    let mut st = conn
        .prepare("SELECT key FROM workspace_keys ORDER BY epoch")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn notes(d: &Device) -> Vec<String> {
    let mut notes = d.activity_notes();
    notes.sort();
    notes
}

#[test]
fn a_code_carries_no_key_and_the_join_finishes_whichever_device_syncs_first() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let ari = Device::new(tmp.path().join("ari"));
    let sam = Device::new(tmp.path().join("sam"));
    found_with_visit(&dana, PRACTICE, &relay.url);

    // The code names the relay, the practice's id, a secret and the inviting device; not the
    // practice's name, and none of its keys in any spelling.
    let code = dana.invite(&[]);
    let inside = code_json(&code);
    let fields: Vec<&str> = inside
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["a", "f", "i", "r", "s", "w"], "{inside}");
    let text = inside.to_string();
    assert!(
        !text.contains(PRACTICE) && !text.contains("Maple"),
        "{text}"
    );
    for key in held_keys(&dana) {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!text.contains(&b64url(&key)), "{text}");
        assert!(!text.contains(&hex), "{text}");
    }

    // Sam joins: he is in, and waits for the keys.
    sam.json(&["init", "--name", "Sam"]);
    let joined = sam.json(&["workspace", "join", &code]);
    assert_eq!(joined["awaiting_keys"], true, "{joined}");
    assert_eq!(joined["workspace"]["name"], "", "{joined}");
    let listed = sam.json(&["workspace", "list"]);
    assert_eq!(listed[0]["awaiting_keys"], true, "{listed}");
    assert_eq!(listed[0]["current"], true, "{listed}");
    for args in [
        vec!["sync"],
        vec!["contact", "list"],
        vec!["status"],
        vec!["log", "drop-by", "--org", "Lincoln"],
    ] {
        let waiting = sam.json_err(&args);
        assert_eq!(waiting["error"], "awaiting_keys", "{args:?}: {waiting}");
        assert!(
            waiting["message"]
                .as_str()
                .unwrap()
                .contains("waiting for its keys"),
            "{waiting}"
        );
    }

    // Dana's next sync hands them over, once.
    let handed = dana.json(&["sync"]);
    assert_eq!(handed["keys_granted"], 1, "{handed}");
    assert_eq!(dana.json(&["sync"])["keys_granted"], 0);

    // Sam's next sync takes them and the practice arrives, its name with it.
    let synced = sam.json(&["sync"]);
    assert!(synced["pulled"].as_u64().unwrap() > 0, "{synced}");
    assert_eq!(held_keys(&sam), held_keys(&dana));
    assert_eq!(sam.json(&["status"])["workspace"], PRACTICE);
    assert_eq!(notes(&sam), ["Monday: met the counselor"]);
    dana.json(&["sync"]);
    let members = dana.json(&["workspace", "members"]);
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Sam"),
        "{members}"
    );

    // With the owner's device away, an admin's device hands a new colleague the keys.
    let code = dana.invite(&["--role", "admin"]);
    ari.json(&["init", "--name", "Ari"]);
    ari.json(&["workspace", "join", &code]);
    dana.json(&["sync"]);
    ari.json(&["sync"]);
    let lee = Device::new(tmp.path().join("lee"));
    let code = dana.invite(&[]);
    lee.json(&["init", "--name", "Lee"]);
    lee.json(&["workspace", "join", &code]);
    // Sam, a member, hands nobody keys; Ari, an admin, does.
    assert_eq!(sam.json(&["sync"])["keys_granted"], 0);
    assert_eq!(lee.json_err(&["sync"])["error"], "awaiting_keys");
    assert_eq!(ari.json(&["sync"])["keys_granted"], 1);
    lee.json(&["sync"]);
    assert_eq!(notes(&lee), ["Monday: met the counselor"]);
}

#[test]
fn a_cancelled_invite_lets_nobody_in_and_only_open_invites_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);

    let astray = dana.invite(&[]);
    let for_sam = dana.invite(&["--role", "admin"]);
    let open = dana.json(&["workspace", "invite", "list"]);
    assert_eq!(open.as_array().unwrap().len(), 2, "{open}");
    assert!(open
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["invited_by"] == "Dana" && i["made_here"] == true));

    // The code sent to the wrong number is cancelled by the id the list shows.
    let roles: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    let astray_id = open[roles.iter().position(|r| *r == "member").unwrap()]["invite_id"]
        .as_str()
        .unwrap()
        .to_string();
    let cancelled = dana.json(&["workspace", "invite", "cancel", &astray_id[..8]]);
    assert_eq!(cancelled["invite_id"], astray_id.as_str(), "{cancelled}");
    let open = dana.json(&["workspace", "invite", "list"]);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["role"], "admin", "{open}");
    let again = dana.json_err(&["workspace", "invite", "cancel", &astray_id[..8]]);
    assert_eq!(again["error"], "not_found", "{again}");

    // Whoever has the cancelled code gets nowhere, and keeps nothing of the practice.
    lee.json(&["init", "--name", "Lee"]);
    let refused = lee.json_err(&["workspace", "join", &astray]);
    assert!(
        refused["message"].as_str().unwrap().contains("410"),
        "{refused}"
    );
    assert_eq!(lee.json(&["workspace", "list"]), json!([]));

    // Sam's code still works; once used it is no longer open.
    sam.json(&["init", "--name", "Sam"]);
    dana.let_in(&sam, &for_sam);
    assert_eq!(dana.json(&["workspace", "invite", "list"]), json!([]));

    // A member cannot cancel a colleague's invite; an admin can.
    let lee_code = dana.invite(&[]);
    let member = Device::new(tmp.path().join("kim"));
    member.json(&["init", "--name", "Kim"]);
    let kim_code = dana.invite(&[]);
    dana.let_in(&member, &kim_code);
    let open = member.json(&["workspace", "invite", "list"]);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["made_here"], false, "{open}");
    let id = open[0]["invite_id"].as_str().unwrap().to_string();
    let forbidden = member.json_err(&["workspace", "invite", "cancel", &id]);
    assert!(
        forbidden["message"].as_str().unwrap().contains("403"),
        "{forbidden}"
    );
    sam.json(&["workspace", "invite", "cancel", &id]);
    let refused = lee.json_err(&["workspace", "join", &lee_code]);
    assert!(
        refused["message"].as_str().unwrap().contains("410"),
        "{refused}"
    );
}

#[test]
fn a_device_revoked_before_it_got_its_keys_never_gets_them_and_forgets_the_join() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let stranger = Device::new(tmp.path().join("stranger"));
    found_with_visit(&dana, PRACTICE, &relay.url);

    // The code reached someone else first: the members list shows a device Dana does not
    // know, and she revokes it before her device syncs.
    let code = dana.invite(&[]);
    stranger.json(&["init", "--name", "Someone"]);
    stranger.json(&["workspace", "join", &code]);
    let their_device = Identity::of(&stranger).device.to_hex();
    dana.json(&["workspace", "revoke", &their_device[..8]]);
    let synced = dana.json(&["sync"]);
    assert_eq!(synced["keys_granted"], 0, "{synced}");

    let removed = stranger.json_err(&["sync"]);
    assert_eq!(removed["error"], "removed", "{removed}");
    assert_eq!(stranger.json(&["workspace", "list"]), json!([]));
    assert!(held_keys(&stranger).is_empty());
}

#[test]
fn a_key_the_relay_hands_a_joiner_is_refused_and_the_practices_own_arrives_later() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    found_with_visit(&dana, PRACTICE, &hostile.url);

    let code = dana.invite(&[]);
    sam.json(&["init", "--name", "Sam"]);
    sam.json(&["workspace", "join", &code, "--relay", &hostile.url]);

    // Dana's device hands Sam the practice's keys; the relay answers Sam with a key it made
    // instead, sealed to his device's key, as epoch 0.
    assert_eq!(dana.json(&["sync"])["keys_granted"], 1);
    let ws = dana.json(&["status"])["workspace_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let sam_box = Identity::of(&sam).box_keys.public_hex();
    let made_up = WorkspaceKey::generate();
    let sealed = seal_key_for(&sam_box, &ws, 0, &made_up).unwrap();
    let asked_before = hostile.seen("GET", "/keys").len();
    hostile.add(
        Rule::answer(
            "GET",
            "/keys",
            200,
            json!({"keys": [{"epoch": 0, "sealed": sealed}]}),
        )
        .times(1),
    );
    let waiting = sam.json_err(&["sync"]);
    assert_eq!(waiting["error"], "awaiting_keys", "{waiting}");
    assert_eq!(hostile.seen("GET", "/keys").len(), asked_before + 1);
    assert!(held_keys(&sam).is_empty());

    // The relay behaves again: the practice's own key opens the practice.
    sam.json(&["sync"]);
    assert_eq!(held_keys(&sam), held_keys(&dana));
    assert_ne!(held_keys(&sam)[0], made_up.as_bytes().to_vec());
    assert_eq!(notes(&sam), ["Monday: met the counselor"]);
}
