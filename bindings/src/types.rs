//! Records and enums that cross the FFI, mirroring `trellis_core::model` field for field.
//!
//! The core has no uniffi attributes (it knows nothing of FFI), so each type is restated here
//! and converted with `From`. Times are RFC 3339 strings and ids are 32 hex digits, as in the
//! core; nothing is computed here.

use trellis_core::{
    ActivityKind as CoreActivityKind, ContactCategory as CoreContactCategory,
    OrgKind as CoreOrgKind, Role as CoreRole,
};

/// Restates one of the core's closed enums and converts both ways. A variant added to the core
/// and not here fails the build instead of being dropped.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $core:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                match v {
                    $($core::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => $core::$variant),+
                }
            }
        }
    };
}

mirror_enum! {
    /// What kind of place an organization is.
    OrgKind => CoreOrgKind {
        /// A school or district.
        School,
        /// A clinic or group practice.
        Clinic,
        /// A primary-care or pediatric office.
        PrimaryCare,
        /// A hospital.
        Hospital,
        /// A church, synagogue, mosque or temple.
        PlaceOfWorship,
        /// A law firm.
        LawFirm,
        /// A yoga studio, acupuncture or massage practice, gym.
        Wellness,
        /// A service club or community organization.
        CommunityOrg,
        /// A professional association or chapter.
        ProfessionalOrg,
        /// Anything else.
        Other,
    }
}

mirror_enum! {
    /// What kind of referral source a contact is.
    ContactCategory => CoreContactCategory {
        /// School counselor.
        SchoolCounselor,
        /// School psychologist.
        SchoolPsychologist,
        /// Social worker.
        SocialWorker,
        /// Pediatrician.
        Pediatrician,
        /// Primary-care physician.
        PrimaryCare,
        /// Psychiatrist.
        Psychiatrist,
        /// Therapist or counselor.
        Therapist,
        /// Clergy.
        Clergy,
        /// Family lawyer.
        FamilyLawyer,
        /// Other attorney.
        Attorney,
        /// Nutritionist or dietitian.
        Nutritionist,
        /// Yoga teacher.
        Yoga,
        /// Acupuncturist.
        Acupuncture,
        /// Massage therapist.
        Massage,
        /// Community leader.
        CommunityLeader,
        /// Anything else.
        Other,
    }
}

mirror_enum! {
    /// What kind of networking activity was logged.
    ActivityKind => CoreActivityKind {
        /// Dropping by in person.
        DropBy,
        /// A scheduled meeting.
        Meeting,
        /// A phone call.
        Call,
        /// An email.
        Email,
        /// A talk given to a group.
        Talk,
        /// A workshop.
        Workshop,
        /// A training or CEU event.
        Training,
        /// A community or professional event.
        Event,
        /// Pro-bono or board service.
        ProBono,
        /// A listserv post.
        Listserv,
        /// A thank-you note.
        ThankYou,
        /// A gift.
        Gift,
    }
}

mirror_enum! {
    /// A member's role in a workspace.
    Role => CoreRole {
        /// Created the workspace; may do everything.
        Owner,
        /// May invite members and devices.
        Admin,
        /// May read and write the workspace's data and add their own devices.
        Member,
    }
}

/// This device's identity.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Device {
    /// Device id (32 hex digits).
    pub id: String,
    /// The user's name, shown to the rest of the practice.
    pub name: String,
}

impl From<trellis_core::Device> for Device {
    fn from(d: trellis_core::Device) -> Self {
        Device {
            id: d.id,
            name: d.name,
        }
    }
}

/// An organization: a school, clinic, practice, congregation, firm or club.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Organization {
    /// Document id (32 hex digits).
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind of place.
    pub kind: OrgKind,
    /// Street address, if known.
    pub address: Option<String>,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

impl From<trellis_core::Organization> for Organization {
    fn from(o: trellis_core::Organization) -> Self {
        Organization {
            id: o.id,
            name: o.name,
            kind: o.kind.into(),
            address: o.address,
            created_at: o.created_at,
        }
    }
}

/// A referral source.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Contact {
    /// Document id (32 hex digits).
    pub id: String,
    /// Name.
    pub name: String,
    /// Organization id, if any.
    pub organization_id: Option<String>,
    /// Organization name, if any.
    pub organization: Option<String>,
    /// Category.
    pub category: ContactCategory,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Their population's needs.
    pub needs: Option<String>,
    /// The latest logged activity with this contact (RFC 3339), if any.
    pub last_touch_at: Option<String>,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

impl From<trellis_core::Contact> for Contact {
    fn from(c: trellis_core::Contact) -> Self {
        Contact {
            id: c.id,
            name: c.name,
            organization_id: c.organization_id,
            organization: c.organization,
            category: c.category.into(),
            phones: c.phones,
            emails: c.emails,
            needs: c.needs,
            last_touch_at: c.last_touch_at,
            created_at: c.created_at,
        }
    }
}

/// One dated entry in a contact's notes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NoteEntry {
    /// Entry id.
    pub id: String,
    /// When it was written (RFC 3339).
    pub at: String,
    /// Name of the member who wrote it.
    pub author: String,
    /// The text.
    pub text: String,
}

impl From<trellis_core::NoteEntry> for NoteEntry {
    fn from(n: trellis_core::NoteEntry) -> Self {
        NoteEntry {
            id: n.id,
            at: n.at,
            author: n.author,
            text: n.text,
        }
    }
}

/// A contact with its notes, for a detail screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ContactDetail {
    /// The contact.
    pub contact: Contact,
    /// Notes, oldest first.
    pub notes: Vec<NoteEntry>,
}

impl From<trellis_core::ContactDetail> for ContactDetail {
    fn from(d: trellis_core::ContactDetail) -> Self {
        ContactDetail {
            contact: d.contact.into(),
            notes: d.notes.into_iter().map(Into::into).collect(),
        }
    }
}

/// Something left behind on a visit: brochures, cards, a succulent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeftBehind {
    /// What it was.
    pub item: String,
    /// How many (at least 1).
    pub qty: u32,
}

impl From<trellis_core::LeftBehind> for LeftBehind {
    fn from(l: trellis_core::LeftBehind) -> Self {
        LeftBehind {
            item: l.item,
            qty: l.qty,
        }
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

/// A logged networking activity.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Activity {
    /// Activity id (32 hex digits).
    pub id: String,
    /// Kind.
    pub kind: ActivityKind,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Minutes spent.
    pub minutes: u32,
    /// Organization id, if any.
    pub organization_id: Option<String>,
    /// Organization name, if any.
    pub organization: Option<String>,
    /// Names of the contacts met.
    pub contacts: Vec<String>,
    /// Ids of the contacts met.
    pub contact_ids: Vec<String>,
    /// Note.
    pub note: Option<String>,
    /// What was left behind.
    pub left_behind: Vec<LeftBehind>,
    /// Name of the member who logged it.
    pub logged_by: String,
}

impl From<trellis_core::Activity> for Activity {
    fn from(a: trellis_core::Activity) -> Self {
        Activity {
            id: a.id,
            kind: a.kind.into(),
            at: a.at,
            minutes: a.minutes,
            organization_id: a.organization_id,
            organization: a.organization,
            contacts: a.contacts,
            contact_ids: a.contact_ids,
            note: a.note,
            left_behind: a.left_behind.into_iter().map(Into::into).collect(),
            logged_by: a.logged_by,
        }
    }
}

/// What to record for a new contact: the input of `add_contact`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Organization, by name or id prefix.
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Category (`Other` when not given).
    #[uniffi(default = None)]
    pub category: Option<ContactCategory>,
    /// Phone number.
    #[uniffi(default = None)]
    pub phone: Option<String>,
    /// Email address.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// Their population's needs.
    #[uniffi(default = None)]
    pub needs: Option<String>,
}

impl From<NewContact> for trellis_core::NewContact {
    fn from(c: NewContact) -> Self {
        trellis_core::NewContact {
            name: c.name,
            organization: c.organization,
            category: c.category.map(Into::into),
            phones: c.phone.into_iter().collect(),
            emails: c.email.into_iter().collect(),
            needs: c.needs,
            ..Default::default()
        }
    }
}

/// What to record for a drop-by: the input of `log_drop_by`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
            kind: Some(CoreActivityKind::DropBy),
            organization: d.organization,
            contacts: d.contacts,
            minutes: d.minutes,
            note: d.note,
            left_behind: d.left_behind.into_iter().map(Into::into).collect(),
            at: d.at,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SearchHit {
    /// `contact`, `organization` or `activity`.
    pub kind: String,
    /// Id of the thing found.
    pub id: String,
    /// What to show.
    pub title: String,
}

impl From<trellis_core::SearchHit> for SearchHit {
    fn from(h: trellis_core::SearchHit) -> Self {
        SearchHit {
            kind: h.kind,
            id: h.id,
            title: h.title,
        }
    }
}

/// A workspace this device belongs to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkspaceInfo {
    /// Workspace id.
    pub id: String,
    /// Practice name.
    pub name: String,
    /// Relay URL, if connected.
    pub relay_url: Option<String>,
    /// This device's member id in it.
    pub member_id: String,
    /// This member's role (`owner`, `admin` or `member`).
    pub role: String,
    /// Whether actions apply to it.
    pub current: bool,
}

impl From<trellis_core::WorkspaceInfo> for WorkspaceInfo {
    fn from(w: trellis_core::WorkspaceInfo) -> Self {
        WorkspaceInfo {
            id: w.id,
            name: w.name,
            relay_url: w.relay_url,
            member_id: w.member_id,
            role: w.role,
            current: w.current,
        }
    }
}

/// Sync state of the current workspace.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Status {
    /// Workspace id.
    pub workspace_id: String,
    /// Practice name.
    pub workspace: String,
    /// Relay URL, if connected.
    pub relay_url: Option<String>,
    /// Local changes the relay has not acknowledged.
    pub pending_changes: u64,
    /// Last successful sync (RFC 3339).
    pub last_sync_at: Option<String>,
    /// The last relay seq applied here.
    pub cursor: u64,
}

impl From<trellis_core::Status> for Status {
    fn from(s: trellis_core::Status) -> Self {
        Status {
            workspace_id: s.workspace_id,
            workspace: s.workspace,
            relay_url: s.relay_url,
            pending_changes: s.pending_changes,
            last_sync_at: s.last_sync_at,
            cursor: s.cursor,
        }
    }
}

/// What one sync moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Local changes the relay acknowledged.
    pub pushed: u64,
    /// Changes pulled from the relay (including this device's own, echoed back).
    pub pulled: u64,
    /// Documents that changed here because of the pull.
    pub documents_updated: u64,
    /// The cursor after the sync.
    pub cursor: u64,
}

impl From<trellis_core::SyncReport> for SyncReport {
    fn from(r: trellis_core::SyncReport) -> Self {
        SyncReport {
            pushed: r.pushed,
            pulled: r.pulled,
            documents_updated: r.documents_updated,
            cursor: r.cursor,
        }
    }
}
