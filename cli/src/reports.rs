//! `trellis report ...`: weekly minutes, new connections, referrals, reciprocity, stock.

use trellis_core::{Error, Store};

use crate::args::ReportArgs;
use crate::output::{table, Out};

/// `trellis report ...`
pub fn report(store: &Store, out: Out, a: ReportArgs) -> Result<(), Error> {
    let (from, to) = (a.from.as_deref(), a.to.as_deref());
    let counts = |title: &str, v: &[trellis_core::reports::Count]| {
        let rows: Vec<Vec<String>> = v
            .iter()
            .map(|c| vec![c.label.clone(), c.count.to_string()])
            .collect();
        table(&[title, "COUNT"], &rows, &format!("({title}: none)"));
    };
    match a.report.as_str() {
        "week" => {
            let r = store.time_report(from, to)?;
            out.show(&r, |r| {
                println!("Networking minutes, goal {} a week:", r.goal_minutes);
                let rows: Vec<Vec<String>> = r
                    .weeks
                    .iter()
                    .map(|w| {
                        vec![
                            w.week_of.clone(),
                            w.minutes.to_string(),
                            w.activities.to_string(),
                            if w.goal_met {
                                "met".into()
                            } else {
                                format!("{} to go", r.goal_minutes.saturating_sub(w.minutes))
                            },
                        ]
                    })
                    .collect();
                table(&["WEEK OF", "MINUTES", "ACTIVITIES", "GOAL"], &rows, "");
            });
        }
        "month" => {
            let r = store.connections_report(a.month.as_deref())?;
            out.show(&r, |r| {
                println!(
                    "New connections in {}: {} of {} ({})",
                    r.month,
                    r.connections.len(),
                    r.goal,
                    if r.goal_met { "goal met" } else { "keep going" }
                );
                for c in &r.connections {
                    println!("  {} (first met {})", c.name, &c.first_touch_at[..10]);
                }
            });
        }
        "referrals" => {
            let r = store.referral_report(from, to)?;
            out.show(&r, |r| {
                println!(
                    "Referrals received: {} ({} became clients); sent: {}",
                    r.received, r.became_clients, r.sent
                );
                counts("SOURCE", &r.by_source);
                counts("CATEGORY", &r.by_category);
                counts("REASON", &r.by_reason);
            });
        }
        "reciprocity" => {
            let r = store.reciprocity_report(from, to)?;
            out.show(&r, |r| {
                let rows: Vec<Vec<String>> = r
                    .iter()
                    .map(|p| {
                        vec![
                            p.partner.clone(),
                            p.received.to_string(),
                            p.sent.to_string(),
                        ]
                    })
                    .collect();
                table(
                    &["PARTNER", "RECEIVED", "SENT"],
                    &rows,
                    "No referrals recorded.",
                );
            });
        }
        _ => {
            let r = store.stock_report(from, to)?;
            out.show(&r, |r| {
                let rows: Vec<Vec<String>> = r
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.stock.to_string(),
                            s.used.to_string(),
                            if s.low { "LOW".into() } else { String::new() },
                        ]
                    })
                    .collect();
                table(
                    &["ITEM", "ON HAND", "USED", ""],
                    &rows,
                    "No leave-behinds yet.",
                );
            });
        }
    }
    Ok(())
}
