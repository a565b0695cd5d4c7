//! A real `trellis-relay` process on loopback, as the measurements use it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::Result;

/// The signup secret the benchmark relays are started with.
pub const SIGNUP_SECRET: &str = "bench-signup-secret";

/// The release `trellis-relay` binary: `$TRELLIS_RELAY_BIN` when set, otherwise
/// `target/release/trellis-relay`, built with `cargo build --release -p trellis-relay` when
/// missing. The documented commands build it first, so a measurement never runs an old relay.
pub fn relay_bin() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TRELLIS_RELAY_BIN") {
        return Ok(PathBuf::from(p));
    }
    let bin = crate::target_dir().join("release").join("trellis-relay");
    if bin.exists() {
        return Ok(bin);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args(["build", "--quiet", "--release", "-p", "trellis-relay"])
        .status()?;
    if !status.success() {
        return Err("building the release relay failed".into());
    }
    Ok(bin)
}

/// How to start a relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Its data directory.
    pub data: PathBuf,
    /// A PostgreSQL URL (`--database`), for relays sharing one database; `None`: SQLite in
    /// `data`.
    pub database: Option<String>,
    /// Requests a minute each device may make (the load generator lifts the default).
    pub rate_per_minute: u32,
}

impl RelayOptions {
    /// SQLite in `data`, with a rate limit no benchmark reaches.
    pub fn sqlite(data: &Path) -> RelayOptions {
        RelayOptions {
            data: data.to_path_buf(),
            database: None,
            rate_per_minute: 10_000_000,
        }
    }
}

/// A running relay. Killed when dropped.
pub struct RelayProcess {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl RelayProcess {
    /// Starts a relay on an ephemeral loopback port and waits until it listens.
    pub fn start(bin: &Path, opts: &RelayOptions) -> Result<RelayProcess> {
        let mut cmd = Command::new(bin);
        cmd.args(["--listen", "127.0.0.1:0"])
            .arg("--data")
            .arg(&opts.data)
            .args(["--signup-secret", SIGNUP_SECRET])
            .args(["--rate-per-minute", &opts.rate_per_minute.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(db) = &opts.database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().ok_or("the relay's stdout is piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("the relay exited before listening".into());
                }
            }
        };
        // Keep draining stdout so the relay never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or("the relay's URL ends with a port")?;
        Ok(RelayProcess { child, url, port })
    }

    /// The relay's process id (for its memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`; `None` if
/// it cannot be read (not Linux, or the process is gone). `/proc` counts in `USER_HZ`, which
/// Linux fixes at 100 a second for user space.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}
