//! The SQLite schema as numbered migrations, and how a file is brought up to date.
//!
//! `PRAGMA user_version` counts the applied migrations. Opening a file applies the missing ones
//! in order, each in its own transaction with its version bump, so a crash mid-upgrade leaves a
//! file at some whole version. A file from a newer relay is refused rather than misread, and so
//! is one that holds workspaces of an older data format ([`FORMAT_VERSION`]).

use rusqlite::{Connection, TransactionBehavior};

use crate::storage::{StorageError, StorageResult};

/// The schema migrations, in order. Migration `i` takes the schema from version `i` to `i + 1`.
/// Never edit one that has shipped; append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    "CREATE TABLE workspaces (
        id BLOB PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,
        head INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE members (
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        member_id BLOB NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, member_id)
    );
    CREATE TABLE devices (
        token_hash BLOB PRIMARY KEY NOT NULL,
        workspace_id BLOB NOT NULL,
        member_id BLOB NOT NULL,
        device_id BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        FOREIGN KEY (workspace_id, member_id) REFERENCES members(workspace_id, member_id)
    );
    CREATE INDEX devices_by_member ON devices (workspace_id, member_id);
    CREATE TABLE invites (
        secret_hash BLOB PRIMARY KEY NOT NULL,
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        device INTEGER NOT NULL CHECK (device IN (0, 1)),
        inviter_member_id BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
    );
    CREATE TABLE log (
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        seq INTEGER NOT NULL,
        doc_id BLOB NOT NULL,
        change_hash BLOB NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (workspace_id, seq),
        UNIQUE (workspace_id, doc_id, change_hash)
    );",
    // 2: device public keys, removed members, key epochs and keys sealed to devices.
    // `device_key` is NULL only for devices registered before this version.
    "ALTER TABLE devices ADD COLUMN device_key BLOB
        CHECK (device_key IS NULL OR length(device_key) = 32);
    CREATE INDEX devices_by_id ON devices (workspace_id, device_id);
    ALTER TABLE members ADD COLUMN removed_at INTEGER;
    ALTER TABLE workspaces ADD COLUMN key_epoch INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE workspaces ADD COLUMN rotation_needed INTEGER NOT NULL DEFAULT 0
        CHECK (rotation_needed IN (0, 1));
    ALTER TABLE invites ADD COLUMN key_epoch INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE sealed_keys (
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        epoch INTEGER NOT NULL,
        device_id BLOB NOT NULL,
        sealed TEXT NOT NULL,
        PRIMARY KEY (workspace_id, device_id, epoch)
    );",
    // 3: checkpoints (sealed per-document snapshots) and the log floor below which the log
    // was compacted into them (0: nothing compacted).
    "ALTER TABLE workspaces ADD COLUMN log_floor INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE checkpoints (
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        checkpoint_id BLOB NOT NULL,
        seq INTEGER NOT NULL,
        complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, checkpoint_id)
    );
    CREATE TABLE checkpoint_docs (
        workspace_id BLOB NOT NULL,
        checkpoint_id BLOB NOT NULL,
        doc_id BLOB NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (workspace_id, checkpoint_id, doc_id),
        FOREIGN KEY (workspace_id, checkpoint_id)
            REFERENCES checkpoints(workspace_id, checkpoint_id)
    );",
    // 4: the identity of the log (`LOG_ID_HEADER`): random, made here, changed by
    // `admin restored` after a backup is put back.
    "CREATE TABLE relay_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO relay_meta (key, value) VALUES ('log_id', lower(hex(randomblob(16))));",
    // 5: the size of each workspace's log, kept with every push and compaction, so a push is
    // checked against the log quota without reading the log.
    "ALTER TABLE workspaces ADD COLUMN log_entries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE workspaces ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE workspaces SET
        log_entries = (SELECT count(*) FROM log WHERE log.workspace_id = workspaces.id),
        log_bytes = (SELECT coalesce(sum(length(bytes)), 0) FROM log
                     WHERE log.workspace_id = workspaces.id);",
    // 6: compacted entries are kept for a grace period: `compacted_at` is when the checkpoint
    // that covers an entry completed (NULL: not compacted), and the partial index finds the
    // entries whose grace is over. `log_floor` is now the lowest seq still stored.
    "ALTER TABLE log ADD COLUMN compacted_at INTEGER;
    CREATE INDEX log_compacted ON log (workspace_id, compacted_at)
        WHERE compacted_at IS NOT NULL;",
    // 7: the second data format (protocol/FORMATS.md): what devices store here is padded,
    // and logbook and ledger ids are keyed. A database from before it that holds a workspace
    // is refused ([`FORMAT_VERSION`]).
    "INSERT INTO relay_meta (key, value) VALUES ('data_format', '2');",
    // 8: the third data format: each workspace's signed roster (events devices make, sign and
    // verify; the relay keeps them in order, opaque), and invites named by an id the relay
    // makes, so they can be cancelled. A database from before it that holds a workspace is
    // refused ([`FORMAT_VERSION`]), so `invites` (whose rows belong to workspaces) is empty
    // here and is made again with its new columns.
    "CREATE TABLE roster (
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        seq INTEGER NOT NULL CHECK (seq >= 1),
        event BLOB NOT NULL,
        PRIMARY KEY (workspace_id, seq)
    );
    DROP TABLE invites;
    CREATE TABLE invites (
        secret_hash BLOB PRIMARY KEY NOT NULL,
        workspace_id BLOB NOT NULL REFERENCES workspaces(id),
        invite_id BLOB NOT NULL CHECK (length(invite_id) = 16),
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        device INTEGER NOT NULL CHECK (device IN (0, 1)),
        inviter_member_id BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        cancelled_at INTEGER,
        key_epoch INTEGER NOT NULL DEFAULT 0,
        UNIQUE (workspace_id, invite_id)
    );
    UPDATE relay_meta SET value = '3' WHERE key = 'data_format';",
];

/// The schema version from which the database holds the third data format (the second
/// brought padded envelopes and keyed ids at version 7, the third the signed roster). A
/// database from before it that holds any workspace is refused with
/// [`StorageError::OldFormat`], not migrated: no data of an older format was deployed.
pub const FORMAT_VERSION: i64 = 8;

/// The identity of the relay's log.
pub(crate) fn log_id(conn: &Connection) -> StorageResult<String> {
    Ok(conn.query_row(
        "SELECT value FROM relay_meta WHERE key = 'log_id'",
        [],
        |r| r.get(0),
    )?)
}

/// Gives the log a new identity (after a backup was restored) and returns it.
pub(crate) fn new_log_id(conn: &Connection) -> StorageResult<String> {
    conn.execute(
        "UPDATE relay_meta SET value = lower(hex(randomblob(16))) WHERE key = 'log_id'",
        [],
    )?;
    log_id(conn)
}

/// Applies the migrations the database lacks, each in its own transaction.
pub(super) fn migrate(conn: &mut Connection) -> StorageResult<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StorageError::NewerSchema { found, known });
    }
    if found > 0 && found < FORMAT_VERSION {
        let workspaces: i64 =
            conn.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))?;
        if workspaces > 0 {
            return Err(StorageError::OldFormat { found });
        }
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;
    use trellis_protocol::Id;

    use crate::storage::sqlite::SqliteStorage;
    use crate::storage::SecretHash;

    fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn every_old_schema_upgrades_to_the_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let fresh_path = dir.path().join("fresh.sqlite3");
        let _fresh = SqliteStorage::open(&fresh_path).unwrap();
        let fresh = Connection::open(&fresh_path).unwrap();
        let fresh_schema = schema(&fresh);
        assert!(fresh_schema.iter().any(|(_, name, _)| name == "log"));
        assert_eq!(user_version(&fresh), MIGRATIONS.len() as i64);

        for applied in 0..MIGRATIONS.len() {
            let path = dir.path().join(format!("old-{applied}.sqlite3"));
            {
                let conn = Connection::open(&path).unwrap();
                for (i, sql) in MIGRATIONS.iter().take(applied).enumerate() {
                    conn.execute_batch(sql).unwrap();
                    conn.pragma_update(None, "user_version", i as i64 + 1)
                        .unwrap();
                }
            }
            let _upgraded = SqliteStorage::open(&path).unwrap();
            let conn = Connection::open(&path).unwrap();
            assert_eq!(
                schema(&conn),
                fresh_schema,
                "upgraded from version {applied}"
            );
            assert_eq!(user_version(&conn), MIGRATIONS.len() as i64);
        }
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.sqlite3");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            SqliteStorage::open(&path),
            Err(StorageError::NewerSchema { found: 99, .. })
        ));
    }

    #[test]
    fn a_database_holding_workspaces_of_an_older_data_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, member, device) = (Id([1; 16]), Id([2; 16]), Id([3; 16]));
        // The first format's first and last versions, and the second format's.
        for version in [1, 6, FORMAT_VERSION - 1] {
            let path = dir.path().join(format!("v{version}.sqlite3"));
            {
                let conn = Connection::open(&path).unwrap();
                for sql in MIGRATIONS.iter().take(version as usize) {
                    conn.execute_batch(sql).unwrap();
                }
                conn.pragma_update(None, "user_version", version).unwrap();
                conn.execute(
                    "INSERT INTO workspaces (id, created_at) VALUES (?1, 5)",
                    [ws.as_bytes()],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO members (workspace_id, member_id, role, created_at)
                     VALUES (?1, ?2, 'owner', 5)",
                    params![ws.as_bytes(), member.as_bytes()],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO devices (token_hash, workspace_id, member_id, device_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, 5)",
                    params![
                        SecretHash::of("old").as_bytes(),
                        ws.as_bytes(),
                        member.as_bytes(),
                        device.as_bytes()
                    ],
                )
                .unwrap();
            }
            let refused = SqliteStorage::open(&path);
            assert!(
                matches!(refused, Err(StorageError::OldFormat { found }) if found == version),
                "version {version}"
            );
            let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("older Trellis data format"), "{message}");
            // Nothing was migrated.
            let conn = Connection::open(&path).unwrap();
            assert_eq!(user_version(&conn), version);
        }
    }
}
