//! Generates a realistic practice (see `trellis_bench::gen`) and prints what it made.
//!
//! ```text
//! cargo run --release -p trellis-bench --bin trellis-gen -- --contacts 10000 --out DIR
//! ```
//!
//! Without `--out` it fills the cache the benchmarks read (`target/bench-data/`), and reuses
//! it when it is already there. Progress goes to stderr; one JSON object to stdout.

use clap::Parser;
use trellis_bench::gen::{self, Params};

/// Generate a practice of N contacts, ten activities each, by three members over two years.
#[derive(Parser, Debug)]
struct Args {
    /// Contacts.
    #[arg(long, default_value_t = 10_000)]
    contacts: usize,
    /// Activities per contact.
    #[arg(long, default_value_t = 10)]
    activities_per_contact: usize,
    /// Seed of every choice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory to write (must not exist). Default: the benchmarks' cache.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

fn main() -> trellis_bench::Result<()> {
    let a = Args::parse();
    let params = Params {
        contacts: a.contacts,
        activities_per_contact: a.activities_per_contact,
        seed: a.seed,
    };
    let (dir, practice) = match a.out {
        Some(out) => {
            if out.exists() {
                return Err(format!("{} exists; pick a new directory", out.display()).into());
            }
            let p = gen::generate(params, &out)?;
            (out, p)
        }
        None => {
            let g = gen::cached(params)?;
            (g.dir, g.practice)
        }
    };
    let mut v = serde_json::to_value(&practice)?;
    v["dir"] = serde_json::Value::String(dir.display().to_string());
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}
