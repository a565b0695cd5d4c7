//! `trellis`: the Trellis core from a terminal. Each command opens the device's store, does one
//! thing, and prints the result as a table or, with `--json`, as JSON. Errors go to stderr
//! (as JSON `{"error", "message"}` with `--json`) and the exit code is 1.

mod args;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;
use trellis_core::{
    ContactCategory, Error, LeftBehind, NewActivity, NewContact, NewOrg, OrgKind, Role, Store,
    NOTE_PRIVACY_HINT,
};

use args::{ActivityCmd, Cli, Command, ContactCmd, LogCmd, OrgCmd, WorkspaceCmd};
use output::{day, opt, short, table, Out};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(cli, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if out.json {
                eprintln!(
                    "{}",
                    json!({"error": error_code(&e), "message": e.to_string()})
                );
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn error_code(e: &Error) -> &'static str {
    match e {
        Error::NotInitialized => "not_initialized",
        Error::NoWorkspace => "no_workspace",
        Error::NotConnected(_) => "not_connected",
        Error::NotFound { .. } => "not_found",
        Error::Ambiguous { .. } => "ambiguous",
        Error::InvalidInput(_) => "invalid_input",
        Error::Conflict(_) => "conflict",
        Error::Network(_) => "network",
        Error::Relay { .. } => "relay",
        Error::Corrupt(_) => "corrupt",
        Error::Storage(_) | Error::Document(_) => "storage",
    }
}

fn data_dir(cli_dir: Option<PathBuf>) -> Result<PathBuf, Error> {
    if let Some(d) = cli_dir {
        return Ok(d);
    }
    directories::ProjectDirs::from("org", "Trellis", "trellis")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| Error::invalid("no home directory found: pass --data DIR"))
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Network(format!("could not start the network runtime: {e}")))
}

fn run(cli: Cli, out: Out) -> Result<(), Error> {
    let store = Store::open(data_dir(cli.data)?.join("trellis.sqlite3"))?;
    match cli.command {
        Command::Init { name } => {
            let device = store.init(&name)?;
            out.show(&device, |d| {
                println!("Set up this device for {}. Next: trellis workspace create NAME, or trellis workspace join CODE.", d.name)
            });
        }
        Command::Workspace(cmd) => workspace(&store, out, cmd)?,
        Command::Org(OrgCmd::Add {
            name,
            kind,
            address,
        }) => {
            let org = store.add_org(&NewOrg {
                name,
                kind: Some(OrgKind::parse(&kind)?),
                address,
                ..Default::default()
            })?;
            out.show(&org, |o| {
                println!("Added {} ({}), id {}", o.name, o.kind, short(&o.id))
            });
        }
        Command::Org(OrgCmd::List) => {
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
        Command::Contact(cmd) => contact(&store, out, cmd)?,
        Command::Log(LogCmd::DropBy(d)) => {
            let left = d
                .left
                .iter()
                .map(|s| parse_left(s))
                .collect::<Result<Vec<_>, _>>()?;
            let act = store.log_activity(&NewActivity {
                kind: None,
                organization: Some(d.org),
                contacts: d.contacts,
                minutes: d.minutes,
                note: d.note,
                left_behind: left,
                at: d.at,
            })?;
            out.show(&act, |a| {
                println!(
                    "Logged a {}-minute drop-by at {} on {} (saved on this device; `trellis sync` shares it).",
                    a.minutes,
                    a.organization.as_deref().unwrap_or("-"),
                    &a.at[..10.min(a.at.len())]
                )
            });
        }
        Command::Activity(ActivityCmd::List) => {
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
        Command::Search { query } => {
            let hits = store.search(&query)?;
            out.show(&hits, |hits| {
                let rows: Vec<Vec<String>> = hits
                    .iter()
                    .map(|h| vec![h.kind.clone(), short(&h.id), h.title.clone()])
                    .collect();
                table(&["KIND", "ID", "TITLE"], &rows, "Nothing found.");
            });
        }
        Command::Sync => {
            let report = runtime()?.block_on(store.sync())?;
            out.show(&report, |r| {
                println!(
                    "Pushed {} change(s), pulled {} change(s), {} document(s) updated; cursor {}.",
                    r.pushed, r.pulled, r.documents_updated, r.cursor
                )
            });
        }
        Command::Status => {
            let s = store.status()?;
            out.show(&s, |s| {
                println!(
                    "Workspace:       {} ({})",
                    s.workspace,
                    short(&s.workspace_id)
                );
                println!(
                    "Relay:           {}",
                    s.relay_url.as_deref().unwrap_or("none (local only)")
                );
                println!("Pending changes: {}", s.pending_changes);
                println!(
                    "Last sync:       {}",
                    s.last_sync_at.as_deref().unwrap_or("never")
                );
                println!("Cursor:          {}", s.cursor);
            });
        }
    }
    Ok(())
}

fn workspace(store: &Store, out: Out, cmd: WorkspaceCmd) -> Result<(), Error> {
    match cmd {
        WorkspaceCmd::Create {
            name,
            relay,
            signup_secret,
        } => {
            let info = match relay {
                Some(url) => {
                    let secret = signup_secret.ok_or_else(|| {
                        Error::invalid("creating a workspace on a relay needs --signup-secret (ask the relay's operator)")
                    })?;
                    runtime()?.block_on(store.create_shared_workspace(&name, &url, &secret))?
                }
                None => store.create_workspace(&name)?,
            };
            out.show(&info, |w| println!("{}", w.id));
        }
        WorkspaceCmd::Connect {
            relay,
            signup_secret,
        } => {
            let info = runtime()?.block_on(store.connect_workspace(&relay, &signup_secret))?;
            out.show(&info, |w| {
                println!(
                    "Connected {} to {}; run `trellis sync` to upload what is here.",
                    w.name,
                    opt(&w.relay_url)
                )
            });
        }
        WorkspaceCmd::Invite { role, device } => {
            let role =
                Role::parse(&role).ok_or_else(|| Error::invalid("role must be member or admin"))?;
            let code = runtime()?.block_on(store.create_invite(role, device))?;
            out.show(&json!({ "code": code }), |_| println!("{code}"));
        }
        WorkspaceCmd::Join { code, relay } => {
            let rt = runtime()?;
            let info = rt.block_on(store.join(&code, relay.as_deref()))?;
            let report = rt.block_on(store.sync());
            match report {
                Ok(r) => out.show(&json!({ "workspace": info, "sync": r }), |_| {
                    println!(
                        "Joined {} as {}; pulled {} change(s).",
                        info.name, info.role, r.pulled
                    )
                }),
                Err(e) => {
                    eprintln!(
                        "Joined {}, but the first sync failed: {e}. Run `trellis sync` to retry.",
                        info.name
                    );
                    out.show(&json!({ "workspace": info, "sync": null }), |_| {});
                }
            }
        }
        WorkspaceCmd::List => {
            let all = store.workspaces()?;
            out.show(&all, |all| {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|w| {
                        vec![
                            if w.current { "*".into() } else { String::new() },
                            short(&w.id),
                            w.name.clone(),
                            w.role.clone(),
                            w.relay_url.clone().unwrap_or_else(|| "local only".into()),
                        ]
                    })
                    .collect();
                table(
                    &["", "ID", "NAME", "ROLE", "RELAY"],
                    &rows,
                    "No workspaces yet.",
                );
            });
        }
        WorkspaceCmd::Use { workspace } => {
            let info = store.use_workspace(&workspace)?;
            out.show(&info, |w| println!("Now using {}.", w.name));
        }
    }
    Ok(())
}

fn contact(store: &Store, out: Out, cmd: ContactCmd) -> Result<(), Error> {
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
                ..Default::default()
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
                println!("  Needs:        {}", opt(&c.needs));
                println!("  Last touch:   {}", day(&c.last_touch_at));
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
