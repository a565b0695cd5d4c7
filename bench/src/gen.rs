//! A realistic practice, written through the public core API, deterministic from a seed.
//!
//! Three members (Dana, the owner; Sam and Lee) each have their own store, joined to one
//! workspace through a real relay on loopback, as three phones would be. Dana adds the
//! organizations (one per four contacts) and contacts (category, role, needs); every member
//! logs the activities of the contacts they look after (ten per contact, spread over the two
//! years before [`WINDOW_END`], in time order), so each member writes a logbook per month;
//! a third of the contacts get a note, a quarter a follow-up, a fifth a referral. Everyone syncs,
//! and Dana uploads a checkpoint, so a new device can bootstrap.
//!
//! Content is deterministic from the seed; document ids are random, as on real devices.
//! Notes are 100–300 characters of plausible prose about outreach, with no client details.
//!
//! The result is a directory: `relay/` (the relay's data), `dana/`, `sam/`, `lee/` (each a
//! store `trellis.sqlite3`) and `practice.json` (what was made and how long it took).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use trellis_core::{
    ActivityKind, ContactCategory, NewActivity, NewContact, NewFollowUp, NewOrg, NewReferral,
    OrgKind, ReferralChannel, ReferralDirection, ReferralStatus, Role, Stage, Store,
};

use crate::relay::{RelayOptions, RelayProcess, SIGNUP_SECRET};
use crate::Result;

/// Bump when the generated shape changes, so cached practices are made again (2: checkpoints
/// carry index snapshots; 3: schema 8; 4: a visit's thank-you is a field of its activity; 5: the
/// second data format, keyed document ids and padded envelopes, whose stores refuse older ones;
/// 6: the third, signed changes and the signed roster).
pub const GEN_VERSION: u32 = 6;

/// Activities are spread over the two years before this day.
pub const WINDOW_END: &str = "2026-11-01";

/// The common prefix the benches search for (it starts many notes' words: counselor,
/// counseling...).
pub const SEARCH_PREFIX: &str = "couns";

/// The members' names; the first is the owner, whose store the benchmarks read.
pub const MEMBERS: [&str; 3] = ["Dana", "Sam", "Lee"];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Contacts (default 10,000).
    pub contacts: usize,
    /// Activities per contact (default 10).
    pub activities_per_contact: usize,
    /// Seed of every choice.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            contacts: 10_000,
            activities_per_contact: 10,
            seed: 42,
        }
    }
}

impl Params {
    /// The cache directory for these parameters: `target/bench-data/practice-...`.
    pub fn cache_dir(&self) -> PathBuf {
        crate::target_dir().join("bench-data").join(format!(
            "practice-v{GEN_VERSION}-c{}-a{}-s{}",
            self.contacts, self.activities_per_contact, self.seed
        ))
    }
}

/// What was generated, saved as `practice.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    /// The parameters.
    pub params: Params,
    /// Organizations added.
    pub organizations: usize,
    /// Contacts added.
    pub contacts: usize,
    /// Activities logged (all members).
    pub activities: usize,
    /// Contact notes appended.
    pub notes: usize,
    /// Follow-ups added.
    pub followups: usize,
    /// Referrals recorded.
    pub referrals: usize,
    /// Seconds to write everything through the core API (syncs excluded).
    pub write_s: f64,
    /// Seconds of the syncs that bring every member's store up to date.
    pub sync_s: f64,
    /// Seconds of the checkpoint upload.
    pub checkpoint_s: f64,
    /// Size of Dana's store file in bytes.
    pub store_bytes: u64,
}

/// A generated practice on disk.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Its directory.
    pub dir: PathBuf,
    /// What it holds.
    pub practice: Practice,
}

impl Generated {
    /// A member's store file (`dana`, `sam`, `lee`).
    pub fn store_path(&self, member: &str) -> PathBuf {
        store_path(&self.dir, member)
    }

    /// The relay's data directory.
    pub fn relay_dir(&self) -> PathBuf {
        self.dir.join("relay")
    }
}

fn store_path(dir: &Path, member: &str) -> PathBuf {
    dir.join(member.to_lowercase()).join("trellis.sqlite3")
}

/// Copies each database's WAL into it and truncates the WAL: generating leaves WAL files of up
/// to 1.3 GB, which every copy would carry and every first open of a copy would read (the
/// core suite's one slow "open store to first page" in 20). Does nothing to a settled cache.
fn settle(dir: &Path) -> Result<()> {
    let mut dbs: Vec<PathBuf> = MEMBERS.iter().map(|m| store_path(dir, m)).collect();
    dbs.push(dir.join("relay").join("relay.sqlite3"));
    for db in dbs {
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        if std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0 {
            continue;
        }
        let c = rusqlite::Connection::open(&db)?;
        let busy: i64 = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(
                format!("{} is in use: its WAL could not be truncated", db.display()).into(),
            );
        }
    }
    Ok(())
}

/// The practice for `params`, from the cache when it was made before, else generated into
/// the cache (progress on stderr).
pub fn cached(params: Params) -> Result<Generated> {
    let dir = params.cache_dir();
    if let Ok(text) = std::fs::read_to_string(dir.join("practice.json")) {
        let practice: Practice = serde_json::from_str(&text)?;
        // Caches made before `settle` existed still have their WAL files.
        settle(&dir)?;
        return Ok(Generated { dir, practice });
    }
    if dir.exists() {
        // A run that stopped halfway: start over.
        std::fs::remove_dir_all(&dir)?;
    }
    let tmp = dir.with_extension("partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let practice = generate(params, &tmp)?;
    settle(&tmp)?;
    std::fs::rename(&tmp, &dir)?;
    Ok(Generated { dir, practice })
}

/// A small deterministic generator (PCG-style LCG), so every run writes the same practice.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST: &[&str] = &[
    "Rosa", "Marcus", "Priya", "Daniel", "Keiko", "Omar", "Hannah", "Luis", "Grace", "Tomas",
    "Aisha", "Ben", "Carmen", "Elliot", "Fatima", "Gabe", "Ingrid", "Jamal", "Lena", "Mateo",
    "Nadia", "Owen", "Paula", "Quinn", "Rahul", "Sofia", "Theo", "Uma", "Victor", "Wren",
];
const LAST: &[&str] = &[
    "Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
    "Ueda", "Varga", "Walsh", "Xu", "Young", "Zimmer",
];
const PLACES: &[&str] = &[
    "Lincoln",
    "Maple",
    "Riverside",
    "Oak Hill",
    "Cedar",
    "Harbor",
    "Summit",
    "Willow",
    "Pine",
    "Lakeview",
    "Westgate",
    "Northside",
    "Brookfield",
    "Fairview",
    "Elm Street",
    "Highland",
];

/// A name for an organization of `kind`, with a number that keeps names unique.
fn org_name(rng: &mut Rng, kind: OrgKind, i: usize) -> String {
    let place = rng.pick(PLACES);
    let what = match kind {
        OrgKind::School => *rng.pick(&["Middle School", "High School", "Elementary"]),
        OrgKind::Clinic => "Family Clinic",
        OrgKind::PrimaryCare => "Primary Care",
        OrgKind::Hospital => "Medical Center",
        OrgKind::PlaceOfWorship => *rng.pick(&["Community Church", "Temple", "Mosque"]),
        OrgKind::LawFirm => "Family Law",
        OrgKind::Wellness => *rng.pick(&["Yoga Studio", "Wellness Center", "Acupuncture"]),
        OrgKind::CommunityOrg => *rng.pick(&["Rotary Club", "YMCA", "Library"]),
        OrgKind::ProfessionalOrg => "Counseling Association",
        OrgKind::Other => "Pediatric Dentistry",
    };
    format!("{place} {what} {i}")
}

/// Who works at an organization of `kind`, and as what.
fn category_and_role(rng: &mut Rng, kind: OrgKind) -> (ContactCategory, &'static str) {
    use ContactCategory as C;
    let options: &[(ContactCategory, &str)] = match kind {
        OrgKind::School => &[
            (C::SchoolCounselor, "School counselor"),
            (C::SchoolPsychologist, "School psychologist"),
            (C::SocialWorker, "School social worker"),
        ],
        OrgKind::Clinic | OrgKind::Hospital => &[
            (C::Psychiatrist, "Psychiatrist"),
            (C::SocialWorker, "Clinical social worker"),
            (C::Therapist, "Staff therapist"),
        ],
        OrgKind::PrimaryCare => &[
            (C::Pediatrician, "Pediatrician"),
            (C::PrimaryCare, "Family physician"),
        ],
        OrgKind::PlaceOfWorship => &[(C::Clergy, "Pastor"), (C::Clergy, "Youth minister")],
        OrgKind::LawFirm => &[
            (C::FamilyLawyer, "Family lawyer"),
            (C::Attorney, "Mediator"),
        ],
        OrgKind::Wellness => &[
            (C::Yoga, "Studio owner"),
            (C::Nutritionist, "Nutritionist"),
            (C::Acupuncture, "Acupuncturist"),
            (C::Massage, "Massage therapist"),
        ],
        OrgKind::CommunityOrg | OrgKind::ProfessionalOrg => &[
            (C::CommunityLeader, "Program director"),
            (C::Therapist, "Board member"),
        ],
        OrgKind::Other => &[(C::Other, "Office manager")],
    };
    *rng.pick(options)
}

const OPENERS: &[&str] = &[
    "Dropped off a stack of brochures at the front desk",
    "Stopped by after the morning bell",
    "Met briefly in the hallway between appointments",
    "Brought a box of pastries for the staff room",
    "Had a short call about the new teen group",
    "Caught up over coffee near their office",
    "Left cards and the updated intake flyer",
    "Talked after the parent evening",
];
const MIDDLES: &[&str] = &[
    "they see more students struggling with anxiety around exams",
    "their waitlist for family therapy is three months long",
    "they asked whether we take new referrals for adolescents",
    "the front office wanted our sliding-scale information",
    "they are looking for someone who works with grief",
    "their team is planning a wellness week in the spring",
    "they mentioned interest in a workshop on screen time",
    "the new counselor started in September and is building a list",
];
const CLOSERS: &[&str] = &[
    "Promised to send the group schedule by Friday.",
    "Will follow up with the workshop outline.",
    "They will pass our cards to the nurse's office.",
    "Agreed to check in again next month.",
    "Sent a thank-you note the same afternoon.",
    "Offered to give a short talk at their staff meeting.",
];

/// 100–300 characters of plausible prose about outreach (no client details).
pub fn note(rng: &mut Rng) -> String {
    let target = 100 + rng.below(201);
    let mut s = format!("{}; {}.", rng.pick(OPENERS), rng.pick(MIDDLES));
    while s.len() < target {
        let next = if rng.below(2) == 0 {
            rng.pick(CLOSERS).to_string()
        } else {
            let m = rng.pick(MIDDLES);
            let mut c = m.chars();
            let first = c
                .next()
                .map(|f| f.to_uppercase().to_string())
                .unwrap_or_default();
            format!("Also, {}{}.", first.to_lowercase(), c.as_str())
        };
        s.push(' ');
        s.push_str(&next);
    }
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Writes a practice into `dir` (which must not exist), through a relay it starts.
pub fn generate(params: Params, dir: &Path) -> Result<Practice> {
    std::fs::create_dir_all(dir)?;
    let relay = RelayProcess::start(
        &crate::relay::relay_bin()?,
        &RelayOptions::sqlite(&dir.join("relay")),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut stores = Vec::new();
    for name in MEMBERS {
        let path = store_path(dir, name);
        std::fs::create_dir_all(path.parent().ok_or("a store path has a parent")?)?;
        let s = Store::open(&path)?;
        s.init(name)?;
        stores.push(s);
    }
    rt.block_on(stores[0].create_shared_workspace(
        "Maple Street Counseling",
        &relay.url,
        SIGNUP_SECRET,
    ))?;
    for s in &stores[1..] {
        let code = rt.block_on(stores[0].create_invite(Role::Member, false))?;
        rt.block_on(s.join(&code, None))?;
    }
    // Dana's device hands the others the keys; each takes them.
    rt.block_on(stores[0].sync())?;
    for s in &stores[1..] {
        rt.block_on(s.sync())?;
    }

    let mut rng = Rng::new(params.seed);
    let n = params.contacts;
    let orgs_n = n.div_ceil(4).max(1);
    let write = Instant::now();
    let mut sync_s = 0.0;
    let mut org_ids = Vec::with_capacity(orgs_n);
    let mut org_kinds = Vec::with_capacity(orgs_n);
    for i in 0..orgs_n {
        let kind = OrgKind::ALL[rng.below(OrgKind::ALL.len())];
        let org = stores[0].add_org(&NewOrg {
            name: org_name(&mut rng, kind, i),
            kind: Some(kind),
            address: Some(format!(
                "{} {} Ave",
                100 + rng.below(9000),
                rng.pick(PLACES)
            )),
            phone: Some(format!("555-{:04}", rng.below(10_000))),
            website: None,
            location: Some((
                45.40 + rng.below(4000) as f64 / 10_000.0,
                -122.80 + rng.below(4000) as f64 / 10_000.0,
            )),
        })?;
        org_ids.push(org.id);
        org_kinds.push(kind);
    }
    eprintln!("trellis-gen: {orgs_n} organizations");
    let mut contact_ids = Vec::with_capacity(n);
    let mut contact_orgs = Vec::with_capacity(n);
    for i in 0..n {
        let o = rng.below(orgs_n);
        let (category, role) = category_and_role(&mut rng, org_kinds[o]);
        let stage = Stage::ALL[rng.below(Stage::ALL.len())];
        let c = stores[0].add_contact(&NewContact {
            name: format!("{} {} {i}", rng.pick(FIRST), rng.pick(LAST)),
            organization: Some(org_ids[o].clone()),
            role: Some(role.into()),
            category: Some(category),
            stage: Some(stage),
            cadence_days: None,
            phones: vec![format!("555-{:04}", rng.below(10_000))],
            emails: vec![format!("contact{i}@example.org")],
            needs: Some(note(&mut rng)),
            how_we_help: None,
            tags: vec![],
        })?;
        contact_ids.push(c.id);
        contact_orgs.push(o);
        if (i + 1) % 1000 == 0 {
            eprintln!(
                "trellis-gen: {}/{n} contacts, {:.0} s",
                i + 1,
                write.elapsed().as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    for s in &stores {
        rt.block_on(s.sync())?;
    }
    sync_s += t.elapsed().as_secs_f64();

    // Activities: every contact is looked after by one member (most by Dana), with a tenth of
    // the visits made by a colleague; visits are logged in time order.
    let end = trellis_core::time::start_of_day(trellis_core::time::parse_day(WINDOW_END)?);
    let window_ms: i64 = 730 * 24 * 3600 * 1000;
    let mut plan: Vec<(i64, usize, usize, ActivityKind)> =
        Vec::with_capacity(n * params.activities_per_contact);
    for c in 0..n {
        let owner = [0, 0, 1, 2][rng.below(4)];
        for _ in 0..params.activities_per_contact {
            let who = if rng.below(10) == 0 {
                rng.below(MEMBERS.len())
            } else {
                owner
            };
            let day = rng.below(730) as i64;
            let at =
                end - window_ms + day * 24 * 3600 * 1000 + (8 + rng.below(9) as i64) * 3_600_000;
            let kind = *rng.pick(&[
                ActivityKind::DropBy,
                ActivityKind::DropBy,
                ActivityKind::DropBy,
                ActivityKind::Meeting,
                ActivityKind::Call,
                ActivityKind::Email,
                ActivityKind::ThankYou,
            ]);
            plan.push((at, who, c, kind));
        }
    }
    plan.sort_by_key(|p| (p.0, p.1, p.2));
    let total = plan.len();
    for (i, (at, who, c, kind)) in plan.into_iter().enumerate() {
        let left_behind = if kind == ActivityKind::DropBy && rng.below(3) == 0 {
            vec![trellis_core::LeftBehind {
                item: "brochures".into(),
                qty: 2 + rng.below(10) as u32,
            }]
        } else {
            vec![]
        };
        stores[who].log_activity(&NewActivity {
            kind: Some(kind),
            organization: Some(org_ids[contact_orgs[c]].clone()),
            contacts: vec![contact_ids[c].clone()],
            minutes: 10 + 5 * rng.below(10) as u32,
            note: Some(note(&mut rng)),
            left_behind,
            at: Some(trellis_core::time::format_ms(at)),
            audience: None,
            attendance: None,
        })?;
        if (i + 1) % 5000 == 0 {
            eprintln!(
                "trellis-gen: {}/{total} activities, {:.0} s",
                i + 1,
                write.elapsed().as_secs_f64()
            );
        }
    }
    let (mut notes, mut followups, mut referrals) = (0, 0, 0);
    for (c, id) in contact_ids.iter().enumerate() {
        if c % 3 == 0 {
            stores[0].append_note(id, &note(&mut rng))?;
            notes += 1;
        }
        if c % 4 == 1 {
            let day = 1 + rng.below(28);
            let month = 1 + rng.below(12);
            stores[0].add_followup(&NewFollowUp {
                kind: None,
                contact: Some(id.clone()),
                organization: None,
                due: Some(format!("2026-{month:02}-{day:02}")),
                note: Some(note(&mut rng)),
            })?;
            followups += 1;
        }
        if c % 5 == 2 {
            let day = 1 + rng.below(28);
            let month = 1 + rng.below(12);
            stores[0].add_referral(&NewReferral {
                direction: if rng.below(3) == 0 {
                    ReferralDirection::Sent
                } else {
                    ReferralDirection::Received
                },
                partner: id.clone(),
                reason: rng
                    .pick(&[
                        "adolescent anxiety",
                        "couples",
                        "trauma",
                        "grief",
                        "parenting",
                    ])
                    .to_string(),
                status: Some(ReferralStatus::ALL[rng.below(ReferralStatus::ALL.len())]),
                channel: Some(ReferralChannel::ALL[rng.below(ReferralChannel::ALL.len())]),
                on: Some(format!("{}-{month:02}-{day:02}", 2025 + rng.below(2))),
                note: None,
            })?;
            referrals += 1;
        }
    }
    let write_s = write.elapsed().as_secs_f64() - sync_s;
    eprintln!("trellis-gen: written in {write_s:.0} s; syncing");
    let t = Instant::now();
    for s in stores.iter().chain(stores.iter()) {
        rt.block_on(s.sync())?;
    }
    sync_s += t.elapsed().as_secs_f64();
    let t = Instant::now();
    rt.block_on(stores[0].checkpoint())?;
    let checkpoint_s = t.elapsed().as_secs_f64();
    let got = stores[0].activities()?.len();
    if got != total {
        return Err(
            format!("the owner's store shows {got} activities, {total} were logged").into(),
        );
    }
    drop(stores);
    let practice = Practice {
        params,
        organizations: orgs_n,
        contacts: n,
        activities: total,
        notes,
        followups,
        referrals,
        write_s,
        sync_s,
        checkpoint_s,
        store_bytes: std::fs::metadata(store_path(dir, MEMBERS[0]))?.len(),
    };
    std::fs::write(
        dir.join("practice.json"),
        serde_json::to_string_pretty(&practice)?,
    )?;
    eprintln!("trellis-gen: done ({write_s:.0} s writing, {sync_s:.0} s syncing, {checkpoint_s:.1} s checkpoint)");
    Ok(practice)
}

/// Copies a member's store (a closed one: the cache's) with its WAL, if any, to `to`, so a
/// benchmark can write to it without touching the cache.
pub fn copy_store(from: &Path, to: &Path) -> Result<()> {
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::copy(from, to)?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", from.display()));
        let to_side = PathBuf::from(format!("{}{suffix}", to.display()));
        if side.exists() {
            std::fs::copy(&side, &to_side)?;
        } else if to_side.exists() {
            std::fs::remove_file(&to_side)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_plausible_prose_of_100_to_300_characters_and_repeatable() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..500 {
            let n = note(&mut a);
            assert!((100..=300).contains(&n.len()), "{} chars: {n}", n.len());
            assert_eq!(n, note(&mut b), "the same seed writes the same notes");
        }
        assert_ne!(note(&mut Rng::new(1)), note(&mut Rng::new(2)));
    }
}
