//! Printing: JSON with `--json`, aligned tables otherwise.

use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// Print JSON.
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or calls `human` to print it for a person.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce(&T)) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("error: could not write JSON: {e}"),
            }
        } else {
            human(value);
        }
    }
}

/// Prints rows under a header, columns padded to their widest cell; `empty` when no rows.
pub fn table(header: &[&str], rows: &[Vec<String>], empty: &str) {
    if rows.is_empty() {
        println!("{empty}");
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// An optional cell.
pub fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

/// The date part of an RFC 3339 time.
pub fn day(s: &Option<String>) -> String {
    s.as_deref()
        .map(|t| t.get(..10).unwrap_or(t).to_string())
        .unwrap_or_else(|| "never".into())
}

/// The first characters of an id, enough to type back.
pub fn short(id: &str) -> String {
    id.get(..8).unwrap_or(id).to_string()
}
