//! Reports a therapist reads on Friday afternoon: networking minutes against the weekly goal,
//! new connections against the monthly goal, referrals by source, category and reason,
//! reciprocity per partner, and leave-behind stock and use. All read the SQLite index; weeks
//! start on Monday and days are in the device's time zone.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::ToSpan;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};
use crate::base::time;
use crate::model::{Referral, ReferralDirection};
use crate::store::Store;

use super::settings;

/// Minutes of networking in one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekMinutes {
    /// Monday of the week (`YYYY-MM-DD`).
    pub week_of: String,
    /// Minutes logged.
    pub minutes: u32,
    /// Activities logged.
    pub activities: u32,
    /// Whether the weekly goal was met.
    pub goal_met: bool,
}

/// Networking time week by week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeReport {
    /// First day covered.
    pub from: String,
    /// Last day covered.
    pub to: String,
    /// The weekly goal in minutes.
    pub goal_minutes: u32,
    /// Each week, oldest first.
    pub weeks: Vec<WeekMinutes>,
    /// Minutes by activity kind over the whole period.
    pub by_kind: Vec<Count>,
}

/// A count under a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// What is counted.
    pub label: String,
    /// How many (or minutes).
    pub count: u32,
}

/// A contact first met (first logged activity) in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConnection {
    /// Contact id.
    pub contact_id: String,
    /// Contact name.
    pub name: String,
    /// The first logged activity (RFC 3339).
    pub first_touch_at: String,
}

/// New connections in a month against the goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsReport {
    /// The month (`YYYY-MM`).
    pub month: String,
    /// The monthly goal.
    pub goal: u32,
    /// The new connections.
    pub connections: Vec<NewConnection>,
    /// Whether the goal was met.
    pub goal_met: bool,
}

/// Referrals over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralReport {
    /// First day covered, if bounded.
    pub from: Option<String>,
    /// Last day covered, if bounded.
    pub to: Option<String>,
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

/// Sent and received with one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reciprocity {
    /// The partner (contact, or organization).
    pub partner: String,
    /// Referrals received from them.
    pub received: u32,
    /// Referrals sent to them.
    pub sent: u32,
}

/// Leave-behind stock and use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockUse {
    /// Item name.
    pub name: String,
    /// On hand now.
    pub stock: i64,
    /// Whether it is low.
    pub low: bool,
    /// Left behind in the period (catalog or not).
    pub used: u32,
}

impl Store {
    /// Networking minutes week by week from `from` to `to` (days, inclusive; default: this
    /// week), against the weekly goal.
    pub fn time_report(&self, from: Option<&str>, to: Option<&str>) -> Result<TimeReport> {
        let today = time::day_of(time::now_ms());
        let from = monday(from.map(time::parse_day).transpose()?.unwrap_or(today));
        let to = to.map(time::parse_day).transpose()?.unwrap_or(today);
        if to < from {
            return Err(Error::invalid("the period ends before it starts"));
        }
        let goal = self.settings()?.minutes_per_week;
        let rows = self.activity_rows(from, to)?;
        let mut weeks: BTreeMap<Date, (u32, u32)> = BTreeMap::new();
        let mut w = from;
        while w <= to {
            weeks.insert(w, (0, 0));
            w = w.saturating_add(7.days());
        }
        let mut by_kind: BTreeMap<String, u32> = BTreeMap::new();
        for (at, minutes, kind) in rows {
            let e = weeks.entry(monday(time::day_of(at))).or_default();
            e.0 += minutes;
            e.1 += 1;
            *by_kind.entry(kind).or_default() += minutes;
        }
        Ok(TimeReport {
            from: from.to_string(),
            to: to.to_string(),
            goal_minutes: goal,
            weeks: weeks
                .into_iter()
                .map(|(week, (minutes, activities))| WeekMinutes {
                    week_of: week.to_string(),
                    minutes,
                    activities,
                    goal_met: minutes >= goal,
                })
                .collect(),
            by_kind: sorted_counts(by_kind),
        })
    }

    /// Contacts first met in a month (`YYYY-MM`, default this month), against the goal.
    pub fn connections_report(&self, month: Option<&str>) -> Result<ConnectionsReport> {
        let first = match month {
            Some(m) => time::parse_day(&format!("{}-01", m.trim())).map_err(|_| {
                Error::invalid(format!("\"{m}\" is not a month; write it like 2026-11"))
            })?,
            None => time::day_of(time::now_ms()).first_of_month(),
        };
        let start = time::start_of_day(first);
        let end = time::start_of_day(first.saturating_add(1.month()));
        let goal = self.settings()?.new_connections_per_month;
        let connections = self.read(|c, ws| {
            let mut st = c.prepare(
                "SELECT ac.contact_id, ct.name, min(ac.at_ms) AS first
                 FROM activity_contacts ac
                 JOIN contacts ct ON ct.ws = ac.ws AND ct.id = ac.contact_id
                 WHERE ac.ws = ?1 GROUP BY ac.contact_id
                 HAVING first >= ?2 AND first < ?3 ORDER BY first",
            )?;
            let rows = st.query_map(params![ws.id.to_hex(), start, end], |r| {
                Ok(NewConnection {
                    contact_id: r.get(0)?,
                    name: r.get(1)?,
                    first_touch_at: time::format_ms(r.get(2)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        Ok(ConnectionsReport {
            month: first.to_string()[..7].to_string(),
            goal,
            goal_met: connections.len() as u32 >= goal,
            connections,
        })
    }

    /// Referrals between two days (inclusive; default: all), received by source, category
    /// and reason.
    pub fn referral_report(&self, from: Option<&str>, to: Option<&str>) -> Result<ReferralReport> {
        let referrals = self.referrals(from, to)?;
        let categories = self.partner_categories()?;
        let mut report = ReferralReport {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            received: 0,
            sent: 0,
            by_source: vec![],
            by_category: vec![],
            by_reason: vec![],
            became_clients: 0,
        };
        let (mut source, mut category, mut reason) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for r in &referrals {
            match r.direction {
                ReferralDirection::Sent => report.sent += 1,
                ReferralDirection::Received => {
                    report.received += 1;
                    *source.entry(partner_name(r)).or_insert(0u32) += 1;
                    let cat = r
                        .contact_id
                        .as_ref()
                        .or(r.organization_id.as_ref())
                        .and_then(|id| categories.get(id).cloned())
                        .unwrap_or_else(|| "unknown".into());
                    *category.entry(cat).or_insert(0u32) += 1;
                    *reason.entry(r.reason.clone()).or_insert(0u32) += 1;
                    if r.status == crate::model::ReferralStatus::BecameClient {
                        report.became_clients += 1;
                    }
                }
            }
        }
        report.by_source = sorted_counts(source);
        report.by_category = sorted_counts(category);
        report.by_reason = sorted_counts(reason);
        Ok(report)
    }

    /// Referrals sent and received per partner (default: all time), most exchanged first.
    pub fn reciprocity_report(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<Reciprocity>> {
        let mut per: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for r in self.referrals(from, to)? {
            let e = per.entry(partner_name(&r)).or_default();
            match r.direction {
                ReferralDirection::Received => e.0 += 1,
                ReferralDirection::Sent => e.1 += 1,
            }
        }
        let mut out: Vec<Reciprocity> = per
            .into_iter()
            .map(|(partner, (received, sent))| Reciprocity {
                partner,
                received,
                sent,
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.received + r.sent));
        Ok(out)
    }

    /// Leave-behind stock now and use between two days (default: all time).
    pub fn stock_report(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<StockUse>> {
        let from = from.map(time::parse_day).transpose()?;
        let to = to.map(time::parse_day).transpose()?;
        let start = from.map(time::start_of_day).unwrap_or(i64::MIN);
        let end = to
            .map(|d| time::start_of_day(d.saturating_add(1.day())))
            .unwrap_or(i64::MAX);
        let mut used: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for a in self.activities()? {
            let at = time::parse_rfc3339(&a.at).unwrap_or(0);
            if at < start || at >= end {
                continue;
            }
            for l in a.left_behind {
                let e = used
                    .entry(settings::item_key(&l.item))
                    .or_insert_with(|| (l.item.clone(), 0));
                e.1 += l.qty;
            }
        }
        let mut out = Vec::new();
        for item in self.stock()? {
            let n = used.remove(&item.item).map(|(_, n)| n).unwrap_or(0);
            out.push(StockUse {
                name: item.name,
                stock: item.stock,
                low: item.low,
                used: n,
            });
        }
        for (_, (name, n)) in used {
            out.push(StockUse {
                name,
                stock: 0,
                low: false,
                used: n,
            });
        }
        Ok(out)
    }

    fn activity_rows(&self, from: Date, to: Date) -> Result<Vec<(i64, u32, String)>> {
        let start = time::start_of_day(from);
        let end = time::start_of_day(to.saturating_add(1.day()));
        self.read(|c, ws| {
            let mut st = c.prepare(
                "SELECT at_ms, minutes, kind FROM activities
                 WHERE ws = ?1 AND at_ms >= ?2 AND at_ms < ?3",
            )?;
            let rows = st.query_map(params![ws.id.to_hex(), start, end], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    u32::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    r.get::<_, String>(2)?,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Contact id → category and organization id → kind.
    fn partner_categories(&self) -> Result<BTreeMap<String, String>> {
        self.read(|c, ws| {
            let mut out = BTreeMap::new();
            for sql in [
                "SELECT id, category FROM contacts WHERE ws = ?1",
                "SELECT id, kind FROM orgs WHERE ws = ?1",
            ] {
                let mut st = c.prepare(sql)?;
                let rows = st.query_map([ws.id.to_hex()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (id, cat) = row?;
                    out.insert(id, cat);
                }
            }
            Ok(out)
        })
    }
}

fn partner_name(r: &Referral) -> String {
    r.contact
        .clone()
        .or_else(|| r.organization.clone())
        .unwrap_or_else(|| "a partner not synced yet".into())
}

fn monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.saturating_sub(back.days())
}

fn sorted_counts(m: BTreeMap<String, u32>) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(label, count)| Count { label, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        let sunday: Date = "2026-11-22".parse().unwrap();
        assert_eq!(monday(sunday).to_string(), "2026-11-16");
        let monday_d: Date = "2026-11-16".parse().unwrap();
        assert_eq!(monday(monday_d), monday_d);
    }
}
