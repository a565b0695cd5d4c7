//! The PostgreSQL schema as numbered migrations, and how a database is brought up to date.
//!
//! `relay_schema` records each applied migration. Every relay process runs [`migrate`] when it
//! starts: in **one transaction** that first takes a transaction-level advisory lock, so when
//! several processes start together one migrates and the others wait, then find nothing to do.
//! PostgreSQL's DDL is transactional, so a crash mid-upgrade leaves the schema as it was. A
//! database migrated by a newer relay is refused rather than misread, and so is one that holds
//! workspaces of an older data format ([`FORMAT_VERSION`]).
//!
//! The tables mirror the SQLite schema (`storage/sqlite/schema.rs`), with
//! PostgreSQL types: ids and hashes `bytea`, times and seqs `bigint`, flags `boolean`.
//! `checkpoints.started` orders checkpoints by when they were begun (SQLite's rowid).
//! `rate_buckets` is UNLOGGED: the rate limit's token buckets, shared by the relay processes,
//! worthless after a crash and not worth a WAL write each.

use tokio_postgres::Client;

use crate::storage::{StorageError, StorageResult};

/// The key of the advisory lock held while migrating (any fixed number; "trellis" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_7265_6c6c_6973;

/// The schema migrations, in order. Migration `i` takes the schema from version `i` to `i + 1`.
/// Never edit one that has shipped; append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's version 3, and the shared rate-limit counters.
    "CREATE TABLE workspaces (
        id bytea PRIMARY KEY,
        created_at bigint NOT NULL,
        head bigint NOT NULL DEFAULT 0,
        key_epoch bigint NOT NULL DEFAULT 0,
        rotation_needed boolean NOT NULL DEFAULT false,
        log_floor bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE members (
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        member_id bytea NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at bigint NOT NULL,
        removed_at bigint,
        PRIMARY KEY (workspace_id, member_id)
    );
    CREATE TABLE devices (
        token_hash bytea PRIMARY KEY,
        workspace_id bytea NOT NULL,
        member_id bytea NOT NULL,
        device_id bytea NOT NULL,
        device_key bytea CHECK (device_key IS NULL OR length(device_key) = 32),
        created_at bigint NOT NULL,
        revoked_at bigint,
        FOREIGN KEY (workspace_id, member_id) REFERENCES members(workspace_id, member_id)
    );
    CREATE INDEX devices_by_member ON devices (workspace_id, member_id);
    CREATE INDEX devices_by_id ON devices (workspace_id, device_id);
    CREATE TABLE invites (
        secret_hash bytea PRIMARY KEY,
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        device boolean NOT NULL,
        inviter_member_id bytea NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint,
        key_epoch bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE log (
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        seq bigint NOT NULL,
        doc_id bytea NOT NULL,
        change_hash bytea NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (workspace_id, seq),
        UNIQUE (workspace_id, doc_id, change_hash)
    );
    CREATE TABLE sealed_keys (
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        epoch bigint NOT NULL,
        device_id bytea NOT NULL,
        sealed text NOT NULL,
        PRIMARY KEY (workspace_id, device_id, epoch)
    );
    CREATE TABLE checkpoints (
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        checkpoint_id bytea NOT NULL,
        seq bigint NOT NULL,
        complete boolean NOT NULL DEFAULT false,
        created_at bigint NOT NULL,
        started bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (workspace_id, checkpoint_id)
    );
    CREATE TABLE checkpoint_docs (
        workspace_id bytea NOT NULL,
        checkpoint_id bytea NOT NULL,
        doc_id bytea NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (workspace_id, checkpoint_id, doc_id),
        FOREIGN KEY (workspace_id, checkpoint_id)
            REFERENCES checkpoints(workspace_id, checkpoint_id)
    );
    CREATE UNLOGGED TABLE rate_buckets (
        caller bytea PRIMARY KEY,
        tat bigint NOT NULL,
        allowed boolean NOT NULL
    );",
    // 2: the identity of the log (`LOG_ID_HEADER`): random, made here, changed by
    // `admin restored` after a backup is put back.
    "CREATE TABLE relay_meta (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO relay_meta (key, value)
        VALUES ('log_id', replace(gen_random_uuid()::text, '-', ''));",
    // 3: the size of each workspace's log, kept with every push and compaction, so a push is
    // checked against the log quota without reading the log.
    "ALTER TABLE workspaces ADD COLUMN log_entries bigint NOT NULL DEFAULT 0;
    ALTER TABLE workspaces ADD COLUMN log_bytes bigint NOT NULL DEFAULT 0;
    UPDATE workspaces w SET
        log_entries = (SELECT count(*) FROM log l WHERE l.workspace_id = w.id),
        log_bytes = (SELECT coalesce(sum(length(l.bytes)), 0) FROM log l
                     WHERE l.workspace_id = w.id);",
    // 4: compacted entries are kept for a grace period: `compacted_at` is when the checkpoint
    // that covers an entry completed (NULL: not compacted), and the partial index finds the
    // entries whose grace is over. `log_floor` is now the lowest seq still stored.
    "ALTER TABLE log ADD COLUMN compacted_at bigint;
    CREATE INDEX log_compacted ON log (workspace_id, compacted_at)
        WHERE compacted_at IS NOT NULL;",
    // 5: the second data format (protocol/FORMATS.md), as SQLite's 7: a database from before
    // it that holds a workspace is refused ([`FORMAT_VERSION`]).
    "INSERT INTO relay_meta (key, value) VALUES ('data_format', '2');",
    // 6: the third data format, as SQLite's 8: each workspace's signed roster, and invites
    // named by an id the relay makes, so they can be cancelled. A database from before it
    // that holds a workspace is refused ([`FORMAT_VERSION`]), so `invites` is empty here and
    // takes a NOT NULL column.
    "CREATE TABLE roster (
        workspace_id bytea NOT NULL REFERENCES workspaces(id),
        seq bigint NOT NULL CHECK (seq >= 1),
        event bytea NOT NULL,
        PRIMARY KEY (workspace_id, seq)
    );
    ALTER TABLE invites ADD COLUMN invite_id bytea NOT NULL CHECK (length(invite_id) = 16);
    ALTER TABLE invites ADD COLUMN cancelled_at bigint;
    ALTER TABLE invites ADD CONSTRAINT invites_workspace_id_invite_id_key
        UNIQUE (workspace_id, invite_id);
    UPDATE relay_meta SET value = '3' WHERE key = 'data_format';",
];

/// The schema version from which the database holds the third data format (the second
/// brought padded envelopes and keyed ids at version 5, the third the signed roster). A
/// database from before it that holds any workspace is refused with
/// [`StorageError::OldFormat`], not migrated: no data of an older format was deployed.
pub const FORMAT_VERSION: i64 = 6;

/// The identity of the relay's log.
pub(crate) async fn log_id(client: &tokio_postgres::Client) -> StorageResult<String> {
    Ok(client
        .query_one("SELECT value FROM relay_meta WHERE key = 'log_id'", &[])
        .await?
        .try_get(0)?)
}

/// Gives the log a new identity (after a backup was restored) and returns it.
pub(crate) async fn new_log_id(client: &tokio_postgres::Client) -> StorageResult<String> {
    client
        .execute(
            "UPDATE relay_meta SET value = replace(gen_random_uuid()::text, '-', '')
             WHERE key = 'log_id'",
            &[],
        )
        .await?;
    log_id(client).await
}

/// Applies the migrations the database lacks, all in one transaction under an advisory lock.
/// [`StorageError::NewerSchema`] if a newer relay migrated it.
pub(super) async fn migrate(client: &mut Client) -> StorageResult<()> {
    let known = MIGRATIONS.len() as i64;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS relay_schema (
            version bigint PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let found: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM relay_schema", &[])
        .await?
        .try_get(0)?;
    if found > known {
        return Err(StorageError::NewerSchema { found, known });
    }
    if found > 0 && found < FORMAT_VERSION {
        let workspaces: i64 = tx
            .query_one("SELECT count(*) FROM workspaces", &[])
            .await?
            .try_get(0)?;
        if workspaces > 0 {
            return Err(StorageError::OldFormat { found });
        }
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO relay_schema (version) VALUES ($1)",
            &[&(index as i64 + 1)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The newest migration applied to the database (0 for none).
pub(super) async fn version(client: &Client) -> StorageResult<i64> {
    Ok(client
        .query_one("SELECT coalesce(max(version), 0) FROM relay_schema", &[])
        .await?
        .try_get(0)?)
}
