//! What a therapist does to cultivate referral sources: follow-ups, referrals with
//! no client identity, goals, leave-behind stock, memberships, and the "losing touch" and
//! "nearby" lists.

use trellis_core::{
    FollowUpFilter as CoreFollowUpFilter, FollowUpKind as CoreFollowUpKind,
    ReferralChannel as CoreReferralChannel, ReferralDirection as CoreReferralDirection,
    ReferralStatus as CoreReferralStatus,
};

use crate::types::{Contact, Organization};

mirror_enum! {
    /// What a follow-up is for.
    FollowUpKind => CoreFollowUpKind {
        /// A thank-you after a visit (created by logging a drop-by or meeting).
        ThankYou,
        /// A value-added check-in.
        CheckIn,
        /// Send a useful resource.
        SendResource,
        /// Anything else.
        Custom,
    }
}

mirror_enum! {
    /// Which follow-ups `followups` lists.
    FollowUpFilter => CoreFollowUpFilter {
        /// Every open follow-up.
        Open,
        /// Open ones due within the next 24 hours, or overdue.
        Due,
        /// Open ones past due.
        Overdue,
        /// Every follow-up, done or not.
        All,
    }
}

mirror_enum! {
    /// Which way a referral went.
    ReferralDirection => CoreReferralDirection {
        /// A source referred someone to us.
        Received,
        /// We referred someone to them.
        Sent,
    }
}

mirror_enum! {
    /// Where a referral stands.
    ReferralStatus => CoreReferralStatus {
        /// First contact.
        Inquiry,
        /// A first appointment is booked.
        Scheduled,
        /// Became a client.
        BecameClient,
        /// Not a fit.
        NotAFit,
    }
}

mirror_enum! {
    /// How a referral arrived.
    ReferralChannel => CoreReferralChannel {
        /// In person.
        InPerson,
        /// By phone.
        Phone,
        /// Through a listserv.
        Listserv,
        /// Through a directory listing.
        Directory,
        /// Anything else.
        Other,
    }
}

mirror_record! {
    /// Something to do for a referral source, by a date.
    FollowUp from trellis_core::FollowUp {
        /// Follow-up id (32 hex digits; any prefix of 4 or more names it).
        id: String,
        /// Kind.
        kind: FollowUpKind [into],
        /// Contact id, if any.
        contact_id: Option<String>,
        /// Contact name, if any.
        contact: Option<String>,
        /// Organization id, if any.
        organization_id: Option<String>,
        /// Organization name, if any.
        organization: Option<String>,
        /// The activity that created it, if any.
        activity_id: Option<String>,
        /// When it is due (RFC 3339).
        due_at: String,
        /// Note.
        note: Option<String>,
        /// When it was done (RFC 3339), if done.
        done_at: Option<String>,
        /// Name of the member it is assigned to.
        assigned_to: String,
        /// Id of the member it is assigned to.
        assigned_to_id: String,
        /// Whether it is open and past due.
        overdue: bool,
    }
}

/// A follow-up to add by hand: the input of `add_followup`. It needs a contact, an
/// organization or a note.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewFollowUp {
    /// Kind (`CheckIn` when not given).
    #[uniffi(default = None)]
    pub kind: Option<FollowUpKind>,
    /// Contact, by name or id prefix.
    #[uniffi(default = None)]
    pub contact: Option<String>,
    /// Organization, by name or id prefix (the contact's when not given).
    #[uniffi(default = None)]
    pub organization: Option<String>,
    /// Due: RFC 3339, or a day `YYYY-MM-DD` meaning 9:00 that morning (in a week when not
    /// given).
    #[uniffi(default = None)]
    pub due: Option<String>,
    /// Note.
    #[uniffi(default = None)]
    pub note: Option<String>,
}

impl From<NewFollowUp> for trellis_core::NewFollowUp {
    fn from(f: NewFollowUp) -> Self {
        trellis_core::NewFollowUp {
            kind: f.kind.map(Into::into),
            contact: f.contact,
            organization: f.organization,
            due: f.due,
            note: f.note,
        }
    }
}

mirror_record! {
    /// A referral: that a source referred someone, or that we referred someone to them. There
    /// is deliberately no field for who the client is.
    Referral from trellis_core::Referral {
        /// Referral id.
        id: String,
        /// Received from or sent to the partner.
        direction: ReferralDirection [into],
        /// The day (`YYYY-MM-DD`).
        day: String,
        /// Partner contact id, if a contact.
        contact_id: Option<String>,
        /// Partner contact name.
        contact: Option<String>,
        /// Partner organization id (the contact's organization when a contact).
        organization_id: Option<String>,
        /// Partner organization name.
        organization: Option<String>,
        /// Reason category (e.g. adolescent anxiety, couples, trauma, grief).
        reason: String,
        /// Status.
        status: ReferralStatus [into],
        /// Channel.
        channel: ReferralChannel [into],
        /// Note (no client details).
        note: Option<String>,
        /// Name of the member who recorded it.
        recorded_by: String,
    }
}

/// A referral to record: the input of `add_referral`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewReferral {
    /// Received from or sent to.
    pub direction: ReferralDirection,
    /// The partner: a contact or organization, by name or id prefix (a contact first).
    pub partner: String,
    /// Reason category; added to the workspace's list (`referral_reasons`) if new.
    pub reason: String,
    /// Status (`Inquiry` when not given).
    #[uniffi(default = None)]
    pub status: Option<ReferralStatus>,
    /// Channel (`Other` when not given).
    #[uniffi(default = None)]
    pub channel: Option<ReferralChannel>,
    /// The day, `YYYY-MM-DD` (today when not given).
    #[uniffi(default = None)]
    pub on: Option<String>,
    /// Note (no client details; see `note_privacy_hint()`).
    #[uniffi(default = None)]
    pub note: Option<String>,
}

impl From<NewReferral> for trellis_core::NewReferral {
    fn from(r: NewReferral) -> Self {
        trellis_core::NewReferral {
            direction: r.direction.into(),
            partner: r.partner,
            reason: r.reason,
            status: r.status.map(Into::into),
            channel: r.channel.map(Into::into),
            on: r.on,
            note: r.note,
        }
    }
}

mirror_record! {
    /// A workspace's goals.
    Settings from trellis_core::Settings {
        /// Networking minutes a week (default 240).
        minutes_per_week: u32,
        /// New connections a month (default 2).
        new_connections_per_month: u32,
        /// Hours after a visit by which its thank-you is due (default 48).
        thank_you_hours: u32,
    }
}

mirror_record! {
    /// A leave-behind item and its stock.
    StockItem from trellis_core::StockItem {
        /// Item key (lowercase name).
        item: String,
        /// Display name.
        name: String,
        /// How many are left: every device's restocks and use added up (after sync).
        stock: i64,
        /// Warn when stock is at or below this.
        low_at: i64,
        /// Whether stock is at or below `low_at`.
        low: bool,
    }
}

mirror_record! {
    /// A membership in a community or professional organization.
    Membership from trellis_core::Membership {
        /// Membership id.
        id: String,
        /// Organization id.
        organization_id: String,
        /// Organization name.
        organization: String,
        /// Member's name.
        member: String,
        /// Role (member, board, chair, ...).
        role: String,
        /// Renewal date, `YYYY-MM-DD`.
        renews: Option<String>,
    }
}

/// A member of the practice, e.g. to reassign a follow-up to.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Member {
    /// Member id (32 hex digits).
    pub id: String,
    /// Name.
    pub name: String,
}

impl From<(String, String)> for Member {
    /// The core lists members as `(id, name)` pairs.
    fn from((id, name): (String, String)) -> Self {
        Member { id, name }
    }
}

mirror_record! {
    /// A contact past its stay-in-touch cadence.
    LosingTouch from trellis_core::LosingTouch {
        /// The contact.
        contact: Contact [into],
        /// Days since the last touch (or since added).
        days_since_touch: i64,
        /// Days past the cadence.
        days_overdue: i64,
    }
}

mirror_record! {
    /// An organization near a point.
    Nearby from trellis_core::Nearby {
        /// The organization.
        organization: Organization [into],
        /// Distance in kilometres.
        distance_km: f64,
        /// Days since the last logged visit there, if ever.
        days_since_visit: Option<i64>,
    }
}
