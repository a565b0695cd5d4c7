//! The automerge part of a drop-by alone: the operations `log_activity` makes (an activity whose
//! thank-you is two of its fields, 10 operations) committed as one change, on documents that
//! already hold 0 to 3,000 of them, in memory with no SQLite:
//! `cargo run --release -p trellis-bench --example automerge-ops`.

use std::time::Instant;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, AutomergeError, ObjType, ReadDoc, ROOT};

const ID: &str = "0123456789abcdef0123456789abcdef";
const NOTE: &str = "Dropped by the counseling office to leave brochures about the teen anxiety \
                    group; the counselor asked about openings in the spring and a talk for parents.";

fn section(doc: &mut AutoCommit, name: &str) -> Result<automerge::ObjId, AutomergeError> {
    Ok(match doc.get(ROOT, name)? {
        Some((_, obj)) => obj,
        None => doc.put_object(ROOT, name, ObjType::Map)?,
    })
}

fn drop_by(doc: &mut AutoCommit, i: u64) -> Result<(), AutomergeError> {
    let key = format!(
        "{:032x}",
        u128::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    );
    let acts = section(doc, "activities")?;
    let a = doc.put_object(&acts, key.as_str(), ObjType::Map)?;
    doc.put(&a, "kind", "drop_by")?;
    doc.put(&a, "at_ms", 1_790_000_000_000i64 + i as i64)?;
    doc.put(&a, "minutes", 20i64)?;
    doc.put(&a, "org_id", ID)?;
    let contacts = doc.put_object(&a, "contact_ids", ObjType::List)?;
    doc.insert(&contacts, 0, ID)?;
    doc.put(&a, "note", NOTE)?;
    doc.put(&a, "logged_by", ID)?;
    doc.put(&a, "thank_you_due_ms", 1_790_172_800_000i64 + i as i64)?;
    doc.commit();
    Ok(())
}

/// The operations [`drop_by`] makes: the activity, its 7 fields, the contact list and its one
/// entry.
const OPS_PER_DROP_BY: f64 = 10.0;

fn main() -> Result<(), AutomergeError> {
    const SAMPLES: u64 = 300;
    for before in [0u64, 300, 1_500, 3_000] {
        let mut doc = AutoCommit::new();
        for i in 0..before {
            drop_by(&mut doc, i)?;
        }
        let t = Instant::now();
        for i in 0..SAMPLES {
            drop_by(&mut doc, before + i)?;
        }
        let each = t.elapsed().as_secs_f64() * 1000.0 / SAMPLES as f64;
        println!(
            "{before:>5} drop-bys in the logbook: {each:.3} ms a drop-by ({:.1} us an operation)",
            each * 1000.0 / OPS_PER_DROP_BY
        );
    }
    Ok(())
}
