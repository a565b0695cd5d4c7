//! Organizations, contacts, their notes and activities, search hits, and the contacts and
//! organizations the stay-in-touch and nearby lists show.

use serde::{Deserialize, Serialize};

use super::{ActivityKind, ContactCategory, FollowUp, OrgKind, Stage};

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

/// What to change in a contact: the input of [`crate::Store::update_contact`]. A field left
/// `None` stays as it is; a text given empty (`Some("")`) is cleared; a list given replaces the
/// list (merged with a colleague's concurrent change, both sets of new values survive).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactChanges {
    /// New name.
    pub name: Option<String>,
    /// Organization, by name or id prefix (empty: none).
    pub organization: Option<String>,
    /// Role or title (empty: none).
    pub role: Option<String>,
    /// Category.
    pub category: Option<ContactCategory>,
    /// Phone numbers, replacing the list.
    pub phones: Option<Vec<String>>,
    /// Email addresses, replacing the list.
    pub emails: Option<Vec<String>>,
    /// Their population's needs (empty: none).
    pub needs: Option<String>,
    /// How we can help them (empty: none).
    pub how_we_help: Option<String>,
    /// Free tags, replacing the list.
    pub tags: Option<Vec<String>>,
}

/// What to change in an organization: the input of [`crate::Store::update_org`]. A field left
/// `None` stays; a text given empty is cleared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrgChanges {
    /// New name.
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<OrgKind>,
    /// Street address (empty: none).
    pub address: Option<String>,
    /// Phone (empty: none).
    pub phone: Option<String>,
    /// Website (empty: none).
    pub website: Option<String>,
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
