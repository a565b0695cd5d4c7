//! The store's actions on what a practice keeps in its workspace document: goals, the
//! leave-behind catalog and its stock, elevator pitches, memberships, and its members.
//!
//! Stock is counted per device in the core (automerge counters), so two phones using the same
//! item offline add up after sync.

use crate::error::TrellisError;
use crate::store::{list, TrellisStore};
use crate::types::{ContactCategory, Member, Membership, Settings, StockItem};

#[uniffi::export]
impl TrellisStore {
    /// The workspace's goals (weekly minutes, monthly new connections, thank-you hours).
    pub fn settings(&self) -> Result<Settings, TrellisError> {
        Ok(self.store()?.settings()?.into())
    }

    /// Changes the goals given (each at most 100000); the others stay. Returns them all.
    #[uniffi::method(default(
        minutes_per_week = None,
        new_connections_per_month = None,
        thank_you_hours = None
    ))]
    pub fn set_goals(
        &self,
        minutes_per_week: Option<u32>,
        new_connections_per_month: Option<u32>,
        thank_you_hours: Option<u32>,
    ) -> Result<Settings, TrellisError> {
        Ok(self
            .store()?
            .set_goals(minutes_per_week, new_connections_per_month, thank_you_hours)?
            .into())
    }

    /// Restocks a leave-behind item (adding it to the catalog if new): `qty` (at least 1)
    /// more on hand. Drop-bys that leave it behind then take it out of stock.
    pub fn restock(&self, item: String, qty: u32) -> Result<StockItem, TrellisError> {
        Ok(self.store()?.restock(&item, qty)?.into())
    }

    /// Sets the stock level at or below which an item is reported low (5 unless set). The
    /// item must be in the catalog.
    pub fn set_low_stock(&self, item: String, low_at: u32) -> Result<StockItem, TrellisError> {
        Ok(self.store()?.set_low_stock(&item, low_at)?.into())
    }

    /// The leave-behind catalog with stock, by name.
    pub fn stock(&self) -> Result<Vec<StockItem>, TrellisError> {
        Ok(list(self.store()?.stock()?))
    }

    /// Sets the elevator pitch for a contact category (what I offer a pediatrician vs a school
    /// counselor); `contact()` shows it with every contact of that category. An empty text
    /// removes it. Returns the pitch now set.
    pub fn set_pitch(
        &self,
        category: ContactCategory,
        text: String,
    ) -> Result<Option<String>, TrellisError> {
        Ok(self.store()?.set_pitch(category.into(), &text)?)
    }

    /// The elevator pitch for a contact category, if one is set.
    pub fn pitch(&self, category: ContactCategory) -> Result<Option<String>, TrellisError> {
        Ok(self.store()?.pitch(category.into())?)
    }

    /// Records that this member belongs to a community or professional organization (by name
    /// or id prefix), with a role and an optional renewal day (`YYYY-MM-DD`). Meetings there
    /// are logged as activities.
    #[uniffi::method(default(renews = None))]
    pub fn add_membership(
        &self,
        org: String,
        role: String,
        renews: Option<String>,
    ) -> Result<Membership, TrellisError> {
        Ok(self
            .store()?
            .add_membership(&org, &role, renews.as_deref())?
            .into())
    }

    /// Memberships of everyone in the practice, soonest renewal first.
    pub fn memberships(&self) -> Result<Vec<Membership>, TrellisError> {
        Ok(list(self.store()?.memberships()?))
    }

    /// The practice's members, by name.
    pub fn members(&self) -> Result<Vec<Member>, TrellisError> {
        Ok(list(self.store()?.members()?))
    }
}
