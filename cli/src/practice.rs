//! Follow-ups, referrals, reports, leave-behind stock, pitches, memberships and goals.

use trellis_core::{
    ContactCategory, Error, FollowUpFilter, FollowUpKind, NewFollowUp, NewReferral,
    ReferralChannel, ReferralDirection, ReferralStatus, Store,
};

use crate::args::{
    FollowupCmd, GoalCmd, MembershipCmd, PitchCmd, ReferralCmd, ReportArgs, StockCmd,
};
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
