//! `trellis-relay admin ...`: the operator's commands, run on the data directory directly.
//!
//! `admin workspaces` opens the database **read-only** (SQLite's WAL lets it read while a relay
//! is serving) and lists each workspace's log entries (and how many of them are compacted
//! entries kept for their grace period), log bytes, members and devices. It shows
//! workspace ids and counts only: the relay holds no names, and the logs are encrypted.
//! Removed members and revoked devices are not counted. `admin rotate-signup-secret` writes a
//! new secret to `DATA/signup-secret` ([`crate::config::rotate_signup_secret`]). `admin restored`,
//! run after a backup was put back and before the relay starts again, gives the log a new
//! identity, so every device notices the rollback and heals it.
//!
//! The same read-only queries feed the log gauges of `/metrics` through [`DatabaseFile`].
//!
//! With `--database postgres://...` the same listing is read from PostgreSQL (one consistent
//! snapshot), and [`PgLogSize`] feeds the gauges. The signup secret file stays per data
//! directory: relays sharing a database should be given one secret by flag or environment.

use std::io::{self, Write};
use std::path::PathBuf;

use rusqlite::{Connection, OpenFlags};

use crate::config::{rotate_signup_secret, AdminCommand, Config};
use crate::metrics::LogSizeSource;
use crate::storage::postgres::PgStorage;
pub use crate::storage::WorkspaceSummary;
use crate::storage::{sqlite, LogSize, StorageError};

/// Why an admin command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// There is no database in the data directory.
    #[error("no relay database at {0}")]
    NoDatabase(PathBuf),
    /// The database could not be read.
    #[error("cannot read the database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A file could not be read or written, or output failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Output could not be encoded.
    #[error("cannot encode the listing: {0}")]
    Json(#[from] serde_json::Error),
    /// The PostgreSQL database could not be reached or read.
    #[error("cannot read the database: {0}")]
    Storage(#[from] StorageError),
}

/// The relay's database file, opened read-only for each question.
#[derive(Debug, Clone)]
pub struct DatabaseFile {
    path: PathBuf,
}

impl DatabaseFile {
    /// The database at `path` (it is opened only when asked something).
    pub fn new(path: impl Into<PathBuf>) -> DatabaseFile {
        DatabaseFile { path: path.into() }
    }

    fn open(&self) -> Result<Connection, AdminError> {
        if !self.path.exists() {
            return Err(AdminError::NoDatabase(self.path.clone()));
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Every workspace, oldest first.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceSummary>, AdminError> {
        Ok(sqlite::workspace_summaries(&self.open()?)?)
    }

    /// Workspaces, log entries and log bytes across the whole relay.
    pub fn log_size(&self) -> Result<LogSize, AdminError> {
        Ok(sqlite::log_size(&self.open()?)?)
    }
}

impl LogSizeSource for DatabaseFile {
    fn log_size(&self) -> Result<LogSize, String> {
        DatabaseFile::log_size(self).map_err(|e| e.to_string())
    }
}

/// The log gauges of a relay on PostgreSQL, read from the database at each scrape.
#[derive(Clone)]
pub struct PgLogSize {
    storage: PgStorage,
    runtime: tokio::runtime::Handle,
}

impl PgLogSize {
    /// Reads through `storage`, on `runtime` (the scrape runs on a blocking thread).
    pub fn new(storage: PgStorage, runtime: tokio::runtime::Handle) -> PgLogSize {
        PgLogSize { storage, runtime }
    }
}

impl LogSizeSource for PgLogSize {
    fn log_size(&self) -> Result<LogSize, String> {
        self.runtime
            .block_on(self.storage.log_size())
            .map_err(|e| e.to_string())
    }
}

/// Runs an admin command for `config`, writing its output to `out`.
pub async fn run(
    config: &Config,
    command: &AdminCommand,
    out: &mut impl Write,
) -> Result<(), AdminError> {
    match command {
        AdminCommand::Workspaces { json } => {
            let listing = match &config.database {
                Some(url) => PgStorage::connect(url, 1).await?.workspaces().await?,
                None => DatabaseFile::new(config.database_path()).workspaces()?,
            };
            if *json {
                serde_json::to_writer_pretty(&mut *out, &listing)?;
                writeln!(out)?;
            } else {
                write_table(&listing, out)?;
            }
        }
        AdminCommand::Restored => {
            let log_id = match &config.database {
                Some(url) => PgStorage::connect(url, 1).await?.restored().await?,
                None => {
                    let path = config.database_path();
                    if !path.exists() {
                        return Err(AdminError::NoDatabase(path));
                    }
                    sqlite::SqliteStorage::restored(&path)?
                }
            };
            writeln!(
                out,
                "the log has a new identity ({log_id}): devices will push back what the backup lacks"
            )?;
        }
        AdminCommand::RotateSignupSecret => {
            std::fs::create_dir_all(&config.data)?;
            let secret = rotate_signup_secret(&config.data)?;
            writeln!(out, "signup secret: {secret}")?;
            if config.signup_secret.is_some() {
                writeln!(
                    out,
                    "note: this relay is configured with --signup-secret or \
                     TRELLIS_RELAY_SIGNUP_SECRET, which wins over the file; change that instead"
                )?;
            }
        }
    }
    Ok(())
}

fn write_table(listing: &[WorkspaceSummary], out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<32}  {:>10}  {:>10}  {:>12}  {:>7}  {:>7}",
        "workspace", "entries", "compacted", "bytes", "members", "devices"
    )?;
    for w in listing {
        writeln!(
            out,
            "{:<32}  {:>10}  {:>10}  {:>12}  {:>7}  {:>7}",
            w.workspace_id, w.log_entries, w.compacted_entries, w.log_bytes, w.members, w.devices
        )?;
    }
    let (entries, compacted, bytes) = listing.iter().fold((0u64, 0u64, 0u64), |(e, c, b), w| {
        (e + w.log_entries, c + w.compacted_entries, b + w.log_bytes)
    });
    writeln!(
        out,
        "{} workspaces, {entries} entries, {bytes} bytes \
         ({compacted} of the entries compacted, kept for their grace period)",
        listing.len()
    )
}
