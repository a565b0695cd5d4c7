//! How a name or id prefix typed by a person resolves to one organization or contact, or to
//! a clear error with candidates.

use rusqlite::{params, Connection, OptionalExtension};

use crate::base::error::{Error, Result};
use crate::model::{Contact, Organization};
use crate::storage::workspace::Ws;

use super::rows::{contact_by_id, not_found, org_by_id};

/// Resolves an organization by exact name, name prefix or id prefix.
pub(crate) fn resolve_org(c: &Connection, ws: &Ws, query: &str) -> Result<Organization> {
    let id = resolve_org_id(c, ws, query)?;
    org_by_id(c, ws, &id)
}

/// Resolves a contact by exact name, name prefix or id prefix.
pub(crate) fn resolve_contact(c: &Connection, ws: &Ws, query: &str) -> Result<Contact> {
    let id = resolve_contact_id(c, ws, query)?;
    contact_by_id(c, ws, &id)
}

/// The id of the organization `query` names (see [`resolve_org`]).
pub(crate) fn resolve_org_id(c: &Connection, ws: &Ws, query: &str) -> Result<String> {
    resolve(c, ws, "organization", "orgs", query)
}

/// The id of the contact `query` names (see [`resolve_contact`]).
pub(crate) fn resolve_contact_id(c: &Connection, ws: &Ws, query: &str) -> Result<String> {
    resolve(c, ws, "contact", "contacts", query)
}

/// The row a whole id or a whole name (the only one with it) names, found by index; `None`
/// when the slower reading of every name must decide.
fn resolve_fast(c: &Connection, ws: &Ws, table: &str, q: &str) -> Result<Option<String>> {
    let ws_hex = ws.id.to_hex();
    if q.len() == 32 && q.chars().all(|ch| ch.is_ascii_hexdigit()) {
        let sql = format!("SELECT id FROM {table} WHERE ws = ?1 AND id = ?2");
        let found: Option<String> = c
            .prepare_cached(&sql)?
            .query_row(params![ws_hex, q], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let sql =
        format!("SELECT id, name FROM {table} WHERE ws = ?1 AND name = ?2 COLLATE NOCASE LIMIT 2");
    let mut st = c.prepare_cached(&sql)?;
    let rows: Vec<(String, String)> = st
        .query_map(params![ws_hex, q], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(match rows.as_slice() {
        [(id, name)] if name.to_lowercase() == q => Some(id.clone()),
        _ => None,
    })
}

/// The one row of `table` that `query` names: an exact (case-insensitive) name wins, then a
/// unique prefix of the name or of a word in it, or an id prefix (4+ hex digits). Otherwise a
/// clear error with candidates.
fn resolve(
    c: &Connection,
    ws: &Ws,
    what: &'static str,
    table: &str,
    query: &str,
) -> Result<String> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Err(Error::invalid(format!("the {what} name must not be empty")));
    }
    // What apps send (a whole id) and what people type most (a whole name) are answered by an
    // index; anything else reads the names.
    if let Some(id) = resolve_fast(c, ws, table, &q)? {
        return Ok(id);
    }
    let mut st = c.prepare(&format!(
        "SELECT id, name FROM {table} WHERE ws = ?1 ORDER BY name COLLATE NOCASE, id"
    ))?;
    let all: Vec<(String, String)> = st
        .query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let label = |(id, name): &(String, String)| format!("{name} ({})", &id[..8.min(id.len())]);
    let exact: Vec<_> = all.iter().filter(|(_, n)| n.to_lowercase() == q).collect();
    if let [one] = exact.as_slice() {
        return Ok(one.0.clone());
    }
    let by_id = q.len() >= 4 && q.chars().all(|ch| ch.is_ascii_hexdigit());
    let matches: Vec<_> = if exact.len() > 1 {
        exact
    } else {
        all.iter()
            .filter(|(id, n)| {
                let n = n.to_lowercase();
                // The start of the name or of any word in it: "Patel" finds "Dr. Amir Patel".
                n.starts_with(&q)
                    || n.contains(&format!(" {q}"))
                    || words_match(&n, &q)
                    || (by_id && id.starts_with(&q))
            })
            .collect()
    };
    match matches.as_slice() {
        [one] => Ok(one.0.clone()),
        [] => {
            let near: Vec<String> = all
                .iter()
                .filter(|(_, n)| {
                    let n = n.to_lowercase();
                    q.split_whitespace().any(|w| n.contains(w))
                })
                .take(5)
                .map(label)
                .collect();
            Err(not_found(what, query, near))
        }
        many => Err(Error::Ambiguous {
            what,
            query: query.into(),
            candidates: many.iter().map(|m| label(m)).collect(),
        }),
    }
}

/// Whether every word typed starts some word of the name: "dr patel" finds "Dr. Amir Patel".
fn words_match(name: &str, query: &str) -> bool {
    let words: Vec<&str> = name
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut typed = query
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    typed.peek().is_some() && typed.all(|t| words.iter().any(|w| w.starts_with(t)))
}

#[cfg(test)]
mod tests {
    use super::words_match;

    #[test]
    fn typed_words_match_the_starts_of_name_words() {
        assert!(words_match("dr. amir patel", "dr patel"));
        assert!(words_match("dr. amir patel", "ami"));
        assert!(!words_match("dr. amir patel", "dr smith"));
        assert!(!words_match("dr. amir patel", "  "));
    }
}
