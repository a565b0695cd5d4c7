//! One schedule: the devices, the model of what each acknowledged, the operations and the
//! final checks (see the module documentation of [`crate::sim`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use trellis_core::{
    Error, FollowUpFilter, LeftBehind, NewActivity, NewContact, NewFollowUp, NewOrg, NewReferral,
    ReferralDirection, Role, Stage, Store,
};

use trellis_core::live::LiveSync;

use super::net::{Backend, FaultCounts, Faults, Net, SIGNUP_SECRET};
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
    /// Checkpoints cut by owners and admins (the relay compacted its log up to them).
    pub checkpoints: u64,
    /// Checkpoints and key rotations members tried and were refused.
    pub refused: u64,
    /// Key rotations by owners and admins.
    pub rotations: u64,
    /// Members removed (with a key rotation).
    pub removals: u64,
    /// Devices that joined late, from the newest checkpoint and the log after it.
    pub late_joins: u64,
    /// Devices whose power was cut (their unsynced disk writes dropped).
    pub power_cuts: u64,
    /// Schedules with a device syncing in the background.
    pub live_schedules: u64,
    /// Syncs heard on those devices (their own and the schedule's).
    pub live_syncs: u64,
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
    /// The devices that have joined, by index (a late joiner is pushed at the end).
    stores: Vec<Arc<Store>>,
    /// The device syncing in the background (its live socket and change events), in some
    /// schedules, beside the operations the schedule makes.
    live: Option<(usize, LiveSync, trellis_core::events::Subscription)>,
    /// Syncs heard on the live device (its own and the schedule's).
    live_syncs: Arc<SyncsHeard>,
    /// Each device's data directory (one more than the devices set up: the late joiner's).
    data: Vec<PathBuf>,
    /// Each device's newest backup, if one was taken.
    backups: Vec<Option<PathBuf>>,
    /// Workspace index of each device.
    ws_of: Vec<usize>,
    /// Each device's role in its workspace.
    role_of: Vec<Role>,
    /// Each device's member name.
    member_of: Vec<String>,
    /// Devices out of the schedule: removed from their practice, or maybe removed (the
    /// removal's answer was lost). They get no more operations; the final sync tells which.
    gone: Vec<bool>,
    /// Devices restored from a backup that have not yet pulled everything back: the relay's
    /// log is then the only copy of what they lost, so it is not restored meanwhile.
    fragile: Vec<bool>,
    /// Devices that have not synced since the relay was restored: until they have pushed
    /// again what the restored relay lacks, they are not restored from a backup either.
    unhealed: Vec<bool>,
    /// The relay's newest backup. A change of roster (a join, a removal, a key rotation)
    /// makes older backups unusable: a relay restored to before it would undo it (see
    /// docs/RELIABILITY.md).
    relay_backup: Option<PathBuf>,
    models: Vec<WsModel>,
    trace: Vec<String>,
    outcome: Outcome,
}

/// Runs the schedule of `seed` to the end with its relay on `backend`, and checks it.
pub fn run_schedule(seed: u64, backend: Backend) -> Result<Outcome, Failure> {
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
    // TRELLIS_SIM_KEEP keeps the schedule's files (the devices' stores, the relay's database)
    // for a look after a replay.
    crate::powercut::install();
    let (_cleanup, dir) = if std::env::var_os("TRELLIS_SIM_KEEP").is_some() {
        let kept = dir.keep();
        eprintln!(
            "seed {seed}: the schedule's files stay in {}",
            kept.display()
        );
        (None, kept)
    } else {
        let path = dir.path().to_path_buf();
        (Some(dir), path)
    };
    crate::powercut::watch(&dir);
    let _unwatch = Unwatch(dir.clone());
    rt.block_on(async {
        let mut world = match World::set_up(seed, &dir, backend).await {
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

/// Counts the syncs a store starts (its listeners hear `Syncing`).
#[derive(Default)]
struct SyncsHeard(std::sync::atomic::AtomicU64);

impl trellis_core::events::Listener for SyncsHeard {
    fn data_changed(&self, _: &trellis_core::events::DataChanged) {}

    fn sync_state(&self, state: &trellis_core::events::SyncState) {
        if matches!(state, trellis_core::events::SyncState::Syncing) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Stops tracking a schedule's files for power cuts when the schedule ends, however it ends.
struct Unwatch(PathBuf);

impl Drop for Unwatch {
    fn drop(&mut self) {
        crate::powercut::forget(&self.0);
    }
}

impl World {
    async fn set_up(
        seed: u64,
        dir: &Path,
        backend: Backend,
    ) -> Result<World, (String, Vec<String>)> {
        let mut rng = Rng::new(seed);
        // Layout: workspace 0 has the founder on two devices and one or two more members (one
        // of them an admin, in some schedules); workspace 1, when there is one, a founder and
        // a second member. One more slot is kept for a device that may join late.
        let workspaces = 1 + rng.below(2) as usize;
        let mut plan: Vec<(usize, &'static str)> = vec![
            (0, "founder"),
            (0, "device"),
            (0, if rng.chance(400) { "admin" } else { "member" }),
        ];
        if rng.chance(500) {
            plan.push((0, "member"));
        }
        if workspaces == 2 {
            plan.push((1, "founder"));
            plan.push((1, if rng.chance(500) { "member" } else { "device" }));
        }
        let slots = plan.len() + 1;
        let net = Net::start(dir, slots, backend.clone(), rng.split()).await;
        let mut world = World {
            rng,
            net,
            stores: Vec::new(),
            data: (0..slots).map(|i| dir.join(format!("device{i}"))).collect(),
            backups: vec![None; slots],
            ws_of: plan.iter().map(|(w, _)| *w).chain([0]).collect(),
            role_of: plan
                .iter()
                .map(|(_, role)| match *role {
                    "founder" | "device" => Role::Owner,
                    "admin" => Role::Admin,
                    _ => Role::Member,
                })
                .chain([Role::Member])
                .collect(),
            member_of: Vec::new(),
            gone: vec![false; slots],
            fragile: vec![false; slots],
            unhealed: vec![false; slots],
            relay_backup: None,
            live: None,
            live_syncs: Arc::new(SyncsHeard::default()),
            models: (0..workspaces).map(|_| WsModel::default()).collect(),
            trace: Vec::new(),
            outcome: Outcome {
                devices: plan.len(),
                workspaces,
                ..Outcome::default()
            },
        };
        world.trace.push(format!(
            "seed {seed} on {backend:?}, compacted entries kept {} s: {} devices {:?}",
            world.net.grace(),
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
            let invited = world.role_of[i];
            let setup: trellis_core::Result<()> = async {
                store.init(&member_name)?;
                if *role == "founder" {
                    store
                        .create_shared_workspace(&format!("Practice {ws}"), &url, SIGNUP_SECRET)
                        .await?;
                    // The initial stock every later count starts from.
                    store.restock(ITEMS[0], 20)?;
                } else {
                    let as_role = if invited == Role::Admin {
                        Role::Admin
                    } else {
                        Role::Member
                    };
                    let code = world.stores[founder]
                        .create_invite(as_role, *role == "device")
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
            world.stores.push(Arc::new(store));
            world.member_of.push(member_name);
        }
        world.member_of.push("Late joiner".into());
        for i in 0..world.stores.len() {
            if let Err(e) = world.stores[i].sync().await {
                return Err(fail(&mut world, format!("dev{i}: first sync: {e}")));
            }
        }
        if world.rng.chance(300) {
            // One device syncs in the background; what it does interleaves with the schedule
            // as the network's timing goes, so its replay may differ in the details.
            let dev = world.rng.below(world.stores.len() as u64) as usize;
            if let Err(e) = world.resume_live(dev) {
                return Err(fail(&mut world, e));
            }
            world.outcome.live_schedules += 1;
            world
                .trace
                .push(format!("dev{dev} syncs live in the background"));
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
        // A device joins late in some schedules, after the first third of the steps.
        let late_join = self
            .rng
            .chance(500)
            .then(|| self.rng.range(steps / 3, steps));
        for step in 0..steps {
            self.outcome.steps += 1;
            if late_join == Some(step) {
                let line = self.join_late().await?;
                self.trace.push(format!("{step:>3}: {line}"));
                continue;
            }
            let active: Vec<usize> = (0..self.stores.len()).filter(|&d| !self.gone[d]).collect();
            let dev = active[self.rng.below(active.len() as u64) as usize];
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
            } else if roll < 13 {
                self.backup_relay()?
            } else if roll < 15 {
                self.restore_relay().await?
            } else if roll < 17 {
                self.checkpoint(dev).await?
            } else if roll < 18 {
                self.rotate(dev).await?
            } else if roll < 19 {
                self.remove(dev).await?
            } else if roll < 20 {
                self.power_cut(dev).await?
            } else if roll < 21 {
                self.power_cut_relay().await?
            } else if roll < 36 {
                self.sync(dev).await?
            } else {
                self.write(dev)?
            };
            self.trace.push(format!("{step:>3}: {line}"));
        }
        self.final_sync().await?;
        self.outcome.faults = self.net.counts();
        self.check()
    }

    /// Stops `dev`'s background sync if it runs one (waiting for a sync under way to end);
    /// says whether it did.
    async fn pause_live(&mut self, dev: usize) -> bool {
        match self.live.take() {
            Some((d, live, _heard)) if d == dev => {
                live.stop().await;
                true
            }
            other => {
                self.live = other;
                false
            }
        }
    }

    /// Starts `dev`'s background sync.
    fn resume_live(&mut self, dev: usize) -> Result<(), String> {
        let heard = self.stores[dev].subscribe(Arc::clone(&self.live_syncs) as _);
        let live = Arc::clone(&self.stores[dev])
            .start_live_sync()
            .map_err(|e| format!("dev{dev}: live sync: {e}"))?;
        self.live = Some((dev, live, heard));
        Ok(())
    }

    /// One sync of `dev` during the schedule; a failure the network or the relay's restarts
    /// explain is part of the schedule, any other is a broken invariant.
    async fn sync(&mut self, dev: usize) -> Result<String, String> {
        self.outcome.syncs += 1;
        match self.stores[dev].sync().await {
            Ok(r) => {
                self.unhealed[dev] = false;
                self.fragile[dev] &= self.net.delayed(dev) > 0;
                Ok(format!(
                    "dev{dev} sync: pushed {} pulled {} cursor {} gaps {}{}{}{}",
                    r.pushed,
                    r.pulled,
                    r.cursor,
                    r.gaps,
                    if r.repulled { " (repulled)" } else { "" },
                    if r.bootstrapped_docs > 0 {
                        format!(" (bootstrapped {} documents)", r.bootstrapped_docs)
                    } else {
                        String::new()
                    },
                    if r.relay_rolled_back {
                        format!(" (relay rolled back: {} pushed again)", r.repushed)
                    } else {
                        String::new()
                    }
                ))
            }
            Err(e @ (Error::Network(_) | Error::Corrupt(_) | Error::Relay { .. })) => {
                self.outcome.failed_syncs += 1;
                Ok(format!("dev{dev} sync failed: {e}"))
            }
            Err(e) => Err(format!("dev{dev}: sync: {e}")),
        }
    }

    /// How many of `dev`'s changes the relay may lack, after one more sync if it had some or
    /// had not synced since the relay was restored (as a phone syncs before it is handed in).
    /// Until it has synced since a relay restore, anything it pushed before may be gone there.
    async fn unsynced(&mut self, dev: usize) -> Result<u64, String> {
        let status = |w: &World| {
            w.stores[dev]
                .status()
                .map(|s| s.pending_changes)
                .map_err(|e| format!("dev{dev}: status: {e}"))
        };
        if status(self)? > 0 || self.unhealed[dev] {
            let line = self.sync(dev).await?;
            self.trace.push(format!("     {line}"));
        }
        Ok(status(self)? + u64::from(self.unhealed[dev]))
    }

    /// Cuts the power of `dev`: its store comes back as the disk held it (a device commits
    /// with `synchronous=NORMAL`, so its last commits may be gone), under a new incarnation.
    /// Only once the relay holds everything it wrote: what a power cut drops of unsynced work
    /// is lost by design (docs/RELIABILITY.md).
    async fn power_cut(&mut self, dev: usize) -> Result<String, String> {
        let pending = self.unsynced(dev).await?;
        if pending > 0 {
            return Ok(format!(
                "dev{dev} keeps its power: {pending} changes unsynced"
            ));
        }
        self.outcome.power_cuts += 1;
        let after = self.data[dev].with_extension(format!("cut{}", self.outcome.power_cuts));
        crate::powercut::durable_copy(&self.data[dev].join(""), &after.join(""))
            .map_err(|e| format!("dev{dev}: power cut: {e}"))?;
        // The old store closes after the copy was taken: what it writes now is not on the disk
        // the device comes back to.
        let live = self.pause_live(dev).await;
        drop(self.stores.remove(dev));
        let store = Store::open(after.join("trellis.sqlite3"))
            .map_err(|e| format!("dev{dev}: reopen after a power cut: {e}"))?;
        self.stores.insert(dev, Arc::new(store));
        if live {
            self.resume_live(dev)?;
        }
        self.data[dev] = after;
        self.fragile[dev] = true;
        Ok(format!("dev{dev} loses power and comes back"))
    }

    /// Cuts the power of the relay's machine; what it had committed must all be there after.
    /// A device syncing live is paused around the cut, so that no request is under way on the
    /// relay being cut (the in-process relay's tasks would outlive its power).
    async fn power_cut_relay(&mut self) -> Result<String, String> {
        let live = self.live.as_ref().map(|(dev, _, _)| *dev);
        if let Some(dev) = live {
            self.pause_live(dev).await;
        }
        let cut = self.net.power_cut_relay().await;
        if let Some(dev) = live {
            self.resume_live(dev)?;
        }
        match cut? {
            None => Ok("the relay's power stays on (PostgreSQL keeps its own)".into()),
            Some((before, after)) if before == after => {
                Ok(format!("relay loses power and comes back; heads {after:?}"))
            }
            Some((before, after)) => Err(format!(
                "the relay lost committed entries in a power cut: heads {before:?} before, \
                 {after:?} after"
            )),
        }
    }

    /// The relay's backup, taken while it runs.
    fn backup_relay(&mut self) -> Result<String, String> {
        let to = self
            .data
            .last()
            .map(|d| d.with_extension(format!("relay-backup{}", self.net.counts().relay_backups)))
            .ok_or("no data directories")?;
        self.net.backup_relay(&to)?;
        self.relay_backup = Some(to);
        Ok("relay backed up".into())
    }

    /// Puts the relay back to its newest backup (what it acknowledged since then is lost
    /// there, and the devices that hold it push it again), unless a device restored from its
    /// own backup has not yet pulled back what it lost: the relay is then its only copy, and
    /// two restores that lose the same write lose it for good.
    async fn restore_relay(&mut self) -> Result<String, String> {
        let Some(backup) = self.relay_backup.clone() else {
            return Ok("no relay backup to restore (none taken since the roster changed)".into());
        };
        if let Some(d) = (0..self.stores.len()).find(|&d| self.fragile[d] && !self.gone[d]) {
            return Ok(format!(
                "relay not restored: dev{d} has not pulled back what its own restore lost"
            ));
        }
        self.net.restore_relay(&backup).await?;
        for d in 0..self.stores.len() {
            self.unhealed[d] = true;
        }
        Ok("relay restored from its backup".into())
    }

    /// `dev` tries to cut a checkpoint: owners and admins may (when the device is up to date),
    /// members never.
    async fn checkpoint(&mut self, dev: usize) -> Result<String, String> {
        let role = self.role_of[dev];
        // An entry the proxy holds back stands for a relay that skipped it: the device's
        // cursor is past an entry it never got, which it cannot know. A checkpoint is as
        // complete as the log its maker was served, so no device cuts one then (see
        // docs/RELIABILITY.md), and none is held back while it does.
        if self.net.delayed(dev) > 0 {
            return Ok(format!(
                "dev{dev} cuts no checkpoint: entries are held back from it"
            ));
        }
        let faults = self.net.faults();
        self.net.set_faults(Faults {
            delay_entry: 0,
            ..faults
        });
        let cut = self.stores[dev].checkpoint().await;
        self.net.set_faults(faults);
        match cut {
            Ok(r) if role == Role::Member => Err(format!(
                "dev{dev}, a member, cut a checkpoint at seq {}",
                r.seq
            )),
            Ok(r) => {
                self.outcome.checkpoints += 1;
                Ok(format!(
                    "dev{dev} ({}) checkpoint at seq {}: {} documents",
                    role.as_str(),
                    r.seq,
                    r.docs
                ))
            }
            Err(e) => {
                if role == Role::Member {
                    self.outcome.refused += 1;
                }
                Ok(format!(
                    "dev{dev} ({}) checkpoint refused: {e}",
                    role.as_str()
                ))
            }
        }
    }

    /// `dev` tries to rotate the practice's key: owners and admins may, members never.
    async fn rotate(&mut self, dev: usize) -> Result<String, String> {
        let role = self.role_of[dev];
        // Whatever the answer, the relay may have taken the new key.
        self.relay_backup = None;
        match self.stores[dev].rotate_key().await {
            Ok(epoch) if role == Role::Member => Err(format!(
                "dev{dev}, a member, rotated the key to epoch {epoch}"
            )),
            Ok(epoch) => {
                self.outcome.rotations += 1;
                Ok(format!(
                    "dev{dev} ({}) rotates the key: epoch {epoch}",
                    role.as_str()
                ))
            }
            Err(e) => {
                if role == Role::Member {
                    self.outcome.refused += 1;
                }
                Ok(format!(
                    "dev{dev} ({}) rotation refused: {e}",
                    role.as_str()
                ))
            }
        }
    }

    /// An owner or admin of `dev`'s practice removes `dev`'s member, once the member's
    /// devices have nothing unsynced (what a removed member had not synced is kept in an
    /// export on her device, not in the practice). The removed devices leave the schedule.
    async fn remove(&mut self, dev: usize) -> Result<String, String> {
        let w = self.ws_of[dev];
        if self.role_of[dev] == Role::Owner {
            return Ok(format!("dev{dev} is an owner's device: not removed"));
        }
        let remover = self.models[w].devices.iter().copied().find(|&d| {
            d != dev && !self.gone[d] && matches!(self.role_of[d], Role::Owner | Role::Admin)
        });
        let Some(remover) = remover else {
            return Ok(format!("no one to remove dev{dev}"));
        };
        let pending = self.unsynced(dev).await?;
        if pending > 0 {
            return Ok(format!("dev{dev} not removed: {pending} changes unsynced"));
        }
        // The remover knows the member by the name her profile gave (synced in the workspace
        // document).
        let line = self.sync(remover).await?;
        self.trace.push(format!("     {line}"));
        let member = self.member_of[dev].clone();
        self.relay_backup = None;
        // From here on the member may be out: she gets no more operations either way.
        self.pause_live(dev).await;
        self.gone[dev] = true;
        self.models[w].devices.retain(|&d| d != dev);
        match self.stores[remover].remove_member(&member).await {
            Ok(()) => {
                self.outcome.removals += 1;
                Ok(format!("dev{remover} removes dev{dev}'s member"))
            }
            Err(e) => Ok(format!(
                "dev{remover} removing dev{dev}'s member failed ({e}); dev{dev} stays out"
            )),
        }
    }

    /// A new member's device joins the first practice from an invite, then bootstraps from
    /// the newest checkpoint and the log after it.
    async fn join_late(&mut self) -> Result<String, String> {
        let dev = self.stores.len();
        let inviter = 0;
        self.relay_backup = None;
        let code = match self.stores[inviter]
            .create_invite(Role::Member, false)
            .await
        {
            Ok(code) => code,
            Err(e) => return Ok(format!("no invite for a late joiner: {e}")),
        };
        std::fs::create_dir_all(&self.data[dev]).map_err(|e| format!("dev{dev}: {e}"))?;
        let store = Store::open(self.data[dev].join("trellis.sqlite3"))
            .map_err(|e| format!("dev{dev}: open: {e}"))?;
        store
            .init(&self.member_of[dev])
            .map_err(|e| format!("dev{dev}: init: {e}"))?;
        let url = self.net.urls[dev].clone();
        let mut tries = 0;
        loop {
            tries += 1;
            match store.join(&code, Some(&url)).await {
                Ok(_) => break,
                // The same code again: a join whose answer was lost joins once.
                Err(Error::Network(_) | Error::Corrupt(_)) if tries < 4 => {}
                Err(e) => return Ok(format!("dev{dev} could not join late: {e}")),
            }
        }
        // The inviter's device hands the keys over at its next sync; the joiner's next sync
        // takes them. Both go through the lossy network.
        let mut handed = false;
        for _ in 0..4 {
            let _ = self.stores[inviter].sync().await;
            match store.sync().await {
                Ok(_) => {
                    handed = true;
                    break;
                }
                Err(Error::AwaitingKeys | Error::Network(_) | Error::Corrupt(_)) => {}
                Err(e) => return Ok(format!("dev{dev} joined late but could not sync: {e}")),
            }
        }
        if !handed {
            return Ok(format!("dev{dev} joined late and still waits for its keys"));
        }
        self.stores.push(Arc::new(store));
        self.models[0].devices.push(dev);
        self.outcome.devices += 1;
        self.outcome.late_joins += 1;
        Ok(format!("dev{dev} joins late after {tries} tries"))
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
        let pending = self.unsynced(dev).await?;
        if pending > 0 {
            return Ok(format!("dev{dev} not restored: {pending} changes unsynced"));
        }
        let live = self.pause_live(dev).await;
        drop(self.stores.remove(dev));
        // The phone comes back with its files as the backup has them. They go to a directory
        // of their own: the old store's threads may still hold its files open for a moment
        // (a phone's old process is gone by then), and replacing files SQLite has open in this
        // process would confuse its locks.
        self.outcome.restores += 1;
        let dir = self.data[dev].with_extension(format!("restore{}", self.outcome.restores));
        std::fs::create_dir_all(&dir).map_err(|e| format!("dev{dev}: restore: {e}"))?;
        let db = dir.join("trellis.sqlite3");
        std::fs::copy(&backup, &db).map_err(|e| format!("dev{dev}: restore: {e}"))?;
        self.data[dev] = dir;
        let store = Store::open(&db).map_err(|e| format!("dev{dev}: reopen: {e}"))?;
        self.stores.insert(dev, Arc::new(store));
        if live {
            self.resume_live(dev)?;
        }
        self.fragile[dev] = true;
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
            // Some drop-bys are logged late, in an earlier month's logbook.
            let days_ago = *rng.pick(&[0, 0, 0, 35, 70]).unwrap_or(&0);
            let at = (days_ago > 0).then(|| earlier(days_ago).to_string());
            let r = store.log_activity(&NewActivity {
                organization: org.map(|o| m.orgs[o].id.clone()),
                contacts: contact
                    .map(|c| m.contacts[c].id.clone())
                    .into_iter()
                    .collect(),
                minutes: rng.range(5, 60) as u32,
                note: Some(note),
                left_behind: left.clone(),
                at,
                ..Default::default()
            });
            (
                format!(
                    "log activity {n} {days_ago} days ago org#{org:?} contact#{contact:?} left {left:?}"
                ),
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
            let days_ago = *rng.pick(&[0, 0, 40]).unwrap_or(&0);
            let on = (days_ago > 0).then(|| {
                earlier(days_ago)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
                    .to_string()
            });
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
                on: on.clone(),
                note: None,
            });
            (
                format!("referral {n} {direction:?} to_contact={to_contact} on {on:?}"),
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
        if let Some((dev, live, _heard)) = self.live.take() {
            live.stop().await;
            let heard = self.live_syncs.0.load(std::sync::atomic::Ordering::SeqCst);
            self.outcome.live_syncs += heard;
            self.trace.push(format!(
                "dev{dev} stops syncing live; {heard} syncs heard on it (its own and the schedule's)"
            ));
        }
        self.net.set_faults(Faults::NONE);
        for d in 0..self.stores.len() {
            self.net.set_offline(d, false);
        }
        self.trace.push("final sync".into());
        for d in 0..self.stores.len() {
            if self.gone[d] {
                self.leave_if_removed(d).await?;
            }
        }
        for round in 0..6 {
            let mut moved = false;
            for d in (0..self.stores.len()).filter(|&d| !self.gone[d]) {
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
                    "  round {round} dev{d}: pushed {} pulled {} updated {} cursor {} gaps {}{}",
                    r.pushed,
                    r.pulled,
                    r.documents_updated,
                    r.cursor,
                    r.gaps,
                    if r.bootstrapped_docs > 0 {
                        format!(" (bootstrapped {} documents)", r.bootstrapped_docs)
                    } else {
                        String::new()
                    }
                ));
            }
            if !moved && round >= 1 {
                return Ok(());
            }
        }
        Err("the devices were still changing after 6 full sync rounds".into())
    }

    /// A device whose member an owner or admin tried to remove: removed, its sync says so
    /// and it keeps nothing (it had nothing unsynced); still a member (the removal never
    /// reached the relay), it is back in the schedule's checks.
    async fn leave_if_removed(&mut self, d: usize) -> Result<(), String> {
        match self.stores[d].sync().await {
            Err(Error::Removed { kept: None, .. }) => {
                self.trace.push(format!("  dev{d} is told it was removed"));
                match self.stores[d].sync().await {
                    Err(Error::NoWorkspace) => Ok(()),
                    other => Err(format!(
                        "dev{d} synced again after its removal and got {other:?}"
                    )),
                }
            }
            Err(Error::Removed {
                kept: Some(file), ..
            }) => Err(format!(
                "dev{d} kept unsynced changes in {file} although it had none"
            )),
            Ok(_) => {
                self.trace.push(format!("  dev{d} is still a member"));
                self.gone[d] = false;
                self.models[self.ws_of[d]].devices.push(d);
                Ok(())
            }
            Err(e) => Err(format!("dev{d}, removed or not: {e}")),
        }
    }

    fn check(&mut self) -> Result<(), String> {
        for (d, store) in self.stores.iter().enumerate() {
            if self.gone[d] {
                continue;
            }
            let st = store.status().map_err(|e| format!("dev{d}: status: {e}"))?;
            if st.pending_changes != 0 || st.gaps != 0 || st.set_aside != 0 {
                let reasons: Vec<String> = store
                    .set_aside()
                    .map(|a| {
                        a.iter()
                            .map(|e| format!("{:?} {}", e.seq, e.reason.as_str()))
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(format!(
                    "dev{d} after the final sync: {} changes pending, {} documents with gaps, \
                     {} entries set aside {reasons:?}",
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
                        let differ: Vec<&String> = v0
                            .iter()
                            .filter(|(screen, a)| v.get(*screen).unwrap_or(&Value::Null) != *a)
                            .map(|(screen, _)| screen)
                            .collect();
                        if let Some(screen) = differ
                            .iter()
                            .find(|s| s.as_str() == "organizations")
                            .or(differ.first())
                        {
                            let a = &v0[*screen];
                            let b = v.get(*screen).unwrap_or(&Value::Null);
                            return Err(format!(
                                "ws{w}: dev{d0} and dev{d} show different {differ:?}; the first:\n  dev{d0}: {}\n  dev{d}: {}",
                                short(a),
                                short(b)
                            ));
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

/// The time `days` days ago, in UTC.
fn earlier(days: i64) -> jiff::Timestamp {
    jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days)
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
