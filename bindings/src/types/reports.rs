//! The reports a therapist reads on Friday afternoon, as the core computes them
//! (`trellis_core::reports`): networking time against the weekly goal, new connections against
//! the monthly goal, referrals, reciprocity, and leave-behind stock and use.

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

mirror_record! {
    /// Networking time week by week.
    TimeReport from trellis_core::reports::TimeReport {
        /// First day covered (a Monday, `YYYY-MM-DD`).
        from: String,
        /// Last day covered.
        to: String,
        /// The weekly goal in minutes.
        goal_minutes: u32,
        /// Each week, oldest first.
        weeks: Vec<WeekMinutes> [list],
        /// Minutes by activity kind (`drop-by`, `talk`, ...) over the whole period, most first.
        by_kind: Vec<Count> [list],
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

mirror_record! {
    /// Referrals over a period.
    ReferralReport from trellis_core::reports::ReferralReport {
        /// First day covered, if bounded.
        from: Option<String>,
        /// Last day covered, if bounded.
        to: Option<String>,
        /// Referrals received.
        received: u32,
        /// Referrals sent.
        sent: u32,
        /// Received, by source (contact or organization), most first: the top sources.
        by_source: Vec<Count> [list],
        /// Received, by the source's contact category (or organization kind).
        by_category: Vec<Count> [list],
        /// Received, by reason.
        by_reason: Vec<Count> [list],
        /// Received that became clients.
        became_clients: u32,
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
