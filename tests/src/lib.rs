//! Shared fixtures for the end-to-end scenarios: a real `trellis-relay` process on loopback and
//! devices driven through the real `trellis` CLI, each with its own data directory.
//!
//! The binaries are taken from the workspace's target directory (`target/debug`, or
//! `$CARGO_TARGET_DIR/debug`); they are built once per test run with `cargo build` if needed.

pub mod hostile;
pub mod powercut;
pub mod sim;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The signup secret the test relays are started with.
pub const SIGNUP_SECRET: &str = "test-signup-secret";

/// Directory holding the built `trellis` and `trellis-relay` binaries: `$TRELLIS_BIN_DIR` when
/// set, otherwise the workspace's debug binaries, built on first use.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests/ sits in the workspace root")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        if let Some(dir) = std::env::var_os("TRELLIS_BIN_DIR") {
            // Binaries built elsewhere (e.g. release builds for a measurement).
            return PathBuf::from(dir);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args([
                "build",
                "--quiet",
                "-p",
                "trellis-relay",
                "-p",
                "trellis-cli",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the binaries failed");
        target.join("debug")
    })
}

/// The environment variable naming a PostgreSQL server (a superuser URL) to run the relays
/// on; unset, they use SQLite in their data directory. `scripts/pg.sh` sets it.
pub const POSTGRES_ENV: &str = "TRELLIS_TEST_POSTGRES";

/// The PostgreSQL database of a relay's data directory: the one made for it before (its URL is
/// kept in `DATA/postgres-url`, so a restart finds it), or a fresh one (see
/// [`fresh_database`]) when [`POSTGRES_ENV`] is set; `None` for SQLite. Relays started on one
/// data directory share its database, as relay processes behind a load balancer would.
pub fn database_url(data: &Path) -> Option<String> {
    let file = data.join("postgres-url");
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url.trim().to_string());
    }
    let server = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
    let url = fresh_database(&server);
    std::fs::create_dir_all(data).expect("the data dir can be made");
    std::fs::write(&file, &url).expect("the data dir is writable");
    Some(url)
}

/// Makes an empty database on the PostgreSQL server at `server` (a superuser URL ending with
/// `/dbname`) with `CREATE DATABASE` through `psql`, and returns its URL.
pub fn fresh_database(server: &str) -> String {
    let (base, _) = server.rsplit_once('/').expect("a URL ending with /dbname");
    let name = format!(
        "trellis_e2e_{}",
        trellis_protocol::random_secret()[..24].to_lowercase()
    );
    let made = Command::new("psql")
        .args([server, "-qAt", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(made.success(), "creating a PostgreSQL database failed");
    format!("{base}/{name}")
}

/// A relay process. Killed (SIGKILL) when dropped.
pub struct Relay {
    child: Child,
    /// Its data directory.
    pub data: PathBuf,
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl Relay {
    /// Starts a relay on `data`, on `port` (0: an ephemeral one), and waits until it listens.
    /// It deletes compacted log entries when a checkpoint completes
    /// (`--compacted-grace-days 0`), as the stories that expect a device to bootstrap right
    /// after a checkpoint need; [`Relay::start_with`] starts one with the relay's defaults.
    pub fn start(data: &Path, port: u16) -> Relay {
        Relay::start_with(data, port, &["--compacted-grace-days", "0"])
    }

    /// Starts a relay as [`Relay::start`] does, with exactly `flags` added to its command line
    /// (none: the relay's own defaults, such as its 7-day grace period for compacted entries).
    pub fn start_with(data: &Path, port: u16, flags: &[&str]) -> Relay {
        let mut command = Command::new(bin_dir().join("trellis-relay"));
        if let Some(url) = database_url(data) {
            command.args(["--database", &url]);
        }
        let mut child = command
            .args(flags)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .args(["--signup-secret", SIGNUP_SECRET])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the relay starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("the relay exited before listening"),
            }
        };
        // Keep draining stdout so the relay never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the URL ends with a port");
        Relay {
            child,
            data: data.to_path_buf(),
            url,
            port,
        }
    }

    /// Kills the relay with SIGKILL, as a crash would.
    pub fn kill(mut self) -> (PathBuf, u16) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.data.clone(), self.port)
    }

    /// Kills it and starts it again on the same data and port.
    pub fn restart(self) -> Relay {
        let (data, port) = self.kill();
        Relay::start_retrying(&data, port)
    }

    /// Starts on a given port, retrying briefly while the old socket is released.
    pub fn start_retrying(data: &Path, port: u16) -> Relay {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let attempt = std::panic::catch_unwind(|| Relay::start(data, port));
            match attempt {
                Ok(r) => return r,
                Err(e) if Instant::now() > deadline => std::panic::resume_unwind(e),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// Backs up a stopped relay's data as its operator would (`server/README.md`, Backups): the
    /// data directory copied to `to`, and on PostgreSQL a `pg_dump` of its database there.
    pub fn backup(data: &Path, to: &Path) {
        copy_dir(data, to);
        if let Some(url) = database_url(data) {
            let dumped = Command::new("pg_dump")
                .args(["-Fc", "-d", &url, "-f"])
                .arg(to.join("relay.pgdump"))
                .status()
                .expect("pg_dump runs");
            assert!(dumped.success(), "pg_dump failed");
        }
    }

    /// Puts a backup made by [`Relay::backup`] back in place of a stopped relay's data, then
    /// runs `trellis-relay admin restored` as the restore procedure says, unless `tell` is
    /// false (an operator who forgot).
    pub fn restore(data: &Path, from: &Path, tell: bool) {
        copy_dir(from, data);
        let url = database_url(data);
        if let Some(url) = &url {
            let restored = Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "-d", url])
                .arg(from.join("relay.pgdump"))
                .status()
                .expect("pg_restore runs");
            assert!(restored.success(), "pg_restore failed");
        }
        if tell {
            let mut command = Command::new(bin_dir().join("trellis-relay"));
            if let Some(url) = &url {
                command.args(["--database", url]);
            }
            let out = command
                .arg("--data")
                .arg(data)
                .args(["admin", "restored"])
                .output()
                .expect("the relay's admin command runs");
            assert!(
                out.status.success(),
                "admin restored failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// All bytes of the relay's database files (main file and WAL), and of its PostgreSQL
    /// database's tables when it has one, to scan for plaintext.
    pub fn database_bytes(data: &Path) -> Vec<u8> {
        let mut all = Vec::new();
        if let Some(url) = database_url(data) {
            // On PostgreSQL: every table's rows as raw bytes (binary COPY keeps bytea raw).
            for table in [
                "workspaces",
                "members",
                "devices",
                "invites",
                "log",
                "sealed_keys",
                "checkpoints",
                "checkpoint_docs",
            ] {
                let copy = format!("COPY (SELECT * FROM {table}) TO STDOUT (FORMAT binary)");
                let out = Command::new("psql")
                    .args([url.as_str(), "-qAt", "-c", &copy])
                    .output()
                    .expect("psql runs");
                assert!(out.status.success(), "reading {table} failed");
                all.extend(out.stdout);
            }
        }
        for entry in std::fs::read_dir(data).expect("the data dir exists") {
            let path = entry.expect("readable dir").path();
            if path.is_file() {
                all.extend(std::fs::read(&path).unwrap_or_default());
            }
        }
        all
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A device: the `trellis` CLI with its own data directory.
pub struct Device {
    /// Its data directory.
    pub data: PathBuf,
}

impl Device {
    /// A device whose store lives in `data`.
    pub fn new(data: PathBuf) -> Device {
        Device { data }
    }

    /// Runs `trellis --data DIR ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin_dir().join("trellis"))
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .env_remove("TRELLIS_DATA")
            .env_remove("TRELLIS_SIGNUP_SECRET")
            .output()
            .expect("the CLI runs")
    }

    /// Runs a command with `--json`, asserts it succeeded and returns its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.run(&full);
        assert!(
            out.status.success(),
            "trellis {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "trellis {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs a command that must fail and returns its JSON error (`{"error", "message"}`).
    pub fn json_err(&self, args: &[&str]) -> Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.run(&full);
        assert!(!out.status.success(), "trellis {args:?} should have failed");
        serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
            panic!(
                "trellis {args:?} printed no JSON error ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Sets the device up for `name` and founds a practice on `relay`; returns the workspace.
    pub fn found_practice(&self, relay: &Relay, name: &str, practice: &str) -> Value {
        self.json(&["init", "--name", name]);
        self.json(&[
            "workspace",
            "create",
            practice,
            "--relay",
            &relay.url,
            "--signup-secret",
            SIGNUP_SECRET,
        ])
    }

    /// Sets the device up for `name` and founds `practice` on `relay` with the school and the
    /// counselor most stories start from: Lincoln Middle School and Rosa Jimenez there.
    pub fn found_practice_with_school(&self, relay: &Relay, name: &str, practice: &str) {
        self.found_practice(relay, name, practice);
        self.json(&["org", "add", "Lincoln Middle School", "--kind", "school"]);
        self.json(&["contact", "add", "Rosa Jimenez", "--org", "Lincoln"]);
    }

    /// Sets `other` up as another device of this device's member (named `name`), joined with a
    /// device invite from this one: the join, a sync here (which hands the practice's keys to
    /// the new device) and one of the new device. Returns the joined workspace and that sync's
    /// report, as `{"workspace", "sync"}`.
    pub fn add_device(&self, other: &Device, name: &str) -> Value {
        let code = self.invite(&["--device"]);
        other.json(&["init", "--name", name]);
        self.let_in(other, &code)
    }

    /// `other` (set up already) joins with `code` from this device; this device syncs, which
    /// hands the practice's keys to it, then `other` syncs. Returns the joined workspace and
    /// that sync's report, as `{"workspace", "sync"}`.
    pub fn let_in(&self, other: &Device, code: &str) -> Value {
        let joined = other.json(&["workspace", "join", code]);
        assert_eq!(joined["awaiting_keys"], true, "{joined}");
        self.json(&["sync"]);
        let synced = other.json(&["sync"]);
        serde_json::json!({ "workspace": joined["workspace"], "sync": synced })
    }

    /// An invite code from this device (`extra`: e.g. `["--device"]` or `["--role", "admin"]`).
    pub fn invite(&self, extra: &[&str]) -> String {
        let mut args = vec!["workspace", "invite"];
        args.extend_from_slice(extra);
        self.json(&args)["code"]
            .as_str()
            .expect("an invite code")
            .to_string()
    }

    /// Sets another device up for `name` and joins it with a member invite from this one: the
    /// join, a sync here (which hands the practice's keys to the new device) and one of the new
    /// device. Returns the joined workspace and that sync's report, as `{"workspace", "sync"}`.
    pub fn invite_member(&self, who: &Device, name: &str) -> Value {
        let code = self.invite(&[]);
        who.json(&["init", "--name", name]);
        self.let_in(who, &code)
    }

    /// The notes of every activity the device lists, sorted.
    pub fn activity_notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .json(&["activity", "list"])
            .as_array()
            .expect("a list")
            .iter()
            .map(|a| a["note"].as_str().unwrap_or_default().to_string())
            .collect();
        notes.sort();
        notes
    }

    /// Every key epoch the device's store holds for its current workspace (a member holds
    /// them all).
    pub fn keys(&self) -> trellis_core::crypto::KeyRing {
        let (_, ws) = self.credentials();
        let conn =
            rusqlite::Connection::open(self.data.join("trellis.sqlite3")).expect("the store opens");
        let mut st = conn
            .prepare("SELECT epoch, key FROM workspace_keys WHERE ws = ?1 ORDER BY epoch")
            .expect("the key table reads");
        let keys: Vec<(u32, trellis_core::crypto::WorkspaceKey)> = st
            .query_map([ws], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .expect("the key table reads")
            .map(|r| {
                let (epoch, key) = r.expect("a key row");
                let key = trellis_core::crypto::WorkspaceKey::from_slice(&key).expect("a key");
                (epoch, key)
            })
            .collect();
        trellis_core::crypto::KeyRing::from_keys(keys).expect("epoch 0 is there")
    }

    /// What a change envelope of this device holds for `change` in document `doc`: the change
    /// and its signed trailer, signed with this device's key under the newest roster event it
    /// holds. For stories in which a member sends by hand what her device could sign.
    pub fn sign_change(
        &self,
        doc: &trellis_protocol::Id,
        change_hash: &[u8; 32],
        change_bytes: &[u8],
    ) -> Vec<u8> {
        use trellis_core::crypto::{signing, DeviceSigner, RosterMark};
        let (_, ws) = self.credentials();
        let ws: trellis_protocol::Id = ws.parse().expect("a workspace id");
        let conn =
            rusqlite::Connection::open(self.data.join("trellis.sqlite3")).expect("the store opens");
        let meta = |key: &str| -> String {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .expect("the device's identity is in the store")
        };
        let key = DeviceSigner::from_hex(&meta("device_sign_secret")).expect("a signing key");
        let me: trellis_protocol::Id = meta("device_id").parse().expect("a device id");
        let (seq, event): (i64, Vec<u8>) = conn
            .query_row(
                "SELECT seq, event FROM roster WHERE ws = ?1 ORDER BY seq DESC LIMIT 1",
                [ws.to_hex()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the device holds its practice's roster");
        let mut hash = [0u8; 16];
        hash.copy_from_slice(&trellis_core::roster::event_hash(&event)[..16]);
        let mark = RosterMark {
            seq: seq as u64,
            hash,
        };
        let trailer = signing::sign_change(&key, &me, &ws, doc, mark, change_hash);
        signing::signed_payload(change_bytes, &trailer)
    }

    /// Every change in the device's outbox, opened with `keys` and taken out of its signed
    /// envelope: (document, change). For stories in which a member takes what a device made.
    pub fn outbox_changes(
        &self,
        keys: &trellis_core::crypto::KeyRing,
    ) -> Vec<(trellis_protocol::Id, automerge::Change)> {
        use trellis_core::crypto::{signing::split_signed, Sealed};
        let (_, ws) = self.credentials();
        let ws: trellis_protocol::Id = ws.parse().expect("a workspace id");
        let conn =
            rusqlite::Connection::open(self.data.join("trellis.sqlite3")).expect("the store opens");
        let mut st = conn
            .prepare("SELECT doc_id, envelope FROM outbox ORDER BY id")
            .expect("the outbox reads");
        st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .expect("the outbox reads")
        .map(|r| {
            let (doc, envelope) = r.expect("an outbox row");
            let doc: trellis_protocol::Id = doc.parse().expect("a document id");
            let plain = keys
                .open(Sealed::Change, &ws, &doc, &envelope)
                .expect("the device's own change opens");
            let (bytes, _) = split_signed(&plain).expect("a signed change");
            let change =
                automerge::Change::from_bytes(bytes.to_vec()).expect("an automerge change");
            (doc, change)
        })
        .collect()
    }

    /// The device token and workspace id its store holds for the current workspace.
    pub fn credentials(&self) -> (String, String) {
        let conn =
            rusqlite::Connection::open(self.data.join("trellis.sqlite3")).expect("the store opens");
        conn.query_row(
            "SELECT w.token, w.id FROM workspaces w
             JOIN meta m ON m.key = 'current_workspace' AND m.value = w.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the device has a connected workspace")
    }
}

/// The envelope of a stored log entry or snapshot (what comes before its signed trailer).
pub fn envelope_of(bytes: &[u8]) -> &[u8] {
    trellis_core::crypto::SignedEntry::split(bytes)
        .map(|e| e.envelope)
        .unwrap_or(bytes)
}

/// Copies the files of directory `from` into `to`, replacing what `to` held.
pub fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("the directory can be made");
    for entry in std::fs::read_dir(from).expect("the directory reads") {
        let entry = entry.expect("the entry reads");
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("the file copies");
        }
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
