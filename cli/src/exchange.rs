//! `trellis exchange post|list|show`: needs posted to the current region, in closed facets,
//! ranked on this device against your own profile card.

use clap::{Args, Subcommand};
use trellis_core::{
    AgeBand, Error, Fit, Language, Modality, Need, NewPost, Outcome, Panel, Payer, Post,
    PostFilter, ReplyInput, Service, Specialty, Store, Urgency, When,
};

use crate::output::{short, table, Out};

/// `trellis exchange ...`
#[derive(Debug, Subcommand)]
pub enum ExchangeCmd {
    /// Post a need to the current region (facets from closed lists; no client's identity)
    Post(Box<PostArgs>),
    /// The region's posts: open ones first, those that fit your card first
    List {
        /// Only the open posts that fit your card
        #[arg(long)]
        fits_me: bool,
        /// Only your own posts
        #[arg(long)]
        mine: bool,
    },
    /// One post
    Show {
        /// The post's id or a prefix of it
        post: String,
    },
    /// Reply to a colleague's open post, sealed to her devices only (with your card)
    Reply {
        /// The post's id or a prefix of it
        post: String,
        /// yes, waitlist or no
        #[arg(long)]
        fit: String,
        /// Within about how many weeks (needed with waitlist)
        #[arg(long, value_name = "N")]
        weeks: Option<u32>,
        /// A short note ("not a fit: try ..."), checked like a post's text
        #[arg(long, value_name = "T")]
        note: Option<String>,
    },
    /// The replies to one of your posts, with each responder's card
    Replies {
        /// The post's id or a prefix of it
        post: String,
    },
    /// Close one of your posts: connected (--with the colleague), not-placed or withdrawn.
    /// A connection counts as a referral sent in your practice (with a thank-you due) and as
    /// one received in hers, once her device syncs
    Close {
        /// The post's id or a prefix of it
        post: String,
        /// connected, not-placed or withdrawn
        #[arg(long)]
        outcome: String,
        /// The colleague the client was connected with (name or id prefix)
        #[arg(long, value_name = "MEMBER")]
        with: Option<String>,
    },
}

/// `trellis exchange post` options.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// individual, couples, family, group, medication-evaluation or testing
    #[arg(long)]
    service: String,
    /// 0-5, 6-12, 13-17, 18-25, 26-64 or 65+
    #[arg(long)]
    age_band: String,
    /// What it is about (e.g. anxiety, trauma-ptsd)
    #[arg(long = "specialty", value_name = "S")]
    specialties: Vec<String>,
    /// How it should be treated (e.g. cbt, emdr)
    #[arg(long = "modality", value_name = "M")]
    modalities: Vec<String>,
    /// An insurance panel (e.g. aetna), or self-pay
    #[arg(long, value_name = "P")]
    panel: Option<String>,
    /// In person around this 3-digit ZIP
    #[arg(long, value_name = "NNN", conflicts_with = "telehealth")]
    zip3: Option<String>,
    /// By telehealth in this state (e.g. MA)
    #[arg(long, value_name = "ST")]
    telehealth: Option<String>,
    /// The sessions' language (e.g. es)
    #[arg(long, value_name = "L")]
    language: Option<String>,
    /// weekday-daytime, weekday-evening, weekend or any
    #[arg(long, value_name = "W")]
    when: Option<String>,
    /// routine, soon or urgent
    #[arg(long, default_value = "routine")]
    urgency: String,
    /// Days it stays open (default 7, at most 30)
    #[arg(long, value_name = "DAYS")]
    expires: Option<u32>,
    /// A short text: no names, dates, phone numbers, emails or places (refused otherwise)
    #[arg(long, value_name = "T")]
    text: Option<String>,
}

/// Runs `trellis exchange ...` on a store that acts on regions (`practice`: the store of the
/// practices, where a connection is recorded).
pub fn run(practice: &Store, store: &Store, out: Out, cmd: ExchangeCmd) -> Result<(), Error> {
    match cmd {
        ExchangeCmd::Post(a) => {
            let post = store.post_need(&new_post(*a)?)?;
            out.show(&post, |p| {
                println!(
                    "Posted {} to the region, open until {}.",
                    short(&p.id),
                    &p.expires_at[..10.min(p.expires_at.len())]
                );
                if let Some(n) = &p.notice {
                    println!("{n}");
                }
            });
        }
        ExchangeCmd::List { fits_me, mine } => {
            let posts = store.posts(PostFilter { fits_me, mine })?;
            out.show(&posts, |posts| {
                let rows: Vec<Vec<String>> = posts
                    .iter()
                    .map(|p| {
                        vec![
                            short(&p.id),
                            if p.fits { "fits".into() } else { String::new() },
                            p.need.service.as_str().into(),
                            p.need.age_band.as_str().into(),
                            facets(&p.need),
                            p.need.urgency.as_str().into(),
                            p.status.clone(),
                            p.author.clone(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "ID",
                        "",
                        "SERVICE",
                        "AGES",
                        "NEED",
                        "URGENCY",
                        "STATUS",
                        "POSTED BY",
                    ],
                    &rows,
                    "No posts in this region.",
                );
            });
        }
        ExchangeCmd::Show { post } => {
            let p = store.post(&post)?;
            out.show(&p, show);
        }
        ExchangeCmd::Reply {
            post,
            fit,
            weeks,
            note,
        } => {
            let p = store.reply(
                &post,
                &ReplyInput {
                    fit: Fit::parse(&fit)?,
                    weeks,
                    note,
                },
            )?;
            out.show(&p, |p| {
                println!(
                    "Replied to {}; only {}'s devices can read it.",
                    short(&p.id),
                    p.author
                )
            });
        }
        ExchangeCmd::Close {
            post,
            outcome,
            with,
        } => {
            let p = store.close_post(&post, Outcome::parse(&outcome)?, with.as_deref())?;
            let recorded = match practice.record_exchange(store) {
                Ok(n) => n,
                Err(Error::NoWorkspace) => 0,
                Err(e) => return Err(e),
            };
            out.show(
                &serde_json::json!({ "post": p, "referrals_recorded": recorded }),
                |_| {
                    println!("Closed {} as {}.", short(&p.id), p.status);
                    if let Some(w) = &p.closed_with {
                        println!(
                            "Recorded a referral sent to {w} in your practice, and a thank-you due in two days."
                        );
                    }
                },
            );
        }
        ExchangeCmd::Replies { post } => {
            let replies = store.replies(&post)?;
            out.show(&replies, |replies| {
                let rows: Vec<Vec<String>> = replies
                    .iter()
                    .map(|r| {
                        vec![
                            r.member.clone(),
                            r.fit.as_str().into(),
                            r.weeks.map(|w| w.to_string()).unwrap_or_else(|| "-".into()),
                            r.note.clone().unwrap_or_else(|| "-".into()),
                            r.card
                                .openings
                                .map(|o| o.as_text())
                                .unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                table(
                    &["MEMBER", "FIT", "WEEKS", "NOTE", "OPENINGS"],
                    &rows,
                    "No replies yet.",
                );
            });
        }
    }
    Ok(())
}

fn new_post(a: PostArgs) -> Result<NewPost, Error> {
    let payer = match a.panel.as_deref() {
        None => None,
        Some(p) if p.trim().eq_ignore_ascii_case("self-pay") => Some(Payer::SelfPay),
        Some(p) => Some(Payer::Panel(Panel::parse(p)?)),
    };
    Ok(NewPost {
        need: Need {
            service: Service::parse(&a.service)?,
            age_band: AgeBand::parse(&a.age_band)?,
            specialties: a
                .specialties
                .iter()
                .map(|s| Specialty::parse(s))
                .collect::<Result<_, _>>()?,
            modalities: a
                .modalities
                .iter()
                .map(|s| Modality::parse(s))
                .collect::<Result<_, _>>()?,
            payer,
            zip3: a.zip3,
            telehealth: a
                .telehealth
                .as_deref()
                .map(trellis_core::parse_state)
                .transpose()?,
            language: a.language.as_deref().map(Language::parse).transpose()?,
            when: a.when.as_deref().map(When::parse).transpose()?,
            urgency: Urgency::parse(&a.urgency)?,
            text: a.text,
        },
        expires_days: a.expires,
    })
}

fn facets(n: &Need) -> String {
    let mut parts: Vec<String> = n
        .specialties
        .iter()
        .map(|s| s.as_str().to_string())
        .chain(n.modalities.iter().map(|m| m.as_str().to_string()))
        .collect();
    match n.payer {
        Some(Payer::Panel(p)) => parts.push(p.as_str().into()),
        Some(Payer::SelfPay) => parts.push("self-pay".into()),
        None => {}
    }
    if let Some(z) = &n.zip3 {
        parts.push(format!("ZIP {z}xx"));
    }
    if let Some(st) = &n.telehealth {
        parts.push(format!("telehealth {st}"));
    }
    if let Some(l) = n.language {
        parts.push(l.as_str().into());
    }
    parts.join(", ")
}

fn show(p: &Post) {
    println!("Post {} by {} ({})", short(&p.id), p.author, p.status);
    println!(
        "  {} for ages {}, {}",
        p.need.service,
        p.need.age_band,
        p.need.urgency.as_str()
    );
    println!("  {}", facets(&p.need));
    if let Some(w) = p.need.when {
        println!("  When: {w}");
    }
    if let Some(t) = &p.need.text {
        println!("  \"{t}\"");
    }
    println!(
        "  Posted {}, open until {}",
        &p.posted_at[..10.min(p.posted_at.len())],
        &p.expires_at[..10.min(p.expires_at.len())]
    );
    println!(
        "  {}",
        if p.fits {
            "Fits your card."
        } else {
            "Does not fit your card."
        }
    );
    if let Some(n) = &p.notice {
        println!("  {n}");
    }
}
