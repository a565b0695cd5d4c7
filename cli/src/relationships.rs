//! Relationships over time: `trellis followup ...` and `trellis referral ...`.

use trellis_core::{
    Error, FollowUpFilter, FollowUpKind, NewFollowUp, NewReferral, ReferralChannel,
    ReferralDirection, ReferralStatus, Store,
};

use crate::args::{FollowupCmd, ReferralCmd};
use crate::output::{opt, short, table, Out};

/// `trellis followup ...`
pub fn followup(store: &Store, out: Out, cmd: FollowupCmd) -> Result<(), Error> {
    let show_one = |f: &trellis_core::FollowUp, what: &str| {
        out.show(f, |f| {
            println!(
                "{what}: {} {} (due {}).",
                f.kind,
                f.contact
                    .as_deref()
                    .or(f.organization.as_deref())
                    .unwrap_or("-"),
                &f.due_at[..10.min(f.due_at.len())]
            )
        })
    };
    match cmd {
        FollowupCmd::List { due, overdue, all } => {
            let filter = if due {
                FollowUpFilter::Due
            } else if overdue {
                FollowUpFilter::Overdue
            } else if all {
                FollowUpFilter::All
            } else {
                FollowUpFilter::Open
            };
            let list = store.followups(filter)?;
            out.show(&list, |list| {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|f| {
                        vec![
                            short(&f.id),
                            f.due_at.replace('T', " ").trim_end_matches('Z').to_string(),
                            f.kind.to_string(),
                            f.contact
                                .clone()
                                .or_else(|| f.organization.clone())
                                .unwrap_or_default(),
                            f.assigned_to.clone(),
                            match (&f.done_at, f.overdue) {
                                (Some(_), _) => "done".into(),
                                (None, true) => "OVERDUE".into(),
                                (None, false) => "open".into(),
                            },
                            opt(&f.note),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "ID",
                        "DUE (UTC)",
                        "KIND",
                        "WITH",
                        "ASSIGNED",
                        "STATE",
                        "NOTE",
                    ],
                    &rows,
                    "Nothing to follow up on.",
                );
            });
        }
        FollowupCmd::Add {
            contact,
            org,
            kind,
            due,
            note,
        } => {
            let f = store.add_followup(&NewFollowUp {
                kind: Some(FollowUpKind::parse(&kind)?),
                contact,
                organization: org,
                due,
                note,
            })?;
            show_one(&f, "Added");
        }
        FollowupCmd::Done { id } => show_one(&store.complete_followup(&id)?, "Done"),
        FollowupCmd::Snooze { id, until } => {
            show_one(&store.snooze_followup(&id, &until)?, "Snoozed")
        }
        FollowupCmd::Assign { id, member } => {
            let f = store.reassign_followup(&id, &member)?;
            out.show(&f, |f| println!("Assigned to {}.", f.assigned_to));
        }
    }
    Ok(())
}

/// `trellis referral ...`
pub fn referral(store: &Store, out: Out, cmd: ReferralCmd) -> Result<(), Error> {
    match cmd {
        ReferralCmd::Add {
            from,
            to,
            reason,
            status,
            channel,
            on,
            note,
        } => {
            let (direction, partner) = match (from, to) {
                (Some(p), None) => (ReferralDirection::Received, p),
                (None, Some(p)) => (ReferralDirection::Sent, p),
                _ => return Err(Error::invalid("give exactly one of --from or --to")),
            };
            let r = store.add_referral(&NewReferral {
                direction,
                partner,
                reason,
                status: status.as_deref().map(ReferralStatus::parse).transpose()?,
                channel: channel.as_deref().map(ReferralChannel::parse).transpose()?,
                on,
                note,
            })?;
            out.show(&r, |r| {
                println!(
                    "Recorded a referral {} {} ({}, {}) on {}.",
                    if r.direction == ReferralDirection::Received {
                        "from"
                    } else {
                        "to"
                    },
                    r.contact
                        .as_deref()
                        .or(r.organization.as_deref())
                        .unwrap_or("-"),
                    r.reason,
                    r.status,
                    r.day
                )
            });
        }
        ReferralCmd::List { since, until } => {
            let list = store.referrals(since.as_deref(), until.as_deref())?;
            out.show(&list, |list| {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|r| {
                        vec![
                            r.day.clone(),
                            r.direction.to_string(),
                            r.contact
                                .clone()
                                .or_else(|| r.organization.clone())
                                .unwrap_or_default(),
                            r.reason.clone(),
                            r.status.to_string(),
                            r.channel.to_string(),
                        ]
                    })
                    .collect();
                table(
                    &["DAY", "DIRECTION", "PARTNER", "REASON", "STATUS", "CHANNEL"],
                    &rows,
                    "No referrals recorded.",
                );
            });
        }
    }
    Ok(())
}
