//! Regions: three therapists of three practices share a region on one relay. The region has
//! its own members, moderators, invites and key, on the same roster and key machinery as a
//! practice; practice commands keep acting on each one's own practice. A moderator removes a
//! member: her device forgets the region and keeps her practice. Real processes: a relay and
//! the CLI on each device.

use serde_json::Value;
use trellis_tests::{Device, Relay, SIGNUP_SECRET};

const REGION: &str = "Pioneer Valley therapists";

fn names(v: &Value, field: &str) -> Vec<String> {
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Whether any file under `dir` holds `needle`.
fn any_file_holds(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let path = e.unwrap().path();
        if path.is_dir() {
            return any_file_holds(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[test]
fn three_practices_share_a_region_and_a_moderator_removes_a_member_who_keeps_her_practice() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    sam.found_practice(&relay, "Sam", "Oak Hill Therapy");
    lee.found_practice(&relay, "Lee", "Elm Family Practice");
    lee.json(&["contact", "add", "Pastor Grace Kim"]);
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }

    // Dana creates the region; it is not one of her practices.
    let region = dana.json(&[
        "region",
        "create",
        REGION,
        "--relay",
        &relay.url,
        "--signup-secret",
        SIGNUP_SECRET,
    ]);
    assert_eq!(region["name"], REGION, "{region}");
    assert_eq!(
        names(&dana.json(&["workspace", "list"]), "name"),
        ["Maple Street Counseling"]
    );
    assert_eq!(names(&dana.json(&["region", "list"]), "name"), [REGION]);

    // Sam joins as a moderator: Dana's next sync (practice and region) hands him the keys.
    let code = dana.json(&["region", "invite", "--role", "moderator"])["code"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = sam.json(&["region", "join", &code]);
    assert_eq!(joined["awaiting_keys"], true, "{joined}");
    assert_eq!(joined["workspace"]["role"], "admin", "{joined}");
    let handed = dana.json(&["sync"]);
    assert_eq!(handed["region"]["keys_granted"], 1, "{handed}");
    let synced = sam.json(&["sync"]);
    assert!(synced["region"]["pulled"].as_u64().unwrap() > 0, "{synced}");
    assert_eq!(names(&sam.json(&["region", "list"]), "name"), [REGION]);
    // His practice is still his own.
    assert_eq!(
        names(&sam.json(&["workspace", "list"]), "name"),
        ["Oak Hill Therapy"]
    );
    assert!(sam
        .json(&["contact", "list"])
        .as_array()
        .unwrap()
        .is_empty());

    // Lee joins as a member; Sam, a moderator, is the one whose sync lets her in.
    let code = dana.json(&["region", "invite"])["code"]
        .as_str()
        .unwrap()
        .to_string();
    lee.json(&["region", "join", &code]);
    assert_eq!(sam.json(&["region", "sync"])["keys_granted"], 1);
    lee.json(&["region", "sync"]);
    for d in [&dana, &sam, &lee] {
        d.json(&["sync"]);
    }
    for d in [&dana, &sam, &lee] {
        assert_eq!(
            names(&d.json(&["region", "members"]), "name"),
            ["Dana", "Lee", "Sam"]
        );
    }

    // Sam removes Lee from the region. Her device forgets the region at its next sync and
    // keeps her practice, its contacts and its current place.
    sam.json(&["region", "remove", "Lee"]);
    let after = lee.json(&["sync"]);
    assert!(after["region"]["error"].as_str().is_some(), "{after}");
    assert_eq!(lee.json(&["region", "list"]), serde_json::json!([]));
    let err = lee.json_err(&["region", "members"]);
    assert_eq!(err["error"], "no_region", "{err}");
    assert_eq!(
        names(&lee.json(&["workspace", "list"]), "name"),
        ["Elm Family Practice"]
    );
    assert_eq!(
        names(&lee.json(&["contact", "list"]), "name"),
        ["Pastor Grace Kim"]
    );
    lee.json(&["sync"]);
    for d in [&dana, &sam] {
        d.json(&["sync"]);
        let members = d.json(&["region", "members"]);
        let lee_row = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "Lee")
            .cloned()
            .unwrap();
        assert_eq!(lee_row["removed"], true, "{members}");
    }

    // The relay holds no region name, practice name or member name in the clear.
    for needle in [REGION, "Pioneer", "Elm Family Practice", "Pastor Grace Kim"] {
        assert!(
            !any_file_holds(&relay.data, needle.as_bytes()),
            "{needle} on the relay"
        );
    }
}

/// A region with three practices, each member's card written in her own practice: Dana posts
/// a need; Sam's card fits it and Lee's does not, and each device ranks it so; a post whose
/// text names a contact Dana knows is refused and nothing is stored; the relay's files hold no
/// facet of the need.
#[test]
fn a_need_posted_to_the_region_is_ranked_on_each_device_against_its_own_card() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));
    let lee = Device::new(tmp.path().join("lee"));
    dana.found_practice_with_school(&relay, "Dana", "Maple Street Counseling");
    sam.found_practice(&relay, "Sam", "Oak Hill Therapy");
    lee.found_practice(&relay, "Lee", "Elm Family Practice");
    sam.json(&[
        "profile",
        "set",
        "--age-band",
        "13-17",
        "--age-band",
        "18-25",
        "--specialty",
        "anxiety",
        "--modality",
        "cbt",
        "--panel",
        "aetna",
        "--telehealth",
        "MA",
        "--openings",
        "accepting",
    ]);
    lee.json(&[
        "profile",
        "set",
        "--age-band",
        "26-64",
        "--panel",
        "aetna",
        "--telehealth",
        "MA",
        "--openings",
        "accepting",
    ]);
    dana.json(&[
        "region",
        "create",
        REGION,
        "--relay",
        &relay.url,
        "--signup-secret",
        SIGNUP_SECRET,
    ]);
    for who in [&sam, &lee] {
        let code = dana.json(&["region", "invite"])["code"]
            .as_str()
            .unwrap()
            .to_string();
        who.json(&["region", "join", &code]);
    }
    dana.json(&["sync"]);
    for d in [&sam, &lee] {
        d.json(&["sync"]);
    }

    let posted = dana.json(&[
        "exchange",
        "post",
        "--service",
        "individual",
        "--age-band",
        "13-17",
        "--specialty",
        "anxiety",
        "--modality",
        "cbt",
        "--panel",
        "aetna",
        "--telehealth",
        "MA",
        "--urgency",
        "soon",
        "--text",
        "Prefers evening sessions",
    ]);
    assert_eq!(posted["status"], "open", "{posted}");
    // Refused, nothing stored: the text names Rosa, a contact Dana's practice knows.
    let refused = dana.json_err(&[
        "exchange",
        "post",
        "--service",
        "individual",
        "--age-band",
        "13-17",
        "--text",
        "Rosa at the front office sent her",
    ]);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("names a contact"),
        "{refused}"
    );
    assert!(!refused["message"].as_str().unwrap().contains("Rosa"));
    assert_eq!(
        dana.json(&["exchange", "list", "--mine"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    dana.json(&["sync"]);
    for d in [&sam, &lee] {
        d.json(&["sync"]);
    }

    let for_sam = sam.json(&["exchange", "list"]);
    assert_eq!(for_sam[0]["id"], posted["id"], "{for_sam}");
    assert_eq!(for_sam[0]["fits"], true, "{for_sam}");
    assert_eq!(for_sam[0]["author"], "Dana", "{for_sam}");
    assert_eq!(
        sam.json(&["exchange", "list", "--fits-me"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let for_lee = lee.json(&["exchange", "list"]);
    assert_eq!(for_lee[0]["fits"], false, "{for_lee}");
    assert_eq!(
        lee.json(&["exchange", "list", "--fits-me"]),
        serde_json::json!([])
    );
    let shown = lee.json(&["exchange", "show", &posted["id"].as_str().unwrap()[..8]]);
    assert_eq!(shown["age_band"], "13-17", "{shown}");
    assert_eq!(shown["service"], "individual", "{shown}");
    assert_eq!(shown["text"], "Prefers evening sessions", "{shown}");
    assert_eq!(shown["replies"], 0, "{shown}");
    assert!(shown["expires_at"].as_str().is_some(), "{shown}");

    // Sam can see the client; Lee cannot and says so. Only Dana's devices read the replies.
    let id = posted["id"].as_str().unwrap()[..8].to_string();
    sam.json(&[
        "exchange",
        "reply",
        &id,
        "--fit",
        "yes",
        "--weeks",
        "1",
        "--note",
        "Tuesday evenings are open",
    ]);
    lee.json(&[
        "exchange",
        "reply",
        &id,
        "--fit",
        "no",
        "--note",
        "Adults only here, sorry",
    ]);
    let own = dana.json_err(&["exchange", "reply", &id, "--fit", "yes"]);
    assert!(
        own["message"].as_str().unwrap().contains("own post"),
        "{own}"
    );
    for d in [&sam, &lee, &dana] {
        d.json(&["sync"]);
    }
    let replies = dana.json(&["exchange", "replies", &id]);
    assert_eq!(names(&replies, "member"), ["Lee", "Sam"], "{replies}");
    assert_eq!(replies[0]["member"], "Sam", "yes first: {replies}");
    assert_eq!(replies[0]["fit"], "yes", "{replies}");
    assert_eq!(replies[0]["weeks"], 1, "{replies}");
    assert_eq!(replies[0]["note"], "Tuesday evenings are open", "{replies}");
    assert_eq!(
        replies[0]["card"]["openings"]["status"], "accepting",
        "{replies}"
    );
    assert_eq!(replies[1]["fit"], "no", "{replies}");
    assert_eq!(dana.json(&["exchange", "show", &id])["replies"], 2);
    for d in [&sam, &lee] {
        let refused = d.json_err(&["exchange", "replies", &id]);
        assert!(
            refused["message"].as_str().unwrap().contains("sealed"),
            "{refused}"
        );
    }

    // Dana connects the client with Sam: a referral sent to Sam in her practice (Sam becomes
    // a contact, a thank-you due), and, once Sam's device syncs, one received from Dana in his.
    let closed = dana.json(&[
        "exchange",
        "close",
        &id,
        "--outcome",
        "connected",
        "--with",
        "Sam",
    ]);
    assert_eq!(closed["referrals_recorded"], 1, "{closed}");
    assert_eq!(closed["post"]["status"], "connected", "{closed}");
    let reciprocity = dana.json(&["report", "reciprocity"]);
    let sam_row = reciprocity
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partner"] == "Sam")
        .cloned()
        .unwrap_or_default();
    assert_eq!(sam_row["sent"], 1, "{reciprocity}");
    let thanks = dana.json(&["followup", "list"]);
    assert!(
        thanks
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "thank-you" && f["contact"] == "Sam"),
        "{thanks}"
    );
    // Closing again, or a repeated sync, records nothing more.
    let again = dana.json_err(&["exchange", "close", &id, "--outcome", "withdrawn"]);
    assert!(
        again["message"].as_str().unwrap().contains("already"),
        "{again}"
    );
    dana.json(&["sync"]);
    let synced = sam.json(&["sync"]);
    assert_eq!(synced["region"]["referrals_recorded"], 1, "{synced}");
    assert_eq!(sam.json(&["sync"])["region"]["referrals_recorded"], 0);
    let reciprocity = sam.json(&["report", "reciprocity"]);
    assert_eq!(reciprocity[0]["partner"], "Dana", "{reciprocity}");
    assert_eq!(reciprocity[0]["received"], 1, "{reciprocity}");
    // Lee sees the outcome; her practice records nothing.
    let seen = lee.json(&["sync"]);
    assert_eq!(seen["region"]["referrals_recorded"], 0, "{seen}");
    let shown = lee.json(&["exchange", "show", &id]);
    assert_eq!(shown["status"], "connected", "{shown}");
    assert_eq!(shown["closed_with"], "Sam", "{shown}");

    for needle in [
        "Prefers evening sessions",
        "Tuesday evenings are open",
        "Adults only here",
        "aetna",
        "telehealth",
        "13-17",
    ] {
        assert!(
            !any_file_holds(&relay.data, needle.as_bytes()),
            "{needle} on the relay"
        );
    }
}
