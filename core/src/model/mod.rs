//! The domain types screens and callers see: organizations, contacts, notes, activities.
//!
//! These are read from the SQLite index, never by walking automerge documents. There is no field
//! anywhere for a client's name or identity: Trellis records relationships with referral
//! sources, not clinical data.

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};

/// Shown wherever a free-text note is entered.
pub const NOTE_PRIVACY_HINT: &str =
    "Keep client names and details out of notes: write about the relationship, not about clients.";

/// Defines a closed set of kebab-case names with parsing, listing and serde.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident ($label:literal) { $($(#[$vmeta:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

mod exchange;
mod followups;
mod profile;
mod records;
mod referrals;
mod settings;
mod workspace;

pub use exchange::*;
pub use followups::*;
pub use profile::*;
pub use records::*;
pub use referrals::*;
pub use settings::*;
pub use workspace::*;

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
