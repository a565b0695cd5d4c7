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
    /// When it was added (RFC 3339).
    pub created_at: String,
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
}

/// What to add: the input of [`crate::Store::add_contact`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Organization, by name or id prefix.
    pub organization: Option<String>,
    /// Category (`other` when `None`).
    pub category: Option<ContactCategory>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Their population's needs.
    pub needs: Option<String>,
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
