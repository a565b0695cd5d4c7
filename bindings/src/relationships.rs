//! The store's actions on relationships over time: follow-ups, stages and stay-in-touch
//! cadence, archive and delete, locations and "nearby", and referrals.
//!
//! Synchronous like every local action (one SQLite transaction each in the core). Contacts,
//! organizations and members are named by name or id prefix, follow-ups by an id prefix of at
//! least 4 hex digits; days are `YYYY-MM-DD`.

use crate::error::TrellisError;
use crate::store::{list, TrellisStore};
use crate::types::{
    Contact, FollowUp, FollowUpFilter, LosingTouch, Nearby, NewFollowUp, NewReferral, Organization,
    Referral, Stage,
};

#[uniffi::export]
impl TrellisStore {
    /// Adds a follow-up by hand (a check-in, a resource to send), assigned to this member.
    /// Thank-yous are created by `log_drop_by` and `log_activity` on their own.
    pub fn add_followup(&self, followup: NewFollowUp) -> Result<FollowUp, TrellisError> {
        Ok(self.store()?.add_followup(&followup.into())?.into())
    }

    /// Follow-ups of the current workspace (every member's), soonest due first.
    pub fn followups(&self, filter: FollowUpFilter) -> Result<Vec<FollowUp>, TrellisError> {
        Ok(list(self.store()?.followups(filter.into())?))
    }

    /// Marks a follow-up (by id prefix) done now. Two devices completing it offline both
    /// end up with it done.
    pub fn complete_followup(&self, id: String) -> Result<FollowUp, TrellisError> {
        Ok(self.store()?.complete_followup(&id)?.into())
    }

    /// Moves a follow-up's due time to `until`: RFC 3339, or a day `YYYY-MM-DD` meaning 9:00
    /// that morning.
    pub fn snooze_followup(&self, id: String, until: String) -> Result<FollowUp, TrellisError> {
        Ok(self.store()?.snooze_followup(&id, &until)?.into())
    }

    /// Assigns a follow-up to another member of the practice (by name or id prefix; see
    /// `members()`).
    pub fn reassign_followup(&self, id: String, member: String) -> Result<FollowUp, TrellisError> {
        Ok(self.store()?.reassign_followup(&id, &member)?.into())
    }

    /// Moves a contact to a stage by hand.
    pub fn set_stage(&self, contact: String, stage: Stage) -> Result<Contact, TrellisError> {
        Ok(self.store()?.set_stage(&contact, stage.into())?.into())
    }

    /// Sets how often to be in touch with a contact, in days (1 to 3650).
    pub fn set_cadence(&self, contact: String, days: u32) -> Result<Contact, TrellisError> {
        Ok(self.store()?.set_cadence(&contact, days)?.into())
    }

    /// Archives (`archived = true`: hidden from lists, kept for history) or unarchives a
    /// contact. The last writer wins across devices.
    pub fn archive_contact(
        &self,
        contact: String,
        archived: bool,
    ) -> Result<Contact, TrellisError> {
        Ok(self.store()?.archive_contact(&contact, archived)?.into())
    }

    /// Deletes a contact for good, on every device: an edit made concurrently on another
    /// device does not bring it back. Its activities and referrals keep its id. Returns the
    /// contact as it was.
    pub fn delete_contact(&self, contact: String) -> Result<Contact, TrellisError> {
        Ok(self.store()?.delete_contact(&contact)?.into())
    }

    /// Archives or unarchives an organization, as `archive_contact` does.
    pub fn archive_org(&self, org: String, archived: bool) -> Result<Organization, TrellisError> {
        Ok(self.store()?.archive_org(&org, archived)?.into())
    }

    /// Deletes an organization for good, on every device, as `delete_contact` does.
    pub fn delete_org(&self, org: String) -> Result<Organization, TrellisError> {
        Ok(self.store()?.delete_org(&org)?.into())
    }

    /// Sets an organization's location in degrees (latitude -90 to 90, longitude -180 to
    /// 180), for `nearby`.
    pub fn set_org_location(
        &self,
        org: String,
        lat: f64,
        lon: f64,
    ) -> Result<Organization, TrellisError> {
        Ok(self.store()?.set_org_location(&org, lat, lon)?.into())
    }

    /// Contacts past their stay-in-touch cadence, furthest past first (dormant and archived
    /// ones left out). Any logged activity with a contact resets its clock.
    pub fn losing_touch(&self) -> Result<Vec<LosingTouch>, TrellisError> {
        Ok(list(self.store()?.losing_touch()?))
    }

    /// Organizations with a location within `within_km` kilometres of a point (10 when not
    /// given, as the CLI), nearest first, with the days since the last visit: for planning a
    /// round of drop-bys.
    #[uniffi::method(default(within_km = 10.0))]
    pub fn nearby(&self, lat: f64, lon: f64, within_km: f64) -> Result<Vec<Nearby>, TrellisError> {
        Ok(list(self.store()?.nearby(lat, lon, within_km)?))
    }

    /// Records a referral received from, or sent to, a contact or organization. The first
    /// referral received from a contact at an earlier stage moves it to `Referring`.
    pub fn add_referral(&self, referral: NewReferral) -> Result<Referral, TrellisError> {
        Ok(self.store()?.add_referral(&referral.into())?.into())
    }

    /// Referrals recorded between two days (inclusive, `YYYY-MM-DD`; unbounded when not
    /// given), newest first.
    #[uniffi::method(default(from_day = None, to_day = None))]
    pub fn referrals(
        &self,
        from_day: Option<String>,
        to_day: Option<String>,
    ) -> Result<Vec<Referral>, TrellisError> {
        Ok(list(
            self.store()?
                .referrals(from_day.as_deref(), to_day.as_deref())?,
        ))
    }

    /// The workspace's referral reason categories (it grows with each new reason recorded).
    pub fn referral_reasons(&self) -> Result<Vec<String>, TrellisError> {
        Ok(self.store()?.referral_reasons()?)
    }
}
