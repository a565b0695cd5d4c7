//! The store's reports, computed by the core from the SQLite index. Periods are days
//! `YYYY-MM-DD` (inclusive) and months `YYYY-MM`; weeks start on Monday, in the device's time
//! zone.

use crate::error::TrellisError;
use crate::store::{list, TrellisStore};
use crate::types::{ConnectionsReport, Reciprocity, ReferralReport, StockUse, TimeReport};

#[uniffi::export]
impl TrellisStore {
    /// Networking minutes week by week from the Monday of `from_day`'s week to `to_day` (this week
    /// when not given), against the weekly goal, with minutes by activity kind.
    #[uniffi::method(default(from_day = None, to_day = None))]
    pub fn time_report(
        &self,
        from_day: Option<String>,
        to_day: Option<String>,
    ) -> Result<TimeReport, TrellisError> {
        Ok(self
            .store()?
            .time_report(from_day.as_deref(), to_day.as_deref())?
            .into())
    }

    /// Contacts first met in a month (`YYYY-MM`; this month when not given), against the
    /// monthly goal.
    #[uniffi::method(default(month = None))]
    pub fn connections_report(
        &self,
        month: Option<String>,
    ) -> Result<ConnectionsReport, TrellisError> {
        Ok(self.store()?.connections_report(month.as_deref())?.into())
    }

    /// Referrals between two days (all time when not given): received and sent, received by
    /// source, by the source's category and by reason, and how many became clients.
    #[uniffi::method(default(from_day = None, to_day = None))]
    pub fn referral_report(
        &self,
        from_day: Option<String>,
        to_day: Option<String>,
    ) -> Result<ReferralReport, TrellisError> {
        Ok(self
            .store()?
            .referral_report(from_day.as_deref(), to_day.as_deref())?
            .into())
    }

    /// Referrals sent and received per partner between two days (all time when not given),
    /// most exchanged first.
    #[uniffi::method(default(from_day = None, to_day = None))]
    pub fn reciprocity_report(
        &self,
        from_day: Option<String>,
        to_day: Option<String>,
    ) -> Result<Vec<Reciprocity>, TrellisError> {
        Ok(list(self.store()?.reciprocity_report(
            from_day.as_deref(),
            to_day.as_deref(),
        )?))
    }

    /// Leave-behind stock now, and how many of each item were left behind between two days
    /// (all time when not given).
    #[uniffi::method(default(from_day = None, to_day = None))]
    pub fn stock_report(
        &self,
        from_day: Option<String>,
        to_day: Option<String>,
    ) -> Result<Vec<StockUse>, TrellisError> {
        Ok(list(
            self.store()?
                .stock_report(from_day.as_deref(), to_day.as_deref())?,
        ))
    }
}
