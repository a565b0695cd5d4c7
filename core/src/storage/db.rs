//! The local SQLite file: connection settings and the versioned schema.
//!
//! One file per device, in WAL mode with `synchronous=NORMAL` (a committed action survives an
//! app crash or kill; see docs for power loss). Tables:
//!
//! * `meta`: this device's identity and the current workspace.
//! * `workspaces`: each workspace joined, its key, relay, token and pull cursor.
//! * `documents`: the latest saved bytes of every automerge document.
//! * `outbox`: local changes, already encrypted, that the relay has not acknowledged.
//! * `held_changes` and `set_aside`: pulled changes waiting for their dependencies, and pulled
//!   entries that could not be applied (kept, counted in the status, never blocking a pull).
//! * the index (`orgs`, `contacts`, `contact_notes`, `activities`, `activity_contacts`,
//!   `members`, and the FTS5 table `search`): what every screen reads. It is rewritten for a
//!   document in the same transaction as the document changes, and can be rebuilt from the
//!   documents at any time. The full-text rows of logbook and ledger entries go through
//!   `search_queue` first and reach `search` in batches, always before a search reads it
//!   (see `index`).
//!
//! The schema version lives in `PRAGMA user_version`; [`migrate`] applies the numbered
//! migrations in order, each in its own transaction. A store that holds a workspace written in
//! the first data format (before migration 14) is refused with a clear error, not migrated.

use std::sync::{Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::Connection;

use crate::base::error::{Error, Result};

/// Numbered migrations; index `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key BLOB NOT NULL,
    member_id TEXT NOT NULL,
    role TEXT NOT NULL,
    relay_url TEXT,
    token TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE documents (
    ws TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    kind TEXT,
    bytes BLOB NOT NULL,
    PRIMARY KEY (ws, doc_id)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ws TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    change_hash BLOB NOT NULL,
    envelope BLOB NOT NULL
);
CREATE INDEX outbox_ws ON outbox (ws, id);
CREATE TABLE members (
    ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE TABLE orgs (
    ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    address TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE TABLE contacts (
    ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, org_id TEXT,
    category TEXT NOT NULL, phones TEXT NOT NULL, emails TEXT NOT NULL, needs TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE TABLE contact_notes (
    ws TEXT NOT NULL, contact_id TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL,
    author_id TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (ws, contact_id, id)
);
CREATE TABLE activities (
    ws TEXT NOT NULL, id TEXT NOT NULL, logbook_id TEXT NOT NULL, kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL, minutes INTEGER NOT NULL, org_id TEXT, note TEXT,
    left_behind TEXT NOT NULL, logged_by TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE INDEX activities_at ON activities (ws, at_ms);
CREATE INDEX activities_logbook ON activities (ws, logbook_id);
CREATE TABLE activity_contacts (
    ws TEXT NOT NULL, activity_id TEXT NOT NULL, contact_id TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (ws, activity_id, contact_id)
);
CREATE INDEX activity_contacts_contact ON activity_contacts (ws, contact_id);
CREATE VIRTUAL TABLE search USING fts5(
    ws UNINDEXED, doc_id UNINDEXED, kind UNINDEXED, id UNINDEXED, title, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#,
    // 2: the referral-network practices. Index tables are derived from the documents, so they
    // are recreated and refilled (see `open`).
    r#"
DROP TABLE orgs;
DROP TABLE contacts;
DROP TABLE activities;
CREATE TABLE orgs (
    ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    address TEXT, phone TEXT, website TEXT, lat REAL, lon REAL,
    archived INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE TABLE contacts (
    ws TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, org_id TEXT, role TEXT,
    category TEXT NOT NULL, stage TEXT NOT NULL, cadence_days INTEGER,
    phones TEXT NOT NULL, emails TEXT NOT NULL, needs TEXT, how_we_help TEXT,
    tags TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE TABLE activities (
    ws TEXT NOT NULL, id TEXT NOT NULL, logbook_id TEXT NOT NULL, kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL, minutes INTEGER NOT NULL, org_id TEXT, note TEXT,
    left_behind TEXT NOT NULL, logged_by TEXT NOT NULL, audience TEXT, attendance INTEGER,
    PRIMARY KEY (ws, id)
);
CREATE INDEX activities_at ON activities (ws, at_ms);
CREATE INDEX activities_logbook ON activities (ws, logbook_id);
CREATE INDEX activities_org ON activities (ws, org_id);
CREATE TABLE followups (
    ws TEXT NOT NULL, id TEXT NOT NULL, logbook_id TEXT NOT NULL, kind TEXT NOT NULL,
    contact_id TEXT, org_id TEXT, activity_id TEXT, due_ms INTEGER NOT NULL, note TEXT,
    done_ms INTEGER, assigned_to TEXT NOT NULL, created_by TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE INDEX followups_due ON followups (ws, done_ms, due_ms);
CREATE INDEX followups_logbook ON followups (ws, logbook_id);
CREATE TABLE referrals (
    ws TEXT NOT NULL, id TEXT NOT NULL, ledger_id TEXT NOT NULL, direction TEXT NOT NULL,
    day TEXT NOT NULL, contact_id TEXT, org_id TEXT, reason TEXT NOT NULL,
    status TEXT NOT NULL, channel TEXT NOT NULL, note TEXT, recorded_by TEXT NOT NULL,
    PRIMARY KEY (ws, id)
);
CREATE INDEX referrals_ledger ON referrals (ws, ledger_id);
CREATE TABLE catalog (
    ws TEXT NOT NULL, item TEXT NOT NULL, name TEXT NOT NULL, stock INTEGER NOT NULL,
    low_at INTEGER NOT NULL,
    PRIMARY KEY (ws, item)
);
CREATE TABLE pitches (ws TEXT NOT NULL, category TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (ws, category));
CREATE TABLE memberships (
    ws TEXT NOT NULL, id TEXT NOT NULL, org_id TEXT NOT NULL, member_id TEXT NOT NULL,
    role TEXT NOT NULL, renews TEXT,
    PRIMARY KEY (ws, id)
);
CREATE TABLE reasons (ws TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (ws, key));
CREATE TABLE settings (ws TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (ws, key));
DELETE FROM search;
DELETE FROM contact_notes;
DELETE FROM activity_contacts;
DELETE FROM members;
"#,
    // 3: key rotation: every epoch's workspace key (epoch 0 is `workspaces.key`).
    r#"
CREATE TABLE workspace_keys (
    ws TEXT NOT NULL, epoch INTEGER NOT NULL, key BLOB NOT NULL,
    PRIMARY KEY (ws, epoch)
);
INSERT INTO workspace_keys (ws, epoch, key) SELECT id, 0, key FROM workspaces;
"#,
    // 4: gap repair: pulled changes whose dependencies have not arrived (automerge would drop
    // them when the document is saved).
    r#"
CREATE TABLE held_changes (
    ws TEXT NOT NULL, doc_id TEXT NOT NULL, hash BLOB NOT NULL, bytes BLOB NOT NULL,
    PRIMARY KEY (ws, doc_id, hash)
);
"#,
    // 5: which document each full-text row came from, indexed, so rewriting one document's
    // rows does not scan the whole FTS table (its UNINDEXED columns have no index).
    r#"
CREATE TABLE search_rows (
    rowid INTEGER PRIMARY KEY, ws TEXT NOT NULL, doc_id TEXT NOT NULL
);
CREATE INDEX search_rows_doc ON search_rows (ws, doc_id);
DELETE FROM search;
"#,
    // 6: writes cost what changed, not the size of the document. A document is its last full
    // save (`documents.bytes`) plus the changes saved since, one row each in `doc_chunks`, folded
    // back into a full save now and then. `version` changes with every save, so a document
    // kept in memory is known to be current by reading one integer. Full-text rows remember the
    // entry (activity, follow-up, referral) they came from, so one entry's rows can be
    // rewritten alone.
    r#"
ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN chunk_bytes INTEGER NOT NULL DEFAULT 0;
CREATE TABLE doc_chunks (
    ws TEXT NOT NULL, doc_id TEXT NOT NULL, n INTEGER NOT NULL, bytes BLOB NOT NULL,
    PRIMARY KEY (ws, doc_id, n)
);
ALTER TABLE search_rows ADD COLUMN entry TEXT;
DROP INDEX search_rows_doc;
CREATE INDEX search_rows_entry ON search_rows (ws, doc_id, entry);
CREATE INDEX contacts_name ON contacts (ws, name COLLATE NOCASE, id);
CREATE INDEX orgs_name ON orgs (ws, name COLLATE NOCASE);
DELETE FROM search;
DELETE FROM search_rows;
"#,
    // 7: a contact's last touch is the last entry of one index: each activity_contacts row
    // carries its activity's time (written with the row, rebuilt with the index).
    r#"
ALTER TABLE activity_contacts ADD COLUMN at_ms INTEGER NOT NULL DEFAULT 0;
DROP INDEX activity_contacts_contact;
CREATE INDEX activity_contacts_touch ON activity_contacts (ws, contact_id, at_ms);
DELETE FROM activity_contacts;
"#,
    // 8: a visit's contact links keep their rows in their primary key's B-tree (WITHOUT
    // ROWID): one B-tree fewer to write for every contact of every visit.
    r#"
DROP TABLE activity_contacts;
CREATE TABLE activity_contacts (
    ws TEXT NOT NULL, activity_id TEXT NOT NULL, contact_id TEXT NOT NULL,
    position INTEGER NOT NULL, at_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ws, activity_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX activity_contacts_touch ON activity_contacts (ws, contact_id, at_ms);
"#,
    // 9: the search catch-up. A bulk bootstrap writes every index row but the full-text ones,
    // and keeps each new document's index snapshot here (deflated, as it came) until the
    // catch-up writes its full-text rows (see `index::defer_search`).
    r#"
CREATE TABLE search_pending (
    ws TEXT NOT NULL, doc_id TEXT NOT NULL, rows BLOB NOT NULL,
    PRIMARY KEY (ws, doc_id)
);
"#,
    // 10: the search queue. A change to a logbook or ledger (a drop-by, an edit, a pull) writes
    // the full-text row of each entry it touched here, one small row, instead of into the FTS
    // table's six B-trees; the queue is emptied into the FTS table in batches, before any
    // search reads it (see `index::queue_search`). A row with no `kind` says the entry has
    // no full-text row any more.
    r#"
CREATE TABLE search_queue (
    ws TEXT NOT NULL, doc_id TEXT NOT NULL, entry TEXT NOT NULL,
    kind TEXT, id TEXT, title TEXT, body TEXT,
    PRIMARY KEY (ws, doc_id, entry)
) WITHOUT ROWID;
"#,
    // 11: entries set aside. A pulled entry that does not open, does not match its hash or that
    // automerge refuses is kept here with its seq (NULL for a change that was held back for
    // missing dependencies first) instead of stopping the pull (see `sync::set_aside`).
    r#"
CREATE TABLE set_aside (
    id INTEGER PRIMARY KEY, ws TEXT NOT NULL, seq INTEGER, doc_id TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL, bytes BLOB NOT NULL, at TEXT NOT NULL,
    UNIQUE (ws, seq)
);
"#,
    // 12: the identity of the relay's log as this device last saw it (`LOG_ID_HEADER`): when it
    // changes, the relay was restored from a backup and the device heals the rollback.
    r#"
ALTER TABLE workspaces ADD COLUMN log_id TEXT;
"#,
    // 13: a row deleted from the full-text index takes its tokens out of the index at once,
    // instead of leaving them in older segments until a merge: with `secure_delete`, a purged
    // workspace leaves no word of a name or note in the file.
    r#"
INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
"#,
    // 14: the second data format: padded envelopes with associated data of their own for
    // changes and snapshots, keys sealed with their workspace and epoch, logbook and ledger ids
    // keyed with the workspace's secret (`crypto`). A store that holds a workspace written
    // before it is refused by `open`, not migrated (see [`FORMAT_VERSION`]).
    r#"
INSERT OR REPLACE INTO meta (key, value) VALUES ('data_format', '2');
"#,
    // 15: the third data format: signed changes and snapshots, and the signed roster, kept as
    // verified (`roster`); each change's signature, to hand it back to a relay that lost it
    // (`change_sigs`); devices checked face to face (`verified_devices`); the hash an entry set
    // aside was stored under, to apply it again once a key it lacked arrives. Refused like
    // format 2 before it ([`FORMAT_VERSION`]).
    r#"
CREATE TABLE roster (
    ws TEXT NOT NULL, seq INTEGER NOT NULL, event BLOB NOT NULL,
    PRIMARY KEY (ws, seq)
) WITHOUT ROWID;
CREATE TABLE change_sigs (
    ws TEXT NOT NULL, hash BLOB NOT NULL, trailer BLOB NOT NULL,
    PRIMARY KEY (ws, hash)
) WITHOUT ROWID;
CREATE TABLE verified_devices (
    ws TEXT NOT NULL, device_id TEXT NOT NULL, fingerprint TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (ws, device_id)
) WITHOUT ROWID;
ALTER TABLE set_aside ADD COLUMN hash BLOB;
INSERT OR REPLACE INTO meta (key, value) VALUES ('data_format', '3');
"#,
    // 16: members' profile cards, indexed from the workspace document.
    r#"
CREATE TABLE cards (
    ws TEXT NOT NULL, member_id TEXT NOT NULL, card TEXT NOT NULL,
    PRIMARY KEY (ws, member_id)
) WITHOUT ROWID;
"#,
    // 17: a workspace is a practice or a region (`Scope`).
    r#"
ALTER TABLE workspaces ADD COLUMN kind TEXT NOT NULL DEFAULT 'practice';
"#,
    // 18: needs posted to a region, one document each.
    r#"
CREATE TABLE posts (
    ws TEXT NOT NULL, id TEXT NOT NULL, author TEXT NOT NULL, need TEXT NOT NULL,
    created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, status TEXT NOT NULL,
    replies INTEGER NOT NULL, closed_with TEXT,
    PRIMARY KEY (ws, id)
) WITHOUT ROWID;
"#,
];

/// The schema version from which documents, envelopes and keys are in the current data
/// format. A store from before it that holds a workspace is refused with an error that says so:
/// its envelopes would not open and its logbooks would not be found under their new ids, and no
/// data of the first format was ever deployed, so none is migrated. A store with no workspace
/// yet (only this device's identity) holds nothing of the old format and is brought up to date.
const FORMAT_VERSION: u32 = 15;

/// The index tables' secondary indexes, by name and what they index, as the migrations leave
/// them. A large bootstrap into an empty workspace drops them while it writes and makes them
/// after ([`drop_secondary_indexes`], [`ensure_secondary_indexes`]): sorting every row once
/// costs a fraction of inserting each row into each index at a random place. [`open`] makes
/// any that are missing, so a bootstrap cut short by a crash leaves nothing slow behind. They
/// are the whole store's: while a device that belongs to two practices bootstraps the second,
/// lists of the first are read without them (slower, never wrong).
pub(crate) const SECONDARY_INDEXES: &[(&str, &str)] = &[
    ("activities_at", "activities (ws, at_ms)"),
    ("activities_logbook", "activities (ws, logbook_id)"),
    ("activities_org", "activities (ws, org_id)"),
    (
        "activity_contacts_touch",
        "activity_contacts (ws, contact_id, at_ms)",
    ),
    ("followups_due", "followups (ws, done_ms, due_ms)"),
    ("followups_logbook", "followups (ws, logbook_id)"),
    ("referrals_ledger", "referrals (ws, ledger_id)"),
    ("search_rows_entry", "search_rows (ws, doc_id, entry)"),
    ("contacts_name", "contacts (ws, name COLLATE NOCASE, id)"),
    ("orgs_name", "orgs (ws, name COLLATE NOCASE)"),
];

/// Drops the index tables' [`SECONDARY_INDEXES`], in one transaction.
pub(crate) fn drop_secondary_indexes(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    for (name, _) in SECONDARY_INDEXES {
        tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
    }
    tx.commit()?;
    Ok(())
}

/// Makes any of the [`SECONDARY_INDEXES`] that are missing, in one transaction.
pub(crate) fn ensure_secondary_indexes(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    for (name, on) in SECONDARY_INDEXES {
        tx.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))?;
    }
    tx.commit()?;
    Ok(())
}

/// The schema version from which the index last changed shape: a store migrated across it has
/// its index rebuilt from the documents when opened.
const INDEX_VERSION: u32 = 18;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Locks the store's connection. A panic while holding the lock leaves SQLite consistent (the
/// transaction rolls back on drop), so a poisoned lock is safe to keep using.
pub(crate) fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes the store's folder (`0700`, like every folder it has to create) and file (`0600`)
/// readable by this user only, before SQLite opens it: the file holds the device's keys and
/// token and the practice's notes. SQLite gives its `-wal` and `-shm` files the database
/// file's mode. An older store's files that others may read are narrowed to their owner's
/// bits (never widened: a store made read-only stays so); one whose mode cannot be changed
/// (an immutable file) is opened as it is. A folder that exists already keeps its mode (it may
/// be a shared one the user chose).
pub fn prepare_files(path: &std::path::Path) -> Result<()> {
    let failed =
        |what: &str, e: std::io::Error| Error::invalid(format!("cannot prepare the {what}: {e}"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| failed("data directory", e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed("store file", e)),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::Path::new(&name);
            let Ok(meta) = std::fs::metadata(file) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                // Best effort: an immutable file keeps its mode and is opened as it is.
                let _ =
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o600));
            }
        }
    }
    Ok(())
}

/// Opens (creating if needed) the store file and brings its schema up to date. The flag says
/// whether the index must be rebuilt from the documents.
pub fn open(path: &std::path::Path, durability: Durability) -> Result<(Connection, bool)> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // One action runs a few dozen distinct statements (documents, outbox, every index table):
    // rusqlite's default cache of 16 would evict and re-parse them on every write.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // A cached statement whose plan looked at a bound value (a LEFT JOIN on a bound column, a
    // MAX over a bound key) is marked to be planned again whenever its bindings are cleared,
    // which rusqlite does each time it returns the statement to the cache: re-parsing three
    // statements was a tenth of a drop-by. With the planner's stability guarantee, a plan
    // never depends on bound values, so a cached statement stays prepared.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // A browser's VFS (OPFS) has no shared memory, and SQLite runs WAL without it only on a
    // database opened exclusively: one connection, which a browser's store is (one worker of
    // the origin holds it; docs/WEB.md). Otherwise WAL is refused there and every commit
    // flushes a rollback journal and the file: a drop-by took 2.5 times as long.
    #[cfg(target_arch = "wasm32")]
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A WAL file keeps its largest size unless told: large transactions (a long pull, a
    // bootstrap) would leave it at hundreds of megabytes for good. With a limit, SQLite cuts
    // it back when it next starts the log over (after a bootstrap of a large practice, the
    // search catch-up truncates it outright: it was 436 MB on the bench's device).
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    conn.pragma_update(None, "synchronous", durability.pragma())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted content is overwritten, not left in free pages: a purged workspace is gone.
    conn.pragma_update(None, "secure_delete", "ON")?;
    let before: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    refuse_old_format(&conn, before)?;
    migrate(&mut conn)?;
    ensure_secondary_indexes(&mut conn)?;
    Ok((conn, before > 0 && before < INDEX_VERSION))
}

/// Opens a read-only connection to a store file [`open`] has brought up to date: the reads'
/// own, beside the writer's (WAL lets it read the last committed state at any time).
pub fn open_reader(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

/// How hard a commit works to survive a crash (SQLite's `synchronous` setting, in WAL mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=NORMAL`: a committed action survives the app being killed; the last few
    /// actions before a power loss or OS crash may be lost (never corrupted). Well under a
    /// millisecond per action. The default.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is flushed to the disk before the action returns, so
    /// it also survives a power loss. Costs a disk flush per action (milliseconds).
    Full,
}

/// Puts every commit made so far on the disk, whatever the store's [`Durability`]: one small
/// commit with `synchronous=FULL` flushes the WAL, and with it every commit before it. For what
/// a power cut must never take back: the device's identity, a practice's credentials, a token
/// made before it is sent to the relay (a relay that registered it while the device forgot it
/// would hold the device out).
pub(crate) fn flush_to_disk(conn: &Connection) -> Result<()> {
    let before: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let flushed = conn
        .execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('flushed_at', ?1)",
            [crate::base::time::now_rfc3339()],
        )
        .map(drop);
    conn.pragma_update(None, "synchronous", before)?;
    Ok(flushed?)
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// Bytes the WAL file is cut back to once a checkpoint has copied all of it into the database
/// (SQLite's `journal_size_limit`): room for [`WAL_BOUND_PAGES`] pages and then some, so
/// everyday writes, even a long run of them, never grow it again.
const WAL_SIZE_LIMIT: i64 = 36 << 20;

/// WAL pages after which the log is copied back into the database file.
const CHECKPOINT_PAGES: i32 = 1000;

/// WAL pages after which the writer itself copies the log back, between two transactions, so
/// that its next transaction starts the log over. The background checkpoint alone never gets
/// there while writes follow each other closely (each pass ends behind the last commit): 1,500
/// drop-bys back to back left a 224 MB WAL, and appending to it made the kernel allocate and
/// zero a block for every page written. Kept under [`WAL_SIZE_LIMIT`] (a page is 4,120 bytes
/// in the log), so the log restarts inside the file SQLite keeps; high enough that the pause
/// (waiting for the background pass, then copying what is left) comes once every ~250
/// drop-bys back to back, too rarely to reach their 99th percentile.
const WAL_BOUND_PAGES: i32 = 8 * CHECKPOINT_PAGES;

/// Moves WAL checkpoints off the write path: SQLite would otherwise copy the log into the
/// database (and flush it) inside whichever commit crosses [`CHECKPOINT_PAGES`], making that one
/// action tens of milliseconds. Instead a commit that crosses it wakes a background thread,
/// which runs a passive checkpoint on its own connection (it never blocks a writer). A commit
/// that leaves the log at [`WAL_BOUND_PAGES`] copies it back itself, once the thread's pass is
/// over, so that a long run of actions starts the log over too; unless a bulk write (over
/// [`CHECKPOINT_PAGES`] at once, as a bootstrap makes) went into the log since it last started
/// over, which is left to the thread. The thread ends when `conn` is closed.
pub fn checkpoint_in_background(conn: &mut Connection, path: &std::path::Path) -> Result<()> {
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    // Held by whoever is checkpointing: SQLite lets one checkpoint run at a time and turns any
    // other away at once, so the writer waits here for the thread to finish its pass.
    let copying = std::sync::Arc::new(std::sync::Mutex::new(()));
    let thread_copying = copying.clone();
    let path = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("trellis-wal-checkpoint".into())
        .spawn(move || {
            let Ok(conn) = Connection::open(&path) else {
                return;
            };
            while woken.recv().is_ok() {
                let _copying = thread_copying.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!("background checkpoint failed: {e}");
                }
            }
        });
    if spawned.is_err() {
        // No thread: SQLite checkpoints inside commits as usual.
        return Ok(());
    }
    // The log's pages after the last commit, and whether a bulk write went into it since it
    // last started over.
    let (mut pages_before, mut bulk) = (0, false);
    conn.wal_hook(Some(
        move |wal: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
            let written = if pages >= pages_before {
                pages - pages_before
            } else {
                bulk = false; // The log started over.
                pages
            };
            bulk |= written >= CHECKPOINT_PAGES;
            pages_before = pages;
            // Only after actions, not bulk writes (a bootstrap's pages of documents): the writer
            // would wait for every pass instead of writing on while the thread copies.
            if pages >= WAL_BOUND_PAGES && !bulk {
                let _copying = copying.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = wal.checkpoint_v2(rusqlite::wal::CheckpointMode::PASSIVE) {
                    tracing::debug!("checkpoint of a long WAL failed: {e}");
                }
            } else if pages >= CHECKPOINT_PAGES {
                // Full means a checkpoint is already due; the thread will see this commit's pages.
                let _ = wake.try_send(());
            }
            Ok(())
        },
    ))?;
    Ok(())
}

/// Refuses a store written before [`FORMAT_VERSION`] that holds a workspace.
fn refuse_old_format(conn: &Connection, version: u32) -> Result<()> {
    if version == 0 || version >= FORMAT_VERSION {
        return Ok(());
    }
    let workspaces: i64 = conn.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))?;
    if workspaces == 0 {
        return Ok(());
    }
    Err(Error::invalid(
        "this store was written by an earlier version of Trellis, in a data format this \
         version does not read (its envelopes, document ids and signatures changed); open it with the \
         version that wrote it to export what it holds, then start a new store here",
    ))
}

/// Applies every migration past the file's `user_version`.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_the_latest_schema_and_reopening_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let (conn, rebuild) = open(&path, Durability::Normal).unwrap();
        assert!(!rebuild, "a new file has nothing to rebuild");
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let schema = |c: &Connection| -> Vec<String> {
            let mut st = c
                .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let before = schema(&conn);
        drop(conn);
        let (again, rebuild) = open(&path, Durability::Normal).unwrap();
        assert!(!rebuild);
        assert_eq!(schema(&again), before);

        // A store from schema 1 upgrades to the same schema as a fresh one, and asks for its
        // index to be rebuilt.
        let old = dir.path().join("old.sqlite3");
        {
            let mut c = Connection::open(&old).unwrap();
            let tx = c.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.pragma_update(None, "user_version", 1).unwrap();
            tx.commit().unwrap();
        }
        let (upgraded, rebuild) = open(&old, Durability::Normal).unwrap();
        assert!(rebuild);
        assert_eq!(schema(&upgraded), before);
    }

    #[test]
    fn a_store_of_the_first_data_format_is_refused_and_an_empty_one_is_brought_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let old_at = |name: &str, with_workspace: bool| {
            let path = dir.path().join(name);
            let mut c = Connection::open(&path).unwrap();
            let tx = c.transaction().unwrap();
            for sql in &MIGRATIONS[..FORMAT_VERSION as usize - 1] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", FORMAT_VERSION - 1)
                .unwrap();
            if with_workspace {
                tx.execute(
                    "INSERT INTO workspaces (id, name, key, member_id, role, created_at)
                     VALUES ('ab', 'Maple Street', x'00', 'cd', 'owner', 'then')",
                    [],
                )
                .unwrap();
            }
            tx.commit().unwrap();
            path
        };
        let err = open(&old_at("old.sqlite3", true), Durability::Normal).unwrap_err();
        assert!(err.to_string().contains("data format"), "{err}");
        let path = old_at("identity-only.sqlite3", false);
        let (conn, _) = open(&path, Durability::Normal).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn a_cached_statement_is_not_planned_again_each_time_it_is_used() {
        // How a drop-by reads its activity back: joins on the bound workspace column. Without
        // the planner's stability guarantee, SQLite re-parsed it on every use after the first.
        let dir = tempfile::tempdir().unwrap();
        let (conn, _) = open(&dir.path().join("store.sqlite3"), Durability::Normal).unwrap();
        let sql = "SELECT a.id, o.name FROM activities a
                   LEFT JOIN orgs o ON o.ws = a.ws AND o.id = a.org_id
                   WHERE a.ws = ?1 AND a.id = ?2";
        for id in ["first visit", "second visit", "third visit"] {
            let mut st = conn.prepare_cached(sql).unwrap();
            let mut rows = st.query(rusqlite::params!["practice", id]).unwrap();
            assert!(rows.next().unwrap().is_none());
        }
        let st = conn.prepare_cached(sql).unwrap();
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn the_secondary_index_list_is_the_migrations_own_and_open_remakes_what_a_bootstrap_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let (mut conn, _) = open(&path, Durability::Normal).unwrap();
        let indexes = |c: &Connection| -> Vec<String> {
            let mut st = c
                .prepare(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                     AND tbl_name NOT IN ('outbox') ORDER BY name",
                )
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let mut listed: Vec<String> = SECONDARY_INDEXES
            .iter()
            .map(|(name, on)| format!("CREATE INDEX {name} ON {on}"))
            .collect();
        listed.sort_by_key(|sql| sql.split(' ').nth(2).unwrap_or_default().to_string());
        // Migrated only (as a store opened by an older build was), the same indexes.
        let migrated = Connection::open_in_memory().unwrap();
        {
            let mut m = migrated;
            migrate(&mut m).unwrap();
            assert_eq!(
                indexes(&m),
                listed,
                "the list matches what the migrations make"
            );
        }
        assert_eq!(indexes(&conn), listed);

        drop_secondary_indexes(&mut conn).unwrap();
        assert!(indexes(&conn).is_empty());
        drop(conn);
        let (again, _) = open(&path, Durability::Normal).unwrap();
        assert_eq!(indexes(&again), listed, "open makes them again");
    }

    /// Writes that follow each other closely (an import, a day's visits logged on the train)
    /// start the log over now and then instead of growing it for as long as they last.
    #[test]
    fn a_long_run_of_back_to_back_writes_keeps_the_wal_within_its_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let (mut conn, _) = open(&path, Durability::Normal).unwrap();
        checkpoint_in_background(&mut conn, &path).unwrap();
        conn.execute_batch("CREATE TABLE burst (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .unwrap();
        let wal = dir.path().join("store.sqlite3-wal");
        let body = vec![7u8; 16 << 10];
        let mut largest = 0;
        // About five pages a write: 80 MB of log in all, were it never started over.
        for _ in 0..4000 {
            conn.execute("INSERT INTO burst (body) VALUES (?1)", [&body])
                .unwrap();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        assert!(
            largest <= WAL_SIZE_LIMIT as u64 + (2 << 20),
            "the WAL grew to {largest} bytes"
        );
    }
}
