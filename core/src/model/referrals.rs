//! Referrals received and sent, with no field for who the client is.

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};

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
