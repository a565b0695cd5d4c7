//! A practice's settings: goals, leave-behind stock, and memberships in organizations.

use serde::{Deserialize, Serialize};

/// A workspace's goals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Networking minutes a week (default 240).
    pub minutes_per_week: u32,
    /// New connections a month (default 2).
    pub new_connections_per_month: u32,
    /// Hours after a visit by which a thank-you is due (default 48).
    pub thank_you_hours: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            minutes_per_week: 240,
            new_connections_per_month: 2,
            thank_you_hours: 48,
        }
    }
}

/// A leave-behind item and its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockItem {
    /// Item key (lowercase name).
    pub item: String,
    /// Display name.
    pub name: String,
    /// How many are left (all devices' use and restocks added up).
    pub stock: i64,
    /// Warn when stock is at or below this.
    pub low_at: i64,
    /// Whether stock is at or below `low_at`.
    pub low: bool,
}

/// A membership in a community or professional organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// Membership id.
    pub id: String,
    /// Organization id.
    pub organization_id: String,
    /// Organization name.
    pub organization: String,
    /// Member's name.
    pub member: String,
    /// Role (member, board, chair, ...).
    pub role: String,
    /// Renewal date, `YYYY-MM-DD`.
    pub renews: Option<String>,
}
