//! Organizations, contacts, notes, activities, search, workspaces and sync state: the records
//! of the tracer bullet, grown with the practice fields (stage, cadence, follow-ups), and the
//! inputs that create them.

use crate::types::{ActivityKind, ContactCategory, FollowUp, OrgKind, Role, SetAsideReason, Stage};

mirror_record! {
    /// This device's identity.
    Device from trellis_core::Device {
        /// Device id (32 hex digits).
        id: String,
        /// The user's name, shown to the rest of the practice.
        name: String,
    }
}

mirror_record! {
    /// An organization: a school, clinic, practice, congregation, firm or club.
    Organization from trellis_core::Organization {
        /// Document id (32 hex digits).
        id: String,
        /// Name.
        name: String,
        /// Kind of place.
        kind: OrgKind [into],
        /// Street address, if known.
        address: Option<String>,
        /// Phone, if known.
        phone: Option<String>,
        /// Website, if known.
        website: Option<String>,
        /// Latitude in degrees, if known (see `set_org_location` and `nearby`).
        lat: Option<f64>,
        /// Longitude in degrees, if known.
        lon: Option<f64>,
        /// Archived: hidden from lists, kept for history (see `archive_org`).
        archived: bool,
        /// When it was added (RFC 3339).
        created_at: String,
    }
}

/// A point on the map, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// What to record for a new organization: the input of `add_org`. Only `name` is required.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewOrg {
    /// Name.
    pub name: String,
    /// Kind of place (`Other` when not given).
    #[uniffi(default = None)]
    pub kind: Option<OrgKind>,
    /// Street address.
    #[uniffi(default = None)]
    pub address: Option<String>,
    /// Phone.
    #[uniffi(default = None)]
    pub phone: Option<String>,
    /// Website.
    #[uniffi(default = None)]
    pub website: Option<String>,
    /// Where it is, for `nearby`.
    #[uniffi(default = None)]
    pub location: Option<GeoPoint>,
}

impl From<NewOrg> for trellis_core::NewOrg {
    fn from(o: NewOrg) -> Self {
        trellis_core::NewOrg {
            name: o.name,
            kind: o.kind.map(Into::into),
            address: o.address,
            phone: o.phone,
            website: o.website,
            location: o.location.map(|p| (p.lat, p.lon)),
        }
    }
}

mirror_record! {
    /// A referral source.
    Contact from trellis_core::Contact {
        /// Document id (32 hex digits).
        id: String,
        /// Name.
        name: String,
        /// Organization id, if any.
        organization_id: Option<String>,
        /// Organization name, if any.
        organization: Option<String>,
        /// Role or title (e.g. "Lead counselor").
        role: Option<String>,
        /// Category.
        category: ContactCategory [into],
        /// Where the relationship stands.
        stage: Stage [into],
        /// Days between touches before the contact counts as losing touch (the contact's own
        /// setting, or its category's default).
        cadence_days: u32,
        /// Phone numbers.
        phones: Vec<String>,
        /// Email addresses.
        emails: Vec<String>,
        /// Their population's needs.
        needs: Option<String>,
        /// How we can help them.
        how_we_help: Option<String>,
        /// Free tags.
        tags: Vec<String>,
        /// Archived: hidden from lists, kept for history (see `archive_contact`).
        archived: bool,
        /// The latest logged activity with this contact (RFC 3339), if any.
        last_touch_at: Option<String>,
        /// When it was added (RFC 3339).
        created_at: String,
    }
}

/// What to record for a new contact: the input of `add_contact`. Only `name` is required.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Organization, by name or id prefix; it must exist.
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Role or title (e.g. "Lead counselor").
    #[uniffi(default = None)]
    pub role: Option<String>,
    /// Category (`Other` when not given).
    #[uniffi(default = None)]
    pub category: Option<ContactCategory>,
    /// Stage (`Prospect` when not given).
    #[uniffi(default = None)]
    pub stage: Option<Stage>,
    /// Days between touches, 1 to 3650 (the category's default when not given).
    #[uniffi(default = None)]
    pub cadence_days: Option<u32>,
    /// Phone numbers.
    #[uniffi(default = [])]
    pub phones: Vec<String>,
    /// Email addresses (each must contain `@`).
    #[uniffi(default = [])]
    pub emails: Vec<String>,
    /// Their population's needs.
    #[uniffi(default = None)]
    pub needs: Option<String>,
    /// How we can help them.
    #[uniffi(default = None)]
    pub how_we_help: Option<String>,
    /// Free tags.
    #[uniffi(default = [])]
    pub tags: Vec<String>,
}

impl From<NewContact> for trellis_core::NewContact {
    fn from(c: NewContact) -> Self {
        trellis_core::NewContact {
            name: c.name,
            organization: c.organization,
            role: c.role,
            category: c.category.map(Into::into),
            stage: c.stage.map(Into::into),
            cadence_days: c.cadence_days,
            phones: c.phones,
            emails: c.emails,
            needs: c.needs,
            how_we_help: c.how_we_help,
            tags: c.tags,
        }
    }
}

/// What to change in a contact: the input of `update_contact`. A field left `None` stays; a
/// text given empty is cleared; a list given replaces the list.
#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct ContactChanges {
    /// New name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Organization, by name or id prefix (empty for none).
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Role or title.
    #[uniffi(default = None)]
    pub role: Option<String>,
    /// Category.
    #[uniffi(default = None)]
    pub category: Option<ContactCategory>,
    /// Phone numbers, replacing the list.
    #[uniffi(default = None)]
    pub phones: Option<Vec<String>>,
    /// Email addresses, replacing the list.
    #[uniffi(default = None)]
    pub emails: Option<Vec<String>>,
    /// Their population's needs.
    #[uniffi(default = None)]
    pub needs: Option<String>,
    /// How we can help them.
    #[uniffi(default = None)]
    pub how_we_help: Option<String>,
    /// Free tags, replacing the list.
    #[uniffi(default = None)]
    pub tags: Option<Vec<String>>,
}

impl From<ContactChanges> for trellis_core::ContactChanges {
    fn from(c: ContactChanges) -> Self {
        trellis_core::ContactChanges {
            name: c.name,
            organization: c.organization,
            role: c.role,
            category: c.category.map(Into::into),
            phones: c.phones,
            emails: c.emails,
            needs: c.needs,
            how_we_help: c.how_we_help,
            tags: c.tags,
        }
    }
}

/// What to change in an organization: the input of `update_org`. A field left `None` stays;
/// a text given empty is cleared.
#[derive(Debug, Clone, PartialEq, Default, uniffi::Record)]
pub struct OrgChanges {
    /// New name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Kind.
    #[uniffi(default = None)]
    pub kind: Option<OrgKind>,
    /// Street address.
    #[uniffi(default = None)]
    pub address: Option<String>,
    /// Phone.
    #[uniffi(default = None)]
    pub phone: Option<String>,
    /// Website.
    #[uniffi(default = None)]
    pub website: Option<String>,
}

impl From<OrgChanges> for trellis_core::OrgChanges {
    fn from(o: OrgChanges) -> Self {
        trellis_core::OrgChanges {
            name: o.name,
            kind: o.kind.map(Into::into),
            address: o.address,
            phone: o.phone,
            website: o.website,
        }
    }
}

mirror_record! {
    /// One dated entry in a contact's notes.
    NoteEntry from trellis_core::NoteEntry {
        /// Entry id.
        id: String,
        /// When it was written (RFC 3339).
        at: String,
        /// Name of the member who wrote it.
        author: String,
        /// The text.
        text: String,
    }
}

mirror_record! {
    /// A contact with what to know before a visit: notes, the pitch for its category, open
    /// follow-ups and how long since the last touch.
    ContactDetail from trellis_core::ContactDetail {
        /// The contact.
        contact: Contact [into],
        /// Notes, oldest first.
        notes: Vec<NoteEntry> [list],
        /// The elevator pitch for the contact's category (see `set_pitch`), if one is set.
        pitch: Option<String>,
        /// Open follow-ups with this contact, soonest first.
        followups: Vec<FollowUp> [list],
        /// The latest activities with this contact, newest first (at most 50).
        history: Vec<Activity> [list],
        /// Days since the last touch (or since the contact was added, if never touched).
        days_since_touch: i64,
    }
}

mirror_record! {
    /// Something left behind on a visit: brochures, cards, a succulent. Items in the
    /// leave-behind catalog (see `restock`) are taken out of stock.
    LeftBehind from trellis_core::LeftBehind {
        /// What it was.
        item: String,
        /// How many (at least 1).
        qty: u32,
    }
}

impl From<LeftBehind> for trellis_core::LeftBehind {
    fn from(l: LeftBehind) -> Self {
        trellis_core::LeftBehind {
            item: l.item,
            qty: l.qty,
        }
    }
}

mirror_record! {
    /// A logged networking activity.
    Activity from trellis_core::Activity {
        /// Activity id (32 hex digits).
        id: String,
        /// Kind.
        kind: ActivityKind [into],
        /// When it happened (RFC 3339).
        at: String,
        /// Minutes spent.
        minutes: u32,
        /// Organization id, if any.
        organization_id: Option<String>,
        /// Organization name, if any.
        organization: Option<String>,
        /// Names of the contacts met.
        contacts: Vec<String>,
        /// Ids of the contacts met.
        contact_ids: Vec<String>,
        /// Note.
        note: Option<String>,
        /// What was left behind.
        left_behind: Vec<LeftBehind> [list],
        /// Name of the member who logged it.
        logged_by: String,
        /// For talks and workshops: the audience.
        audience: Option<String>,
        /// For talks and workshops: how many attended.
        attendance: Option<u32>,
    }
}

/// What to log: the input of `log_activity`. A drop-by or meeting also creates a thank-you
/// follow-up, due the workspace's `thank_you_hours` after `at`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewActivity {
    /// Kind.
    pub kind: ActivityKind,
    /// Organization, by name or id prefix.
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Contacts met, by name or id prefix.
    #[uniffi(default = [])]
    pub contacts: Vec<String>,
    /// Minutes spent (at most 1440).
    pub minutes: u32,
    /// Note about the relationship (no client details; see `note_privacy_hint()`).
    #[uniffi(default = None)]
    pub note: Option<String>,
    /// What was left behind.
    #[uniffi(default = [])]
    pub left_behind: Vec<LeftBehind>,
    /// When it happened, RFC 3339 (now when not given).
    #[uniffi(default = None)]
    pub at: Option<String>,
    /// For talks and workshops: the audience (a Rotary lunch, a PTO evening).
    #[uniffi(default = None)]
    pub audience: Option<String>,
    /// For talks and workshops: how many attended.
    #[uniffi(default = None)]
    pub attendance: Option<u32>,
}

impl From<NewActivity> for trellis_core::NewActivity {
    fn from(a: NewActivity) -> Self {
        trellis_core::NewActivity {
            kind: Some(a.kind.into()),
            organization: a.organization,
            contacts: a.contacts,
            minutes: a.minutes,
            note: a.note,
            left_behind: a.left_behind.into_iter().map(Into::into).collect(),
            at: a.at,
            audience: a.audience,
            attendance: a.attendance,
        }
    }
}

/// What to record for a drop-by: the input of `log_drop_by`, the most common activity.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewDropBy {
    /// Organization visited, by name or id prefix.
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Contacts met, by name or id prefix.
    #[uniffi(default = [])]
    pub contacts: Vec<String>,
    /// Minutes spent (at most 1440).
    pub minutes: u32,
    /// Note about the relationship (no client details; see `note_privacy_hint()`).
    #[uniffi(default = None)]
    pub note: Option<String>,
    /// What was left behind.
    #[uniffi(default = [])]
    pub left_behind: Vec<LeftBehind>,
    /// When it happened, RFC 3339 (now when not given).
    #[uniffi(default = None)]
    pub at: Option<String>,
}

impl From<NewDropBy> for trellis_core::NewActivity {
    fn from(d: NewDropBy) -> Self {
        trellis_core::NewActivity {
            kind: Some(trellis_core::ActivityKind::DropBy),
            organization: d.organization,
            contacts: d.contacts,
            minutes: d.minutes,
            note: d.note,
            left_behind: d.left_behind.into_iter().map(Into::into).collect(),
            at: d.at,
            audience: None,
            attendance: None,
        }
    }
}

mirror_record! {
    /// One search result.
    SearchHit from trellis_core::SearchHit {
        /// `contact`, `organization` or `activity`.
        kind: String,
        /// Id of the thing found.
        id: String,
        /// What to show.
        title: String,
    }
}

mirror_record! {
    /// A workspace this device belongs to.
    WorkspaceInfo from trellis_core::WorkspaceInfo {
        /// Workspace id.
        id: String,
        /// Practice name.
        name: String,
        /// Relay URL, if connected.
        relay_url: Option<String>,
        /// This device's member id in it.
        member_id: String,
        /// This member's role.
        role: Role [into],
        /// Whether actions apply to it.
        current: bool,
        /// Whether this device joined it and waits for a device of the practice to hand it
        /// the keys (its name and data arrive with them; `sync()` says `AwaitingKeys` until
        /// then).
        awaiting_keys: bool,
    }
}

mirror_record! {
    /// Sync state of the current workspace.
    Status from trellis_core::Status {
        /// Workspace id.
        workspace_id: String,
        /// Practice name.
        workspace: String,
        /// Relay URL, if connected.
        relay_url: Option<String>,
        /// Local changes the relay has not acknowledged.
        pending_changes: u64,
        /// Last successful sync (RFC 3339).
        last_sync_at: Option<String>,
        /// The last relay seq applied here.
        cursor: u64,
        /// Documents holding changes whose dependencies have not arrived (0 when healthy).
        gaps: u64,
        /// Pulled entries this device could not apply and keeps aside (0 when healthy;
        /// listed by `set_aside()`).
        set_aside: u64,
        /// Why the relay's copy of the practice's signed roster, or a key it served, last
        /// failed this device's checks; none when the last check passed.
        roster_problem: Option<String>,
        /// Roster events this device refused (not validly signed, or signed by a device not
        /// entitled to them).
        roster_refused: u64,
    }
}

mirror_record! {
    /// A pulled log entry this device could not apply. It is kept, and never stops a sync.
    SetAsideEntry from trellis_core::SetAsideEntry {
        /// Its position in the relay's log; none for a change that first waited for missing
        /// dependencies.
        seq: Option<u64>,
        /// The document it was for.
        doc_id: String,
        /// Why it was set aside.
        reason: SetAsideReason [into],
        /// What refused it, in words (no content of the entry).
        detail: String,
        /// When it was set aside (RFC 3339).
        at: String,
    }
}

mirror_record! {
    /// What one sync moved.
    SyncReport from trellis_core::SyncReport {
        /// Local changes the relay acknowledged.
        pushed: u64,
        /// Changes pulled from the relay (including this device's own, echoed back).
        pulled: u64,
        /// Documents that changed here because of the pull.
        documents_updated: u64,
        /// Pulled entries this sync set aside instead of applying (see `set_aside()`).
        set_aside: u64,
        /// Whether the relay's log was found rolled back (restored from a backup): this sync
        /// then pulled the whole log again and pushed back what the relay lacked.
        relay_rolled_back: bool,
        /// Changes this device pushed back to a rolled-back relay.
        repushed: u64,
        /// The cursor after the sync.
        cursor: u64,
        /// Whether a new workspace key arrived (someone left or was removed).
        new_key: bool,
        /// Whether changes with missing dependencies made this sync pull the whole log again.
        repulled: bool,
        /// Documents received from a checkpoint (a new device, or one left behind by compaction).
        bootstrapped_docs: u64,
        /// Of those, documents this device had to load to index or merge them (the others
        /// were indexed from the rows their snapshots carried).
        bootstrap_loaded_docs: u64,
        /// The key epoch this device made because someone left or a device was revoked.
        rotated_to: Option<u32>,
        /// Documents still holding changes whose dependencies never arrived (0 when healthy).
        gaps: u64,
        /// Devices admitted lately that this sync handed the practice's keys to.
        keys_granted: u64,
        /// On a region's store: connections this sync recorded as referrals in the practice
        /// (push them with the practice's next sync).
        referrals_recorded: u64,
    }
}

mirror_record! {
    /// An open invite of the current workspace: made, and neither used, cancelled nor expired,
    /// as the practice's signed roster holds it (`invites()`, `cancel_invite()`).
    InviteView from trellis_core::join::InviteView {
        /// Its id, 32 hex digits (cancel it with a prefix of it).
        invite_id: String,
        /// The role it gives (for a device invite: the inviting member's).
        role: Role [into],
        /// Whether it adds another device of the inviting member rather than a new member.
        device: bool,
        /// The inviting member's name.
        invited_by: String,
        /// Whether this device made it.
        made_here: bool,
        /// When it stops admitting anyone (RFC 3339).
        expires_at: String,
    }
}
