//! Checks on what a person typed, before any of it is written: lengths, names, locations,
//! cadences. Every user action runs them first, so a refused input changes nothing.

use crate::base::error::{Error, Result};

/// Longest free text accepted in one field (a note, needs), in bytes.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;
/// Longest name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 300;

/// Trims `s` and refuses it if empty.
pub(crate) fn non_empty(s: &str, what: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(Error::invalid(format!("the {what} must not be empty")))
    } else {
        Ok(t.to_string())
    }
}

pub(crate) fn check_len(s: &str, max: usize, what: &str) -> Result<()> {
    if s.len() > max {
        Err(Error::invalid(format!(
            "the {what} is too long ({} bytes; at most {max})",
            s.len()
        )))
    } else {
        Ok(())
    }
}

pub(crate) fn check_location(lat: f64, lon: f64) -> Result<()> {
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        Ok(())
    } else {
        Err(Error::invalid(
            "a location needs a latitude from -90 to 90 and a longitude from -180 to 180",
        ))
    }
}

pub(crate) fn check_cadence(days: u32) -> Result<()> {
    if (1..=3650).contains(&days) {
        Ok(())
    } else {
        Err(Error::invalid("a cadence is from 1 to 3650 days"))
    }
}

/// Trims each entry, drops empty ones and checks lengths.
pub(crate) fn text_list(values: &[String], what: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for v in values {
        if let Some(t) = optional_text(Some(v), what)? {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

pub(crate) fn checked_name(s: &str) -> Result<String> {
    let name = non_empty(s, "name")?;
    check_len(&name, MAX_NAME_BYTES, "name")?;
    Ok(name)
}

pub(crate) fn optional_text(s: Option<&str>, what: &str) -> Result<Option<String>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => {
            check_len(t, MAX_TEXT_BYTES, what)?;
            Ok(Some(t.to_string()))
        }
        None => Ok(None),
    }
}
