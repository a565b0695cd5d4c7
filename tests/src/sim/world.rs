//! One schedule: the devices, the model of what each acknowledged, the operations and the
//! final checks (see the module documentation of [`crate::sim`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trellis_core::{
    Error, FollowUpFilter, LeftBehind, NewActivity, NewContact, NewFollowUp, NewOrg, NewReferral,
    ReferralDirection, Role, Stage, Store,
};

use super::net::{FaultCounts, Faults, Net, SIGNUP_SECRET};
use super::rng::Rng;

/// What a passing schedule did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// Devices in the schedule.
    pub devices: usize,
    /// Workspaces in the schedule.
    pub workspaces: usize,
    /// Operations attempted (writes, syncs, offline changes, restarts).
    pub steps: u64,
    /// Writes that returned `Ok` (and were checked at the end).
    pub acknowledged: u64,
    /// Syncs run during the schedule (not counting the final full sync).
    pub syncs: u64,
    /// Syncs that failed because of the network or the relay's restarts.
    pub failed_syncs: u64,
    /// Copies taken of a device's store, as a phone's backup would.
    pub backups: u64,
    /// Devices put back to an earlier copy of their store (each then writes under a new
    /// incarnation and must converge without breaking anyone's sync).
    pub restores: u64,
    /// What the network did.
    pub faults: FaultCounts,
}

/// A failed schedule: its seed, what went wrong and what happened, step by step.
#[derive(Debug)]
pub struct Failure {
    /// The seed that replays it.
    pub seed: u64,
    /// The broken invariant.
    pub message: String,
    /// The schedule, one line per step.
    pub trace: Vec<String>,
}

const ITEMS: [&str; 2] = ["Brochures", "Cards"];

#[derive(Debug, Default)]
struct OrgM {
    id: String,
    deleted: bool,
    archived_ever: bool,
    /// Locations acknowledged for it (`None`: never set).
    locations: Vec<(f64, f64)>,
}

#[derive(Debug, Default)]
struct ContactM {
    id: String,
    deleted: bool,
    archived_ever: bool,
    stages: BTreeSet<String>,
    cadences: BTreeSet<u32>,
    notes: Vec<String>,
}

#[derive(Debug, Default)]
struct FollowUpM {
    id: String,
    completed: bool,
}

/// What the devices of one workspace acknowledged.
#[derive(Debug, Default)]
struct WsModel {
    devices: Vec<usize>,
    orgs: Vec<OrgM>,
    contacts: Vec<ContactM>,
    activities: Vec<String>,
    followups: Vec<FollowUpM>,
    referrals: Vec<String>,
    /// Restocked minus left behind, per item.
    stock: BTreeMap<String, i64>,
    next: u64,
}

struct World {
    rng: Rng,
    net: Net,
    stores: Vec<Store>,
    /// Each device's data directory.
    data: Vec<PathBuf>,
    /// Each device's newest backup, if one was taken.
    backups: Vec<Option<PathBuf>>,
    /// Workspace index of each device.
    ws_of: Vec<usize>,
    models: Vec<WsModel>,
    trace: Vec<String>,
    outcome: Outcome,
}

/// Runs the schedule of `seed` to the end and checks it.
pub fn run_schedule(seed: u64) -> Result<Outcome, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            seed,
            message: format!("no runtime: {e}"),
            trace: Vec::new(),
        })?;
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("trellis-sim")
            .tempdir_in(shm)
    } else {
        tempfile::Builder::new().prefix("trellis-sim").tempdir()
    }
    .map_err(|e| Failure {
        seed,
        message: format!("no temporary directory: {e}"),
        trace: Vec::new(),
    })?;
    rt.block_on(async {
        let mut world = match World::set_up(seed, dir.path()).await {
            Ok(w) => w,
            Err((message, trace)) => {
                return Err(Failure {
                    seed,
                    message,
                    trace,
                })
            }
        };
        match world.run().await {
            Ok(()) => Ok(world.outcome),
            Err(message) => Err(Failure {
                seed,
                message,
                trace: std::mem::take(&mut world.trace),
            }),
        }
    })
}

impl World {
    async fn set_up(seed: u64, dir: &Path) -> Result<World, (String, Vec<String>)> {
        let mut rng = Rng::new(seed);
        // Layout: workspace 0 has the founder on two devices and one or two more members;
        // workspace 1, when there is one, a founder and a second member.
        let workspaces = 1 + rng.below(2) as usize;
        let mut plan: Vec<(usize, &'static str)> =
            vec![(0, "founder"), (0, "device"), (0, "member")];
        if rng.chance(500) {
            plan.push((0, "member"));
        }
        if workspaces == 2 {
            plan.push((1, "founder"));
            plan.push((1, if rng.chance(500) { "member" } else { "device" }));
        }
        let net = Net::start(dir, plan.len(), rng.split()).await;
        let mut world = World {
            rng,
            net,
            stores: Vec::new(),
            data: (0..plan.len())
                .map(|i| dir.join(format!("device{i}")))
                .collect(),
            backups: vec![None; plan.len()],
            ws_of: plan.iter().map(|(w, _)| *w).collect(),
            models: (0..workspaces).map(|_| WsModel::default()).collect(),
            trace: Vec::new(),
            outcome: Outcome {
                devices: plan.len(),
                workspaces,
                ..Outcome::default()
            },
        };
        world.trace.push(format!(
            "seed {seed}: {} devices {:?}",
            plan.len(),
            plan.iter()
                .enumerate()
                .map(|(i, (w, role))| format!("dev{i}=ws{w}/{role}"))
                .collect::<Vec<_>>()
        ));
        let fail = |w: &mut World, m: String| (m, std::mem::take(&mut w.trace));
        for (i, (ws, role)) in plan.iter().enumerate() {
            let data = world.data[i].clone();
            if let Err(e) = std::fs::create_dir_all(&data) {
                return Err(fail(&mut world, format!("dev{i}: no data directory: {e}")));
            }
            let store = match Store::open(data.join("trellis.sqlite3")) {
                Ok(s) => s,
                Err(e) => return Err(fail(&mut world, format!("dev{i}: open: {e}"))),
            };
            world.models[*ws].devices.push(i);
            let founder = world.models[*ws].devices[0];
            let member_name = match *role {
                "device" => format!("Member {ws}-{founder}"),
                _ => format!("Member {ws}-{i}"),
            };
            let url = world.net.urls[i].clone();
            let setup: trellis_core::Result<()> = async {
                store.init(&member_name)?;
                if *role == "founder" {
                    store
                        .create_shared_workspace(&format!("Practice {ws}"), &url, SIGNUP_SECRET)
                        .await?;
                    // The initial stock every later count starts from.
                    store.restock(ITEMS[0], 20)?;
                } else {
                    let code = world.stores[founder]
                        .create_invite(Role::Member, *role == "device")
                        .await?;
                    store.join(&code, Some(&url)).await?;
                }
                Ok(())
            }
            .await;
            if let Err(e) = setup {
                return Err(fail(&mut world, format!("dev{i} ({role}): set-up: {e}")));
            }
            if *role == "founder" {
                *world.models[*ws].stock.entry(ITEMS[0].into()).or_default() += 20;
            }
            world.stores.push(store);
        }
        for i in 0..world.stores.len() {
            if let Err(e) = world.stores[i].sync().await {
                return Err(fail(&mut world, format!("dev{i}: first sync: {e}")));
            }
        }
        Ok(world)
    }

    async fn run(&mut self) -> Result<(), String> {
        let faults = if self.rng.chance(100) {
            Faults::NONE
        } else {
            Faults::random(&mut self.rng)
        };
        self.trace.push(format!("faults {faults:?}"));
        self.net.set_faults(faults);
        let steps = self.rng.range(20, 60);
        for step in 0..steps {
            self.outcome.steps += 1;
            let dev = self.rng.below(self.stores.len() as u64) as usize;
            let roll = self.rng.below(100);
            let line = if roll < 5 {
                let off = !self.net.is_offline(dev);
                self.net.set_offline(dev, off);
                format!("dev{dev} goes {}", if off { "offline" } else { "online" })
            } else if roll < 7 {
                self.net.restart_relay().await;
                "relay restarts".to_string()
            } else if roll < 9 {
                self.backup(dev)?
            } else if roll < 12 {
                self.restore(dev).await?
            } else if roll < 30 {
                self.outcome.syncs += 1;
                match self.stores[dev].sync().await {
                    Ok(r) => format!(
                        "dev{dev} sync: pushed {} pulled {} cursor {} gaps {}{}",
                        r.pushed,
                        r.pulled,
                        r.cursor,
                        r.gaps,
                        if r.repulled { " (repulled)" } else { "" }
                    ),
                    Err(e @ (Error::Network(_) | Error::Corrupt(_) | Error::Relay { .. })) => {
                        self.outcome.failed_syncs += 1;
                        format!("dev{dev} sync failed: {e}")
                    }
                    Err(e) => return Err(format!("dev{dev}: sync: {e}")),
                }
            } else {
                self.write(dev)?
            };
            self.trace.push(format!("{step:>3}: {line}"));
        }
        self.final_sync().await?;
        self.outcome.faults = self.net.counts();
        self.check()
    }

    /// Copies `dev`'s store as a backup would (a consistent copy taken while it runs).
    fn backup(&mut self, dev: usize) -> Result<String, String> {
        let to = self.data[dev].with_extension(format!("backup{}", self.outcome.backups));
        let from = self.data[dev].join("trellis.sqlite3");
        let conn = rusqlite::Connection::open(&from).map_err(|e| format!("dev{dev}: {e}"))?;
        conn.execute("VACUUM INTO ?1", [to.to_string_lossy()])
            .map_err(|e| format!("dev{dev}: backup: {e}"))?;
        self.backups[dev] = Some(to);
        self.outcome.backups += 1;
        Ok(format!("dev{dev} backed up"))
    }

    /// Puts `dev` back to its newest backup, when it has one and nothing acknowledged on it
    /// is unsynced after one more sync (what a restore loses of unsynced work is lost by
    /// design; everything the relay acknowledged must come back).
    async fn restore(&mut self, dev: usize) -> Result<String, String> {
        let Some(backup) = self.backups[dev].clone() else {
            return Ok(format!("dev{dev} has no backup to restore"));
        };
        let mut pending = self.stores[dev]
            .status()
            .map_err(|e| format!("dev{dev}: status: {e}"))?
            .pending_changes;
        if pending > 0 {
            // The phone syncs before it is handed in for the restore, if the network lets it.
            self.outcome.syncs += 1;
            if self.stores[dev].sync().await.is_err() {
                self.outcome.failed_syncs += 1;
            }
            pending = self.stores[dev]
                .status()
                .map_err(|e| format!("dev{dev}: status: {e}"))?
                .pending_changes;
        }
        if pending > 0 {
            return Ok(format!("dev{dev} not restored: {pending} changes unsynced"));
        }
        drop(self.stores.remove(dev));
        let db = self.data[dev].join("trellis.sqlite3");
        for suffix in ["", "-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            match std::fs::remove_file(&name) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("dev{dev}: restore: {e}")),
            }
        }
        std::fs::copy(&backup, &db).map_err(|e| format!("dev{dev}: restore: {e}"))?;
        let store = Store::open(&db).map_err(|e| format!("dev{dev}: reopen: {e}"))?;
        self.stores.insert(dev, store);
        self.outcome.restores += 1;
        Ok(format!("dev{dev} restored from its backup"))
    }

    /// One write on `dev`, chosen by the RNG; returns the trace line.
    fn write(&mut self, dev: usize) -> Result<String, String> {
        let w = self.ws_of[dev];
        let store = &self.stores[dev];
        let m = &mut self.models[w];
        m.next += 1;
        let n = m.next;
        let rng = &mut self.rng;
        let pick_contact = |rng: &mut Rng, m: &WsModel| {
            (!m.contacts.is_empty()).then(|| rng.below(m.contacts.len() as u64) as usize)
        };
        let pick_org = |rng: &mut Rng, m: &WsModel| {
            (!m.orgs.is_empty()).then(|| rng.below(m.orgs.len() as u64) as usize)
        };
        let kind = rng.below(100);
        let (what, result): (String, trellis_core::Result<()>) = if kind < 10 || m.orgs.is_empty() {
            let r = store.add_org(&NewOrg {
                name: format!("Org {n}"),
                ..Default::default()
            });
            let what = format!("add org {n}");
            (
                what,
                r.map(|o| {
                    m.orgs.push(OrgM {
                        id: o.id,
                        ..Default::default()
                    })
                }),
            )
        } else if kind < 22 || m.contacts.is_empty() {
            let org = pick_org(rng, m).filter(|_| rng.chance(700));
            let r = store.add_contact(&NewContact {
                name: format!("Contact {n}"),
                organization: org.map(|o| m.orgs[o].id.clone()),
                ..Default::default()
            });
            (
                format!("add contact {n} at org#{org:?}"),
                r.map(|c| {
                    m.contacts.push(ContactM {
                        id: c.id,
                        stages: [c.stage.as_str().to_string()].into(),
                        cadences: [c.cadence_days].into(),
                        ..Default::default()
                    })
                }),
            )
        } else if kind < 30 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let stage = *rng
                .pick(&[Stage::Introduced, Stage::Connected, Stage::Prospect])
                .unwrap_or(&Stage::Introduced);
            let r = store.set_stage(&m.contacts[c].id, stage);
            (
                format!("contact#{c} stage {}", stage.as_str()),
                r.map(|_| {
                    m.contacts[c].stages.insert(stage.as_str().to_string());
                }),
            )
        } else if kind < 35 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let days = rng.range(7, 120) as u32;
            let r = store.set_cadence(&m.contacts[c].id, days);
            (
                format!("contact#{c} cadence {days}"),
                r.map(|_| {
                    m.contacts[c].cadences.insert(days);
                }),
            )
        } else if kind < 39 {
            let o = pick_org(rng, m).unwrap_or(0);
            let (lat, lon) = (rng.range(0, 80) as f64, rng.range(0, 170) as f64);
            let r = store.set_org_location(&m.orgs[o].id, lat, lon);
            (
                format!("org#{o} location {lat},{lon}"),
                r.map(|_| m.orgs[o].locations.push((lat, lon))),
            )
        } else if kind < 42 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let archived = rng.chance(600);
            let r = store.archive_contact(&m.contacts[c].id, archived);
            (
                format!("contact#{c} archived={archived}"),
                r.map(|_| m.contacts[c].archived_ever |= archived),
            )
        } else if kind < 44 {
            let o = pick_org(rng, m).unwrap_or(0);
            let archived = rng.chance(600);
            let r = store.archive_org(&m.orgs[o].id, archived);
            (
                format!("org#{o} archived={archived}"),
                r.map(|_| m.orgs[o].archived_ever |= archived),
            )
        } else if kind < 46 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let r = store.delete_contact(&m.contacts[c].id);
            (
                format!("delete contact#{c}"),
                r.map(|_| m.contacts[c].deleted = true),
            )
        } else if kind < 47 {
            let o = pick_org(rng, m).unwrap_or(0);
            let r = store.delete_org(&m.orgs[o].id);
            (
                format!("delete org#{o}"),
                r.map(|_| m.orgs[o].deleted = true),
            )
        } else if kind < 62 {
            let org = pick_org(rng, m).filter(|_| rng.chance(700));
            let contact = pick_contact(rng, m).filter(|_| rng.chance(600));
            // Leave behind only what this device has in its catalog (what it cannot see is not
            // counted, by design).
            let known: Vec<String> = store
                .stock()
                .map(|s| s.into_iter().map(|i| i.name).collect())
                .unwrap_or_default();
            let left: Vec<LeftBehind> = if rng.chance(500) {
                rng.pick(&known)
                    .map(|item| LeftBehind {
                        item: item.clone(),
                        qty: rng.range(1, 3) as u32,
                    })
                    .into_iter()
                    .collect()
            } else {
                Vec::new()
            };
            let note = format!("activity {n}");
            let r = store.log_activity(&NewActivity {
                organization: org.map(|o| m.orgs[o].id.clone()),
                contacts: contact
                    .map(|c| m.contacts[c].id.clone())
                    .into_iter()
                    .collect(),
                minutes: rng.range(5, 60) as u32,
                note: Some(note),
                left_behind: left.clone(),
                ..Default::default()
            });
            (
                format!("log activity {n} org#{org:?} contact#{contact:?} left {left:?}"),
                r.map(|a| {
                    m.activities.push(a.id);
                    for l in &left {
                        *m.stock.entry(l.item.clone()).or_default() -= i64::from(l.qty);
                    }
                }),
            )
        } else if kind < 72 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let text = format!("note {n}");
            let r = store.append_note(&m.contacts[c].id, &text);
            (
                format!("append note {n} to contact#{c}"),
                r.map(|_| m.contacts[c].notes.push(text)),
            )
        } else if kind < 78 {
            let item = *rng.pick(&ITEMS).unwrap_or(&ITEMS[0]);
            let qty = rng.range(1, 10) as u32;
            let r = store.restock(item, qty);
            (
                format!("restock {item} +{qty}"),
                r.map(|_| *m.stock.entry(item.to_string()).or_default() += i64::from(qty)),
            )
        } else if kind < 84 {
            let c = pick_contact(rng, m).unwrap_or(0);
            let r = store.add_followup(&NewFollowUp {
                contact: Some(m.contacts[c].id.clone()),
                note: Some(format!("follow-up {n}")),
                ..Default::default()
            });
            (
                format!("add follow-up {n} for contact#{c}"),
                r.map(|f| {
                    m.followups.push(FollowUpM {
                        id: f.id,
                        completed: false,
                    })
                }),
            )
        } else if kind < 90 && !m.followups.is_empty() {
            let f = rng.below(m.followups.len() as u64) as usize;
            let r = store.complete_followup(&m.followups[f].id);
            (
                format!("complete follow-up#{f}"),
                r.map(|_| m.followups[f].completed = true),
            )
        } else {
            let to_contact = rng.chance(600);
            let partner = if to_contact {
                let c = pick_contact(rng, m).unwrap_or(0);
                m.contacts[c].id.clone()
            } else {
                let o = pick_org(rng, m).unwrap_or(0);
                m.orgs[o].id.clone()
            };
            let direction = if rng.chance(700) {
                ReferralDirection::Received
            } else {
                ReferralDirection::Sent
            };
            let r = store.add_referral(&NewReferral {
                direction,
                partner,
                reason: (*rng
                    .pick(&["Anxiety", "Grief", "Family"])
                    .unwrap_or(&"Grief"))
                .into(),
                status: None,
                channel: None,
                on: None,
                note: None,
            });
            (
                format!("referral {n} {direction:?} to_contact={to_contact}"),
                r.map(|r| m.referrals.push(r.id)),
            )
        };
        match result {
            Ok(()) => {
                self.outcome.acknowledged += 1;
                Ok(format!("dev{dev} {what}: ok"))
            }
            // The thing is not on this device (yet, or any more): nothing was written.
            Err(Error::NotFound { .. }) => Ok(format!("dev{dev} {what}: not found here")),
            Err(e) => Err(format!("dev{dev} {what}: unexpected error: {e}")),
        }
    }

    /// Faults off, every device online, then sync every device until a whole round moves
    /// nothing.
    async fn final_sync(&mut self) -> Result<(), String> {
        self.net.set_faults(Faults::NONE);
        for d in 0..self.stores.len() {
            self.net.set_offline(d, false);
        }
        self.trace.push("final sync".into());
        for round in 0..6 {
            let mut moved = false;
            for d in 0..self.stores.len() {
                let mut tries = 0;
                let r = loop {
                    match self.stores[d].sync().await {
                        Ok(r) => break r,
                        // A pooled connection to a relay that restarted may fail once.
                        Err(Error::Network(_)) | Err(Error::Corrupt(_)) if tries < 2 => {
                            tries += 1;
                        }
                        Err(e) => return Err(format!("final sync round {round}: dev{d}: {e}")),
                    }
                };
                if r.pushed > 0 || r.documents_updated > 0 || self.net.delayed(d) > 0 {
                    moved = true;
                }
                self.trace.push(format!(
                    "  round {round} dev{d}: pushed {} pulled {} updated {} cursor {} gaps {}",
                    r.pushed, r.pulled, r.documents_updated, r.cursor, r.gaps
                ));
            }
            if !moved && round >= 1 {
                return Ok(());
            }
        }
        Err("the devices were still changing after 6 full sync rounds".into())
    }

    fn check(&mut self) -> Result<(), String> {
        for (d, store) in self.stores.iter().enumerate() {
            let st = store.status().map_err(|e| format!("dev{d}: status: {e}"))?;
            if st.pending_changes != 0 || st.gaps != 0 || st.set_aside != 0 {
                return Err(format!(
                    "dev{d} after the final sync: {} changes pending, {} documents with gaps, \
                     {} entries set aside",
                    st.pending_changes, st.gaps, st.set_aside
                ));
            }
        }
        for (w, m) in self.models.iter().enumerate() {
            let mut first: Option<(usize, BTreeMap<String, Value>)> = None;
            for &d in &m.devices {
                let v = screens(&self.stores[d]).map_err(|e| format!("dev{d}: screens: {e}"))?;
                match &first {
                    None => first = Some((d, v)),
                    Some((d0, v0)) => {
                        for (screen, a) in v0 {
                            let b = v.get(screen).unwrap_or(&Value::Null);
                            if a != b {
                                return Err(format!(
                                    "ws{w}: dev{d0} and dev{d} show different {screen}:\n  dev{d0}: {}\n  dev{d}: {}",
                                    short(a),
                                    short(b)
                                ));
                            }
                        }
                    }
                }
            }
            for &d in &m.devices {
                acknowledged_present(&self.stores[d], m)
                    .map_err(|e| format!("ws{w} dev{d}: {e}"))?;
            }
        }
        Ok(())
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 2000 {
        format!("{}...", &s[..2000])
    } else {
        s
    }
}

/// Everything a user of the workspace can see, screen by screen.
fn screens(s: &Store) -> trellis_core::Result<BTreeMap<String, Value>> {
    let mut v = BTreeMap::new();
    let j = |x: serde_json::Result<Value>| x.unwrap_or(Value::Null);
    v.insert(
        "organizations".into(),
        j(serde_json::to_value(s.organizations()?)),
    );
    let contacts = s.contacts()?;
    for c in &contacts {
        v.insert(
            format!("contact page {}", c.id),
            j(serde_json::to_value(s.contact(&c.id)?)),
        );
    }
    v.insert("contacts".into(), j(serde_json::to_value(contacts)));
    v.insert(
        "activities".into(),
        j(serde_json::to_value(s.activities()?)),
    );
    v.insert(
        "follow-ups".into(),
        j(serde_json::to_value(s.followups(FollowUpFilter::All)?)),
    );
    v.insert("stock".into(), j(serde_json::to_value(s.stock()?)));
    v.insert(
        "referrals".into(),
        j(serde_json::to_value(s.referrals(None, None)?)),
    );
    v.insert(
        "reasons".into(),
        j(serde_json::to_value(s.referral_reasons()?)),
    );
    v.insert("settings".into(), j(serde_json::to_value(s.settings()?)));
    v.insert("members".into(), j(serde_json::to_value(s.members()?)));
    v.insert(
        "losing touch".into(),
        j(serde_json::to_value(s.losing_touch()?)),
    );
    v.insert(
        "time report".into(),
        j(serde_json::to_value(s.time_report(None, None)?)),
    );
    v.insert(
        "referral report".into(),
        j(serde_json::to_value(s.referral_report(None, None)?)),
    );
    v.insert(
        "stock report".into(),
        j(serde_json::to_value(s.stock_report(None, None)?)),
    );
    v.insert(
        "connections report".into(),
        j(serde_json::to_value(s.connections_report(None)?)),
    );
    // Search hits of equal rank come in the order each device indexed them: compare the set.
    for q in ["Org", "Contact", "note", "activity"] {
        let mut hits = s.search(q)?;
        hits.sort_by(|a, b| a.id.cmp(&b.id));
        v.insert(format!("search {q}"), j(serde_json::to_value(hits)));
    }
    Ok(v)
}

/// Every acknowledged write of the workspace is visible on this device.
fn acknowledged_present(s: &Store, m: &WsModel) -> Result<(), String> {
    let e = |what: &str, err: Error| format!("{what}: {err}");
    let orgs: BTreeMap<String, trellis_core::Organization> = s
        .organizations()
        .map_err(|x| e("organizations", x))?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    for (i, o) in m.orgs.iter().enumerate() {
        match orgs.get(&o.id) {
            Some(_) if o.deleted => return Err(format!("deleted org#{i} is back in the list")),
            Some(shown) => {
                let loc = shown.lat.zip(shown.lon);
                let ok = match loc {
                    None => o.locations.is_empty(),
                    Some(l) => o.locations.contains(&l),
                };
                if !ok {
                    return Err(format!(
                        "org#{i} shows location {loc:?}, not one acknowledged ({:?})",
                        o.locations
                    ));
                }
            }
            None if o.deleted || o.archived_ever => {}
            None => return Err(format!("acknowledged org#{i} is missing")),
        }
    }
    let listed: BTreeSet<String> = s
        .contacts()
        .map_err(|x| e("contacts", x))?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (i, c) in m.contacts.iter().enumerate() {
        if c.deleted {
            if listed.contains(&c.id) || s.contact(&c.id).is_ok() {
                return Err(format!("deleted contact#{i} came back"));
            }
            continue;
        }
        if !listed.contains(&c.id) && !c.archived_ever {
            return Err(format!("acknowledged contact#{i} is not in the list"));
        }
        let page = s
            .contact(&c.id)
            .map_err(|x| format!("acknowledged contact#{i}: {x}"))?;
        let stage = page.contact.stage.as_str().to_string();
        if !c.stages.contains(&stage) && page.contact.stage != Stage::Referring {
            return Err(format!(
                "contact#{i} is at stage {stage}, not one acknowledged ({:?})",
                c.stages
            ));
        }
        if !c.cadences.contains(&page.contact.cadence_days) {
            return Err(format!(
                "contact#{i} has cadence {}, not one acknowledged ({:?})",
                page.contact.cadence_days, c.cadences
            ));
        }
        let texts: Vec<&str> = page.notes.iter().map(|n| n.text.as_str()).collect();
        for note in &c.notes {
            if !texts.contains(&note.as_str()) {
                return Err(format!("acknowledged {note:?} on contact#{i} is missing"));
            }
        }
        if texts.len() != c.notes.len() {
            return Err(format!(
                "contact#{i} shows {} notes, {} were acknowledged",
                texts.len(),
                c.notes.len()
            ));
        }
    }
    let acts: BTreeSet<String> = s
        .activities()
        .map_err(|x| e("activities", x))?
        .into_iter()
        .map(|a| a.id)
        .collect();
    for (i, a) in m.activities.iter().enumerate() {
        if !acts.contains(a) {
            return Err(format!("acknowledged activity#{i} is missing"));
        }
    }
    if acts.len() != m.activities.len() {
        return Err(format!(
            "{} activities shown, {} acknowledged",
            acts.len(),
            m.activities.len()
        ));
    }
    let fus: BTreeMap<String, bool> = s
        .followups(FollowUpFilter::All)
        .map_err(|x| e("follow-ups", x))?
        .into_iter()
        .map(|f| (f.id, f.done_at.is_some()))
        .collect();
    for (i, f) in m.followups.iter().enumerate() {
        match fus.get(&f.id) {
            None => return Err(format!("acknowledged follow-up#{i} is missing")),
            Some(false) if f.completed => {
                return Err(format!("follow-up#{i} was completed but shows open"))
            }
            _ => {}
        }
    }
    let refs: BTreeSet<String> = s
        .referrals(None, None)
        .map_err(|x| e("referrals", x))?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for (i, r) in m.referrals.iter().enumerate() {
        if !refs.contains(r) {
            return Err(format!("acknowledged referral#{i} is missing"));
        }
    }
    if refs.len() != m.referrals.len() {
        return Err(format!(
            "{} referrals shown, {} acknowledged",
            refs.len(),
            m.referrals.len()
        ));
    }
    let stock: BTreeMap<String, i64> = s
        .stock()
        .map_err(|x| e("stock", x))?
        .into_iter()
        .map(|i| (i.name, i.stock))
        .collect();
    for (item, expected) in &m.stock {
        let shown = stock.get(item).copied().unwrap_or(0);
        if shown != *expected {
            return Err(format!(
                "stock of {item} is {shown}, but restocked minus used is {expected} ({})",
                json!(m.stock)
            ));
        }
    }
    Ok(())
}
