//! Follow-ups: what to do for a referral source by a date.

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};

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
