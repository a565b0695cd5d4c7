//! Command-line and environment settings, and where the signup secret comes from.
//!
//! A relay started with no flags must be usable at once and safe: it listens on loopback only,
//! keeps its data in `./relay-data`, and makes up a signup secret the first time (written to
//! `DATA/signup-secret` with mode 0600, printed once on stdout), so nobody can create workspaces
//! on it without the operator's say-so.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Parser;

/// Name of the file in the data directory that keeps a generated signup secret.
pub const SIGNUP_SECRET_FILE: &str = "signup-secret";

/// Name of the SQLite database file in the data directory.
pub const DATABASE_FILE: &str = "relay.sqlite3";

/// `trellis-relay [--listen ADDR] [--data DIR] [--signup-secret S]`.
#[derive(Debug, Clone, Parser)]
#[command(name = "trellis-relay", version, about = "The Trellis sync relay")]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "TRELLIS_RELAY_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Directory of the relay's database and signup secret (created if missing).
    #[arg(long, env = "TRELLIS_RELAY_DATA", default_value = "relay-data")]
    pub data: PathBuf,

    /// Secret required to create workspaces. Default: DATA/signup-secret, made on first start.
    #[arg(long, env = "TRELLIS_RELAY_SIGNUP_SECRET", hide_env_values = true)]
    pub signup_secret: Option<String>,
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
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data: data.to_path_buf(),
            signup_secret: secret.map(str::to_owned),
        }
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
    }
}
