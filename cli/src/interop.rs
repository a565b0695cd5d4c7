//! `trellis import vcard|csv FILE` and `trellis export vcard|csv|ics [-o FILE]`.
//!
//! Imports read the file as address-book exports come (UTF-8, UTF-16 with a byte-order mark, or
//! Latin-1), show progress on stderr while they run (not with `--json`, whose stdout stays one
//! JSON report), and end with a summary. Exports go to stdout, or with `-o` to a file written
//! atomically: a temporary file beside it, renamed over it once complete, so an interrupted
//! export never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use trellis_core::interop::{ImportReport, Progress, PROGRESS_EVERY};
use trellis_core::{Error, Store};

/// `trellis import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Contacts from a vCard file (Google Contacts, Apple Contacts, Outlook; vCard 2.1, 3.0,
    /// 4.0). Contacts you already have (same email, phone or name) are skipped
    Vcard {
        /// The .vcf file
        file: PathBuf,
    },
    /// Contacts from a CSV file whose first line names the columns, in any order: name
    /// (required), organization, role, category, stage, cadence_days, phones, emails, needs,
    /// how_we_help, tags (lists separated by ;). A bad row is reported and the rest imported
    Csv {
        /// The .csv file
        file: PathBuf,
    },
}

/// `trellis export ...`
#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Contacts as vCard 4.0 (for a phone or another address book)
    Vcard(ExportTo),
    /// Contacts as CSV (for a spreadsheet)
    Csv(ExportTo),
    /// Open follow-ups (to-dos with a reminder) and your weekly networking time as an
    /// iCalendar file (for a calendar app)
    Ics(ExportTo),
}

/// Where an export goes.
#[derive(Debug, Args)]
pub struct ExportTo {
    /// Write to this file instead of stdout (replaced atomically)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `trellis import ...`: progress on stderr (unless `json`), then the report.
pub fn import(store: &Store, json: bool, cmd: ImportCmd) -> Result<(), Error> {
    let (file, what) = match &cmd {
        ImportCmd::Vcard { file } => (file, "card"),
        ImportCmd::Csv { file } => (file, "line"),
    };
    let bytes = std::fs::read(file)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", file.display())))?;
    let text = trellis_core::interop::text_from_bytes(&bytes);
    let mut progress = |p: Progress| {
        // Only a long import is worth narrating; stdout stays clean for --json.
        if !json && p.total > PROGRESS_EVERY {
            eprintln!("imported {}/{}", p.done, p.total);
        }
    };
    let report = match cmd {
        ImportCmd::Vcard { .. } => store.import_vcard(&text, &mut progress)?,
        ImportCmd::Csv { .. } => store.import_csv(&text, &mut progress)?,
    };
    if json {
        print_json(&report);
    } else {
        print_summary(&report, what);
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn print_summary(r: &ImportReport, what: &str) {
    let mut line = format!("Imported {}", plural(r.added, "contact", "contacts"));
    if r.organizations_added > 0 {
        line.push_str(&format!(
            " and {}",
            plural(
                r.organizations_added,
                "new organization",
                "new organizations"
            )
        ));
    }
    if r.duplicates > 0 {
        line.push_str(&format!(
            "; {} you already have skipped",
            plural(r.duplicates, "duplicate", "duplicates")
        ));
    }
    println!("{line}.");
    if !r.skipped.is_empty() {
        println!(
            "{} not imported:",
            plural(r.skipped.len(), "record was", "records were")
        );
        for s in &r.skipped {
            println!("  {what} {}: {}", s.line_or_card, s.reason);
        }
    }
}

/// Runs `trellis export ...`: the file on stdout, or written to `-o FILE` (then a line saying
/// so, or `{"file", "bytes"}` with `json`).
pub fn export(store: &Store, json: bool, cmd: ExportCmd) -> Result<(), Error> {
    let (text, to) = match cmd {
        ExportCmd::Vcard(to) => (store.export_vcard()?, to),
        ExportCmd::Csv(to) => (store.export_csv()?, to),
        ExportCmd::Ics(to) => (store.export_ics()?, to),
    };
    match to.output {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Error::invalid(format!("cannot write to stdout: {e}")))?;
        }
        Some(path) => {
            write_atomically(&path, text.as_bytes())?;
            if json {
                print_json(&json!({ "file": path, "bytes": text.len() }));
            } else {
                println!("Wrote {}.", path.display());
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary file in `path`'s directory, flushes it to disk and renames it
/// over `path`: readers see the old file or the whole new one, never a part.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let failed =
        |e: std::io::Error| Error::invalid(format!("cannot write {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::invalid(format!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    tmp.write_all(bytes).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}
