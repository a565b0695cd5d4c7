//! Command-line and environment settings, and where the signup secret comes from.
//!
//! A relay started with no flags must be usable at once and safe: it listens on loopback only,
//! keeps its data in `./relay-data`, and makes up a signup secret the first time (written to
//! `DATA/signup-secret` with mode 0600, printed once on stdout), so nobody can create workspaces
//! on it without the operator's say-so.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::auth::SecretHash;
use crate::limits::{Limits, DEFAULT_RATE_PER_MINUTE, DEFAULT_REQUEST_TIMEOUT};
use crate::storage::{LogQuota, DEFAULT_COMPACTED_GRACE_SECONDS};

/// Seconds in a day, for `--compacted-grace-days`.
const SECONDS_PER_DAY: u64 = 24 * 3600;

/// The longest grace period `--compacted-grace-days` accepts (ten years).
pub const MAX_COMPACTED_GRACE_DAYS: u64 = 3650;

/// Name of the file in the data directory that keeps a generated signup secret.
pub const SIGNUP_SECRET_FILE: &str = "signup-secret";

/// Name of the SQLite database file in the data directory.
pub const DATABASE_FILE: &str = "relay.sqlite3";

/// `trellis-relay [flags] [admin ...]`: serves the relay, or runs an operator command.
#[derive(Debug, Clone, Parser)]
#[command(name = "trellis-relay", version, about = "The Trellis sync relay")]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "TRELLIS_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Directory of the relay's database and signup secret (created if missing).
    #[arg(
        long,
        env = "TRELLIS_RELAY_DATA",
        default_value = "relay-data",
        global = true
    )]
    pub data: PathBuf,

    /// The database: `postgres://user:password@host:port/dbname` to share one PostgreSQL
    /// database between several relay processes. Default: SQLite in DATA/relay.sqlite3.
    #[arg(
        long,
        env = "TRELLIS_RELAY_DATABASE",
        hide_env_values = true,
        value_parser = parse_database,
        global = true
    )]
    pub database: Option<String>,

    /// Most connections this process keeps open to PostgreSQL.
    #[arg(long, env = "TRELLIS_RELAY_DATABASE_CONNECTIONS", default_value_t = crate::storage::postgres::DEFAULT_POOL_SIZE, value_parser = parse_connections)]
    pub database_connections: usize,

    /// Secret required to create workspaces. Default: DATA/signup-secret, made on first start.
    #[arg(long, env = "TRELLIS_RELAY_SIGNUP_SECRET", hide_env_values = true)]
    pub signup_secret: Option<String>,

    /// Log format on stderr: `text` for people, `json` (one object a line) for log collectors.
    #[arg(
        long,
        env = "TRELLIS_RELAY_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,

    /// PEM certificate chain: serve HTTPS (with --tls-key) instead of plain HTTP.
    #[arg(long, env = "TRELLIS_RELAY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "TRELLIS_RELAY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Requests a minute each device (or address, for signup and redeem) may make; a burst of
    /// as many is allowed. Over it the relay answers 429 with Retry-After.
    #[arg(long, env = "TRELLIS_RELAY_RATE_PER_MINUTE", default_value_t = NonZeroU32::new(DEFAULT_RATE_PER_MINUTE).unwrap_or(NonZeroU32::MIN))]
    pub rate_per_minute: NonZeroU32,

    /// Seconds a request may take to arrive and be answered; slower ones get 408.
    #[arg(long, env = "TRELLIS_RELAY_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,

    /// Bytes of sealed changes one practice's log may hold (until a checkpoint compacts it);
    /// a push past it is refused with 507 and nothing is stored.
    #[arg(long, env = "TRELLIS_RELAY_MAX_LOG_BYTES", default_value_t = LogQuota::default().max_bytes, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_log_bytes: u64,

    /// Entries one practice's log may hold (until a checkpoint compacts it).
    #[arg(long, env = "TRELLIS_RELAY_MAX_LOG_ENTRIES", default_value_t = LogQuota::default().max_entries, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_log_entries: u64,

    /// Days the log entries a checkpoint compacted are kept (and still pulled, so a device
    /// offline for a while catches up without downloading the checkpoint) before they are
    /// deleted; 0 deletes them when the checkpoint completes. They leave the log quota at
    /// once either way.
    #[arg(long, env = "TRELLIS_RELAY_COMPACTED_GRACE_DAYS", default_value_t = DEFAULT_COMPACTED_GRACE_SECONDS / SECONDS_PER_DAY, value_parser = clap::value_parser!(u64).range(0..=MAX_COMPACTED_GRACE_DAYS))]
    pub compacted_grace_days: u64,

    /// An operator command instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Accepts a PostgreSQL URL only (SQLite is the default and needs no flag).
fn parse_database(url: &str) -> Result<String, String> {
    if crate::storage::postgres::is_postgres_url(url) {
        Ok(url.to_owned())
    } else {
        Err("expected postgres://user:password@host:port/dbname".to_owned())
    }
}

/// Accepts 1 to 1000 connections.
fn parse_connections(n: &str) -> Result<usize, String> {
    match n.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err("expected a number of connections from 1 to 1000".to_owned()),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Commands besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Operator commands on the data directory or the --database (they do not need the relay
    /// to be running).
    Admin {
        /// Which one.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// `trellis-relay admin ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Lists workspaces with their log entries, log bytes, members and devices (read-only).
    Workspaces {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Writes a new signup secret to DATA/signup-secret and prints it. A running relay that
    /// reads its secret from that file uses the new one from the next signup on.
    RotateSignupSecret,
    /// Gives the log a new identity. Run it after putting a backup back and before starting
    /// the relay again: devices that see the new identity pull the whole log again and push
    /// back what the backup lacks.
    Restored,
}

/// Where the signup secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// Given by flag or environment.
    Given,
    /// Read from `DATA/signup-secret`.
    File,
    /// Made now and written to `DATA/signup-secret`.
    Generated,
}

/// Why the signup secret could not be settled.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The given secret, or the file's content, is empty.
    #[error("the signup secret is empty")]
    Empty,
    /// The secret file could not be read or written.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The secret file.
        path: PathBuf,
        /// The I/O failure.
        source: io::Error,
    },
}

impl Config {
    /// The signup secret: the given one, else the data directory's file, else a new one written
    /// there. The data directory must exist.
    pub fn signup_secret(&self) -> Result<(String, SecretSource), SecretError> {
        if let Some(given) = &self.signup_secret {
            let given = given.trim();
            if given.is_empty() {
                return Err(SecretError::Empty);
            }
            return Ok((given.to_owned(), SecretSource::Given));
        }
        let path = self.data.join(SIGNUP_SECRET_FILE);
        let io_err = |source| SecretError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(content) => {
                let secret = content.trim();
                if secret.is_empty() {
                    return Err(SecretError::Empty);
                }
                Ok((secret.to_owned(), SecretSource::File))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let secret = trellis_protocol::random_secret();
                write_private(&path, &secret).map_err(io_err)?;
                Ok((secret, SecretSource::Generated))
            }
            Err(e) => Err(io_err(e)),
        }
    }

    /// The database file's path.
    pub fn database_path(&self) -> PathBuf {
        self.data.join(DATABASE_FILE)
    }

    /// The signup secret file's path.
    pub fn signup_secret_path(&self) -> PathBuf {
        self.data.join(SIGNUP_SECRET_FILE)
    }

    /// How large each practice's log may grow, as the flags ask.
    pub fn log_quota(&self) -> LogQuota {
        LogQuota {
            max_bytes: self.max_log_bytes,
            max_entries: self.max_log_entries,
        }
    }

    /// How long compacted log entries are kept, in seconds, as the flags ask.
    pub fn compacted_grace_seconds(&self) -> u64 {
        self.compacted_grace_days.saturating_mul(SECONDS_PER_DAY)
    }

    /// The traffic limits the flags ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            rate_per_minute: self.rate_per_minute,
            request_timeout: Duration::from_secs(self.request_timeout),
        }
    }
}

/// The signup secret as the running relay checks it.
#[derive(Debug, Clone)]
pub enum SignupSecret {
    /// Given by flag or environment: fixed for the life of the process.
    Fixed(SecretHash),
    /// Kept in `DATA/signup-secret` and read again at every signup, so that
    /// `trellis-relay admin rotate-signup-secret` takes effect without a restart.
    File(Arc<PathBuf>),
}

impl SignupSecret {
    /// Whether `presented` is the current secret (compared in constant time). An unreadable
    /// or empty file accepts nothing.
    pub fn matches(&self, presented: &str) -> bool {
        match self {
            SignupSecret::Fixed(hash) => hash.matches(presented),
            SignupSecret::File(path) => match std::fs::read_to_string(path.as_path()) {
                Ok(content) if !content.trim().is_empty() => {
                    SecretHash::of(content.trim()).matches(presented)
                }
                Ok(_) => {
                    tracing::warn!("the signup secret file is empty; refusing signups");
                    false
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the signup secret file; refusing signups");
                    false
                }
            },
        }
    }
}

/// Replaces the secret in `DATA/signup-secret` with a new random one (written to a private
/// temporary file, synced, then renamed over the old one) and returns it.
pub fn rotate_signup_secret(data: &Path) -> io::Result<String> {
    let path = data.join(SIGNUP_SECRET_FILE);
    let temporary = data.join(format!("{SIGNUP_SECRET_FILE}.new"));
    match std::fs::remove_file(&temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let secret = trellis_protocol::random_secret();
    write_private(&temporary, &secret)?;
    std::fs::rename(&temporary, &path)?;
    if let Ok(dir) = std::fs::File::open(data) {
        // Make the rename durable; not every platform can sync a directory.
        let _ = dir.sync_all();
    }
    Ok(secret)
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, content: &str) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{content}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(data: &Path, secret: Option<&str>) -> Config {
        let mut config =
            Config::try_parse_from(["trellis-relay", "--listen", "127.0.0.1:0"]).unwrap();
        config.data = data.to_path_buf();
        config.signup_secret = secret.map(str::to_owned);
        config
    }

    #[test]
    fn a_secret_is_made_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (made, source) = config(dir.path(), None).signup_secret().unwrap();
        assert_eq!(source, SecretSource::Generated);
        assert_eq!(made.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNUP_SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = config(dir.path(), None).signup_secret().unwrap();
        assert_eq!(
            (again.as_str(), source),
            (made.as_str(), SecretSource::File)
        );

        let (given, source) = config(dir.path(), Some("op")).signup_secret().unwrap();
        assert_eq!((given.as_str(), source), ("op", SecretSource::Given));
        assert!(matches!(
            config(dir.path(), Some("  ")).signup_secret(),
            Err(SecretError::Empty)
        ));
    }

    #[test]
    fn flags_and_defaults_parse() {
        let c = Config::try_parse_from(["trellis-relay"]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(c.data, PathBuf::from("relay-data"));
        let c = Config::try_parse_from([
            "trellis-relay",
            "--listen",
            "0.0.0.0:9000",
            "--data",
            "/tmp/x",
            "--signup-secret",
            "s",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.signup_secret.as_deref(), Some("s"));
        assert!(Config::try_parse_from(["trellis-relay", "--listen", "nowhere"]).is_err());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.limits(), Limits::default());
        assert!(c.command.is_none());
    }

    #[test]
    fn operations_flags_and_admin_commands_parse() {
        let c = Config::try_parse_from([
            "trellis-relay",
            "--log-format",
            "json",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
            "--rate-per-minute",
            "60",
            "--request-timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.tls_cert, Some(PathBuf::from("cert.pem")));
        assert_eq!(c.limits().rate_per_minute.get(), 60);
        assert_eq!(c.limits().request_timeout, Duration::from_secs(5));
        // A certificate without its key (or the reverse) is refused, as is a zero rate.
        assert!(Config::try_parse_from(["trellis-relay", "--tls-cert", "c.pem"]).is_err());
        assert!(Config::try_parse_from(["trellis-relay", "--tls-key", "k.pem"]).is_err());
        assert!(Config::try_parse_from(["trellis-relay", "--rate-per-minute", "0"]).is_err());
        assert!(Config::try_parse_from(["trellis-relay", "--request-timeout", "0"]).is_err());
        // Compacted entries are kept a week unless the operator says otherwise; 0 deletes them
        // at completion, and a grace past ten years is refused.
        let week = Config::try_parse_from(["trellis-relay"]).unwrap();
        assert_eq!(week.compacted_grace_days, 7);
        assert_eq!(week.compacted_grace_seconds(), 7 * 24 * 3600);
        for (days, seconds) in [("0", 0), ("30", 30 * 24 * 3600)] {
            let c =
                Config::try_parse_from(["trellis-relay", "--compacted-grace-days", days]).unwrap();
            assert_eq!(c.compacted_grace_seconds(), seconds);
        }
        for bad in ["-1", "3651", "a week"] {
            assert!(
                Config::try_parse_from(["trellis-relay", "--compacted-grace-days", bad]).is_err()
            );
        }

        let c = Config::try_parse_from([
            "trellis-relay",
            "admin",
            "workspaces",
            "--json",
            "--data",
            "/d",
        ])
        .unwrap();
        assert_eq!(c.data, PathBuf::from("/d"));
        assert!(matches!(
            c.command,
            Some(Command::Admin {
                command: AdminCommand::Workspaces { json: true }
            })
        ));
        let c = Config::try_parse_from(["trellis-relay", "admin", "rotate-signup-secret"]).unwrap();
        assert!(matches!(
            c.command,
            Some(Command::Admin {
                command: AdminCommand::RotateSignupSecret
            })
        ));
    }

    #[test]
    fn a_rotated_secret_replaces_the_file_and_is_checked_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = config(dir.path(), None).signup_secret().unwrap();
        let checker = SignupSecret::File(Arc::new(dir.path().join(SIGNUP_SECRET_FILE)));
        assert!(checker.matches(&first));
        let second = rotate_signup_secret(dir.path()).unwrap();
        assert_ne!(first, second);
        assert!(!checker.matches(&first));
        assert!(checker.matches(&second));
        assert!(!checker.matches(""));
        let (read, source) = config(dir.path(), None).signup_secret().unwrap();
        assert_eq!(
            (read.as_str(), source),
            (second.as_str(), SecretSource::File)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNUP_SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(dir.path().join(SIGNUP_SECRET_FILE)).unwrap();
        assert!(!checker.matches(&second));
    }
}
