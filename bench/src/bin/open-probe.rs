//! Opens a store and lists what a screen shows first, in a fresh process, then prints its own
//! peak resident memory (`VmHWM`), so the figure is not polluted by a benchmark harness.
//!
//! ```text
//! open-probe STORE_FILE [contacts|losing-touch|search WORD]
//! ```
//!
//! Prints one JSON object: `{"ms": .., "rows": .., "peak_rss_mib": ..}`.

use std::time::Instant;

use trellis_core::Store;

fn main() -> trellis_bench::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: open-probe STORE_FILE [what]")?;
    let what = args.next().unwrap_or_else(|| "contacts".into());
    let t = Instant::now();
    let store = Store::open(&path)?;
    let rows = match what.as_str() {
        "contacts" => store.contacts_page(None, 50)?.len(),
        "losing-touch" => store.losing_touch()?.len(),
        "search" => {
            let word = args.next().ok_or("search needs a word")?;
            store.search(&word)?.into_iter().take(20).count()
        }
        other => return Err(format!("unknown probe {other}").into()),
    };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "ms": ms,
            "rows": rows,
            "peak_rss_mib": trellis_bench::stats::self_peak_rss_mib(),
        })
    );
    Ok(())
}
