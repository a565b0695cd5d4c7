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
    /// Log a networking activity: drop-by, meeting, call, email, talk, workshop, training,
    /// event, pro-bono, listserv, thank-you, gift
    Log(LogArgs),
    /// Logged activities
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// Search contacts, organizations, needs and notes (every word is a prefix)
    Search {
        /// Words to look for
        query: String,
    },
    /// Follow-ups: thank-yous, check-ins, resources to send
    #[command(subcommand)]
    Followup(FollowupCmd),
    /// Referrals received and sent (never who the client is)
    #[command(subcommand)]
    Referral(ReferralCmd),
    /// Reports: week, month, referrals, reciprocity, stock
    Report(ReportArgs),
    /// Leave-behinds and their stock
    #[command(subcommand)]
    Stock(StockCmd),
    /// Elevator pitches per contact category
    #[command(subcommand)]
    Pitch(PitchCmd),
    /// Community and professional memberships
    #[command(subcommand)]
    Membership(MembershipCmd),
    /// The practice's goals
    #[command(subcommand)]
    Goal(GoalCmd),
    /// Your profile card: specialties, ages, panels, openings, pitch; as a vCard or QR code
    #[command(subcommand)]
    Profile(crate::profile::ProfileCmd),
    /// Regions: shared spaces of therapists of many practices, with their own members,
    /// moderators, invites and key (`region` commands act on the current region)
    #[command(subcommand)]
    Region(RegionCmd),
    /// The referral exchange of the current region: post a need, see the needs that fit you
    #[command(subcommand)]
    Exchange(crate::exchange::ExchangeCmd),
    /// Import contacts from vCard or CSV
    #[command(subcommand)]
    Import(crate::interop::ImportCmd),
    /// Export contacts (vCard, CSV) or follow-ups and networking time (ICS)
    #[command(subcommand)]
    Export(crate::interop::ExportCmd),
    /// Push this device's changes to the relay, then pull everyone else's
    Sync,
    /// Pending changes, last sync and cursor
    Status,
    /// Entries pulled from the relay that this device could not apply and keeps aside
    SetAside,
}

/// `trellis region ...`
#[derive(Debug, Subcommand)]
pub enum RegionCmd {
    /// Create a region on a relay, with you as its owner, and make it the current region
    Create {
        /// The region's name ("Pioneer Valley therapists")
        name: String,
        /// Relay URL
        #[arg(long)]
        relay: String,
        /// The relay operator's signup secret
        #[arg(long, env = "TRELLIS_SIGNUP_SECRET", hide_env_values = true)]
        signup_secret: String,
    },
    /// Print a single-use invite code to the current region, valid 72 hours (owners and
    /// moderators); `invite list` and `invite cancel ID` for open invites
    #[command(args_conflicts_with_subcommands = true)]
    Invite {
        /// List or cancel open invites instead
        #[command(subcommand)]
        action: Option<InviteCmd>,
        /// Role of the new member
        #[arg(long, default_value = "member", value_parser = ["member", "moderator"])]
        role: String,
    },
    /// Join a region with an invite code (it becomes the current region)
    Join {
        /// The invite code
        code: String,
        /// Reach the relay at this URL instead of the one in the code
        #[arg(long)]
        relay: Option<String>,
    },
    /// Regions on this device
    List,
    /// Make another region current
    Use {
        /// Region name or id prefix
        region: String,
    },
    /// Members of the current region and their devices, with fingerprints
    Members,
    /// Remove a member from the current region and rotate its key (owners and moderators)
    Remove {
        /// Member name or id prefix
        member: String,
    },
    /// Leave the current region; this device deletes its data (your practice stays)
    Leave,
    /// Push and pull the current region (`trellis sync` does it too)
    Sync,
}

/// `trellis workspace invite ...`
#[derive(Debug, Subcommand)]
pub enum InviteCmd {
    /// Open invites of the current practice (not used, cancelled or expired)
    List,
    /// Cancel an open invite: its code then lets nobody in
    Cancel {
        /// The invite's id or a prefix of it (from `invite list`)
        invite: String,
    },
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
    /// Print a single-use invite code, valid 72 hours (it carries no key, but whoever uses it
    /// first joins: share it privately); `invite list` and `invite cancel ID` for open invites
    #[command(args_conflicts_with_subcommands = true)]
    Invite {
        /// List or cancel open invites instead
        #[command(subcommand)]
        action: Option<InviteCmd>,
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
    /// Members of the current practice and their devices, with fingerprints (from the
    /// practice's signed roster)
    Members,
    /// This device's fingerprint, for a colleague to compare face to face
    Fingerprint,
    /// Record that a colleague's device showed this fingerprint face to face
    Verify {
        /// Member name or id prefix
        member: String,
        /// The fingerprint her device shows ("12345 67890 12345 67890")
        fingerprint: String,
    },
    /// Revoke a device (lost phone, old laptop): it loses access at once
    Revoke {
        /// Device id prefix, as `workspace members` shows
        device: String,
    },
    /// Remove a member from the practice and rotate the key (owners and admins)
    Remove {
        /// Member name or id prefix
        member: String,
    },
    /// Leave the practice; this device deletes its data
    Leave,
    /// Make another member the owner (you become an admin)
    Transfer {
        /// Member name or id prefix
        member: String,
    },
    /// Make a new key for the practice and share it with every remaining device
    RotateKey,
    /// Upload a checkpoint (every document, sealed) so new devices start fast and the relay
    /// can compact its log
    Checkpoint,
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
        /// Phone
        #[arg(long)]
        phone: Option<String>,
        /// Website
        #[arg(long)]
        website: Option<String>,
        /// Latitude (with --lon), for `org nearby`
        #[arg(long, requires = "lon", allow_negative_numbers = true)]
        lat: Option<f64>,
        /// Longitude (with --lat)
        #[arg(long, requires = "lat", allow_negative_numbers = true)]
        lon: Option<f64>,
    },
    /// List organizations
    List,
    /// Change an organization's fields: only those given; an empty value clears a text
    Edit {
        /// Name or id prefix
        org: String,
        /// New name
        #[arg(long)]
        name: Option<String>,
        /// Kind
        #[arg(long)]
        kind: Option<String>,
        /// Street address
        #[arg(long)]
        address: Option<String>,
        /// Phone
        #[arg(long)]
        phone: Option<String>,
        /// Website
        #[arg(long)]
        website: Option<String>,
    },
    /// Set an organization's location
    Locate {
        /// Name or id prefix
        org: String,
        /// Latitude
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// Longitude
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
    },
    /// Organizations near a point, nearest first, with days since the last visit
    Nearby {
        /// Latitude
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        /// Longitude
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// Radius in kilometres
        #[arg(long, default_value_t = 10.0)]
        within_km: f64,
    },
    /// Archive an organization (hide it from lists); --undo brings it back
    Archive {
        /// Name or id prefix
        org: String,
        /// Unarchive instead
        #[arg(long)]
        undo: bool,
    },
    /// Delete an organization on every device, for good
    Delete {
        /// Name or id prefix
        org: String,
    },
}

/// `trellis contact ...`
#[derive(Debug, Subcommand)]
pub enum ContactCmd {
    /// Add a referral source
    Add(ContactAdd),
    /// List contacts with their last touch
    List,
    /// Change a contact's fields: only those given; an empty value clears a text, and
    /// --phone, --email or --tag given replace that list (--phone "" empties it)
    Edit(ContactEdit),
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
    /// Move a contact to a stage: prospect, introduced, connected, referring, reciprocal, dormant
    Stage {
        /// Name or id prefix
        contact: String,
        /// The stage
        stage: String,
    },
    /// Set how often (days) to be in touch with a contact
    Cadence {
        /// Name or id prefix
        contact: String,
        /// Days
        days: u32,
    },
    /// Contacts past their cadence, furthest past first
    LosingTouch,
    /// Archive a contact (hide it from lists); --undo brings it back
    Archive {
        /// Name or id prefix
        contact: String,
        /// Unarchive instead
        #[arg(long)]
        undo: bool,
    },
    /// Delete a contact on every device, for good
    Delete {
        /// Name or id prefix
        contact: String,
    },
}

/// `trellis contact edit`
#[derive(Debug, Args)]
pub struct ContactEdit {
    /// Name or id prefix
    pub contact: String,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// Organization (name or id prefix; "" for none)
    #[arg(long)]
    pub org: Option<String>,
    /// Role or title
    #[arg(long)]
    pub role: Option<String>,
    /// Category
    #[arg(long)]
    pub category: Option<String>,
    /// Phone numbers (repeat for several), replacing the list
    #[arg(long = "phone")]
    pub phones: Option<Vec<String>>,
    /// Email addresses (repeat for several), replacing the list
    #[arg(long = "email")]
    pub emails: Option<Vec<String>>,
    /// Their population's needs
    #[arg(long)]
    pub needs: Option<String>,
    /// How we can help them
    #[arg(long)]
    pub how_we_help: Option<String>,
    /// Tags (repeat for several), replacing the list
    #[arg(long = "tag")]
    pub tags: Option<Vec<String>>,
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
    /// Role or title
    #[arg(long)]
    pub role: Option<String>,
    /// prospect, introduced, connected, referring, reciprocal, dormant
    #[arg(long)]
    pub stage: Option<String>,
    /// Days between touches [default: by category]
    #[arg(long)]
    pub cadence: Option<u32>,
    /// How we can help them
    #[arg(long)]
    pub how_we_help: Option<String>,
    /// A tag; repeat for several
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

/// `trellis log KIND ...`
#[derive(Debug, Args)]
pub struct LogArgs {
    /// drop-by, meeting, call, email, talk, workshop, training, event, pro-bono, listserv, thank-you, gift
    pub kind: String,
    /// Organization (name or id prefix); required for a drop-by
    #[arg(long)]
    pub org: Option<String>,
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
    /// For a talk or workshop: the audience (e.g. "Rotary lunch")
    #[arg(long)]
    pub audience: Option<String>,
    /// For a talk or workshop: how many attended
    #[arg(long)]
    pub size: Option<u32>,
}

/// `trellis followup ...`
#[derive(Debug, Subcommand)]
pub enum FollowupCmd {
    /// List open follow-ups, soonest first
    List {
        /// Only those due within a day or overdue
        #[arg(long, conflicts_with_all = ["overdue", "all"])]
        due: bool,
        /// Only overdue ones
        #[arg(long, conflicts_with = "all")]
        overdue: bool,
        /// Done ones too
        #[arg(long)]
        all: bool,
    },
    /// Add a check-in, a resource to send, or a custom follow-up
    Add {
        /// Contact (name or id prefix)
        #[arg(long)]
        contact: Option<String>,
        /// Organization (name or id prefix)
        #[arg(long)]
        org: Option<String>,
        /// check-in, send-resource, thank-you, custom
        #[arg(long, default_value = "check-in")]
        kind: String,
        /// Due: a day (2026-12-01) or RFC 3339 time [default: in a week]
        #[arg(long)]
        due: Option<String>,
        /// Note
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark a follow-up done
    Done {
        /// Id prefix
        id: String,
    },
    /// Move a follow-up's due date
    Snooze {
        /// Id prefix
        id: String,
        /// New due day or time
        #[arg(long)]
        until: String,
    },
    /// Assign a follow-up to another member
    Assign {
        /// Id prefix
        id: String,
        /// Member name or id prefix
        member: String,
    },
}

/// `trellis referral ...`
#[derive(Debug, Subcommand)]
pub enum ReferralCmd {
    /// Record a referral (no client details, ever)
    Add {
        /// Received from this contact or organization
        #[arg(long, conflicts_with = "to", required_unless_present = "to")]
        from: Option<String>,
        /// Sent to this contact or organization
        #[arg(long)]
        to: Option<String>,
        /// Reason category, e.g. "adolescent anxiety", couples, trauma, grief
        #[arg(long)]
        reason: String,
        /// inquiry, scheduled, became-client, not-a-fit
        #[arg(long)]
        status: Option<String>,
        /// in-person, phone, listserv, directory, other
        #[arg(long)]
        channel: Option<String>,
        /// The day (YYYY-MM-DD) [default: today]
        #[arg(long)]
        on: Option<String>,
        /// Note (keep client details out)
        #[arg(long)]
        note: Option<String>,
    },
    /// List referrals, newest first
    List {
        /// From this day
        #[arg(long)]
        since: Option<String>,
        /// Until this day
        #[arg(long)]
        until: Option<String>,
    },
}

/// `trellis report ...`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// week (minutes by week against the goal), month (new connections), referrals, reciprocity, stock
    #[arg(value_parser = ["week", "month", "referrals", "reciprocity", "stock"])]
    pub report: String,
    /// First day (YYYY-MM-DD)
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD)
    #[arg(long)]
    pub to: Option<String>,
    /// For `month`: which month (YYYY-MM) [default: this month]
    #[arg(long)]
    pub month: Option<String>,
}

/// `trellis stock ...`
#[derive(Debug, Subcommand)]
pub enum StockCmd {
    /// Restock an item (adds it to the catalog if new)
    Add {
        /// Item, e.g. brochure
        item: String,
        /// How many more
        qty: u32,
    },
    /// Items, stock and low-stock warnings
    List,
    /// Warn when an item's stock is at or below N
    Low {
        /// Item
        item: String,
        /// Threshold
        at: u32,
    },
}

/// `trellis pitch ...`
#[derive(Debug, Subcommand)]
pub enum PitchCmd {
    /// Set the pitch for a contact category (empty text removes it)
    Set {
        /// Contact category
        category: String,
        /// The pitch
        text: String,
    },
    /// Show the pitch for a contact category
    Show {
        /// Contact category
        category: String,
    },
}

/// `trellis membership ...`
#[derive(Debug, Subcommand)]
pub enum MembershipCmd {
    /// Record a membership of yours
    Add {
        /// Organization (name or id prefix)
        org: String,
        /// Your role (member, board, chair, ...)
        #[arg(long)]
        role: String,
        /// Renewal day (YYYY-MM-DD)
        #[arg(long)]
        renews: Option<String>,
    },
    /// Memberships in the practice, by renewal date
    List,
}

/// `trellis goal ...`
#[derive(Debug, Subcommand)]
pub enum GoalCmd {
    /// Show the goals
    Show,
    /// Change goals
    Set {
        /// Networking minutes a week
        #[arg(long)]
        minutes_per_week: Option<u32>,
        /// New connections a month
        #[arg(long)]
        new_connections: Option<u32>,
        /// Hours after a visit by which a thank-you is due
        #[arg(long)]
        thank_you_hours: Option<u32>,
    },
}

/// `trellis activity ...`
#[derive(Debug, Subcommand)]
pub enum ActivityCmd {
    /// List activities, newest first
    List,
}
