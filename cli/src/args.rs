//! The command line, as clap reads it. Every command works offline except those that talk to
//! a relay (`workspace create --relay`, `workspace connect|invite|join`, `sync`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Trellis: cultivate a therapy practice's referral network, offline first.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about, long_about = None)]
pub struct Cli {
    /// Data directory of this device's store [default: the per-user data directory]
    #[arg(long, global = true, env = "TRELLIS_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print JSON instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up this device with your name (shown to the rest of your practice)
    Init {
        /// Your name
        #[arg(long)]
        name: String,
    },
    /// Create, share and join practices (workspaces)
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Organizations: schools, clinics, congregations, firms, clubs
    #[command(subcommand)]
    Org(OrgCmd),
    /// Referral sources
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Log networking activities
    #[command(subcommand)]
    Log(LogCmd),
    /// Logged activities
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// Search contacts, organizations, needs and notes (every word is a prefix)
    Search {
        /// Words to look for
        query: String,
    },
    /// Push this device's changes to the relay, then pull everyone else's
    Sync,
    /// Pending changes, last sync and cursor
    Status,
}

/// `trellis workspace ...`
#[derive(Debug, Subcommand)]
pub enum WorkspaceCmd {
    /// Create a practice; prints its id. Without --relay it stays local until connected
    Create {
        /// The practice's name
        name: String,
        /// Relay URL, e.g. http://127.0.0.1:8787
        #[arg(long)]
        relay: Option<String>,
        /// The relay operator's signup secret
        #[arg(long, env = "TRELLIS_SIGNUP_SECRET", hide_env_values = true)]
        signup_secret: Option<String>,
    },
    /// Connect the current local-only practice to a relay
    Connect {
        /// Relay URL
        #[arg(long)]
        relay: String,
        /// The relay operator's signup secret
        #[arg(long, env = "TRELLIS_SIGNUP_SECRET", hide_env_values = true)]
        signup_secret: String,
    },
    /// Print a single-use invite code (it carries the practice's key: share it privately)
    Invite {
        /// Role of the new member
        #[arg(long, default_value = "member", value_parser = ["member", "admin"])]
        role: String,
        /// Invite another device of yours instead of a new member
        #[arg(long)]
        device: bool,
    },
    /// Join a practice with an invite code, then sync
    Join {
        /// The invite code
        code: String,
        /// Reach the relay at this URL instead of the one in the code
        #[arg(long)]
        relay: Option<String>,
    },
    /// Practices on this device
    List,
    /// Make a practice current
    Use {
        /// Name or id prefix
        workspace: String,
    },
}

/// `trellis org ...`
#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Add an organization
    Add {
        /// Name
        name: String,
        /// school, clinic, primary-care, hospital, place-of-worship, law-firm, wellness, community-org, professional-org, other
        #[arg(long, default_value = "other")]
        kind: String,
        /// Street address
        #[arg(long)]
        address: Option<String>,
    },
    /// List organizations
    List,
}

/// `trellis contact ...`
#[derive(Debug, Subcommand)]
pub enum ContactCmd {
    /// Add a referral source
    Add(ContactAdd),
    /// List contacts with their last touch
    List,
    /// Show a contact with notes
    Show {
        /// Name or id prefix
        contact: String,
    },
    /// Append a dated entry to a contact's notes (keep client details out)
    Note {
        /// Name or id prefix
        contact: String,
        /// The text to append
        #[arg(long)]
        append: String,
    },
}

/// `trellis contact add`
#[derive(Debug, Args)]
pub struct ContactAdd {
    /// Name
    pub name: String,
    /// Organization (name or id prefix)
    #[arg(long)]
    pub org: Option<String>,
    /// school-counselor, school-psychologist, social-worker, pediatrician, primary-care, psychiatrist, therapist, clergy, family-lawyer, attorney, nutritionist, yoga, acupuncture, massage, community-leader, other
    #[arg(long)]
    pub category: Option<String>,
    /// Phone
    #[arg(long)]
    pub phone: Option<String>,
    /// Email
    #[arg(long)]
    pub email: Option<String>,
    /// Their population's needs
    #[arg(long)]
    pub needs: Option<String>,
}

/// `trellis log ...`
#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Log a drop-by
    DropBy(DropBy),
}

/// `trellis log drop-by`
#[derive(Debug, Args)]
pub struct DropBy {
    /// Organization (name or id prefix)
    #[arg(long)]
    pub org: String,
    /// A contact met (name or id prefix); repeat for several
    #[arg(long = "contact")]
    pub contacts: Vec<String>,
    /// Minutes spent
    #[arg(long, default_value_t = 15)]
    pub minutes: u32,
    /// Note (keep client details out)
    #[arg(long)]
    pub note: Option<String>,
    /// Something left behind, as ITEM:QTY (e.g. brochure:10); repeat for several
    #[arg(long = "left")]
    pub left: Vec<String>,
    /// When, RFC 3339 (e.g. 2026-11-20T09:30:00-05:00) [default: now]
    #[arg(long)]
    pub at: Option<String>,
}

/// `trellis activity ...`
#[derive(Debug, Subcommand)]
pub enum ActivityCmd {
    /// List activities, newest first
    List,
}
