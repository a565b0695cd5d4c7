//! The reports a therapist reads on Friday afternoon, as the core computes them
//! (`trellis_core::reports`): networking time against the weekly goal, new connections against
//! the monthly goal, referrals, reciprocity, and leave-behind stock and use.
//!
//! The core's `from` and `to` are `from_day` and `to_day` here: `from` is a keyword in Python,
//! where uniffi would call it `_from`.

mirror_record! {
    /// Minutes of networking in one week.
    WeekMinutes from trellis_core::reports::WeekMinutes {
        /// Monday of the week (`YYYY-MM-DD`).
        week_of: String,
        /// Minutes logged.
        minutes: u32,
        /// Activities logged.
        activities: u32,
        /// Whether the weekly goal was met.
        goal_met: bool,
    }
}

/// Networking time week by week.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimeReport {
    /// First day covered (a Monday, `YYYY-MM-DD`). The core calls it `from`, a keyword in
    /// Python.
    pub from_day: String,
    /// Last day covered (the core's `to`).
    pub to_day: String,
    /// The weekly goal in minutes.
    pub goal_minutes: u32,
    /// Each week, oldest first.
    pub weeks: Vec<WeekMinutes>,
    /// Minutes by activity kind (`drop-by`, `talk`, ...) over the whole period, most first.
    pub by_kind: Vec<Count>,
}

impl From<trellis_core::reports::TimeReport> for TimeReport {
    fn from(r: trellis_core::reports::TimeReport) -> Self {
        // Destructured without `..`: a field added to the core fails the build here.
        let trellis_core::reports::TimeReport {
            from,
            to,
            goal_minutes,
            weeks,
            by_kind,
        } = r;
        TimeReport {
            from_day: from,
            to_day: to,
            goal_minutes,
            weeks: weeks.into_iter().map(Into::into).collect(),
            by_kind: by_kind.into_iter().map(Into::into).collect(),
        }
    }
}

mirror_record! {
    /// A count under a label.
    Count from trellis_core::reports::Count {
        /// What is counted.
        label: String,
        /// How many (or minutes).
        count: u32,
    }
}

mirror_record! {
    /// A contact first met (first logged activity) in the period.
    NewConnection from trellis_core::reports::NewConnection {
        /// Contact id.
        contact_id: String,
        /// Contact name.
        name: String,
        /// The first logged activity (RFC 3339).
        first_touch_at: String,
    }
}

mirror_record! {
    /// New connections in a month against the goal.
    ConnectionsReport from trellis_core::reports::ConnectionsReport {
        /// The month (`YYYY-MM`).
        month: String,
        /// The monthly goal.
        goal: u32,
        /// The new connections, first met first.
        connections: Vec<NewConnection> [list],
        /// Whether the goal was met.
        goal_met: bool,
    }
}

/// Referrals over a period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReferralReport {
    /// First day covered, if bounded (the core's `from`, a keyword in Python).
    pub from_day: Option<String>,
    /// Last day covered, if bounded (the core's `to`).
    pub to_day: Option<String>,
    /// Referrals received.
    pub received: u32,
    /// Referrals sent.
    pub sent: u32,
    /// Received, by source (contact or organization), most first: the top sources.
    pub by_source: Vec<Count>,
    /// Received, by the source's contact category (or organization kind).
    pub by_category: Vec<Count>,
    /// Received, by reason.
    pub by_reason: Vec<Count>,
    /// Received that became clients.
    pub became_clients: u32,
}

impl From<trellis_core::reports::ReferralReport> for ReferralReport {
    fn from(r: trellis_core::reports::ReferralReport) -> Self {
        let trellis_core::reports::ReferralReport {
            from,
            to,
            received,
            sent,
            by_source,
            by_category,
            by_reason,
            became_clients,
        } = r;
        let counts = |v: Vec<trellis_core::reports::Count>| v.into_iter().map(Into::into).collect();
        ReferralReport {
            from_day: from,
            to_day: to,
            received,
            sent,
            by_source: counts(by_source),
            by_category: counts(by_category),
            by_reason: counts(by_reason),
            became_clients,
        }
    }
}

mirror_record! {
    /// Sent and received with one partner.
    Reciprocity from trellis_core::reports::Reciprocity {
        /// The partner (contact, or organization).
        partner: String,
        /// Referrals received from them.
        received: u32,
        /// Referrals sent to them.
        sent: u32,
    }
}

mirror_record! {
    /// Leave-behind stock and use.
    StockUse from trellis_core::reports::StockUse {
        /// Item name.
        name: String,
        /// On hand now.
        stock: i64,
        /// Whether it is low.
        low: bool,
        /// Left behind in the period (catalog or not).
        used: u32,
    }
}
