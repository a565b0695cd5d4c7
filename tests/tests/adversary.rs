//! Adversaries: a relay that lies (keys it made, devices nobody admitted, revocations nobody
//! signed, roster events dropped, reordered, rewritten or shown differently to two devices), a
//! member who writes as a colleague or signs what he may not, a removed member colluding with
//! the relay, and an invite used twice. Each is told with real processes (a relay, the CLI on
//! each device, and `trellis_tests::hostile::HostileRelay` in front of the relay where the relay
//! lies), and each ends with what the user sees: `status`, `set-aside`, `workspace members`, an
//! error message, and what is (not) listed.

use automerge::Change;
use serde_json::json;
use trellis_core::crypto::signing::{self, key_check, split_signed, RosterMark};
use trellis_core::crypto::{seal_key_for, DeviceSigner, Sealed, WorkspaceKey};
use trellis_core::roster::{admit_message, event_hash, What};
use trellis_core::Role;
use trellis_protocol::batch::PushEntry;
use trellis_protocol::Id;
use trellis_tests::hostile::{
    after_of, drop_by, event_body, found, found_with_visit, from_b64url, join, members,
    roster_events, set_aside_reasons, set_roster_events, status, Api, HostileRelay, Identity, Rule,
};
use trellis_tests::{copy_dir, Device, Relay};

const PRACTICE: &str = "Maple Street Counseling";

/// The newest roster seq a device holds (verified and pinned in its store).
fn held_roster_head(d: &Device) -> u64 {
    let conn = rusqlite::Connection::open(d.data.join("trellis.sqlite3")).unwrap();
    conn.query_row("SELECT coalesce(max(seq), 0) FROM roster", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

/// The id of `name`'s member, as `workspace members` shows it on `d`.
fn member_id(d: &Device, name: &str) -> Id {
    d.json(&["workspace", "members"])
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is a member"))["member_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A row of the relay's log: seq, document, change hash, bytes.
type LogRow = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// Appends an entry to a workspace's log in a stopped relay's SQLite file, as a relay that
/// lies would (nobody pushed it); returns its seq.
fn append_to_log(
    conn: &rusqlite::Connection,
    ws: &Id,
    doc: &[u8],
    change_hash: &[u8],
    bytes: &[u8],
) -> i64 {
    let ws = ws.as_bytes().as_slice();
    let head: i64 = conn
        .query_row("SELECT head FROM workspaces WHERE id = ?1", [ws], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute(
        "INSERT INTO log (workspace_id, seq, doc_id, change_hash, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![ws, head + 1, doc, change_hash, bytes],
    )
    .unwrap();
    conn.execute(
        "UPDATE workspaces SET head = ?2 WHERE id = ?1",
        rusqlite::params![ws, head + 1],
    )
    .unwrap();
    head + 1
}

fn notes(d: &Device) -> Vec<String> {
    d.activity_notes()
}

fn has_note(d: &Device, note: &str) -> bool {
    notes(d).iter().any(|n| n == note)
}

/// Story 1. The relay serves a key it made: after Dana rotates the practice's key, the relay
/// (which lists Sam's public key itself) seals a key of its own making to Sam's phone for the
/// new epoch, in place of the one Dana sealed. Were it taken, the relay could read everything
/// Sam writes from then on. The roster's key check for that epoch does not name it: Sam's
/// phone refuses it and says so.
#[test]
fn a_key_the_relay_made_is_never_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    found(&dana, "Dana", PRACTICE, &hostile.url);
    join(&dana, &sam, "Sam", &hostile.url, &[]);
    drop_by(&dana, "Monday: met the counselor");
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    assert!(has_note(&sam, "Monday: met the counselor"));

    dana.json(&["workspace", "rotate-key"]);
    let (sam_token, ws) = sam.credentials();
    let ws: Id = ws.parse().unwrap();
    let sam_id = Identity::of(&sam).device.to_hex();
    let listed = Api::of(&dana, &relay.url).members();
    let sam_box = listed["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == sam_id.as_str())
        .expect("the relay lists Sam's phone")["device_key"]
        .as_str()
        .unwrap()
        .to_string();
    let bogus = WorkspaceKey::generate();
    let forged = seal_key_for(&sam_box, &ws, 1, &bogus).unwrap();
    hostile.add(
        Rule::rewrite_json("GET", "/keys", move |_, answer| {
            for k in answer["keys"].as_array_mut().into_iter().flatten() {
                if k["epoch"] == 1 {
                    k["sealed"] = json!(forged);
                }
            }
        })
        .for_token(&sam_token),
    );
    drop_by(&dana, "Tuesday: sealed with the new key");
    dana.json(&["sync"]);
    // The sync goes on (what Dana sealed with the new key cannot be read here, and is set
    // aside).
    let report = sam.json(&["sync"]);
    assert_eq!(report["new_key"], false, "{report}");

    // Sam's phone did not take the relay's key: it holds no key for epoch 1, and none is the
    // relay's.
    let ring = sam.keys();
    assert!(
        ring.iter().all(|(_, k)| k.as_bytes() != bogus.as_bytes()),
        "Sam's phone took a key the relay made"
    );
    assert!(!ring.holds(1), "no key for epoch 1 but Dana's is taken");
    // Its status says why.
    let seen = status(&sam);
    let problem = seen["roster_problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("epoch 1") && problem.contains("does not name"),
        "status shows the refused key: {seen}"
    );
    // And nothing written under the new key is shown as if it had been read.
    assert!(!has_note(&sam, "Tuesday: sealed with the new key"));

    // The relay hands over Dana's key after all: Sam's phone takes it (the roster names it),
    // applies what it set aside for want of it (Tuesday's visit is the last change of its
    // document: nothing later pulls it in), and the warning goes.
    hostile.behave();
    let report = sam.json(&["sync"]);
    assert_eq!(report["new_key"], true, "{report}");
    let ring = sam.keys();
    let danas = dana.keys();
    assert!(ring.holds(1));
    assert_eq!(ring.current().1.as_bytes(), danas.current().1.as_bytes());
    assert!(has_note(&sam, "Tuesday: sealed with the new key"));
    let seen = status(&sam);
    assert_eq!(seen["set_aside"], 0, "{seen}");
    assert!(seen["roster_problem"].is_null(), "{seen}");
    drop_by(&dana, "Wednesday: the spring fair");
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    assert!(has_note(&sam, "Wednesday: the spring fair"));
}

/// Story 2. A phantom device: the relay saw Dana's invite for Lee go by (its public key is in
/// the roster) and admits a device of its own with it before Lee joins, in the roster it
/// stores, and lists that device, with a public key it holds the secret of, among the
/// practice's devices. Without the invite's secret key it cannot sign the admission: every
/// device refuses it, nobody shows the phantom, Lee joins with the invite all the same, and a
/// key rotation seals to Dana's, Sam's and Lee's devices only.
#[test]
fn a_phantom_device_the_relay_adds_is_shown_nowhere_and_sealed_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &hostile.url);
    join(&dana, &sam, "Sam", &hostile.url, &[]);

    let code = dana.invite(&[]);
    // The relay's forgery, written into the roster it stores (with a token it saw).
    let api = Api::of(&dana, &relay.url);
    let roster = api.verified_roster();
    let invite = event_body(&roster.events().last().unwrap().bytes);
    assert_eq!(invite["kind"], "invite", "{invite}");
    let admit_hex = invite["admit"].as_str().unwrap().to_string();
    let mut admit = [0u8; 32];
    for (i, b) in admit.iter_mut().enumerate() {
        *b = u8::from_str_radix(&admit_hex[2 * i..2 * i + 2], 16).unwrap();
    }
    let phantom = Identity::made_up();
    let phantom_member = Id::random();
    let sign = phantom.signer.public();
    let box_key = phantom.box_keys.public_bytes();
    let not_the_invites_signature = phantom.signer.sign(&admit_message(
        &api.ws,
        &admit,
        &phantom_member,
        &phantom.device,
        &sign,
        &box_key,
    ));
    let forged = roster.make(
        &phantom.device,
        &phantom.signer,
        What::Admit {
            admit: admit_hex,
            member: phantom_member,
            sign: hex(&sign),
            box_key: hex(&box_key),
            admit_sig: hex(&not_the_invites_signature),
        },
    );
    assert_eq!(api.append_roster(&[forged]), 204);
    let phantom_hex = phantom.device.to_hex();
    let phantom_box = phantom.box_keys.public_hex();
    let listed_member = phantom_member.to_hex();
    hostile.add(Rule::rewrite_json("GET", "/members", move |_, answer| {
        if let Some(devices) = answer["devices"].as_array_mut() {
            devices.push(json!({
                "device_id": phantom_hex,
                "member_id": listed_member,
                "device_key": phantom_box,
                "created_at": 0,
                "revoked": false,
            }));
        }
        if let Some(members) = answer["members"].as_array_mut() {
            members.push(json!({"member_id": listed_member, "role": "member", "removed": false}));
        }
    }));

    // Lee joins with the invite the phantom claimed.
    lee.json(&["init", "--name", "Lee"]);
    lee.json(&["workspace", "join", &code, "--relay", &hostile.url]);
    dana.json(&["sync"]);
    lee.json(&["sync"]);
    sam.json(&["sync"]);
    dana.json(&["sync"]);
    let phantom_hex = phantom.device.to_hex();
    for d in [&dana, &sam, &lee] {
        let shown = members(d);
        let mut names: Vec<&str> = shown.iter().map(|m| m.0.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Dana", "Lee", "Sam"], "{shown:?}");
        assert!(
            shown
                .iter()
                .all(|m| m.3.len() == 1 && m.3[0] != phantom_hex),
            "the phantom is shown: {shown:?}"
        );
        let seen = status(d);
        assert_eq!(seen["roster_refused"], 1, "{seen}");
    }

    // Dana rotates the key: it is sealed to the three devices the roster admitted.
    dana.json(&["workspace", "rotate-key"]);
    let rotations = hostile.seen("POST", "/keys/rotate");
    let rotation = rotations
        .last()
        .expect("the rotation went through the relay")
        .json();
    let mut wrapped: Vec<String> = rotation["wrapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["device_id"].as_str().unwrap().to_string())
        .collect();
    wrapped.sort();
    let mut admitted: Vec<String> = [&dana, &sam, &lee]
        .iter()
        .map(|d| Identity::of(d).device.to_hex())
        .collect();
    admitted.sort();
    assert_eq!(wrapped, admitted, "{rotation}");
    let event = from_b64url(rotation["roster"][0]["event"].as_str().unwrap()).unwrap();
    let mut sealed_to: Vec<String> = event_body(&event)["sealed_to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    sealed_to.sort();
    assert_eq!(sealed_to, admitted);
    // No device ever sent the relay anything for the phantom (a key, a grant, a mention).
    for seen in hostile.all_seen() {
        assert!(
            !String::from_utf8_lossy(&seen.body).contains(&phantom_hex),
            "{} {} names the phantom",
            seen.method,
            seen.path
        );
    }
    // The practice reads on under the new key.
    drop_by(&dana, "After the rotation");
    dana.json(&["sync"]);
    for d in [&sam, &lee] {
        d.json(&["sync"]);
        assert!(has_note(d, "After the rotation"));
    }
}

/// Story 3 (what `membership::a_forged_revocation_deletes_nothing...` leaves out: one forged
/// answer on the path, with an honest roster). Here the relay itself lies about Sam's phone
/// for as long as it likes: it stores a revocation of it signed by a key of its own making,
/// answers every other call of the phone `401 revoked`, and then refuses it the roster too.
/// The phone deletes nothing, says the roster does not hold the revocation, shows the forged
/// event as refused, and syncs on when the relay behaves.
#[test]
fn a_revocation_the_relay_forged_deletes_nothing_however_long_it_insists() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    found(&dana, "Dana", PRACTICE, &hostile.url);
    join(&dana, &sam, "Sam", &hostile.url, &[]);
    drop_by(&sam, "Monday visit");
    sam.json(&["sync"]);

    let api = Api::of(&dana, &relay.url);
    let forger = Identity::made_up();
    let revocation = api.verified_roster().make(
        &forger.device,
        &forger.signer,
        What::Revoke {
            device: Identity::of(&sam).device,
        },
    );
    assert_eq!(api.append_roster(&[revocation]), 204);
    let (sam_token, _) = sam.credentials();
    hostile.add(Rule::forward("GET", "/roster").for_token(&sam_token));
    hostile.add(Rule::forged_revocation("*", "").for_token(&sam_token));

    drop_by(&sam, "Tuesday visit");
    for _ in 0..2 {
        let err = sam.json_err(&["sync"]);
        assert_eq!(err["error"], "relay", "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains("signed roster does not say so")
                && message.contains("nothing was deleted"),
            "{err}"
        );
    }
    // Nothing was deleted; the forged revocation is shown as refused, and Sam's phone is not
    // revoked in the roster.
    assert_eq!(notes(&sam), ["Monday visit", "Tuesday visit"]);
    let seen = status(&sam);
    assert_eq!(seen["workspace"], PRACTICE, "{seen}");
    assert!(seen["pending_changes"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["roster_refused"], 1, "{seen}");

    // The relay refuses it the roster as well: still nothing deleted.
    hostile.behave();
    hostile.add(Rule::forged_revocation("*", "").for_token(&sam_token));
    let err = sam.json_err(&["sync"]);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("nothing was deleted"),
        "{err}"
    );
    assert_eq!(notes(&sam), ["Monday visit", "Tuesday visit"]);
    assert_eq!(sam.json(&["workspace", "list"])[0]["name"], PRACTICE);

    // The relay behaves: Tuesday's visit reaches Dana, and both show the forgery as refused.
    hostile.behave();
    let report = sam.json(&["sync"]);
    assert!(report["pushed"].as_u64().unwrap() > 0, "{report}");
    dana.json(&["sync"]);
    assert_eq!(notes(&dana), ["Monday visit", "Tuesday visit"]);
    for d in [&dana, &sam] {
        assert_eq!(status(d)["roster_refused"], 1);
        let shown = d.json(&["workspace", "members"]);
        let sams = shown
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "Sam")
            .unwrap();
        assert_eq!(sams["devices"][0]["revoked"], false, "{shown}");
    }
}

/// Story 4. The relay drops a roster event, reorders two, rewrites one, or claims to have
/// lost events and serves another one at a seq Sam's phone holds. Each time the phone refuses
/// the roster (the sync fails, saying the roster failed its checks, and `status` says so),
/// keeps the roster it held, and keeps working; when the relay behaves, it syncs on.
#[test]
fn a_relay_that_drops_reorders_or_rewrites_roster_events_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &hostile.url);
    join(&dana, &sam, "Sam", &hostile.url, &[]);
    drop_by(&dana, "Monday: met the counselor");
    dana.json(&["sync"]);
    sam.json(&["sync"]);
    let held = held_roster_head(&sam);
    assert!(held >= 3, "created, invited, admitted");
    let (sam_token, _) = sam.credentials();

    // Lee joins while Sam is away: the roster grows by an invite and an admission.
    join(&dana, &lee, "Lee", &hostile.url, &[]);
    drop_by(&dana, "Tuesday: Lee came along");
    dana.json(&["sync"]);
    let relay_head = Api::of(&dana, &relay.url).roster().len() as u64;
    assert!(relay_head >= held + 2);

    type Lie = fn(Vec<(u64, Vec<u8>)>) -> Vec<(u64, Vec<u8>)>;
    let drop_first: Lie = |events| events.into_iter().skip(1).collect();
    let reorder: Lie = |mut events| {
        events.swap(0, 1);
        events
    };
    let rewrite_first: Lie = |mut events| {
        // Another signature: the event still parses, but it is not the one the next names.
        if let Some(last) = events[0].1.last_mut() {
            *last ^= 1;
        }
        events
    };
    for (i, lie) in [drop_first, reorder, rewrite_first].into_iter().enumerate() {
        hostile.behave();
        hostile.add(
            Rule::rewrite_json("GET", "/roster", move |_, answer| {
                let events = roster_events(answer);
                if events.len() >= 2 {
                    let head = answer["head"].as_u64().unwrap_or_default();
                    set_roster_events(answer, &lie(events), head);
                }
            })
            .for_token(&sam_token),
        );
        // Sam logs a visit, as he would on any day, and syncs.
        let note = format!("Sam's visit {i}");
        drop_by(&sam, &note);
        let out = sam.run(&["--json", "sync"]);
        assert!(!out.status.success(), "lie {i}: the sync took the roster");
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"], "tampered", "lie {i}: {err}");
        assert!(err["message"].as_str().unwrap().contains("roster"), "{err}");
        let seen = status(&sam);
        assert!(seen["roster_problem"].is_string(), "lie {i}: {seen}");
        assert_eq!(seen["roster_refused"], 0, "lie {i}: {seen}");
        assert_eq!(
            held_roster_head(&sam),
            held,
            "lie {i}: the held roster is kept"
        );
        assert!(has_note(&sam, &note) && has_note(&sam, "Monday: met the counselor"));
    }

    // The relay says it lost the newest event Sam holds, and serves another in place of the
    // one before it: the phone compares before handing anything back.
    hostile.behave();
    hostile.add(
        Rule::rewrite_json("GET", "/roster", move |path, answer| {
            let claimed = held - 1;
            if after_of(path) == claimed - 1 {
                let mut events = roster_events(answer);
                events.truncate(1);
                if let Some(last) = events[0].1.last_mut() {
                    *last ^= 1;
                }
                set_roster_events(answer, &events, claimed);
            } else {
                set_roster_events(answer, &[], claimed);
            }
        })
        .for_token(&sam_token),
    );
    let err = sam.json_err(&["sync"]);
    assert_eq!(err["error"], "tampered", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("is not the one this device holds"),
        "{err}"
    );
    assert_eq!(held_roster_head(&sam), held);
    assert_eq!(Api::of(&dana, &relay.url).roster().len() as u64, relay_head);

    // The relay behaves: the roster verifies, the problem is gone, and everyone has it all.
    hostile.behave();
    sam.json(&["sync"]);
    let seen = status(&sam);
    assert!(seen["roster_problem"].is_null(), "{seen}");
    assert_eq!(
        held_roster_head(&sam),
        Api::of(&dana, &relay.url).roster().len() as u64
    );
    assert!(members(&sam).iter().any(|m| m.0 == "Lee"));
    assert!(has_note(&sam, "Tuesday: Lee came along"));
    dana.json(&["sync"]);
    for i in 0..3 {
        assert!(has_note(&dana, &format!("Sam's visit {i}")));
    }
}

/// Story 5. A fork: the relay shows Sam's phone, at the roster's next seq, an event of its own
/// making where Dana's phone appended an invite. What each then signs names a roster the other
/// does not hold: each sets the other's changes aside as `fork`, shown in `set-aside`.
#[test]
fn a_relay_that_shows_two_devices_two_rosters_sets_their_changes_aside_as_forks() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let hostile = HostileRelay::start(&relay.url);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    found(&dana, "Dana", PRACTICE, &hostile.url);
    join(&dana, &sam, "Sam", &hostile.url, &[]);
    drop_by(&dana, "Monday: met the counselor");
    dana.json(&["sync"]);
    sam.json(&["sync"]);

    let api = Api::of(&dana, &relay.url);
    let forger = Identity::made_up();
    let (at, other) = api.verified_roster().make(
        &forger.device,
        &forger.signer,
        What::Invite {
            admit: hex(&DeviceSigner::generate().public()),
            id: Id::random(),
            role: Role::Member,
            device: false,
            expires_ms: trellis_core::time::now_ms() + 3_600_000,
        },
    );
    let (sam_token, _) = sam.credentials();
    hostile.add(
        Rule::rewrite_json("GET", "/roster", move |_, answer| {
            let mut events = roster_events(answer);
            for e in events.iter_mut().filter(|e| e.0 == at) {
                e.1 = other.clone();
            }
            let head = answer["head"].as_u64().unwrap_or_default();
            set_roster_events(answer, &events, head);
        })
        .for_token(&sam_token),
    );

    // Dana invites a colleague (the event at that seq) and logs a visit under her roster.
    dana.invite(&[]);
    drop_by(&dana, "Tuesday: Dana's visit");
    dana.json(&["sync"]);
    let report = sam.json(&["sync"]);
    assert!(report["set_aside"].as_u64().unwrap() >= 1, "{report}");
    assert!(!has_note(&sam, "Tuesday: Dana's visit"));
    let reasons = set_aside_reasons(&sam);
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| r == "fork"),
        "{reasons:?}"
    );
    // The event Sam's phone was shown is signed by no device of the practice: refused too.
    assert_eq!(status(&sam)["roster_refused"], 1);

    // Sam logs a visit under the roster he was shown: Dana's phone sets it aside.
    drop_by(&sam, "Tuesday: Sam's visit");
    sam.json(&["sync"]);
    let report = dana.json(&["sync"]);
    assert!(report["set_aside"].as_u64().unwrap() >= 1, "{report}");
    assert!(!has_note(&dana, "Tuesday: Sam's visit"));
    let reasons = set_aside_reasons(&dana);
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| r == "fork"),
        "{reasons:?}"
    );
    // What both signed before the fork is still everyone's.
    for d in [&dana, &sam] {
        assert!(has_note(d, "Monday: met the counselor"));
    }
}

/// Story 6. A hostile member writes as a colleague: Sam makes an automerge change under
/// Dana's actor (here on a copy of Dana's store; her actor and her history are all it takes,
/// and every member holds both), signs it with his own key (his is a device of the practice),
/// seals it with the practice's key and pushes it with his own token. Dana's phone and Lee's set it aside as `wrong_author`; it is
/// never listed; and Dana's own next visit, which takes the same place in her history, reaches
/// everyone.
#[test]
fn a_member_who_writes_as_a_colleague_is_set_aside_as_wrong_author() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);
    join(&dana, &sam, "Sam", &relay.url, &[]);
    join(&dana, &lee, "Lee", &relay.url, &[]);
    drop_by(&dana, "Monday: met the counselor");
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }

    let keys = sam.keys();
    let scratch = Device::new(tmp.path().join("scratch"));
    copy_dir(&dana.data, &scratch.data);
    drop_by(&scratch, "A visit Sam made up for Dana");
    let dana_id = Identity::of(&dana).device;
    let made = scratch.outbox_changes(&keys);
    assert_eq!(made.len(), 1, "one change: the visit, in Dana's logbook");
    let (doc, change) = &made[0];
    assert_eq!(&change.actor_id().to_bytes()[..16], dana_id.as_bytes());
    let api = Api::of(&sam, &relay.url);
    let payload = sam.sign_change(doc, &change.hash().0, change.raw_bytes());
    let envelope = keys.seal(Sealed::Change, &api.ws, doc, &payload);
    let entry = PushEntry {
        doc_id: *doc,
        change_hash: keys.entry_hash(&change.hash().0, &envelope),
        bytes: envelope,
    };
    let (pushed, answer) = api.push(&[entry]);
    assert_eq!(pushed, 200, "{answer}");

    for d in [&dana, &lee] {
        let report = d.json(&["sync"]);
        assert_eq!(report["set_aside"], 1, "{report}");
        assert_eq!(set_aside_reasons(d), ["wrong_author"]);
        assert!(!has_note(d, "A visit Sam made up for Dana"));
        assert_eq!(status(d)["set_aside"], 1);
    }

    drop_by(&dana, "Tuesday: brochures");
    dana.json(&["sync"]);
    let report = lee.json(&["sync"]);
    assert_eq!(report["set_aside"], 0, "{report}");
    let expected = ["Monday: met the counselor", "Tuesday: brochures"];
    assert_eq!(notes(&lee), expected);
    assert_eq!(notes(&dana), expected);
}

/// Story 6b. A hostile member signs his own change but names a colleague as its author: Sam
/// changes his own store so that it writes Dana's member id as `logged_by`, logs a visit and
/// syncs. The change is under his actor and signed by his device, but it says Dana logged it:
/// Dana's phone and Lee's set it aside as `wrong_author`, and it is never listed.
#[test]
fn a_member_who_names_a_colleague_as_the_author_of_his_visit_is_set_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);
    join(&dana, &sam, "Sam", &relay.url, &[]);
    join(&dana, &lee, "Lee", &relay.url, &[]);
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }
    let dana_member = member_id(&dana, "Dana");
    {
        let conn = rusqlite::Connection::open(sam.data.join("trellis.sqlite3")).unwrap();
        conn.execute(
            "UPDATE workspaces SET member_id = ?1",
            [dana_member.to_hex()],
        )
        .unwrap();
    }
    drop_by(&sam, "A visit Sam says Dana made");
    sam.json(&["sync"]);

    for d in [&dana, &lee] {
        let report = d.json(&["sync"]);
        assert_eq!(report["set_aside"], 1, "{report}");
        assert_eq!(set_aside_reasons(d), ["wrong_author"]);
        assert!(!has_note(d, "A visit Sam says Dana made"));
    }
    // Dana's own visits go on reaching everyone.
    drop_by(&dana, "Tuesday: brochures");
    dana.json(&["sync"]);
    lee.json(&["sync"]);
    assert_eq!(notes(&lee), ["Tuesday: brochures"]);
}

/// Story 6c. A hostile member rewrites a colleague's profile card: Sam changes his own store
/// so that it writes Dana's card ("full", with a pitch of his), and syncs. Dana's phone and
/// Lee's set the change aside as `wrong_author`; Dana's card stays hers.
#[test]
fn a_member_who_rewrites_a_colleagues_card_is_set_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);
    join(&dana, &sam, "Sam", &relay.url, &[]);
    join(&dana, &lee, "Lee", &relay.url, &[]);
    dana.json(&[
        "profile",
        "set",
        "--openings",
        "accepting",
        "--pitch",
        "Teens and families",
    ]);
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }
    let dana_member = member_id(&dana, "Dana");
    {
        let conn = rusqlite::Connection::open(sam.data.join("trellis.sqlite3")).unwrap();
        conn.execute(
            "UPDATE workspaces SET member_id = ?1",
            [dana_member.to_hex()],
        )
        .unwrap();
    }
    sam.json(&[
        "profile",
        "set",
        "--openings",
        "full",
        "--pitch",
        "Call Sam instead",
    ]);
    sam.json(&["sync"]);

    for d in [&dana, &lee] {
        let report = d.json(&["sync"]);
        assert_eq!(report["set_aside"], 1, "{report}");
        assert_eq!(set_aside_reasons(d), ["wrong_author"]);
        let card = d.json(&["profile", "show", "Dana"]);
        assert_eq!(card["card"]["openings"]["status"], "accepting", "{card}");
        assert_eq!(card["card"]["pitch"], "Teens and families", "{card}");
    }
}

/// Story 7. A removed member colluding with the relay: after Dana removes Sam, the relay puts
/// into its log (straight into its SQLite file, while stopped) a visit signed by Sam's key
/// under a roster that holds his removal. Dana's and Lee's phones set it aside as
/// `after_removal`. An old entry of his the relay serves again, byte for byte, at a new seq
/// changes nothing.
///
/// What remains possible: an entry Sam signs under an old roster mark (one from before his
/// removal) cannot be told from work his phone did offline before he was removed and synced
/// late. Such an entry is accepted, but it is attributed to him (his device signed it),
/// written under his own automerge actor (a colleague's is `wrong_author`), sealed only with
/// keys he had (none made at or after his removal), and it needs the relay's help: his token
/// pushes nothing any more.
#[test]
fn a_removed_member_and_the_relay_cannot_add_to_the_practice_after_his_removal() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);
    join(&dana, &sam, "Sam", &relay.url, &[]);
    join(&dana, &lee, "Lee", &relay.url, &[]);
    drop_by(&sam, "Sam's Monday visit");
    sam.json(&["sync"]);
    dana.json(&["sync"]);
    lee.json(&["sync"]);
    assert!(has_note(&lee, "Sam's Monday visit"));

    // Sam logs a visit on his phone, offline; then Dana removes him.
    drop_by(&sam, "Sam's visit after his removal");
    let sams_keys = sam.keys();
    let sam_me = Identity::of(&sam);
    let by_sam = |c: &Change| c.actor_id().to_bytes()[..16] == sam_me.device.0;
    let (doc, change) = sam
        .outbox_changes(&sams_keys)
        .into_iter()
        .find(|(_, c)| by_sam(c))
        .expect("the visit, under Sam's actor");
    dana.json(&["workspace", "remove", "Sam"]);
    dana.json(&["sync"]);
    lee.json(&["sync"]);

    // Signed by Sam's device under the roster as it is now (his removal included), sealed
    // with a key he had.
    let api = Api::of(&dana, &relay.url);
    let roster = api.roster();
    let (head, newest) = roster.last().unwrap();
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&event_hash(newest)[..16]);
    let mark = RosterMark { seq: *head, hash };
    let trailer = signing::sign_change(
        &sam_me.signer,
        &sam_me.device,
        &api.ws,
        &doc,
        mark,
        &change.hash().0,
    );
    let envelope = sams_keys.seal(
        Sealed::Change,
        &api.ws,
        &doc,
        &signing::signed_payload(change.raw_bytes(), &trailer),
    );
    let entry_hash = sams_keys.entry_hash(&change.hash().0, &envelope);
    // His own token pushes nothing any more.
    let (refused, answer) = Api::of(&sam, &relay.url).push(&[PushEntry {
        doc_id: doc,
        change_hash: entry_hash,
        bytes: envelope.clone(),
    }]);
    assert_eq!(refused, 401, "{answer}");

    let ws = api.ws;
    let (data, port) = relay.kill();
    let db = data.join("relay.sqlite3");
    assert!(db.exists(), "this story edits the relay's SQLite file");
    let forged_seq = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        append_to_log(&conn, &ws, doc.as_bytes(), &entry_hash, &envelope)
    };
    let relay = Relay::start_retrying(&data, port);

    for d in [&dana, &lee] {
        let report = d.json(&["sync"]);
        assert_eq!(report["set_aside"], 1, "{report}");
        assert_eq!(set_aside_reasons(d), ["after_removal"]);
        assert!(!has_note(d, "Sam's visit after his removal"));
    }

    // The relay moves one of Sam's old entries (his Monday visit, signed before his removal)
    // to a new seq, byte for byte: the phones pull it again, and nothing changes.
    let dana_keys = dana.keys();
    let (data, port) = relay.kill();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let entries: Vec<LogRow> = conn
            .prepare("SELECT seq, doc_id, change_hash, bytes FROM log WHERE workspace_id = ?1")
            .unwrap()
            .query_map([ws.as_bytes().as_slice()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let (old_seq, doc, hash, bytes) = entries
            .into_iter()
            .filter(|(seq, doc, _, bytes)| {
                let doc = Id(doc.as_slice().try_into().unwrap());
                *seq < forged_seq
                    && dana_keys
                        .open(Sealed::Change, &ws, &doc, bytes)
                        .ok()
                        .and_then(|plain| {
                            let (change, trailer) = split_signed(&plain)?;
                            let change = Change::from_bytes(change.to_vec()).ok()?;
                            Some(trailer.signer == sam_me.device && by_sam(&change))
                        })
                        .unwrap_or(false)
            })
            .max_by_key(|e| e.0)
            .expect("Sam's Monday visit is in the log");
        conn.execute(
            "DELETE FROM log WHERE workspace_id = ?1 AND seq = ?2",
            rusqlite::params![ws.as_bytes().as_slice(), old_seq],
        )
        .unwrap();
        append_to_log(&conn, &ws, &doc, &hash, &bytes);
    }
    let _relay = Relay::start_retrying(&data, port);
    for d in [&dana, &lee] {
        let before = notes(d);
        let report = d.json(&["sync"]);
        assert_eq!(
            report["set_aside"],
            0,
            "{report} {}",
            d.json(&["set-aside"])
        );
        assert_eq!(
            report["pulled"], 1,
            "the old entry was served again: {report}"
        );
        assert_eq!(notes(d), before);
        let mondays = notes(d)
            .iter()
            .filter(|n| *n == "Sam's Monday visit")
            .count();
        assert_eq!(mondays, 1);
        assert_eq!(status(d)["set_aside"], 1);
    }
}

/// Story 8. A member signs a roster change he is not entitled to: Sam, a member, appends to
/// the roster (which the relay accepts from any device of the practice: it never reads the
/// events) Dana's removal and a key rotation of his own, each signed with his own device key.
/// Every device refuses both: `status` counts them, Dana is still the owner, and the next key
/// is still Dana's to make.
#[test]
fn a_member_who_signs_a_roster_change_he_is_not_entitled_to_is_refused_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    found(&dana, "Dana", PRACTICE, &relay.url);
    join(&dana, &sam, "Sam", &relay.url, &[]);
    join(&dana, &lee, "Lee", &relay.url, &[]);
    sam.json(&["sync"]);

    let dana_member = member_id(&sam, "Dana");
    let sam_me = Identity::of(&sam);
    let api = Api::of(&sam, &relay.url);
    let roster = api.verified_roster();
    let removal = roster.make(
        &sam_me.device,
        &sam_me.signer,
        What::Remove {
            member: dana_member,
        },
    );
    let sams_key = WorkspaceKey::generate();
    let epoch = roster.newest_epoch().unwrap() + 1;
    let rotation = roster.make_after(
        &removal,
        &sam_me.device,
        &sam_me.signer,
        What::Rotate {
            epoch,
            key_check: hex(&key_check(&api.ws, epoch, &sams_key)),
            sealed_to: vec![sam_me.device],
        },
    );
    assert_eq!(api.append_roster(&[removal, rotation]), 204);

    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
        let seen = status(d);
        assert_eq!(seen["roster_refused"], 2, "{seen}");
        let shown = members(d);
        let dana_shown = shown.iter().find(|m| m.0 == "Dana").unwrap();
        assert_eq!(dana_shown.1, "owner", "{shown:?}");
        assert!(!dana_shown.2, "Dana is not removed: {shown:?}");
    }
    // The owner still runs the practice: her rotation is the next epoch, and everyone takes it.
    dana.json(&["workspace", "rotate-key"]);
    drop_by(&dana, "After Dana's rotation");
    dana.json(&["sync"]);
    for d in [&sam, &lee] {
        d.json(&["sync"]);
        assert!(has_note(d, "After Dana's rotation"));
        assert_eq!(d.keys().current().0, epoch);
        assert!(d
            .keys()
            .iter()
            .all(|(_, k)| k.as_bytes() != sams_key.as_bytes()));
    }
}

/// Story 9. An invite code used twice: Lee joins with it; Kim, who got a copy, is refused by
/// the relay (`410`) and gets nothing. A relay that admitted her anyway (her admission, signed
/// with the code's invite key, written into its roster) would find every device refusing it.
#[test]
fn an_invite_code_used_twice_admits_nobody_the_second_time() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let lee = Device::new(tmp.path().join("lee"));
    let kim = Device::new(tmp.path().join("kim"));
    found_with_visit(&dana, PRACTICE, &relay.url);

    let code = dana.invite(&[]);
    lee.json(&["init", "--name", "Lee"]);
    lee.json(&["workspace", "join", &code]);
    dana.json(&["sync"]);
    lee.json(&["sync"]);
    assert!(has_note(&lee, "Monday: met the counselor"));

    kim.json(&["init", "--name", "Kim"]);
    // Kim's device has keys of its own (she could show their fingerprint).
    kim.json(&["workspace", "fingerprint"]);
    let err = kim.json_err(&["workspace", "join", &code]);
    assert_eq!(err["error"], "relay", "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("410") && message.contains("already used"),
        "{err}"
    );
    assert_eq!(kim.json(&["workspace", "list"]), json!([]));
    assert_eq!(kim.json_err(&["activity", "list"])["error"], "no_workspace");

    // The relay admits Kim anyway, with the invite key her copy of the code holds.
    let invite = trellis_core::InviteCode::decode(&code).unwrap();
    let admit = invite.admit_key();
    let kim_me = Identity::of(&kim);
    let kim_member = Id::random();
    let sign = kim_me.signer.public();
    let box_key = kim_me.box_keys.public_bytes();
    let admit_sig = admit.sign(&admit_message(
        &invite.workspace_id,
        &admit.public(),
        &kim_member,
        &kim_me.device,
        &sign,
        &box_key,
    ));
    let api = Api::of(&dana, &relay.url);
    let second = api.verified_roster().make(
        &kim_me.device,
        &kim_me.signer,
        What::Admit {
            admit: hex(&admit.public()),
            member: kim_member,
            sign: hex(&sign),
            box_key: hex(&box_key),
            admit_sig: hex(&admit_sig),
        },
    );
    assert_eq!(api.append_roster(&[second]), 204);
    for d in [&dana, &lee] {
        d.json(&["sync"]);
        let seen = status(d);
        assert_eq!(seen["roster_refused"], 1, "{seen}");
        let shown = members(d);
        let mut names: Vec<&str> = shown.iter().map(|m| m.0.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Dana", "Lee"], "{shown:?}");
        assert!(shown.iter().all(|m| !m.3.contains(&kim_me.device.to_hex())));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
