//! Contacts as a spreadsheet: one row per contact under the header
//! `name,organization,role,category,stage,cadence_days,phones,emails,needs,how_we_help,tags`,
//! lists joined with `;`. The csv crate does the quoting both ways.
//!
//! On import the columns may come in any order and in any case (`How we help` reads as
//! `how_we_help`); only `name` is required and unknown columns are ignored, so a spreadsheet kept
//! by hand with extra columns imports as it is. A row with a bad value (an unknown category, a
//! cadence that is not a number, an email without `@`) is reported with its line and imports
//! nothing.

use crate::base::error::{Error, Result};
use crate::model::{Contact, ContactCategory, NewContact, Stage};

use super::import::{Parsed, Record};
use super::Skipped;

/// The columns, in the order export writes them.
pub(super) const HEADER: [&str; 11] = [
    "name",
    "organization",
    "role",
    "category",
    "stage",
    "cadence_days",
    "phones",
    "emails",
    "needs",
    "how_we_help",
    "tags",
];

/// Separates the values of a list column.
const LIST_SEP: char = ';';

/// Reads every row of a contact CSV. No header, or no `name` column, is an error.
pub(super) fn parse(text: &str) -> Result<Vec<Parsed>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::invalid("the CSV file is empty"));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Error::invalid(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let columns: Vec<Option<usize>> = header
        .iter()
        .map(|h| {
            let h = h.trim().to_ascii_lowercase().replace([' ', '-'], "_");
            HEADER.iter().position(|c| *c == h)
        })
        .collect();
    let col = |name: &str| -> Option<usize> {
        let want = HEADER.iter().position(|c| *c == name)?;
        columns.iter().position(|c| *c == Some(want))
    };
    let name_col = col("name").ok_or_else(|| {
        Error::invalid(format!(
            "the CSV has no \"name\" column; its first line must name the columns, e.g. {}",
            HEADER.join(",")
        ))
    })?;
    let cols = Columns {
        name: name_col,
        organization: col("organization"),
        role: col("role"),
        category: col("category"),
        stage: col("stage"),
        cadence_days: col("cadence_days"),
        phones: col("phones"),
        emails: col("emails"),
        needs: col("needs"),
        how_we_help: col("how_we_help"),
        tags: col("tags"),
    };
    let mut out = Vec::new();
    let mut record = ::csv::StringRecord::new();
    loop {
        let line = usize::try_from(reader.position().line()).unwrap_or(usize::MAX);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| line_of(text, p)).unwrap_or(line);
                out.push(row(line, &record, &cols).map_err(|reason| Skipped {
                    line_or_card: line,
                    reason,
                }));
            }
            // A row the csv crate cannot read (e.g. an unclosed quote): report it, go on.
            Err(e) => {
                out.push(Err(Skipped {
                    line_or_card: line,
                    reason: format!("the row cannot be read as CSV: {e}"),
                }));
                if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The line a record starts on. The csv crate places a record right after the one before it,
/// so blank lines it skipped in between are counted here.
fn line_of(text: &str, p: &::csv::Position) -> usize {
    let blank = usize::try_from(p.byte())
        .ok()
        .and_then(|b| text.as_bytes().get(b..))
        .map(|rest| {
            rest.iter()
                .take_while(|c| matches!(c, b'\n' | b'\r'))
                .filter(|c| **c == b'\n')
                .count()
        })
        .unwrap_or(0);
    usize::try_from(p.line())
        .unwrap_or(usize::MAX)
        .saturating_add(blank)
}

/// Where each known column is in the file.
struct Columns {
    name: usize,
    organization: Option<usize>,
    role: Option<usize>,
    category: Option<usize>,
    stage: Option<usize>,
    cadence_days: Option<usize>,
    phones: Option<usize>,
    emails: Option<usize>,
    needs: Option<usize>,
    how_we_help: Option<usize>,
    tags: Option<usize>,
}

fn row(
    line: usize,
    r: &::csv::StringRecord,
    cols: &Columns,
) -> std::result::Result<Record, String> {
    let cell = |i: Option<usize>| -> Option<String> {
        let v = r.get(i?)?.trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let list = |i: Option<usize>| -> Vec<String> {
        cell(i)
            .map(|v| {
                v.split(LIST_SEP)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let name = cell(Some(cols.name)).ok_or("the name is empty")?;
    let category = cell(cols.category)
        .map(|v| ContactCategory::parse(&v))
        .transpose()
        .map_err(|e| e.to_string())?;
    let stage = cell(cols.stage)
        .map(|v| Stage::parse(&v))
        .transpose()
        .map_err(|e| e.to_string())?;
    let cadence_days = cell(cols.cadence_days)
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| format!("cadence_days must be a whole number of days, not \"{v}\""))
        })
        .transpose()?;
    let emails = list(cols.emails);
    if let Some(e) = emails.iter().find(|e| !e.contains('@')) {
        return Err(format!("\"{e}\" is not an email address"));
    }
    Ok(Record {
        at: line,
        contact: NewContact {
            name,
            organization: cell(cols.organization),
            role: cell(cols.role),
            category,
            stage,
            cadence_days,
            phones: list(cols.phones),
            emails,
            needs: cell(cols.needs),
            how_we_help: cell(cols.how_we_help),
            tags: list(cols.tags),
        },
        note: None,
        location: None,
    })
}

/// Writes contacts under [`HEADER`].
pub(super) fn write(contacts: &[Contact]) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let failed = |e: ::csv::Error| Error::invalid(format!("the CSV could not be written: {e}"));
    w.write_record(HEADER).map_err(failed)?;
    let sep = LIST_SEP.to_string();
    for c in contacts {
        let cadence = c.cadence_days.to_string();
        let phones = c.phones.join(&sep);
        let emails = c.emails.join(&sep);
        let tags = c.tags.join(&sep);
        w.write_record([
            c.name.as_str(),
            c.organization.as_deref().unwrap_or(""),
            c.role.as_deref().unwrap_or(""),
            c.category.as_str(),
            c.stage.as_str(),
            cadence.as_str(),
            phones.as_str(),
            emails.as_str(),
            c.needs.as_deref().unwrap_or(""),
            c.how_we_help.as_deref().unwrap_or(""),
            tags.as_str(),
        ])
        .map_err(failed)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::invalid(format!("the CSV could not be written: {e}")))?;
    String::from_utf8(bytes).map_err(|_| Error::invalid("the CSV came out as invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_and_case_unknown_ones_ignored() {
        let rows = parse(
            "Favorite color,EMAILS,Name,How we help\n\
             blue,a@x.org; b@x.org,Ana Ruiz,\"Grief group, Tuesdays\"\n",
        )
        .unwrap();
        let r = rows[0].as_ref().unwrap();
        assert_eq!(r.at, 2);
        assert_eq!(r.contact.name, "Ana Ruiz");
        assert_eq!(r.contact.emails, ["a@x.org", "b@x.org"]);
        assert_eq!(
            r.contact.how_we_help.as_deref(),
            Some("Grief group, Tuesdays")
        );
    }

    #[test]
    fn no_name_column_or_empty_file_is_an_error() {
        assert!(parse("").is_err());
        let err = parse("organization,role\nLincoln,Counselor\n").unwrap_err();
        assert!(err.to_string().contains("\"name\" column"), "{err}");
    }

    #[test]
    fn no_cut_of_a_csv_makes_the_import_panic() {
        let text =
            "name,emails,tags\n\"Ruiz, Ana\",a@x.org;b@x.org,\"yoga; \"\"teens\"\"\"\n\nB,,\r\n";
        for (i, _) in text.char_indices() {
            let _ = parse(&text[..i]);
            let _ = parse(&text[i..]);
        }
    }

    #[test]
    fn bad_rows_carry_their_line() {
        let rows =
            parse("name,category,cadence_days\nA,yoga,30\nB,astrologer,\n\nC,,soon\n,,\n").unwrap();
        assert!(rows[0].is_ok());
        let lines: Vec<usize> = rows
            .iter()
            .filter_map(|r| r.as_ref().err().map(|s| s.line_or_card))
            .collect();
        assert_eq!(lines, [3, 5, 6]);
        assert!(rows[1].as_ref().unwrap_err().reason.contains("astrologer"));
    }
}
