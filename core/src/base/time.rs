//! Time as the core stores and shows it: milliseconds since the epoch inside documents and the
//! index (they sort and compare), RFC 3339 in UTC at second precision everywhere a person or a
//! JSON consumer reads it.

use jiff::{tz::TimeZone, Timestamp};

use crate::base::error::{Error, Result};

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Now, as RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    format_ms(now_ms())
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC at second precision.
pub fn format_ms(ms: i64) -> String {
    Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "invalid-time".into())
}

/// Parses an RFC 3339 timestamp with an offset (e.g. `2026-11-20T09:30:00-05:00`).
pub fn parse_rfc3339(s: &str) -> Result<i64> {
    s.trim()
        .parse::<Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            Error::invalid(format!(
                "\"{s}\" is not an RFC 3339 time; write it like 2026-11-20T09:30:00-05:00"
            ))
        })
}

/// Parses a due time: RFC 3339, or a day `YYYY-MM-DD` meaning 9:00 that morning in the
/// device's time zone.
pub fn parse_due(s: &str) -> Result<i64> {
    if let Ok(ms) = parse_rfc3339(s) {
        return Ok(ms);
    }
    let day = parse_day(s).map_err(|_| {
        Error::invalid(format!(
            "\"{s}\" is neither a day (2026-12-01) nor an RFC 3339 time"
        ))
    })?;
    day.at(9, 0, 0, 0)
        .to_zoned(TimeZone::system())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| Error::invalid(format!("\"{s}\" is not a time that exists here")))
}

/// Parses a day `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<jiff::civil::Date> {
    s.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| Error::invalid(format!("\"{s}\" is not a day; write it like 2026-12-01")))
}

/// The day (`YYYY-MM-DD`) of a time in the device's time zone.
pub fn day_of(ms: i64) -> jiff::civil::Date {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::system())
        .date()
}

/// Milliseconds at the start of a day in the device's time zone.
pub fn start_of_day(day: jiff::civil::Date) -> i64 {
    day.to_zoned(TimeZone::system())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The UTC month (`YYYY-MM`) of a time, which picks the logbook document.
pub fn month_of(ms: i64) -> String {
    let t = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let d = t.to_zoned(TimeZone::UTC).date();
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_offsets_and_print_in_utc() {
        let ms = parse_rfc3339("2026-11-30T21:30:00-05:00").unwrap();
        assert_eq!(format_ms(ms), "2026-12-01T02:30:00Z");
        assert_eq!(month_of(ms), "2026-12");
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(parse_rfc3339("2026-11-30").is_err());
        assert!(parse_due("2026-11-30").is_ok());
        assert!(parse_due("someday").is_err());
        assert_eq!(parse_day("2026-02-28").unwrap().day(), 28);
        assert!(parse_day("2026-02-30").is_err());
    }
}
