//! vCard in (2.1, 3.0 and 4.0, as Google Contacts, Apple Contacts and Outlook export them) and
//! vCard 4.0 out. calcard does the parsing and writing; this file maps cards to Trellis records
//! and back, and fixes what the exporters and the parser leave behind:
//!
//! - Outlook's quoted-printable values without a CHARSET are read as UTF-8 when the bytes are
//!   valid UTF-8 (calcard assumes Latin-1), else as Latin-1; a bare `QUOTED-PRINTABLE` parameter
//!   is read as `ENCODING=QUOTED-PRINTABLE`.
//! - CRLF inside values (quoted-printable `=0D=0A`) becomes LF.
//! - Apple's `itemN.X-ABLabel` is linked to the `itemN.TEL`/`itemN.EMAIL` it labels by group: a
//!   number labelled as a fax is left out like one typed `FAX`.
//! - Preferred phones and emails (`PREF`, `TYPE=pref`) come first.
//! - Google's system group `myContacts` is not a tag.
//! - Photos, addresses, birthdays and the rest are not Trellis fields and are skipped.

use std::collections::HashMap;

use calcard::vcard::{
    VCard, VCardEntry, VCardParameterName, VCardParameterValue, VCardProperty, VCardType,
    VCardValue, VCardVersion,
};
use calcard::{Entry, Parser};

use crate::base::error::{Error, Result};
use crate::model::{Contact, ContactCategory, NewContact, NoteEntry, Organization, Stage};

use super::import::{Parsed, Record};
use super::Skipped;

/// The Trellis-only properties.
const X_CATEGORY: &str = "X-TRELLIS-CATEGORY";
const X_STAGE: &str = "X-TRELLIS-STAGE";
const X_CADENCE: &str = "X-TRELLIS-CADENCE";
const X_NEEDS: &str = "X-TRELLIS-NEEDS";
const X_HOW_WE_HELP: &str = "X-TRELLIS-HOW-WE-HELP";
const X_AB_LABEL: &str = "X-ABLABEL";

/// Google Contacts puts every contact in this system group; it says nothing about the contact.
const GOOGLE_ALL_CONTACTS: &str = "mycontacts";

/// Reads every card of a vCard file. A file with no card in it is an error; a card that cannot
/// be imported is a [`Skipped`] in the list.
pub(super) fn parse(text: &str) -> Result<Vec<Parsed>> {
    if text.trim().is_empty() {
        return Err(Error::invalid("the vCard file is empty"));
    }
    let text = fix_quoted_printable(text);
    let mut parser = Parser::new(&text);
    let mut out = Vec::new();
    let mut calendar = false;
    // Every entry consumes input, so there are never more entries than bytes; the bound only
    // guards against a parser bug turning into an endless loop.
    for _ in 0..=text.len() {
        match parser.entry() {
            Entry::VCard(card) => {
                let at = out.len() + 1;
                out.push(record(at, &card));
            }
            Entry::ICalendar(_) => calendar = true,
            Entry::Eof => break,
            // Stray lines between cards, unbalanced calendar components: not contacts.
            _ => {}
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(if calendar {
            "this is an iCalendar file, not a vCard file of contacts"
        } else {
            "no vCard found: a vCard file holds contacts between BEGIN:VCARD and END:VCARD lines"
        }));
    }
    Ok(out)
}

/// Rewrites the parameters of quoted-printable lines so that calcard decodes them as vCard 2.1
/// writers meant: a bare `QUOTED-PRINTABLE` becomes `ENCODING=QUOTED-PRINTABLE`, and a line with
/// no CHARSET gets `CHARSET=UTF-8`, which makes calcard keep valid UTF-8 as text and hand back
/// anything else as bytes ([`text_of`] reads those as Latin-1). Only the parameter part of a
/// property line is touched (never a folded or soft-broken continuation, never a value).
fn fix_quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut continues_qp = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        // A folded line or the rest of a soft-broken quoted-printable value has no parameters.
        let continuation = continues_qp || line.starts_with([' ', '\t']);
        let header = body
            .split_once(':')
            .map(|(h, _)| h)
            .filter(|_| !continuation);
        let qp = header.is_some_and(|h| h.to_ascii_uppercase().contains("QUOTED-PRINTABLE"));
        continues_qp = (qp || continues_qp) && body.ends_with('=');
        match header.filter(|_| qp) {
            Some(h) => {
                let rest = &line[h.len()..];
                let mut params: Vec<String> = h.split(';').map(str::to_string).collect();
                for p in params.iter_mut().skip(1) {
                    if p.eq_ignore_ascii_case("QUOTED-PRINTABLE") {
                        *p = "ENCODING=QUOTED-PRINTABLE".into();
                    }
                }
                if !params
                    .iter()
                    .skip(1)
                    .any(|p| p.to_ascii_uppercase().starts_with("CHARSET="))
                {
                    params.push("CHARSET=UTF-8".into());
                }
                out.push_str(&params.join(";"));
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The text of an entry's values, one string per value (a structured value's parts are joined
/// with commas, as they were written). Bytes left undecoded are read as Latin-1; line breaks are
/// LF.
fn text_of(entry: &VCardEntry) -> Vec<String> {
    entry
        .values
        .iter()
        .filter_map(|v| match v {
            VCardValue::Text(s) => Some(s.clone()),
            VCardValue::Component(parts) => Some(parts.join(",")),
            VCardValue::Binary(data) => Some(data.data.iter().map(|&b| char::from(b)).collect()),
            VCardValue::Integer(i) => Some(i.to_string()),
            VCardValue::Float(f) => Some(f.to_string()),
            _ => None,
        })
        .map(|s| s.replace("\r\n", "\n").replace('\r', "\n"))
        .collect()
}

/// The entry's values as one trimmed text, or `None` when empty.
fn one_text(entry: &VCardEntry, sep: &str) -> Option<String> {
    let t = text_of(entry).join(sep);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn is_other(entry: &VCardEntry, name: &str) -> bool {
    matches!(&entry.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case(name))
}

/// Whether the entry has a TYPE (or, in 2.1, a bare parameter) of this name.
fn has_type(entry: &VCardEntry, typ: &VCardType, name: &str) -> bool {
    entry.params.iter().any(|p| match (&p.name, &p.value) {
        (VCardParameterName::Type, VCardParameterValue::Type(t)) => t == typ,
        (VCardParameterName::Type, VCardParameterValue::Text(t)) => t.eq_ignore_ascii_case(name),
        (VCardParameterName::Other(n), VCardParameterValue::Null) => n.eq_ignore_ascii_case(name),
        _ => false,
    })
}

fn is_preferred(entry: &VCardEntry) -> bool {
    entry.params.iter().any(|p| match (&p.name, &p.value) {
        (VCardParameterName::Pref, _) => true,
        (VCardParameterName::Type, VCardParameterValue::Text(t)) => t.eq_ignore_ascii_case("pref"),
        _ => false,
    })
}

/// Maps one card to a record, or says why it cannot be imported.
fn record(at: usize, card: &VCard) -> Parsed {
    let skip = |reason: String| Skipped {
        line_or_card: at,
        reason,
    };
    let labels: HashMap<String, String> = card
        .entries
        .iter()
        .filter(|e| is_other(e, X_AB_LABEL))
        .filter_map(|e| Some((e.group.as_ref()?.to_ascii_lowercase(), one_text(e, " ")?)))
        .collect();
    let label_of =
        |e: &VCardEntry| -> Option<&String> { labels.get(&e.group.as_ref()?.to_ascii_lowercase()) };

    let mut fn_name = None;
    let mut n_name = None;
    let mut c = NewContact::default();
    let mut phones: Vec<(bool, String)> = Vec::new();
    let mut emails: Vec<(bool, String)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut location = None;
    for e in &card.entries {
        match &e.name {
            VCardProperty::Fn => fn_name = fn_name.or_else(|| one_text(e, " ")),
            VCardProperty::N => n_name = n_name.or_else(|| name_from_n(&text_of(e))),
            VCardProperty::Org => {
                let first = text_of(e).into_iter().next().unwrap_or_default();
                if c.organization.is_none() && !first.trim().is_empty() {
                    c.organization = Some(first.trim().to_string());
                }
            }
            VCardProperty::Title => c.role = c.role.take().or_else(|| one_text(e, " ")),
            VCardProperty::Role if c.role.is_none() => c.role = one_text(e, " "),
            VCardProperty::Tel => {
                let fax = has_type(e, &VCardType::Fax, "fax")
                    || label_of(e).is_some_and(|l| l.to_lowercase().contains("fax"));
                if let Some(v) = one_text(e, " ").filter(|_| !fax) {
                    let v = strip_scheme(&v, "tel:");
                    phones.push((is_preferred(e), v));
                }
            }
            VCardProperty::Email => {
                if let Some(v) = one_text(e, " ") {
                    let v = strip_scheme(&v, "mailto:");
                    // Address books hold odd things in email fields; only addresses are kept.
                    if v.contains('@') {
                        emails.push((is_preferred(e), v));
                    }
                }
            }
            VCardProperty::Note => notes.extend(one_text(e, " ")),
            VCardProperty::Categories => {
                // calcard splits the list at unescaped commas; `\,` stays in a tag.
                for tag in text_of(e) {
                    let tag = tag.trim();
                    if !tag.is_empty()
                        && !tag.eq_ignore_ascii_case(GOOGLE_ALL_CONTACTS)
                        && !c.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
                    {
                        c.tags.push(tag.to_string());
                    }
                }
            }
            VCardProperty::Geo => location = one_text(e, ";").and_then(|g| parse_geo(&g)),
            VCardProperty::Other(_) if is_other(e, X_CATEGORY) => {
                if let Some(v) = one_text(e, " ") {
                    match ContactCategory::parse(&v) {
                        Ok(cat) => c.category = Some(cat),
                        Err(err) => return Err(skip(err.to_string())),
                    }
                }
            }
            VCardProperty::Other(_) if is_other(e, X_STAGE) => {
                if let Some(v) = one_text(e, " ") {
                    match Stage::parse(&v) {
                        Ok(s) => c.stage = Some(s),
                        Err(err) => return Err(skip(err.to_string())),
                    }
                }
            }
            VCardProperty::Other(_) if is_other(e, X_CADENCE) => {
                if let Some(v) = one_text(e, " ") {
                    match v.parse::<u32>() {
                        Ok(days) => c.cadence_days = Some(days),
                        Err(_) => {
                            return Err(skip(format!(
                                "{X_CADENCE} must be a whole number of days, not \"{v}\""
                            )))
                        }
                    }
                }
            }
            VCardProperty::Other(_) if is_other(e, X_NEEDS) => c.needs = one_text(e, ","),
            VCardProperty::Other(_) if is_other(e, X_HOW_WE_HELP) => {
                c.how_we_help = one_text(e, ",")
            }
            _ => {}
        }
    }
    c.name = match fn_name.or(n_name) {
        Some(name) => name,
        None => return Err(skip("the card has no name (FN or N)".into())),
    };
    c.phones = preferred_first(phones);
    c.emails = preferred_first(emails);
    Ok(Record {
        at,
        contact: c,
        note: (!notes.is_empty()).then(|| notes.join("\n\n")),
        location,
    })
}

/// `N` is family;given;additional;prefix;suffix; a person writes prefix given additional family
/// suffix.
fn name_from_n(parts: &[String]) -> Option<String> {
    let part = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
    let name = [part(3), part(1), part(2), part(0), part(4)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

fn strip_scheme(v: &str, scheme: &str) -> String {
    match v.get(..scheme.len()) {
        Some(head) if head.eq_ignore_ascii_case(scheme) => v[scheme.len()..].trim().to_string(),
        _ => v.to_string(),
    }
}

fn preferred_first(mut values: Vec<(bool, String)>) -> Vec<String> {
    values.sort_by_key(|(pref, _)| !pref);
    let mut out: Vec<String> = Vec::new();
    for (_, v) in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// `geo:42.36,-71.06` (4.0) or `42.36;-71.06` (3.0).
fn parse_geo(g: &str) -> Option<(f64, f64)> {
    let g = strip_scheme(g.trim(), "geo:");
    let mut parts = g.split([',', ';']).map(str::trim);
    let lat = parts.next()?.parse::<f64>().ok()?;
    let lon = parts
        .next()?
        .split(['?', ';'])
        .next()?
        .trim()
        .parse::<f64>()
        .ok()?;
    (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
}

/// Writes contacts as vCard 4.0 (CRLF line ends, folded at 75 octets by calcard).
pub(super) fn write(
    contacts: &[Contact],
    orgs: &[Organization],
    notes: &HashMap<String, Vec<NoteEntry>>,
) -> String {
    let orgs: HashMap<&str, &Organization> = orgs.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut out = String::new();
    for c in contacts {
        let org = c.organization_id.as_deref().and_then(|id| orgs.get(id));
        let card = card(
            c,
            org.copied(),
            notes.get(&c.id).map(Vec::as_slice).unwrap_or(&[]),
        );
        // Writing to a String cannot fail.
        let _ = card.write_to(&mut out, VCardVersion::V4_0);
    }
    out
}

fn text(prop: VCardProperty, value: &str) -> VCardEntry {
    VCardEntry::new(prop).with_value(lf(value))
}

fn x(name: &str, value: &str) -> VCardEntry {
    text(VCardProperty::Other(name.into()), value)
}

/// Text as written out: LF line breaks only (calcard escapes them as `\n`).
fn lf(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\r', "\n")
}

fn card(c: &Contact, org: Option<&Organization>, notes: &[NoteEntry]) -> VCard {
    let mut e = vec![
        VCardEntry::new(VCardProperty::Uid).with_value(uid(&c.id)),
        text(VCardProperty::Fn, &c.name),
        VCardEntry::new(VCardProperty::N)
            .with_values(n_parts(&c.name).into_iter().map(VCardValue::Text).collect()),
    ];
    if let Some(o) = &c.organization {
        e.push(text(VCardProperty::Org, o));
    }
    if let Some(r) = &c.role {
        e.push(text(VCardProperty::Title, r));
    }
    e.extend(c.phones.iter().map(|p| text(VCardProperty::Tel, p)));
    e.extend(c.emails.iter().map(|m| text(VCardProperty::Email, m)));
    if !c.tags.is_empty() {
        e.push(
            VCardEntry::new(VCardProperty::Categories)
                .with_values(c.tags.iter().map(|t| VCardValue::Text(lf(t))).collect()),
        );
    }
    if !notes.is_empty() {
        let joined = notes
            .iter()
            .map(|n| {
                format!(
                    "{} ({}): {}",
                    n.at.get(..10).unwrap_or(&n.at),
                    n.author,
                    n.text
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        e.push(text(VCardProperty::Note, &joined));
    }
    if let Some((lat, lon)) = org.and_then(|o| Some((o.lat?, o.lon?))) {
        e.push(VCardEntry::new(VCardProperty::Geo).with_value(format!("geo:{lat},{lon}")));
    }
    e.push(x(X_CATEGORY, c.category.as_str()));
    e.push(x(X_STAGE, c.stage.as_str()));
    e.push(x(X_CADENCE, &c.cadence_days.to_string()));
    if let Some(n) = &c.needs {
        e.push(x(X_NEEDS, n));
    }
    if let Some(h) = &c.how_we_help {
        e.push(x(X_HOW_WE_HELP, h));
    }
    VCard { entries: e }
}

/// The contact's id (32 hex digits) as a `urn:uuid:` URI.
fn uid(id: &str) -> String {
    if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        )
    } else {
        id.to_string()
    }
}

/// The five parts of `N` from a display name: the last word is the family name, the rest the
/// given names.
fn n_parts(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let (family, given) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => (last.to_string(), rest.join(" ")),
        _ => (String::new(), name.trim().to_string()),
    };
    vec![family, given, String::new(), String::new(), String::new()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Record {
        let mut records = parse(text).unwrap();
        assert_eq!(records.len(), 1);
        records.remove(0).unwrap()
    }

    #[test]
    fn quoted_printable_without_charset_is_utf8_when_valid_else_latin1() {
        let r = one("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:A\r\n\
             NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=0D=0Ateen =E2=80=94 anxiety\r\n\
             TITLE;QUOTED-PRINTABLE:Direct=\r\nor =E9cole\r\nEND:VCARD\r\n");
        assert_eq!(r.note.as_deref(), Some("café\nteen — anxiety"));
        assert_eq!(r.contact.role.as_deref(), Some("Director école"));
    }

    #[test]
    fn declared_charsets_are_left_to_the_parser() {
        let fixed = fix_quoted_printable(
            "FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:In=E9s\r\nNOTE:a=b:c\r\n",
        );
        assert_eq!(
            fixed,
            "FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:In=E9s\r\nNOTE:a=b:c\r\n"
        );
    }

    #[test]
    fn names_come_from_fn_else_from_n() {
        let r = one("BEGIN:VCARD\nVERSION:3.0\nN:Okafor;Daniel;;Dr.;\nEND:VCARD\n");
        assert_eq!(r.contact.name, "Dr. Daniel Okafor");
        let err = parse("BEGIN:VCARD\nVERSION:3.0\nORG:Acme\nEND:VCARD\n").unwrap();
        assert!(err[0].as_ref().is_err_and(|s| s.reason.contains("no name")));
    }

    #[test]
    fn not_a_vcard_is_an_error() {
        for bad in ["", "  \n", "hello\nworld\n", "name,email\nA,a@b.c\n"] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err}");
        }
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(parse(ics).unwrap_err().to_string().contains("iCalendar"));
    }

    #[test]
    fn no_cut_or_mangled_file_makes_the_import_panic() {
        let fixtures = [
            include_str!("../../../tests/fixtures/google.vcf"),
            include_str!("../../../tests/fixtures/apple.vcf"),
            include_str!("../../../tests/fixtures/outlook.vcf"),
        ];
        for text in fixtures {
            for (i, _) in text.char_indices() {
                let _ = parse(&text[..i]);
                let _ = parse(&text[i..]);
            }
            let _ = parse(&text.replace(':', ";"));
            let _ = parse(&text.replace('=', "=\r\n"));
            let _ = parse(&text.replace("\r\n", "\r\n "));
        }
    }

    #[test]
    fn geo_in_both_forms() {
        assert_eq!(parse_geo("geo:42.5,-71.25"), Some((42.5, -71.25)));
        assert_eq!(parse_geo("42.5;-71.25"), Some((42.5, -71.25)));
        assert_eq!(parse_geo("geo:north"), None);
    }

    #[test]
    fn n_has_five_parts_and_uid_is_a_urn() {
        assert_eq!(n_parts("Rosa Jimenez"), ["Jimenez", "Rosa", "", "", ""]);
        assert_eq!(n_parts("Cher"), ["", "Cher", "", "", ""]);
        assert_eq!(
            uid("0123456789abcdef0123456789abcdef"),
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef"
        );
    }
}
