//! Organizations, contacts, logged activities and search.

use trellis_core::{
    ActivityKind, ContactCategory, ContactChanges, Error, LeftBehind, NewActivity, NewContact,
    NewOrg, OrgChanges, OrgKind, Stage, Store, NOTE_PRIVACY_HINT,
};

use crate::args::{ActivityCmd, ContactCmd, LogArgs, OrgCmd};
use crate::output::{day, opt, short, table, Out};

/// `trellis org ...`
pub fn org(store: &Store, out: Out, cmd: OrgCmd) -> Result<(), Error> {
    match cmd {
        OrgCmd::Add {
            name,
            kind,
            address,
            phone,
            website,
            lat,
            lon,
        } => {
            let org = store.add_org(&NewOrg {
                name,
                kind: Some(OrgKind::parse(&kind)?),
                address,
                phone,
                website,
                location: lat.zip(lon),
            })?;
            out.show(&org, |o| {
                println!("Added {} ({}), id {}", o.name, o.kind, short(&o.id))
            });
        }
        OrgCmd::List => {
            let orgs = store.organizations()?;
            out.show(&orgs, |orgs| {
                let rows: Vec<Vec<String>> = orgs
                    .iter()
                    .map(|o| {
                        vec![
                            short(&o.id),
                            o.name.clone(),
                            o.kind.to_string(),
                            opt(&o.address),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "NAME", "KIND", "ADDRESS"],
                    &rows,
                    "No organizations yet.",
                );
            });
        }
        OrgCmd::Edit {
            org,
            name,
            kind,
            address,
            phone,
            website,
        } => {
            let kind = kind.as_deref().map(OrgKind::parse).transpose()?;
            let o = store.update_org(
                &org,
                &OrgChanges {
                    name,
                    kind,
                    address,
                    phone,
                    website,
                },
            )?;
            out.show(&o, |o| println!("Updated {}.", o.name));
        }
        OrgCmd::Locate { org, lat, lon } => {
            let o = store.set_org_location(&org, lat, lon)?;
            out.show(&o, |o| println!("{} is at {lat}, {lon}.", o.name));
        }
        OrgCmd::Nearby {
            lat,
            lon,
            within_km,
        } => {
            let near = store.nearby(lat, lon, within_km)?;
            out.show(&near, |near| {
                let rows: Vec<Vec<String>> = near
                    .iter()
                    .map(|n| {
                        vec![
                            format!("{:.1}", n.distance_km),
                            n.organization.name.clone(),
                            n.organization.kind.to_string(),
                            n.days_since_visit
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect();
                table(
                    &["KM", "ORGANIZATION", "KIND", "DAYS SINCE VISIT"],
                    &rows,
                    "No organizations with a location nearby (set one with `org locate`).",
                );
            });
        }
        OrgCmd::Archive { org, undo } => {
            let o = store.archive_org(&org, !undo)?;
            out.show(&o, |o| {
                println!(
                    "{} {}.",
                    o.name,
                    if undo {
                        "is back in lists"
                    } else {
                        "is archived"
                    }
                )
            });
        }
        OrgCmd::Delete { org } => {
            let o = store.delete_org(&org)?;
            out.show(&o, |o| println!("Deleted {} on every device.", o.name));
        }
    }
    Ok(())
}

/// `trellis log KIND ...`
pub fn log(store: &Store, out: Out, a: LogArgs) -> Result<(), Error> {
    let kind = ActivityKind::parse(&a.kind)?;
    if kind == ActivityKind::DropBy && a.org.is_none() {
        return Err(Error::invalid("a drop-by needs --org"));
    }
    let left = a
        .left
        .iter()
        .map(|s| parse_left(s))
        .collect::<Result<Vec<_>, _>>()?;
    let act = store.log_activity(&NewActivity {
        kind: Some(kind),
        organization: a.org,
        contacts: a.contacts,
        minutes: a.minutes,
        note: a.note,
        left_behind: left,
        at: a.at,
        audience: a.audience,
        attendance: a.size,
    })?;
    out.show(&act, |a| {
        println!(
            "Logged a {}-minute {}{} on {} (saved on this device; `trellis sync` shares it).",
            a.minutes,
            a.kind,
            a.organization
                .as_deref()
                .map(|o| format!(" at {o}"))
                .unwrap_or_default(),
            &a.at[..10.min(a.at.len())]
        )
    });
    Ok(())
}

/// `trellis activity ...`
pub fn activity(store: &Store, out: Out, cmd: ActivityCmd) -> Result<(), Error> {
    match cmd {
        ActivityCmd::List => {
            let acts = store.activities()?;
            out.show(&acts, |acts| {
                let rows: Vec<Vec<String>> = acts
                    .iter()
                    .map(|a| {
                        let left: Vec<String> = a
                            .left_behind
                            .iter()
                            .map(|l| format!("{}×{}", l.qty, l.item))
                            .collect();
                        vec![
                            a.at.replace('T', " ").trim_end_matches('Z').to_string(),
                            a.kind.to_string(),
                            opt(&a.organization),
                            a.contacts.join(", "),
                            a.minutes.to_string(),
                            left.join(", "),
                            a.logged_by.clone(),
                            opt(&a.note),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "WHEN (UTC)",
                        "KIND",
                        "ORGANIZATION",
                        "MET",
                        "MIN",
                        "LEFT",
                        "BY",
                        "NOTE",
                    ],
                    &rows,
                    "No activities yet. Log one with: trellis log drop-by --org ORG",
                );
            });
        }
    }
    Ok(())
}

/// `trellis search QUERY`
pub fn search(store: &Store, out: Out, query: &str) -> Result<(), Error> {
    let hits = store.search(query)?;
    out.show(&hits, |hits| {
        let rows: Vec<Vec<String>> = hits
            .iter()
            .map(|h| vec![h.kind.clone(), short(&h.id), h.title.clone()])
            .collect();
        table(&["KIND", "ID", "TITLE"], &rows, "Nothing found.");
    });
    Ok(())
}

/// `trellis contact ...`
pub fn contact(store: &Store, out: Out, cmd: ContactCmd) -> Result<(), Error> {
    match cmd {
        ContactCmd::Add(a) => {
            let category = a
                .category
                .as_deref()
                .map(ContactCategory::parse)
                .transpose()?;
            let c = store.add_contact(&NewContact {
                name: a.name,
                organization: a.org,
                category,
                phones: a.phone.into_iter().collect(),
                emails: a.email.into_iter().collect(),
                needs: a.needs,
                role: a.role,
                stage: a.stage.as_deref().map(Stage::parse).transpose()?,
                cadence_days: a.cadence,
                how_we_help: a.how_we_help,
                tags: a.tags,
            })?;
            out.show(&c, |c| {
                println!("Added {} ({}), id {}", c.name, c.category, short(&c.id))
            });
        }
        ContactCmd::List => {
            let contacts = store.contacts()?;
            out.show(&contacts, |cs| {
                let rows: Vec<Vec<String>> = cs
                    .iter()
                    .map(|c| {
                        vec![
                            short(&c.id),
                            c.name.clone(),
                            opt(&c.organization),
                            c.category.to_string(),
                            day(&c.last_touch_at),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "NAME", "ORGANIZATION", "CATEGORY", "LAST TOUCH"],
                    &rows,
                    "No contacts yet.",
                );
            });
        }
        ContactCmd::Show { contact } => {
            let d = store.contact(&contact)?;
            out.show(&d, |d| {
                let c = &d.contact;
                println!("{} ({})", c.name, c.category);
                println!("  Organization: {}", opt(&c.organization));
                println!(
                    "  Phone:        {}",
                    if c.phones.is_empty() {
                        "-".into()
                    } else {
                        c.phones.join(", ")
                    }
                );
                println!(
                    "  Email:        {}",
                    if c.emails.is_empty() {
                        "-".into()
                    } else {
                        c.emails.join(", ")
                    }
                );
                println!("  Role:         {}", opt(&c.role));
                println!(
                    "  Stage:        {} (in touch every {} days)",
                    c.stage, c.cadence_days
                );
                println!("  Needs:        {}", opt(&c.needs));
                println!("  How we help:  {}", opt(&c.how_we_help));
                println!(
                    "  Last touch:   {} ({} days ago)",
                    day(&c.last_touch_at),
                    d.days_since_touch
                );
                if let Some(p) = &d.pitch {
                    println!("  Pitch:        {p}");
                }
                for f in &d.followups {
                    println!(
                        "  Follow-up:    {} due {}",
                        f.kind,
                        &f.due_at[..10.min(f.due_at.len())]
                    );
                }
                println!("  Notes:");
                if d.notes.is_empty() {
                    println!("    (none)");
                }
                for n in &d.notes {
                    println!(
                        "    {} {}: {}",
                        &n.at[..10.min(n.at.len())],
                        n.author,
                        n.text
                    );
                }
            });
        }
        ContactCmd::Note { contact, append } => {
            let note = store.append_note(&contact, &append)?;
            out.show(&note, |_| {
                println!("Note added. ({NOTE_PRIVACY_HINT})");
            });
        }
        ContactCmd::Edit(e) => {
            let category = e
                .category
                .as_deref()
                .map(ContactCategory::parse)
                .transpose()?;
            let c = store.update_contact(
                &e.contact,
                &ContactChanges {
                    name: e.name,
                    organization: e.org,
                    role: e.role,
                    category,
                    phones: e.phones,
                    emails: e.emails,
                    needs: e.needs,
                    how_we_help: e.how_we_help,
                    tags: e.tags,
                },
            )?;
            out.show(&c, |c| println!("Updated {}.", c.name));
        }
        ContactCmd::Stage { contact, stage } => {
            let c = store.set_stage(&contact, Stage::parse(&stage)?)?;
            out.show(&c, |c| println!("{} is now {}.", c.name, c.stage));
        }
        ContactCmd::Cadence { contact, days } => {
            let c = store.set_cadence(&contact, days)?;
            out.show(&c, |c| {
                println!(
                    "Stay in touch with {} every {} days.",
                    c.name, c.cadence_days
                )
            });
        }
        ContactCmd::LosingTouch => {
            let list = store.losing_touch()?;
            out.show(&list, |list| {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|l| {
                        vec![
                            l.contact.name.clone(),
                            opt(&l.contact.organization),
                            l.contact.stage.to_string(),
                            l.days_since_touch.to_string(),
                            l.contact.cadence_days.to_string(),
                            l.days_overdue.to_string(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "NAME",
                        "ORGANIZATION",
                        "STAGE",
                        "DAYS SINCE",
                        "CADENCE",
                        "DAYS OVER",
                    ],
                    &rows,
                    "Nobody is past their cadence.",
                );
            });
        }
        ContactCmd::Archive { contact, undo } => {
            let c = store.archive_contact(&contact, !undo)?;
            out.show(&c, |c| {
                println!(
                    "{} {}.",
                    c.name,
                    if undo {
                        "is back in lists"
                    } else {
                        "is archived"
                    }
                )
            });
        }
        ContactCmd::Delete { contact } => {
            let c = store.delete_contact(&contact)?;
            out.show(&c, |c| println!("Deleted {} on every device.", c.name));
        }
    }
    Ok(())
}

fn parse_left(s: &str) -> Result<LeftBehind, Error> {
    let bad = || Error::invalid(format!("\"{s}\" should be ITEM:QTY, e.g. brochure:10"));
    let (item, qty) = s.rsplit_once(':').ok_or_else(bad)?;
    let qty: u32 = qty.trim().parse().map_err(|_| bad())?;
    if item.trim().is_empty() {
        return Err(bad());
    }
    Ok(LeftBehind {
        item: item.trim().to_string(),
        qty,
    })
}
