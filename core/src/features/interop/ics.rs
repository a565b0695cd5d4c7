//! Follow-ups and networking time as iCalendar, so a calendar or reminders app shows them.
//!
//! - Each open follow-up is a `VTODO` with `UID`, `SUMMARY` ("Thank-you note: Rosa Jimenez"),
//!   `DUE` (UTC), `DESCRIPTION` and a display `VALARM` that fires at the due time.
//! - The weekly networking goal is a recurring `VEVENT` (`RRULE:FREQ=WEEKLY`) starting on
//!   Tuesday mornings at 9:00 local time, as long as the goal (240 minutes by default). A goal
//!   past four hours is spread over more weekdays (Tuesday, Wednesday, Thursday, Friday, Monday)
//!   in equal blocks, so no block runs into the evening.
//!
//! The 9:00 is written with the device's IANA time zone as `TZID` and the `VTIMEZONE` calcard
//! derives for it; when the device has no IANA zone name, it is written as floating local time
//! (9:00 wherever the calendar is). UIDs are stable (the follow-up's id, the workspace's id), so
//! importing a newer export updates entries instead of duplicating them.

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarAction, ICalendarComponent, ICalendarComponentType, ICalendarDay,
    ICalendarDuration, ICalendarFrequency, ICalendarParameter, ICalendarProperty,
    ICalendarRecurrenceRule, ICalendarStatus, ICalendarValueType, ICalendarWeekday,
};
use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::base::error::{Error, Result};
use crate::model::{FollowUp, FollowUpFilter, FollowUpKind};
use crate::store::Store;

/// The local time the weekly networking block starts: Tuesday 9:00.
pub const NETWORKING_BLOCK_START: (Weekday, i8) = (Weekday::Tuesday, 9);

/// Longest single networking block, in minutes, before the goal is spread over more days.
const MAX_BLOCK_MINUTES: u32 = 240;

/// The days blocks go on, in the order they are added.
const BLOCK_DAYS: [ICalendarWeekday; 5] = [
    ICalendarWeekday::Tuesday,
    ICalendarWeekday::Wednesday,
    ICalendarWeekday::Thursday,
    ICalendarWeekday::Friday,
    ICalendarWeekday::Monday,
];

/// A to-do as the calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoItem {
    /// Stable id, unique within the calendar.
    pub uid: String,
    /// One line: what to do, for whom.
    pub summary: String,
    /// When it is due.
    pub due: Timestamp,
    /// More detail, if any.
    pub description: Option<String>,
}

/// What goes into the calendar export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarInput {
    /// Stable id of the networking-time event (the workspace's).
    pub block_uid: String,
    /// Open follow-ups.
    pub todos: Vec<TodoItem>,
    /// The weekly networking goal; no event when 0.
    pub minutes_per_week: u32,
    /// The first block's local start: a Tuesday at 9:00.
    pub block_start: DateTime,
    /// The IANA zone of `block_start`, or `None` for floating local time.
    pub time_zone: Option<String>,
    /// When the export is made (`DTSTAMP`).
    pub now: Timestamp,
}

impl Store {
    /// Open follow-ups as `VTODO`s with an alarm at the due time, and the weekly networking goal
    /// as a recurring `VEVENT` on Tuesday mornings, as one iCalendar file.
    pub fn export_ics(&self) -> Result<String> {
        let workspace = self.current_workspace_id()?.ok_or(Error::NoWorkspace)?;
        let settings = self.settings()?;
        let todos = self
            .followups(FollowUpFilter::Open)?
            .iter()
            .map(todo)
            .collect::<Result<Vec<_>>>()?;
        let tz = TimeZone::system();
        let now = Timestamp::now();
        Ok(calendar(&CalendarInput {
            block_uid: format!("networking-time-{workspace}@trellis"),
            todos,
            minutes_per_week: settings.minutes_per_week,
            block_start: next_block_start(now.to_zoned(tz.clone()).datetime()),
            time_zone: tz
                .iana_name()
                .filter(|n| !is_utc_only(n))
                .map(str::to_string),
            now,
        }))
    }
}

/// A device set to UTC is usually one whose zone was never set (a server, a container): its
/// 9:00 is better written as floating local time than pinned to Greenwich.
fn is_utc_only(zone: &str) -> bool {
    matches!(zone, "UTC" | "GMT" | "Universal" | "Zulu") || zone.starts_with("Etc/")
}

/// A follow-up as a to-do.
fn todo(f: &FollowUp) -> Result<TodoItem> {
    let who = f
        .contact
        .as_deref()
        .or(f.organization.as_deref())
        .unwrap_or("no contact");
    let summary = match f.kind {
        FollowUpKind::ThankYou => format!("Thank-you note: {who}"),
        FollowUpKind::CheckIn => format!("Check in: {who}"),
        FollowUpKind::SendResource => format!("Send a resource: {who}"),
        FollowUpKind::Custom => format!("Follow up: {who}"),
    };
    let mut lines = Vec::new();
    if let Some(note) = f.note.as_deref().filter(|n| !n.trim().is_empty()) {
        lines.push(note.trim().to_string());
    }
    if let (Some(_), Some(org)) = (&f.contact, &f.organization) {
        lines.push(format!("Organization: {org}"));
    }
    lines.push(format!("Assigned to: {}", f.assigned_to));
    let due = f
        .due_at
        .parse::<Timestamp>()
        .map_err(|_| Error::invalid(format!("follow-up {} has an unreadable due time", f.id)))?;
    Ok(TodoItem {
        uid: format!("followup-{}@trellis", f.id),
        summary,
        due,
        description: Some(lines.join("\n")),
    })
}

/// The first Tuesday 9:00 at or after `now` (local wall time).
pub(super) fn next_block_start(now: DateTime) -> DateTime {
    let (weekday, hour) = NETWORKING_BLOCK_START;
    let today = now.date();
    let mut ahead =
        i64::from(weekday.to_monday_zero_offset() - today.weekday().to_monday_zero_offset())
            .rem_euclid(7);
    if ahead == 0 && now.time() > jiff::civil::time(hour, 0, 0, 0) {
        ahead = 7;
    }
    today
        .checked_add(ahead.days())
        .unwrap_or(today)
        .at(hour, 0, 0, 0)
}

/// Writes the calendar.
pub(super) fn calendar(input: &CalendarInput) -> String {
    let mut cal = build(input, input.time_zone.as_deref());
    if input.time_zone.is_some() && cal.add_missing_timezones() == 0 {
        // calcard knows no rules for this zone: floating time is better than a TZID with no
        // VTIMEZONE.
        cal = build(input, None);
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = cal.write_to(&mut out);
    out
}

fn build(input: &CalendarInput, tz: Option<&str>) -> ICalendar {
    let mut root = ICalendarComponent::new(ICalendarComponentType::VCalendar);
    root.add_property(ICalendarProperty::Version, "2.0");
    root.add_property(
        ICalendarProperty::Prodid,
        "-//Trellis//Trellis referral network//EN",
    );
    let mut children = Vec::new();
    for t in &input.todos {
        let mut todo = ICalendarComponent::new(ICalendarComponentType::VTodo);
        todo.add_uid(&t.uid);
        todo.add_dtstamp(utc(input.now));
        todo.add_property(ICalendarProperty::Summary, t.summary.as_str());
        todo.add_property(ICalendarProperty::Due, utc(t.due));
        if let Some(d) = &t.description {
            todo.add_property(ICalendarProperty::Description, d.as_str());
        }
        todo.add_property(ICalendarProperty::Status, ICalendarStatus::NeedsAction);
        let mut alarm = ICalendarComponent::new(ICalendarComponentType::VAlarm);
        alarm.add_property(ICalendarProperty::Action, ICalendarAction::Display);
        alarm.add_property(ICalendarProperty::Description, t.summary.as_str());
        alarm.add_property_with_params(
            ICalendarProperty::Trigger,
            [ICalendarParameter::value(ICalendarValueType::DateTime)],
            utc(t.due),
        );
        children.push((todo, Some(alarm)));
    }
    if input.minutes_per_week > 0 {
        children.push((networking_block(input, tz), None));
    }
    let mut components = vec![root];
    for (component, alarm) in children {
        let id = components.len();
        components[0].component_ids.push(index(id));
        components.push(component);
        if let Some(alarm) = alarm {
            let alarm_id = components.len();
            components[id].component_ids.push(index(alarm_id));
            components.push(alarm);
        }
    }
    ICalendar { components }
}

fn networking_block(input: &CalendarInput, tz: Option<&str>) -> ICalendarComponent {
    let minutes = input.minutes_per_week;
    let days = minutes
        .div_ceil(MAX_BLOCK_MINUTES)
        .clamp(1, BLOCK_DAYS.len() as u32);
    let per_day = minutes.div_ceil(days);
    let mut event = ICalendarComponent::new(ICalendarComponentType::VEvent);
    event.add_uid(&input.block_uid);
    event.add_dtstamp(utc(input.now));
    event.add_property(ICalendarProperty::Summary, "Networking time");
    event.add_property(
        ICalendarProperty::Description,
        format!(
            "Weekly goal: {minutes} minutes of drop-bys, calls and meetings with referral \
             sources. Log each one in Trellis."
        ),
    );
    let start = local(input.block_start);
    match tz {
        Some(tz) => event.add_property_with_params(
            ICalendarProperty::Dtstart,
            [ICalendarParameter::tzid(tz.to_string())],
            start,
        ),
        None => event.add_property(ICalendarProperty::Dtstart, start),
    }
    event.add_property(
        ICalendarProperty::Duration,
        ICalendarDuration {
            hours: per_day / 60,
            minutes: per_day % 60,
            ..ICalendarDuration::default()
        },
    );
    event.add_property(
        ICalendarProperty::Rrule,
        ICalendarRecurrenceRule {
            freq: ICalendarFrequency::Weekly,
            byday: BLOCK_DAYS[..days as usize]
                .iter()
                .map(|d| ICalendarDay {
                    ordwk: None,
                    weekday: *d,
                })
                .collect(),
            ..ICalendarRecurrenceRule::default()
        },
    );
    event.add_property(ICalendarProperty::Categories, "Networking");
    event
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A UTC date-time (`…Z`).
fn utc(t: Timestamp) -> PartialDateTime {
    let d = t.to_zoned(TimeZone::UTC).datetime();
    PartialDateTime {
        tz_hour: Some(0),
        tz_minute: Some(0),
        ..local(d)
    }
}

/// A local (floating or TZID) date-time.
fn local(d: DateTime) -> PartialDateTime {
    let n = |v: i8| u8::try_from(v).unwrap_or(0);
    PartialDateTime {
        year: u16::try_from(d.year()).ok(),
        month: Some(n(d.month())),
        day: Some(n(d.day())),
        hour: Some(n(d.hour())),
        minute: Some(n(d.minute())),
        second: Some(n(d.second())),
        tz_hour: None,
        tz_minute: None,
        tz_minus: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input(minutes: u32, tz: Option<&str>) -> CalendarInput {
        CalendarInput {
            block_uid: "networking-time-ws@trellis".into(),
            todos: vec![TodoItem {
                uid: "followup-1@trellis".into(),
                summary: "Thank-you note: Rosa Jimenez".into(),
                due: "2026-03-05T14:30:00Z".parse().unwrap(),
                description: Some("Brochures; teen group\nAssigned to: Dana".into()),
            }],
            minutes_per_week: minutes,
            block_start: date(2026, 3, 3).at(9, 0, 0, 0),
            time_zone: tz.map(str::to_string),
            now: "2026-03-02T12:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn todos_have_due_and_an_alarm_at_due_time() {
        let ics = calendar(&input(240, None));
        for line in [
            "BEGIN:VTODO",
            "UID:followup-1@trellis",
            "SUMMARY:Thank-you note: Rosa Jimenez",
            "DUE:20260305T143000Z",
            "DESCRIPTION:Brochures\\; teen group\\nAssigned to: Dana",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER;VALUE=DATE-TIME:20260305T143000Z",
        ] {
            assert!(
                ics.contains(&format!("{line}\r\n")),
                "{line} missing in\n{ics}"
            );
        }
    }

    #[test]
    fn the_weekly_block_is_tuesday_morning_as_long_as_the_goal() {
        let ics = calendar(&input(240, None));
        for line in [
            "DTSTART:20260303T090000",
            "DURATION:PT4H",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
        ] {
            assert!(
                ics.contains(&format!("{line}\r\n")),
                "{line} missing in\n{ics}"
            );
        }
        let ics = calendar(&input(600, None));
        assert!(ics.contains("DURATION:PT3H20M\r\n"), "{ics}");
        assert!(
            ics.contains("RRULE:FREQ=WEEKLY;BYDAY=TU,WE,TH\r\n"),
            "{ics}"
        );
        assert!(!calendar(&input(0, None)).contains("VEVENT"));
    }

    #[test]
    fn a_named_zone_gets_its_vtimezone() {
        let ics = calendar(&input(90, Some("America/New_York")));
        assert!(
            ics.contains("DTSTART;TZID=America/New_York:20260303T090000\r\n"),
            "{ics}"
        );
        assert!(ics.contains("BEGIN:VTIMEZONE\r\n"), "{ics}");
        assert!(ics.contains("DURATION:PT1H30M\r\n"), "{ics}");
    }

    #[test]
    fn the_first_block_is_the_next_tuesday_nine() {
        // Monday → Tuesday; Tuesday 8:00 → today; Tuesday 10:00 → next week.
        let mon = date(2026, 3, 2).at(15, 0, 0, 0);
        assert_eq!(next_block_start(mon), date(2026, 3, 3).at(9, 0, 0, 0));
        let tue_early = date(2026, 3, 3).at(8, 0, 0, 0);
        assert_eq!(next_block_start(tue_early), date(2026, 3, 3).at(9, 0, 0, 0));
        let tue_late = date(2026, 3, 3).at(10, 0, 0, 0);
        assert_eq!(next_block_start(tue_late), date(2026, 3, 10).at(9, 0, 0, 0));
    }
}
