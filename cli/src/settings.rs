//! What a practice keeps in its workspace document: `trellis stock`, `pitch`, `membership`
//! and `goal`.

use trellis_core::{ContactCategory, Error, Store};

use crate::args::{GoalCmd, MembershipCmd, PitchCmd, StockCmd};
use crate::output::{opt, table, Out};

/// `trellis stock ...`
pub fn stock(store: &Store, out: Out, cmd: StockCmd) -> Result<(), Error> {
    match cmd {
        StockCmd::Add { item, qty } => {
            let s = store.restock(&item, qty)?;
            out.show(&s, |s| println!("{}: {} on hand.", s.name, s.stock));
        }
        StockCmd::Low { item, at } => {
            let s = store.set_low_stock(&item, at)?;
            out.show(&s, |s| {
                println!("{}: warn at {} or fewer.", s.name, s.low_at)
            });
        }
        StockCmd::List => {
            let items = store.stock()?;
            out.show(&items, |items| {
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.stock.to_string(),
                            s.low_at.to_string(),
                            if s.low {
                                "LOW: restock".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect();
                table(
                    &["ITEM", "ON HAND", "WARN AT", ""],
                    &rows,
                    "No leave-behinds yet: `trellis stock add brochure 50`.",
                );
            });
        }
    }
    Ok(())
}

/// `trellis pitch ...`
pub fn pitch(store: &Store, out: Out, cmd: PitchCmd) -> Result<(), Error> {
    let (category, text) = match cmd {
        PitchCmd::Set { category, text } => {
            let c = ContactCategory::parse(&category)?;
            (c, store.set_pitch(c, &text)?)
        }
        PitchCmd::Show { category } => {
            let c = ContactCategory::parse(&category)?;
            (c, store.pitch(c)?)
        }
    };
    let value = serde_json::json!({ "category": category, "pitch": text });
    out.show(&value, |_| match &text {
        Some(t) => println!("{category}: {t}"),
        None => println!("No pitch for {category} yet: `trellis pitch set {category} TEXT`."),
    });
    Ok(())
}

/// `trellis membership ...`
pub fn membership(store: &Store, out: Out, cmd: MembershipCmd) -> Result<(), Error> {
    match cmd {
        MembershipCmd::Add { org, role, renews } => {
            let m = store.add_membership(&org, &role, renews.as_deref())?;
            out.show(&m, |m| {
                println!("{} at {} recorded.", m.role, m.organization)
            });
        }
        MembershipCmd::List => {
            let list = store.memberships()?;
            out.show(&list, |list| {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|m| {
                        vec![
                            m.organization.clone(),
                            m.member.clone(),
                            m.role.clone(),
                            opt(&m.renews),
                        ]
                    })
                    .collect();
                table(
                    &["ORGANIZATION", "MEMBER", "ROLE", "RENEWS"],
                    &rows,
                    "No memberships yet.",
                );
            });
        }
    }
    Ok(())
}

/// `trellis goal ...`
pub fn goal(store: &Store, out: Out, cmd: GoalCmd) -> Result<(), Error> {
    let s = match cmd {
        GoalCmd::Show => store.settings()?,
        GoalCmd::Set {
            minutes_per_week,
            new_connections,
            thank_you_hours,
        } => store.set_goals(minutes_per_week, new_connections, thank_you_hours)?,
    };
    out.show(&s, |s| {
        println!("Networking minutes a week: {}", s.minutes_per_week);
        println!("New connections a month:  {}", s.new_connections_per_month);
        println!("Thank-you within hours:    {}", s.thank_you_hours);
    });
    Ok(())
}
