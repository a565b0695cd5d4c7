//! Measures how fast a new device of a large practice is ready to browse: a practice of N
//! contacts and 10·N activities logged by three members over two years, a checkpoint, then a
//! new member's device that joins and bootstraps from it through a real relay on loopback.
//!
//! ```text
//! cargo build --release -p trellis-relay -p trellis-cli
//! TRELLIS_BIN_DIR=target/release cargo run --release -p trellis-tests --bin scale-bootstrap -- 2000
//! ```
//!
//! Prints one JSON line: sizes, the time and bytes of the bootstrap, and the time to the first
//! page of contacts. Bounded: it runs once and stops; loopback only.

use std::time::Instant;

use trellis_core::{NewActivity, NewContact, NewOrg, OrgKind, Role, Store};
use trellis_tests::{Relay, SIGNUP_SECRET};

/// A small deterministic generator, so every run logs the same practice.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

const WORDS: &[&str] = &[
    "counselor",
    "parent",
    "night",
    "anxiety",
    "group",
    "referral",
    "brochure",
    "teen",
    "school",
    "visit",
    "lunch",
    "flyer",
    "workshop",
    "follow",
    "up",
    "schedule",
    "resources",
    "grief",
];

fn note(rng: &mut Lcg) -> String {
    let len = 100 + rng.next(200);
    let mut s = String::new();
    while s.len() < len {
        s.push_str(WORDS[rng.next(WORDS.len())]);
        s.push(' ');
    }
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let contacts: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    let activities = contacts * 10;
    let tmp = tempfile::tempdir()?;
    let relay = Relay::start(&tmp.path().join("relay"), 0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let store = |name: &str| Store::open(tmp.path().join(name).join("trellis.sqlite3"));
    let dana = store("dana")?;
    dana.init("Dana")?;
    rt.block_on(dana.create_shared_workspace(
        "Maple Street Counseling",
        &relay.url,
        SIGNUP_SECRET,
    ))?;
    let mut members = vec![dana];
    for name in ["Sam", "Lee"] {
        let s = store(name)?;
        s.init(name)?;
        let code = rt.block_on(members[0].create_invite(Role::Member, false))?;
        rt.block_on(s.join(&code, None))?;
        members.push(s);
    }

    let t = Instant::now();
    let mut rng = Lcg(42);
    let orgs = (contacts / 4).max(1);
    for i in 0..orgs {
        members[0].add_org(&NewOrg {
            name: format!("Organization {i:05}"),
            kind: Some(OrgKind::ALL[i % OrgKind::ALL.len()]),
            location: Some((
                45.0 + rng.next(1000) as f64 / 1000.0,
                -122.0 - rng.next(1000) as f64 / 1000.0,
            )),
            ..Default::default()
        })?;
    }
    for i in 0..contacts {
        members[0].add_contact(&NewContact {
            name: format!("Contact {i:05}"),
            organization: Some(format!("Organization {:05}", i % orgs)),
            needs: Some(note(&mut rng)),
            ..Default::default()
        })?;
    }
    for m in &members {
        rt.block_on(m.sync())?;
    }
    for i in 0..activities {
        let who = &members[i % members.len()];
        let month = 1 + (i / 7) % 24;
        let day = 1 + rng.next(28);
        let at = format!(
            "{}-{:02}-{:02}T{:02}:00:00Z",
            2025 + (month - 1) / 12,
            (month - 1) % 12 + 1,
            day,
            8 + rng.next(9)
        );
        let c = rng.next(contacts);
        if i % 2000 == 0 {
            eprintln!(
                "logged {i}/{activities} activities in {:.0} s",
                t.elapsed().as_secs_f64()
            );
        }
        who.log_activity(&NewActivity {
            organization: Some(format!("Organization {:05}", c % orgs)),
            contacts: vec![format!("Contact {c:05}")],
            minutes: 10 + rng.next(50) as u32,
            note: Some(note(&mut rng)),
            at: Some(at),
            ..Default::default()
        })?;
    }
    let generate_s = t.elapsed().as_secs_f64();
    for m in &members {
        rt.block_on(m.sync())?;
    }
    rt.block_on(members[0].sync())?;
    let t = Instant::now();
    let checkpoint = rt.block_on(members[0].checkpoint())?;
    let checkpoint_s = t.elapsed().as_secs_f64();

    let code = rt.block_on(members[0].create_invite(Role::Member, false))?;
    let pat = store("pat")?;
    pat.init("Pat")?;
    let t = Instant::now();
    rt.block_on(pat.join(&code, None))?;
    let report = rt.block_on(pat.sync())?;
    let bootstrap_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let reopened = store("pat")?;
    let first_page = reopened.contacts()?.len();
    let first_page_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(first_page, contacts, "the new device shows every contact");
    assert_eq!(
        reopened.activities()?.len(),
        activities,
        "and every activity"
    );

    println!(
        "{}",
        serde_json::json!({
            "contacts": contacts,
            "activities": activities,
            "generate_s": generate_s,
            "checkpoint": checkpoint,
            "checkpoint_s": checkpoint_s,
            "bootstrap_s": bootstrap_s,
            "bootstrapped_docs": report.bootstrapped_docs,
            "pulled_after_checkpoint": report.pulled,
            "open_and_list_contacts_ms": first_page_ms,
        })
    );
    Ok(())
}
