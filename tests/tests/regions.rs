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
