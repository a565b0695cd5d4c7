//! The domain types screens and callers see: organizations, contacts, notes, activities.
//!
//! These are read from the SQLite index, never by walking automerge documents. There is no field
//! anywhere for a client's name or identity: Trellis records relationships with referral
//! sources, not clinical data.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Shown wherever a free-text note is entered.
pub const NOTE_PRIVACY_HINT: &str =
    "Keep client names and details out of notes: write about the relationship, not about clients.";

/// Defines a closed set of kebab-case names with parsing, listing and serde.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident ($label:literal) { $($(#[$vmeta:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The kebab-case name used in the CLI, JSON and documents.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// Parses the kebab-case name; the error lists the accepted names.
            pub fn parse(s: &str) -> Result<$name> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(Error::invalid(format!(
                        "\"{}\" is not a known {}; use one of: {}",
                        s,
                        $label,
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What kind of place an organization is.
    OrgKind ("organization kind") {
        /// A school or district.
        School = "school",
        /// A clinic or group practice.
        Clinic = "clinic",
        /// A primary-care or pediatric office.
        PrimaryCare = "primary-care",
        /// A hospital.
        Hospital = "hospital",
        /// A church, synagogue, mosque or temple.
        PlaceOfWorship = "place-of-worship",
        /// A law firm.
        LawFirm = "law-firm",
        /// A yoga studio, acupuncture or massage practice, gym.
        Wellness = "wellness",
        /// A service club or community organization.
        CommunityOrg = "community-org",
        /// A professional association or chapter.
        ProfessionalOrg = "professional-org",
        /// Anything else.
        Other = "other",
    }
}

string_enum! {
    /// What kind of referral source a contact is.
    ContactCategory ("contact category") {
        /// School counselor.
        SchoolCounselor = "school-counselor",
        /// School psychologist.
        SchoolPsychologist = "school-psychologist",
        /// Social worker.
        SocialWorker = "social-worker",
        /// Pediatrician.
        Pediatrician = "pediatrician",
        /// Primary-care physician.
        PrimaryCare = "primary-care",
        /// Psychiatrist.
        Psychiatrist = "psychiatrist",
        /// Therapist or counselor.
        Therapist = "therapist",
        /// Clergy.
        Clergy = "clergy",
        /// Family lawyer.
        FamilyLawyer = "family-lawyer",
        /// Other attorney.
        Attorney = "attorney",
        /// Nutritionist or dietitian.
        Nutritionist = "nutritionist",
        /// Yoga teacher.
        Yoga = "yoga",
        /// Acupuncturist.
        Acupuncture = "acupuncture",
        /// Massage therapist.
        Massage = "massage",
        /// Community leader.
        CommunityLeader = "community-leader",
        /// Anything else.
        Other = "other",
    }
}

string_enum! {
    /// What kind of networking activity was logged.
    ActivityKind ("activity kind") {
        /// Dropping by in person.
        DropBy = "drop-by",
        /// A scheduled meeting.
        Meeting = "meeting",
        /// A phone call.
        Call = "call",
        /// An email.
        Email = "email",
        /// A talk given to a group.
        Talk = "talk",
        /// A workshop.
        Workshop = "workshop",
        /// A training or CEU event.
        Training = "training",
        /// A community or professional event.
        Event = "event",
        /// Pro-bono or board service.
        ProBono = "pro-bono",
        /// A listserv post.
        Listserv = "listserv",
        /// A thank-you note.
        ThankYou = "thank-you",
        /// A gift.
        Gift = "gift",
    }
}

string_enum! {
    /// Where a relationship with a referral source stands.
    Stage ("stage") {
        /// Not met yet.
        Prospect = "prospect",
        /// Met once or introduced.
        Introduced = "introduced",
        /// An ongoing relationship.
        Connected = "connected",
        /// Has referred clients.
        Referring = "referring",
        /// Referrals go both ways.
        Reciprocal = "reciprocal",
        /// Gone quiet.
        Dormant = "dormant",
    }
}

impl Stage {
    /// Whether recording a first referral from this contact moves it to `referring`.
    pub fn before_referring(self) -> bool {
        matches!(self, Stage::Prospect | Stage::Introduced | Stage::Connected)
    }
}

impl ContactCategory {
    /// How often, in days, to be in touch with a contact of this category unless set per
    /// contact: monthly with schools, every six weeks with fellow clinicians, quarterly with
    /// lawyers, every two months with everyone else.
    pub fn default_cadence_days(self) -> u32 {
        use ContactCategory::*;
        match self {
            SchoolCounselor | SchoolPsychologist | SocialWorker => 30,
            Pediatrician | PrimaryCare | Psychiatrist | Therapist => 45,
            FamilyLawyer | Attorney => 90,
            _ => 60,
        }
    }
}

/// An organization: a school, clinic, practice, congregation, firm or club.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// Document id (32 hex digits).
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind of place.
    pub kind: OrgKind,
    /// Street address, if known.
    pub address: Option<String>,
    /// Phone, if known.
    pub phone: Option<String>,
    /// Website, if known.
    pub website: Option<String>,
    /// Latitude in degrees, if known.
    pub lat: Option<f64>,
    /// Longitude in degrees, if known.
    pub lon: Option<f64>,
    /// Archived: hidden from lists, kept for history.
    pub archived: bool,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

/// What to add: the input of [`crate::Store::add_org`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewOrg {
    /// Name.
    pub name: String,
    /// Kind (`other` when `None`).
    pub kind: Option<OrgKind>,
    /// Street address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Latitude and longitude in degrees.
    pub location: Option<(f64, f64)>,
}

/// A referral source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Document id (32 hex digits).
    pub id: String,
    /// Name.
    pub name: String,
    /// Organization id, if any.
    pub organization_id: Option<String>,
    /// Organization name, if any.
    pub organization: Option<String>,
    /// Role or title (e.g. "Lead counselor").
    pub role: Option<String>,
    /// Category.
    pub category: ContactCategory,
    /// Where the relationship stands.
    pub stage: Stage,
    /// Days between touches before the contact counts as losing touch (the contact's own
    /// setting, or its category's default).
    pub cadence_days: u32,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Their population's needs.
    pub needs: Option<String>,
    /// How we can help them.
    pub how_we_help: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Archived: hidden from lists, kept for history.
    pub archived: bool,
    /// The latest logged activity with this contact (RFC 3339), if any.
    pub last_touch_at: Option<String>,
    /// When it was added (RFC 3339).
    pub created_at: String,
}

/// One dated entry in a contact's notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// A contact with its notes, as `contact show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactDetail {
    /// The contact.
    #[serde(flatten)]
    pub contact: Contact,
    /// Notes, oldest first.
    pub notes: Vec<NoteEntry>,
    /// The elevator pitch for the contact's category, to read before a visit.
    pub pitch: Option<String>,
    /// Open follow-ups with this contact, soonest first.
    pub followups: Vec<FollowUp>,
    /// The latest activities with this contact, newest first (at most
    /// [`crate::HISTORY_LIMIT`]).
    pub history: Vec<Activity>,
    /// Days since the last touch (or since the contact was added, if never touched).
    pub days_since_touch: i64,
}

/// Something left behind on a visit: brochures, cards, a succulent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftBehind {
    /// What it was.
    pub item: String,
    /// How many.
    pub qty: u32,
}

/// A logged networking activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// For talks and workshops: the audience.
    pub audience: Option<String>,
    /// For talks and workshops: how many attended.
    pub attendance: Option<u32>,
}

/// What to log: the input of [`crate::Store::log_activity`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewActivity {
    /// Kind (a drop-by when `None`).
    pub kind: Option<ActivityKind>,
    /// Organization, by name or id prefix.
    pub organization: Option<String>,
    /// Contacts met, by name or id prefix.
    pub contacts: Vec<String>,
    /// Minutes spent.
    pub minutes: u32,
    /// Note (no client details).
    pub note: Option<String>,
    /// What was left behind.
    pub left_behind: Vec<LeftBehind>,
    /// When it happened, RFC 3339 (now when `None`).
    pub at: Option<String>,
    /// For talks and workshops: the audience (a Rotary lunch, a PTO evening).
    pub audience: Option<String>,
    /// For talks and workshops: how many attended.
    pub attendance: Option<u32>,
}

/// What to add: the input of [`crate::Store::add_contact`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Organization, by name or id prefix.
    pub organization: Option<String>,
    /// Role or title.
    pub role: Option<String>,
    /// Category (`other` when `None`).
    pub category: Option<ContactCategory>,
    /// Stage (`prospect` when `None`).
    pub stage: Option<Stage>,
    /// Cadence in days (the category's default when `None`).
    pub cadence_days: Option<u32>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Their population's needs.
    pub needs: Option<String>,
    /// How we can help them.
    pub how_we_help: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `contact`, `organization` or `activity`.
    pub kind: String,
    /// Id of the thing found.
    pub id: String,
    /// What to show.
    pub title: String,
}

/// A workspace this device belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    /// Workspace id.
    pub id: String,
    /// Practice name.
    pub name: String,
    /// Relay URL, if connected.
    pub relay_url: Option<String>,
    /// This device's member id in it.
    pub member_id: String,
    /// This member's role.
    pub role: String,
    /// Whether commands act on it.
    pub current: bool,
}

/// Sync state of the current workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Documents holding changes whose dependencies have not arrived (0 when healthy).
    pub gaps: u64,
}

/// What one sync moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncReport {
    /// Local changes the relay acknowledged.
    pub pushed: u64,
    /// Changes pulled from the relay (including this device's own, echoed back).
    pub pulled: u64,
    /// Documents that changed here because of the pull.
    pub documents_updated: u64,
    /// Log entries that could not be decrypted or read, and were skipped.
    pub skipped: u64,
    /// The cursor after the sync.
    pub cursor: u64,
    /// Whether a new workspace key arrived (someone left or was removed).
    pub new_key: bool,
    /// Whether changes with missing dependencies made this sync pull the whole log again.
    pub repulled: bool,
    /// Documents received from a checkpoint (a new device, or one the relay's compaction left
    /// behind).
    pub bootstrapped_docs: u64,
    /// Of those, documents this device loaded to index or merge them: its own copy to merge,
    /// or a snapshot without index rows (the workspace document; checkpoints made by older
    /// versions). The others were indexed from the rows their snapshots carried and are loaded
    /// when something first changes them.
    pub bootstrap_loaded_docs: u64,
    /// The key epoch this device made because someone left or a device was revoked (owners
    /// and admins only).
    pub rotated_to: Option<u32>,
    /// Documents still holding changes whose dependencies never arrived (0 when healthy).
    pub gaps: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively_and_errors_list_choices() {
        assert_eq!(OrgKind::parse("School").unwrap(), OrgKind::School);
        assert_eq!(
            ContactCategory::parse("family-lawyer").unwrap(),
            ContactCategory::FamilyLawyer
        );
        let err = OrgKind::parse("mall").unwrap_err().to_string();
        assert!(err.contains("place-of-worship"), "{err}");
        for k in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(k.as_str()).unwrap(), *k);
        }
    }
}

string_enum! {
    /// What a follow-up is for.
    FollowUpKind ("follow-up kind") {
        /// A thank-you within the workspace's hours after a visit.
        ThankYou = "thank-you",
        /// A value-added check-in.
        CheckIn = "check-in",
        /// Send a useful resource.
        SendResource = "send-resource",
        /// Anything else.
        Custom = "custom",
    }
}

/// Something to do for a referral source, by a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Follow-up id.
    pub id: String,
    /// Kind.
    pub kind: FollowUpKind,
    /// Contact id, if any.
    pub contact_id: Option<String>,
    /// Contact name, if any.
    pub contact: Option<String>,
    /// Organization id, if any.
    pub organization_id: Option<String>,
    /// Organization name, if any.
    pub organization: Option<String>,
    /// The activity that created it, if any.
    pub activity_id: Option<String>,
    /// When it is due (RFC 3339).
    pub due_at: String,
    /// Note.
    pub note: Option<String>,
    /// When it was done (RFC 3339), if done.
    pub done_at: Option<String>,
    /// Name of the member it is assigned to.
    pub assigned_to: String,
    /// Id of the member it is assigned to.
    pub assigned_to_id: String,
    /// Whether it is open and past due.
    pub overdue: bool,
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpFilter {
    /// Every open follow-up.
    Open,
    /// Open ones due within the next 24 hours or overdue.
    Due,
    /// Open ones past due.
    Overdue,
    /// Every follow-up, done or not.
    All,
}

/// What to add: the input of [`crate::Store::add_followup`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewFollowUp {
    /// Kind (`check-in` when `None`).
    pub kind: Option<FollowUpKind>,
    /// Contact, by name or id prefix.
    pub contact: Option<String>,
    /// Organization, by name or id prefix.
    pub organization: Option<String>,
    /// Due, RFC 3339 or a date `YYYY-MM-DD` (in a week when `None`).
    pub due: Option<String>,
    /// Note.
    pub note: Option<String>,
}

string_enum! {
    /// Which way a referral went.
    ReferralDirection ("referral direction") {
        /// A source referred someone to us.
        Received = "received",
        /// We referred someone to them.
        Sent = "sent",
    }
}

string_enum! {
    /// Where a referral stands.
    ReferralStatus ("referral status") {
        /// First contact.
        Inquiry = "inquiry",
        /// A first appointment is booked.
        Scheduled = "scheduled",
        /// Became a client.
        BecameClient = "became-client",
        /// Not a fit.
        NotAFit = "not-a-fit",
    }
}

string_enum! {
    /// How a referral arrived.
    ReferralChannel ("referral channel") {
        /// In person.
        InPerson = "in-person",
        /// By phone.
        Phone = "phone",
        /// Through a listserv.
        Listserv = "listserv",
        /// Through a directory listing.
        Directory = "directory",
        /// Anything else.
        Other = "other",
    }
}

/// A referral: that a source referred someone, or that we referred someone to them. There is
/// deliberately no field for who the client is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    /// Referral id.
    pub id: String,
    /// Received from or sent to the partner.
    pub direction: ReferralDirection,
    /// The day (`YYYY-MM-DD`).
    pub day: String,
    /// Partner contact id, if a contact.
    pub contact_id: Option<String>,
    /// Partner contact name.
    pub contact: Option<String>,
    /// Partner organization id (the contact's organization when a contact).
    pub organization_id: Option<String>,
    /// Partner organization name.
    pub organization: Option<String>,
    /// Reason category (e.g. adolescent anxiety, couples, trauma, grief).
    pub reason: String,
    /// Status.
    pub status: ReferralStatus,
    /// Channel.
    pub channel: ReferralChannel,
    /// Note (no client details).
    pub note: Option<String>,
    /// Name of the member who recorded it.
    pub recorded_by: String,
}

/// What to record: the input of [`crate::Store::add_referral`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewReferral {
    /// Received from or sent to.
    pub direction: ReferralDirection,
    /// The partner: a contact or organization, by name or id prefix.
    pub partner: String,
    /// Reason category; added to the workspace's list if new.
    pub reason: String,
    /// Status (`inquiry` when `None`).
    pub status: Option<ReferralStatus>,
    /// Channel (`other` when `None`).
    pub channel: Option<ReferralChannel>,
    /// Day, `YYYY-MM-DD` (today when `None`).
    pub on: Option<String>,
    /// Note (no client details).
    pub note: Option<String>,
}

/// A workspace's goals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Networking minutes a week (default 240).
    pub minutes_per_week: u32,
    /// New connections a month (default 2).
    pub new_connections_per_month: u32,
    /// Hours after a visit by which a thank-you is due (default 48).
    pub thank_you_hours: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            minutes_per_week: 240,
            new_connections_per_month: 2,
            thank_you_hours: 48,
        }
    }
}

/// A leave-behind item and its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    /// Item key (lowercase name).
    pub item: String,
    /// Display name.
    pub name: String,
    /// How many are left (all devices' use and restocks added up).
    pub stock: i64,
    /// Warn when stock is at or below this.
    pub low_at: i64,
    /// Whether stock is at or below `low_at`.
    pub low: bool,
}

/// A membership in a community or professional organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// Membership id.
    pub id: String,
    /// Organization id.
    pub organization_id: String,
    /// Organization name.
    pub organization: String,
    /// Member's name.
    pub member: String,
    /// Role (member, board, chair, ...).
    pub role: String,
    /// Renewal date, `YYYY-MM-DD`.
    pub renews: Option<String>,
}

/// A contact past its stay-in-touch cadence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LosingTouch {
    /// The contact.
    #[serde(flatten)]
    pub contact: Contact,
    /// Days since the last touch (or since added).
    pub days_since_touch: i64,
    /// Days past the cadence.
    pub days_overdue: i64,
}

/// An organization near a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nearby {
    /// The organization.
    #[serde(flatten)]
    pub organization: Organization,
    /// Distance in kilometres.
    pub distance_km: f64,
    /// Days since the last logged visit, if ever.
    pub days_since_visit: Option<i64>,
}
