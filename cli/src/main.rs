//! `trellis`: the Trellis core from a terminal. Each command opens the device's store, does one
//! thing, and prints the result as a table or, with `--json`, as JSON. Errors go to stderr
//! (as JSON `{"error", "message"}` with `--json`) and the exit code is 1.

mod args;
mod exchange;
mod interop;
mod output;
mod profile;
mod records;
mod relationships;
mod reports;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;
use trellis_core::{Error, Role, Scope, Store, SyncReport};

use args::{Cli, Command, InviteCmd, RegionCmd, WorkspaceCmd};
use output::{opt, short, table, Out};

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
        Error::NoRegion => "no_region",
        Error::NotConnected(_) => "not_connected",
        Error::NotFound { .. } => "not_found",
        Error::Ambiguous { .. } => "ambiguous",
        Error::InvalidInput(_) => "invalid_input",
        Error::Conflict(_) => "conflict",
        Error::Network(_) => "network",
        Error::Relay { .. } => "relay",
        Error::Corrupt(_) => "corrupt",
        Error::Tampered(_) => "tampered",
        Error::Removed { .. } => "removed",
        Error::AwaitingKeys => "awaiting_keys",
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
    // The same store, acting on regions instead of practices.
    let regions = || -> Result<Store, Error> { Ok(store.with_scope(Scope::Region)) };
    match cli.command {
        Command::Init { name } => {
            let device = store.init(&name)?;
            out.show(&device, |d| {
                println!("Set up this device for {}. Next: trellis workspace create NAME, or trellis workspace join CODE.", d.name)
            });
        }
        Command::Workspace(cmd) => workspace(&store, out, cmd)?,
        Command::Org(cmd) => records::org(&store, out, cmd)?,
        Command::Contact(cmd) => records::contact(&store, out, cmd)?,
        Command::Log(args) => records::log(&store, out, args)?,
        Command::Activity(cmd) => records::activity(&store, out, cmd)?,
        Command::Search { query } => records::search(&store, out, &query)?,
        Command::Followup(cmd) => relationships::followup(&store, out, cmd)?,
        Command::Referral(cmd) => relationships::referral(&store, out, cmd)?,
        Command::Report(args) => reports::report(&store, out, args)?,
        Command::Stock(cmd) => settings::stock(&store, out, cmd)?,
        Command::Pitch(cmd) => settings::pitch(&store, out, cmd)?,
        Command::Membership(cmd) => settings::membership(&store, out, cmd)?,
        Command::Goal(cmd) => settings::goal(&store, out, cmd)?,
        Command::Profile(cmd) => profile::run(&store, out, cmd)?,
        Command::Import(cmd) => interop::import(&store, out.json, cmd)?,
        Command::Export(cmd) => interop::export(&store, out.json, cmd)?,
        Command::Sync => {
            let rt = runtime()?;
            let report = rt.block_on(store.sync())?;
            // The current region too, when this device has one; its failure does not undo
            // the practice's sync, and is said beside it.
            let region_store = regions()?;
            let region = match region_store.workspaces()?.is_empty() {
                true => None,
                false => Some(rt.block_on(region_store.sync())),
            };
            // The region's sync recorded its connections in the practice: push them.
            if matches!(&region, Some(Ok(r)) if r.referrals_recorded > 0) {
                rt.block_on(store.sync())?;
            }
            let mut value = serde_json::to_value(report)
                .map_err(|e| Error::invalid(format!("the report could not be written: {e}")))?;
            match &region {
                Some(Ok(r)) => value["region"] = json!(r),
                Some(Err(e)) => value["region"] = json!({ "error": e.to_string() }),
                None => {}
            }
            out.show(&value, |_| {
                print_sync(&report, "practice");
                match &region {
                    Some(Ok(r)) => {
                        print!("Region: ");
                        print_sync(r, "region");
                    }
                    Some(Err(e)) => eprintln!("The region did not sync: {e}"),
                    None => {}
                }
            });
        }
        Command::Region(cmd) => region(&regions()?, out, cmd)?,
        Command::Exchange(cmd) => exchange::run(&store, &regions()?, out, cmd)?,
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
                if s.gaps > 0 {
                    println!("Waiting:         {} document(s) miss changes", s.gaps);
                }
                if s.set_aside > 0 {
                    println!(
                        "Set aside:       {} entr(ies) could not be applied (see `trellis set-aside`)",
                        s.set_aside
                    );
                }
                if let Some(why) = &s.roster_problem {
                    println!("Roster:          the relay's copy failed this device's checks: {why}");
                }
                if s.roster_refused > 0 {
                    println!(
                        "Roster:          {} event(s) refused (not signed by a device entitled to them)",
                        s.roster_refused
                    );
                }
            });
        }
        Command::SetAside => {
            let entries = store.set_aside()?;
            out.show(&entries, |entries| {
                if entries.is_empty() {
                    println!("Nothing set aside: every entry pulled was applied.");
                }
                for e in entries {
                    let seq = e.seq.map_or("-".to_string(), |s| s.to_string());
                    println!(
                        "seq {seq:>8}  {}  {:<13} {} {}",
                        short(&e.doc_id),
                        e.reason.as_str(),
                        e.at,
                        e.detail
                    );
                }
            });
        }
    }
    Ok(())
}

/// Prints what one sync moved (`of`: "practice" or "region").
fn print_sync(r: &SyncReport, of: &str) {
    println!(
        "Pushed {} change(s), pulled {} change(s), {} document(s) updated; cursor {}.",
        r.pushed, r.pulled, r.documents_updated, r.cursor
    );
    if r.set_aside > 0 {
        println!(
            "Set aside {} entr(ies) that could not be applied (see `trellis set-aside`).",
            r.set_aside
        );
    }
    if r.keys_granted > 0 {
        println!(
            "Handed the {of}'s keys to {} newly admitted device(s).",
            r.keys_granted
        );
    }
}

/// `trellis region ...`: the workspace commands, run on a store that acts on regions.
fn region(store: &Store, out: Out, cmd: RegionCmd) -> Result<(), Error> {
    let as_workspace = match cmd {
        RegionCmd::Create {
            name,
            relay,
            signup_secret,
        } => WorkspaceCmd::Create {
            name,
            relay: Some(relay),
            signup_secret: Some(signup_secret),
        },
        RegionCmd::Invite { action, role } => WorkspaceCmd::Invite {
            action,
            role: if role == "moderator" {
                "admin".into()
            } else {
                role
            },
            device: false,
        },
        RegionCmd::Join { code, relay } => WorkspaceCmd::Join { code, relay },
        RegionCmd::List => WorkspaceCmd::List,
        RegionCmd::Use { region } => WorkspaceCmd::Use { workspace: region },
        RegionCmd::Members => WorkspaceCmd::Members,
        RegionCmd::Remove { member } => WorkspaceCmd::Remove { member },
        RegionCmd::Leave => WorkspaceCmd::Leave,
        RegionCmd::Sync => {
            let report = runtime()?.block_on(store.sync())?;
            out.show(&report, |r| print_sync(r, "region"));
            return Ok(());
        }
    };
    workspace(store, out, as_workspace)
}

fn workspace(store: &Store, out: Out, cmd: WorkspaceCmd) -> Result<(), Error> {
    let of = match store.scope() {
        Scope::Practice => "practice",
        Scope::Region => "region",
    };
    // A region's admins are its moderators.
    let role_name = |r: Role| -> &'static str {
        match (store.scope(), r) {
            (Scope::Region, Role::Admin) => "moderator",
            _ => r.as_str(),
        }
    };
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
        WorkspaceCmd::Invite {
            action: Some(InviteCmd::List),
            ..
        } => {
            let open = runtime()?.block_on(store.invites())?;
            out.show(&open, |open| {
                let rows: Vec<Vec<String>> = open
                    .iter()
                    .map(|i| {
                        vec![
                            short(&i.invite_id),
                            if i.device {
                                "device".into()
                            } else {
                                role_name(i.role).into()
                            },
                            i.invited_by.clone(),
                            i.expires_at.clone(),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "FOR", "INVITED BY", "EXPIRES"],
                    &rows,
                    "No open invites.",
                );
            });
        }
        WorkspaceCmd::Invite {
            action: Some(InviteCmd::Cancel { invite }),
            ..
        } => {
            let cancelled = runtime()?.block_on(store.cancel_invite(&invite))?;
            out.show(&cancelled, |i| {
                println!(
                    "Cancelled invite {}: its code lets nobody in now.",
                    short(&i.invite_id)
                )
            });
        }
        WorkspaceCmd::Invite {
            action: None,
            role,
            device,
        } => {
            let role =
                Role::parse(&role).ok_or_else(|| Error::invalid("role must be member or admin"))?;
            let code = runtime()?.block_on(store.create_invite(role, device))?;
            out.show(&json!({ "code": code }), |_| println!("{code}"));
        }
        WorkspaceCmd::Join { code, relay } => {
            let rt = runtime()?;
            let info = rt.block_on(store.join(&code, relay.as_deref()))?;
            if info.awaiting_keys {
                out.show(
                    &json!({ "workspace": info, "sync": null, "awaiting_keys": true }),
                    |_| {
                        println!(
                            "Joined as {}. This device waits for the {of}'s keys: the device \
                             that made the invite (or an owner's or admin's) hands them over when \
                             it next syncs. Then run `trellis sync`.",
                            role_name(info.role)
                        )
                    },
                );
                return Ok(());
            }
            let report = rt.block_on(store.sync());
            match report {
                Ok(r) => out.show(&json!({ "workspace": info, "sync": r }), |_| {
                    println!(
                        "Joined {} as {}; pulled {} change(s).",
                        info.name,
                        role_name(info.role),
                        r.pulled
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
                            if w.awaiting_keys {
                                "(waiting for its keys)".into()
                            } else {
                                w.name.clone()
                            },
                            role_name(w.role).into(),
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
        WorkspaceCmd::Members => {
            let roster = runtime()?.block_on(store.roster())?;
            out.show(&roster, |roster| {
                let mut rows = Vec::new();
                for m in roster {
                    for (i, d) in m.devices.iter().enumerate() {
                        rows.push(vec![
                            if i == 0 {
                                m.name.clone()
                            } else {
                                String::new()
                            },
                            if i == 0 {
                                if m.removed {
                                    format!("{} (removed)", role_name(m.role))
                                } else {
                                    role_name(m.role).into()
                                }
                            } else {
                                String::new()
                            },
                            short(&d.device_id),
                            d.registered_at[..10.min(d.registered_at.len())].to_string(),
                            d.fingerprint.clone(),
                            match (d.revoked, d.this_device, d.verified) {
                                (true, _, _) => "revoked".into(),
                                (false, true, _) => "this device".into(),
                                (false, false, true) => "verified".into(),
                                (false, false, false) if m.unverified_device => {
                                    "NEW, not verified".into()
                                }
                                (false, false, false) => String::new(),
                            },
                        ]);
                    }
                }
                table(
                    &["MEMBER", "ROLE", "DEVICE", "JOINED", "FINGERPRINT", ""],
                    &rows,
                    "No members.",
                );
            });
        }
        WorkspaceCmd::Fingerprint => {
            let fingerprint = store.fingerprint()?;
            out.show(&json!({ "fingerprint": fingerprint }), |_| {
                println!("This device's fingerprint: {fingerprint}");
                println!(
                    "A colleague compares it with what `trellis workspace members` shows her."
                );
            });
        }
        WorkspaceCmd::Verify {
            member,
            fingerprint,
        } => {
            let m = store.verify_member(&member, &fingerprint)?;
            out.show(&m, |m| {
                println!("Verified a device of {}.", m.name);
            });
        }
        WorkspaceCmd::Revoke { device } => {
            runtime()?.block_on(store.revoke_device(&device))?;
            out.show(&json!({ "revoked": device }), |_| {
                println!("Revoked. If the device was lost, run `trellis workspace rotate-key`.")
            });
        }
        WorkspaceCmd::Remove { member } => {
            runtime()?.block_on(store.remove_member(&member))?;
            out.show(&json!({ "removed": member }), |_| {
                println!("Removed {member}; the {of}'s key was rotated.")
            });
        }
        WorkspaceCmd::Leave => {
            runtime()?.block_on(store.leave())?;
            out.show(&json!({ "left": true }), |_| {
                println!("You left the {of}; its data was deleted from this device.")
            });
        }
        WorkspaceCmd::Transfer { member } => {
            runtime()?.block_on(store.transfer_ownership(&member))?;
            out.show(&json!({ "owner": member }), |_| {
                println!("{member} now owns the {of}; you are an admin.")
            });
        }
        WorkspaceCmd::RotateKey => {
            let epoch = runtime()?.block_on(store.rotate_key())?;
            out.show(&json!({ "epoch": epoch }), |_| {
                println!("The {of}'s key was rotated (epoch {epoch}).")
            });
        }
        WorkspaceCmd::Checkpoint => {
            let r = runtime()?.block_on(store.checkpoint())?;
            out.show(&r, |r| {
                println!(
                    "Checkpoint at seq {}: {} documents, {} bytes sealed.",
                    r.seq, r.docs, r.bytes
                )
            });
        }
        WorkspaceCmd::Use { workspace } => {
            let info = store.use_workspace(&workspace)?;
            out.show(&info, |w| println!("Now using {}.", w.name));
        }
    }
    Ok(())
}
