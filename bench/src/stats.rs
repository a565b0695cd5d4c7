//! Percentiles, memory read from `/proc`, and markdown tables.

use std::time::Duration;

/// Order statistics of a set of samples (in the samples' unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Summary {
    /// Summarizes samples (any order). NaN everywhere when there are none.
    pub fn of(samples: &[f64]) -> Summary {
        let mut s: Vec<f64> = samples.iter().copied().filter(|v| !v.is_nan()).collect();
        s.sort_by(f64::total_cmp);
        Summary {
            n: s.len(),
            min: s.first().copied().unwrap_or(f64::NAN),
            p50: quantile(&s, 0.50),
            p95: quantile(&s, 0.95),
            p99: quantile(&s, 0.99),
            max: s.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// Summarizes durations in milliseconds.
    pub fn of_durations_ms(samples: &[Duration]) -> Summary {
        let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        Summary::of(&ms)
    }

    /// `median (min–max)`, with `digits` decimals.
    pub fn median_range(&self, digits: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.p50,
            self.min,
            self.max,
            d = digits
        )
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM` is peak resident memory, `VmRSS` current).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// This process's peak resident memory in MiB.
pub fn self_peak_rss_mib() -> f64 {
    proc_status_kib(std::process::id(), "VmHWM").unwrap_or(0) as f64 / 1024.0
}

/// A markdown table, built row by row and printed with aligned columns.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are left empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as markdown.
    pub fn render(&self) -> String {
        let cols = self.header.len();
        let width = |i: usize| {
            std::iter::once(&self.header)
                .chain(self.rows.iter())
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(3)
        };
        let widths: Vec<usize> = (0..cols).map(width).collect();
        let line = |cells: &Vec<String>| {
            let mut s = String::from("|");
            for (i, w) in widths.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                s.push_str(&format!(" {c:<w$} |"));
            }
            s
        };
        let mut out = line(&self.header);
        out.push('\n');
        out.push('|');
        for w in &widths {
            out.push_str(&format!(" {} |", "-".repeat(*w)));
        }
        for r in &self.rows {
            out.push('\n');
            out.push_str(&line(r));
        }
        out.push('\n');
        out
    }
}

/// Bytes as `1.23 MB` / `4.5 KB` / `312 B` (decimal units, as the goals are written).
pub fn bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2} MB", n as f64 / 1e6)
    } else if n >= 1_000 {
        format!("{:.1} KB", n as f64 / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_hundred_samples_are_their_ranks() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.n, s.min, s.max), (100, 1.0, 100.0));
        assert_eq!((s.p50, s.p95, s.p99), (50.0, 95.0, 99.0));
        assert_eq!(s.median_range(1), "50.0 (1.0–100.0)");
        // Nearest rank rounds up: the 95th percentile of ten samples is the largest.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = Summary::of(&ten);
        assert_eq!((s.p50, s.p95, s.p99), (5.0, 10.0, 10.0));
        assert!(Summary::of(&[]).p50.is_nan());
    }

    #[test]
    fn a_table_prints_as_aligned_markdown() {
        let mut t = Table::new(&["what", "ms"]);
        t.row(vec!["open".into(), "12.5".into()]);
        assert_eq!(
            t.render(),
            "| what | ms   |\n| ---- | ---- |\n| open | 12.5 |\n"
        );
        assert_eq!(bytes(1_220_000), "1.22 MB");
        assert_eq!(bytes(364_000), "364.0 KB");
        assert_eq!(bytes(999), "999 B");
    }

    #[test]
    fn this_process_has_a_peak_resident_size() {
        assert!(self_peak_rss_mib() > 0.0);
        assert_eq!(proc_status_kib(std::process::id(), "NoSuchField"), None);
    }
}
