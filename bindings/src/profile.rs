//! Profile cards: each member writes her own card (what she treats, whom she sees, how she
//! works and is paid, where, whether she is taking new clients, her pitch) in the practice's
//! workspace document; colleagues read it after a sync, and it goes out as a vCard 4.0.
//!
//! Every rule (the closed lists, the 3-digit ZIP, the states, the pitch's length, when openings
//! need confirming, the fee range and the waitlist's weeks) is the core's
//! (`core/src/features/profile.rs`); this only converts.

use crate::error::TrellisError;
use crate::store::{list, TrellisStore};
use crate::types::{CardUpdate, Profile, ProfileChoices};

/// Every closed list a profile card is made of (specialties, populations, age bands,
/// modalities, insurance panels, languages, credentials) and the US states telehealth may be
/// offered in, in the core's display order: what the app's pickers show.
#[uniffi::export]
pub fn profile_choices() -> ProfileChoices {
    ProfileChoices::from_core()
}

#[uniffi::export]
impl TrellisStore {
    /// Changes this member's card in the current workspace: each field of `update` given
    /// replaces that part of it, the others stay. Giving `openings` confirms them as of now.
    /// A ZIP that is not 3 digits, a state that is not a US postal code, a pitch over 600
    /// bytes, a fee range whose lowest fee is above its highest (or whose highest is above
    /// $10000) or a waitlist outside 1 to 104 weeks is `InvalidInput`, and then nothing is
    /// stored. Returns the card as now kept; it reaches colleagues at the next sync.
    pub fn set_profile(&self, update: CardUpdate) -> Result<Profile, TrellisError> {
        Ok(self.store()?.set_profile(&update.into())?.into())
    }

    /// The card of `member` (a colleague's name or id prefix; `NotFound` or `Ambiguous`
    /// otherwise), or this member's own when `None`. A member who has not written one, or
    /// whose card has not synced here yet, has an empty card.
    #[uniffi::method(default(member = None))]
    pub fn profile(&self, member: Option<String>) -> Result<Profile, TrellisError> {
        Ok(self.store()?.profile(member.as_deref())?.into())
    }

    /// Every card written in the current workspace (that has reached this device), by name.
    pub fn profiles(&self) -> Result<Vec<Profile>, TrellisError> {
        Ok(list(self.store()?.profiles()?))
    }

    /// The card of `member` (or this member's own when `None`) as a vCard 4.0, to hand a
    /// referral source: her name, credentials, pitch and languages, the rest as `X-TRELLIS-*`
    /// properties (`X-TRELLIS-OPENINGS:accepting`, `waitlist:3` or `full`).
    #[uniffi::method(default(member = None))]
    pub fn profile_vcard(&self, member: Option<String>) -> Result<String, TrellisError> {
        Ok(self.store()?.profile_vcard(member.as_deref())?)
    }
}
