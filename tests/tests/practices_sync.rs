//! Two therapists work offline on the same referral network, then sync: shared leave-behind
//! stock adds up, a follow-up both completed is done once (keeping what else each changed),
//! both referrals count, and a contact one of them deleted stays deleted although the other
//! edited it meanwhile.

use serde_json::Value;
use trellis_tests::{Device, Relay};

fn stock_of(d: &Device, item: &str) -> i64 {
    d.json(&["stock", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item"] == item)
        .map(|s| s["stock"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("no {item} in stock"))
}

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[test]
fn two_offline_therapists_share_stock_follow_ups_and_referrals_and_converge() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let dana = Device::new(tmp.path().join("dana"));
    let sam = Device::new(tmp.path().join("sam"));

    dana.found_practice(&relay, "Dana", "Maple Street Counseling");
    dana.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
    dana.json(&[
        "contact",
        "add",
        "Rosa Jimenez",
        "--org",
        "Lincoln",
        "--category",
        "school-counselor",
    ]);
    dana.json(&["contact", "add", "Mo Oldfield", "--category", "clergy"]);
    dana.json(&["stock", "add", "brochure", "20"]);
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--at",
        "2026-11-16T15:00:00Z",
    ]);
    let first_thanks = dana.json(&["followup", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    dana.json(&["sync"]);
    dana.invite_member(&sam, "Sam");
    assert_eq!(stock_of(&sam, "brochure"), 20);

    // Offline, both visit the school, use brochures, thank Rosa and record a referral.
    dana.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--left",
        "brochure:3",
        "--at",
        "2026-11-18T15:00:00Z",
    ]);
    sam.json(&[
        "log",
        "drop-by",
        "--org",
        "Lincoln",
        "--contact",
        "Rosa",
        "--left",
        "brochure:5",
        "--at",
        "2026-11-18T16:00:00Z",
    ]);
    sam.json(&["stock", "add", "brochure", "10"]);
    // Both thank Rosa for the first visit; Sam, who sent it, also takes it over and dates it.
    dana.json(&["followup", "done", &first_thanks[..8]]);
    sam.json(&["followup", "done", &first_thanks[..8]]);
    sam.json(&["followup", "assign", &first_thanks[..8], "Sam"]);
    sam.json(&[
        "followup",
        "snooze",
        &first_thanks[..8],
        "--until",
        "2026-11-19T17:00:00Z",
    ]);
    dana.json(&[
        "referral",
        "add",
        "--from",
        "Rosa",
        "--reason",
        "adolescent anxiety",
        "--on",
        "2026-11-18",
    ]);
    sam.json(&[
        "referral",
        "add",
        "--from",
        "Rosa",
        "--reason",
        "grief",
        "--on",
        "2026-11-19",
    ]);
    // Dana deletes a contact that Sam is editing at the same time.
    dana.json(&["contact", "delete", "Mo Oldfield"]);
    sam.json(&[
        "contact",
        "note",
        "Mo Oldfield",
        "--append",
        "Moved to another parish",
    ]);
    sam.json(&["contact", "stage", "Mo Oldfield", "connected"]);

    for d in [&dana, &sam, &dana] {
        d.json(&["sync"]);
    }

    for d in [&dana, &sam] {
        assert_eq!(stock_of(d, "brochure"), 20 - 3 - 5 + 10);
        let all = d.json(&["followup", "list", "--all"]);
        let done: Vec<&Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["done_at"].is_null())
            .collect();
        assert_eq!(done.len(), 1, "the first thank-you is done, once");
        assert_eq!(done[0]["id"], first_thanks.as_str());
        assert_eq!(done[0]["assigned_to"], "Sam", "edits of other fields merge");
        assert_eq!(done[0]["due_at"], "2026-11-19T17:00:00Z");
        let open = d.json(&["followup", "list"]);
        assert_eq!(
            open.as_array().unwrap().len(),
            2,
            "one thank-you per new drop-by"
        );
        let report = d.json(&["report", "referrals"]);
        assert_eq!(report["received"], 2);
        assert_eq!(report["by_source"][0]["label"], "Rosa Jimenez");
        assert_eq!(report["by_source"][0]["count"], 2);
        let rosa = d.json(&["contact", "show", "Rosa"]);
        assert_eq!(rosa["stage"], "referring");
        assert_eq!(
            names(&d.json(&["contact", "list"])),
            ["Rosa Jimenez"],
            "no resurrection"
        );
        let stock = d.json(&["report", "stock"]);
        assert_eq!(stock[0]["used"], 8);
        assert_eq!(d.json(&["activity", "list"]).as_array().unwrap().len(), 3);
    }
    assert_eq!(
        dana.json(&["referral", "list"]),
        sam.json(&["referral", "list"])
    );
}
