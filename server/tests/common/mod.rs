//! Shared fixtures: a relay over a temporary database, driven through `app()` without a
//! socket, and helpers that speak the wire protocol the way a client does.
//!
//! The database is SQLite in a temporary directory, or, when `TRELLIS_TEST_POSTGRES` holds a
//! superuser URL of a PostgreSQL server (`scripts/pg.sh` starts a throwaway one and sets it),
//! a fresh PostgreSQL database made for the test (`CREATE DATABASE trellis_<random>`), so the
//! same suites run on both backends and tests stay independent and parallel. The database's
//! URL is kept in the test's directory, so [`Relay::open`] on the same directory is a restart
//! on the same database. Databases are left for the throwaway server to take with it.

#![allow(dead_code)] // each test file uses a different part of the fixtures

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tempfile::TempDir;
use tower::ServiceExt;
use trellis_protocol::api::{
    CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    ErrorBody, PushResponse, RedeemInviteRequest, Role, RosterEvent, RosterResponse,
    SIGNUP_SECRET_HEADER,
};
use trellis_protocol::batch::{self, PullBatch, PushEntry};
use trellis_protocol::{Id, HASH_LEN};
use trellis_relay::metrics::LogSizeSource;
use trellis_relay::storage::Storage;
use trellis_relay::{app, AppState, Clock, PgStorage, SqliteStorage};

/// The environment variable naming the PostgreSQL server the suites run against.
pub const POSTGRES_ENV: &str = "TRELLIS_TEST_POSTGRES";

/// The file in a test's directory that keeps its PostgreSQL database's URL.
const POSTGRES_URL_FILE: &str = "postgres-url";

/// The PostgreSQL server's superuser URL, when the suites run against PostgreSQL.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Runs `f` on a runtime of its own on another thread, for blocking helpers called from
/// inside a test's runtime.
pub fn on_own_runtime<T: Send + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .unwrap()
}

/// Makes a fresh database on the server at `server` (a superuser URL) and returns its URL.
pub fn fresh_postgres_database(server: &str) -> String {
    let name = format!("trellis_{}", Id::random());
    let server = server.to_owned();
    let (base, _) = server.rsplit_once('/').expect("a URL ending with /dbname");
    let url = format!("{base}/{name}");
    on_own_runtime(async move {
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .expect("the PostgreSQL server answers");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = driver.await;
    });
    url
}

/// A client of a PostgreSQL database, on a runtime of its own.
fn postgres_query(url: &str, sql: &str, param: Option<Vec<u8>>) -> Vec<tokio_postgres::Row> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    on_own_runtime(async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let rows = match &param {
            Some(p) => client.query(&sql, &[p]).await,
            None => client.query(&sql, &[]).await,
        }
        .unwrap();
        drop(client);
        let _ = driver.await;
        rows
    })
}

/// The operator's signup secret in these tests.
pub const SIGNUP_SECRET: &str = "operator-signup-secret";

/// A relay over a temporary database, with a clock the test controls.
pub struct Relay {
    pub dir: Arc<TempDir>,
    pub app: Router,
    pub state: AppState,
    pub now: Arc<AtomicI64>,
}

/// What a client sees of an answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON of type `T`, asserting the status first.
    pub fn json<T: DeserializeOwned>(&self, status: StatusCode) -> T {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Asserts that this is a JSON error with this status and code, and returns it.
    pub fn error(&self, status: StatusCode, code: &str) -> ErrorBody {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "error content type {content_type:?}"
        );
        let body: ErrorBody = serde_json::from_slice(&self.body).expect("a JSON error body");
        assert_eq!(body.error, code);
        assert!(!body.message.is_empty());
        body
    }

    /// The body as a pull batch, asserting 200 and the content type.
    pub fn pull_batch(&self) -> PullBatch {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.headers.get(CONTENT_TYPE).unwrap(),
            "application/octet-stream"
        );
        batch::decode_pull(&self.body).expect("a valid pull body")
    }
}

impl Relay {
    /// A new relay with an empty database.
    pub fn start() -> Relay {
        Relay::open(Arc::new(tempfile::tempdir().unwrap()))
    }

    /// A relay over the database in `dir` (a restart, when the directory was used before).
    pub fn open(dir: Arc<TempDir>) -> Relay {
        let storage: Arc<dyn Storage> = match Relay::postgres_url_in(&dir) {
            Some(url) => Arc::new(connect_postgres(url)),
            None => Arc::new(SqliteStorage::open(dir.path().join("relay.sqlite3")).unwrap()),
        };
        Relay::over(dir, storage)
    }

    /// The PostgreSQL database of a test directory: the one made for it before, or a fresh
    /// one when the suites run against PostgreSQL; `None` on SQLite.
    fn postgres_url_in(dir: &TempDir) -> Option<String> {
        let file = dir.path().join(POSTGRES_URL_FILE);
        if let Ok(url) = std::fs::read_to_string(&file) {
            return Some(url);
        }
        let url = fresh_postgres_database(&postgres_server()?);
        std::fs::write(&file, &url).unwrap();
        Some(url)
    }

    /// A second relay instance over the same database as this one (another relay process on
    /// PostgreSQL), with its own pool, notifier, rate limiter and clock; `None` on SQLite.
    pub fn sibling(&self) -> Option<Relay> {
        let url = self.postgres_url()?;
        Some(Relay::over(
            Arc::clone(&self.dir),
            Arc::new(connect_postgres(url)),
        ))
    }

    /// The URL of this relay's PostgreSQL database; `None` on SQLite.
    pub fn postgres_url(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(POSTGRES_URL_FILE)).ok()
    }

    /// Where `/metrics` reads the log gauges of this relay's database.
    pub fn log_source(&self) -> Arc<dyn LogSizeSource> {
        match self.postgres_url() {
            Some(url) => Arc::new(trellis_relay::admin::PgLogSize::new(
                connect_postgres(url),
                tokio::runtime::Handle::current(),
            )),
            None => Arc::new(trellis_relay::admin::DatabaseFile::new(
                self.dir.path().join("relay.sqlite3"),
            )),
        }
    }

    /// The operator's configuration for this relay's data directory and database.
    pub fn admin_config(&self) -> trellis_relay::Config {
        let mut config =
            <trellis_relay::Config as clap::Parser>::try_parse_from(["trellis-relay"]).unwrap();
        config.data = self.dir.path().to_path_buf();
        config.database = self.postgres_url();
        config
    }

    /// Rows of integers: `sql` (in the SQL both backends speak, `$1` bound to `param`).
    pub fn int_rows(&self, sql: &str, param: Option<&[u8]>) -> Vec<Vec<i64>> {
        match self.postgres_url() {
            Some(url) => postgres_query(&url, sql, param.map(<[u8]>::to_vec))
                .iter()
                .map(|row| (0..row.len()).map(|i| row.get::<_, i64>(i)).collect())
                .collect(),
            None => {
                let conn = rusqlite::Connection::open_with_flags(
                    self.dir.path().join("relay.sqlite3"),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let columns = stmt.column_count();
                let params: Vec<&dyn rusqlite::ToSql> = match &param {
                    Some(p) => vec![p],
                    None => vec![],
                };
                stmt.query_map(params.as_slice(), |row| {
                    (0..columns)
                        .map(|i| row.get::<_, i64>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
        }
    }

    /// One text column of every row: `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub fn text_rows(&self, sqlite: &str, postgres: &str) -> Vec<String> {
        match self.postgres_url() {
            Some(url) => postgres_query(&url, postgres, None)
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect(),
            None => {
                let conn = rusqlite::Connection::open_with_flags(
                    self.dir.path().join("relay.sqlite3"),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut stmt = conn.prepare(sqlite).unwrap();
                stmt.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            }
        }
    }

    /// Every row of every table of the relay's state (and the schema version), as text, to
    /// compare before and after. PostgreSQL's rate-limit counters are not state and are left
    /// out.
    pub fn dump(&self) -> Vec<String> {
        let Some(url) = self.postgres_url() else {
            return sqlite_dump(&self.dir.path().join("relay.sqlite3"));
        };
        let version = postgres_query(&url, "SELECT max(version) FROM relay_schema", None);
        let mut out = vec![format!("schema {}", version[0].get::<_, i64>(0))];
        let tables: Vec<String> = postgres_query(
            &url,
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name NOT IN ('rate_buckets', 'relay_schema')
             ORDER BY table_name",
            None,
        )
        .iter()
        .map(|r| r.get(0))
        .collect();
        assert!(tables.iter().any(|t| t == "log"), "{tables:?}");
        for table in tables {
            let mut rows: Vec<String> =
                postgres_query(&url, &format!("SELECT t::text FROM \"{table}\" t"), None)
                    .iter()
                    .map(|r| format!("{table} {}", r.get::<_, String>(0)))
                    .collect();
            rows.sort();
            out.push(format!("{table}: {} rows", rows.len()));
            out.extend(rows);
        }
        out
    }

    /// A relay over `storage`.
    fn over(dir: Arc<TempDir>, storage: Arc<dyn Storage>) -> Relay {
        let now = Arc::new(AtomicI64::new(1_800_000_000));
        let clock_now = Arc::clone(&now);
        let state = AppState::new(storage, SIGNUP_SECRET)
            .with_clock(Clock::from_fn(move || clock_now.load(Ordering::SeqCst)));
        Relay {
            dir,
            app: app(state.clone()),
            state,
            now,
        }
    }

    /// Moves the relay's clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sends one request through the router.
    pub async fn call(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request with optional bearer token and body.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = match body {
            Some((content_type, bytes)) => req
                .header(CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => req.body(Body::empty()),
        };
        self.call(req.unwrap()).await
    }

    /// A JSON POST.
    pub async fn post_json(&self, uri: &str, token: Option<&str>, body: &impl Serialize) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(Method::POST, uri, token, Some(("application/json", bytes)))
            .await
    }

    /// Signup with a given secret header (None: no header).
    pub async fn signup_with(&self, secret: Option<&str>, req: &CreateWorkspaceRequest) -> Reply {
        let mut builder = Request::post("/v1/workspaces").header(CONTENT_TYPE, "application/json");
        if let Some(secret) = secret {
            builder = builder.header(SIGNUP_SECRET_HEADER, secret);
        }
        self.call(
            builder
                .body(Body::from(serde_json::to_vec(req).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// Creates a fresh workspace; returns the owner's first device.
    pub async fn signup(&self) -> DeviceCredentials {
        let req = CreateWorkspaceRequest {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            device_key: device_key(),
            token: None,
            roster: vec![creation_event()],
        };
        let creds: DeviceCredentials = self
            .signup_with(Some(SIGNUP_SECRET), &req)
            .await
            .json(StatusCode::CREATED);
        assert_eq!(creds.workspace_id, req.workspace_id);
        assert_eq!(creds.member_id, req.member_id);
        assert_eq!(creds.role, Role::Owner);
        creds
    }

    /// Issues an invite as `by`.
    pub async fn invite(&self, by: &DeviceCredentials, req: &CreateInviteRequest) -> Reply {
        let uri = format!("/v1/workspaces/{}/invites", by.workspace_id);
        self.post_json(&uri, Some(&by.token), req).await
    }

    /// Redeems an invite for a new device proposing a new member id.
    pub async fn redeem(&self, workspace: Id, secret: &str) -> Reply {
        self.post_json(
            "/v1/invites/redeem",
            None,
            &RedeemInviteRequest {
                workspace_id: workspace,
                invite_secret: secret.to_owned(),
                device_id: Id::random(),
                member_id: Id::random(),
                device_key: device_key(),
                token: None,
                roster: Vec::new(),
            },
        )
        .await
    }

    /// The owner invites a new member with `role`, who redeems it; returns the member's device.
    pub async fn add_member(&self, owner: &DeviceCredentials, role: Role) -> DeviceCredentials {
        let invite: CreateInviteResponse = self
            .invite(
                owner,
                &CreateInviteRequest {
                    role,
                    device: false,
                    ttl_seconds: None,
                    invite_id: None,
                    roster: Vec::new(),
                },
            )
            .await
            .json(StatusCode::CREATED);
        self.redeem(owner.workspace_id, &invite.invite_secret)
            .await
            .json(StatusCode::CREATED)
    }

    /// An invite from `by` for another device of its own member.
    pub async fn device_invite(&self, by: &DeviceCredentials) -> CreateInviteResponse {
        self.invite(
            by,
            &CreateInviteRequest {
                role: Role::Member,
                device: true,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED)
    }

    /// `by` invites another device of its own member, which redeems it.
    pub async fn add_device(&self, by: &DeviceCredentials) -> DeviceCredentials {
        let invite = self.device_invite(by).await;
        self.redeem(by.workspace_id, &invite.invite_secret)
            .await
            .json(StatusCode::CREATED)
    }

    /// Pushes raw bytes to a workspace with a token.
    pub async fn push_raw(&self, workspace: Id, token: &str, body: Vec<u8>) -> Reply {
        let uri = format!("/v1/workspaces/{workspace}/push");
        self.send(
            Method::POST,
            &uri,
            Some(token),
            Some(("application/octet-stream", body)),
        )
        .await
    }

    /// Pushes entries as `device`, expecting success.
    pub async fn push(&self, device: &DeviceCredentials, entries: &[PushEntry]) -> PushResponse {
        self.push_raw(
            device.workspace_id,
            &device.token,
            batch::encode_push(entries),
        )
        .await
        .json(StatusCode::OK)
    }

    /// Pulls with a raw query string.
    pub async fn pull_raw(&self, workspace: Id, token: &str, query: &str) -> Reply {
        let uri = format!("/v1/workspaces/{workspace}/pull{query}");
        self.send(Method::GET, &uri, Some(token), None).await
    }

    /// Pulls entries after `after` as `device`, expecting success.
    pub async fn pull(&self, device: &DeviceCredentials, after: u64) -> PullBatch {
        self.pull_raw(
            device.workspace_id,
            &device.token,
            &format!("?after={after}"),
        )
        .await
        .pull_batch()
    }
}

/// The URL-safe base64 alphabet.
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bytes` in URL-safe base64 without padding, as devices send roster events (written here
/// apart from the relay's own codec, so each checks the other).
pub fn base64url(bytes: &[u8]) -> String {
    let mut bits = String::new();
    for b in bytes {
        bits.push_str(&format!("{b:08b}"));
    }
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    (0..bits.len() / 6)
        .map(|i| BASE64URL[usize::from_str_radix(&bits[6 * i..6 * i + 6], 2).unwrap()] as char)
        .collect()
}

/// The bytes of URL-safe base64 without padding.
pub fn from_base64url(text: &str) -> Vec<u8> {
    let mut bits = String::new();
    for c in text.bytes() {
        let v = BASE64URL.iter().position(|&a| a == c).expect("base64url");
        bits.push_str(&format!("{v:06b}"));
    }
    (0..bits.len() / 8)
        .map(|i| u8::from_str_radix(&bits[8 * i..8 * i + 8], 2).unwrap())
        .collect()
}

/// A roster event at `seq` whose bytes are `body` (the relay never reads them; devices sign
/// real ones).
pub fn roster_event(seq: u64, body: &[u8]) -> RosterEvent {
    RosterEvent {
        seq,
        event: base64url(body),
    }
}

/// The roster event of a workspace's creation, at seq 1, which every signup carries.
pub fn creation_event() -> RosterEvent {
    roster_event(1, b"workspace created")
}

impl Relay {
    /// Reads the roster after `after` with `token`, expecting success.
    pub async fn roster(&self, workspace: Id, token: &str, after: u64) -> RosterResponse {
        self.roster_raw(workspace, token, after)
            .await
            .json(StatusCode::OK)
    }

    /// Reads the roster after `after` with `token`.
    pub async fn roster_raw(&self, workspace: Id, token: &str, after: u64) -> Reply {
        let uri = format!("/v1/workspaces/{workspace}/roster?after={after}");
        self.send(Method::GET, &uri, Some(token), None).await
    }

    /// The roster's newest seq, as `token` reads it.
    pub async fn roster_head(&self, workspace: Id, token: &str) -> u64 {
        self.roster(workspace, token, u64::MAX).await.head
    }
}

/// A random device public key: 64 hexadecimal digits.
pub fn device_key() -> String {
    format!("{}{}", Id::random(), Id::random())
}

/// A change of `len` bytes whose content and hash derive from `n`.
pub fn change(n: u32, len: usize) -> PushEntry {
    let mut change_hash = [0u8; HASH_LEN];
    change_hash[..4].copy_from_slice(&n.to_le_bytes());
    let bytes = (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(n) as u8)
        .collect();
    PushEntry {
        doc_id: Id([(n % 7) as u8; 16]),
        change_hash,
        bytes,
    }
}

/// Connects to a PostgreSQL database (migrating it) with a small pool. The pool's connections
/// are made later, on the test's runtime.
pub fn connect_postgres(url: String) -> PgStorage {
    on_own_runtime(async move { PgStorage::connect(&url, 4).await.unwrap() })
}

/// Every row of every table of a SQLite relay database (and its schema version), as text.
pub fn sqlite_dump(path: &std::path::Path) -> Vec<String> {
    use rusqlite::types::Value;
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let mut out = vec![format!("user_version {version}")];
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.iter().any(|t| t == "log"), "{tables:?}");
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |row| {
                (0..columns)
                    .map(|i| row.get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .map(|row| format!("{table} {:?}", row.unwrap()))
            .collect();
        rows.sort();
        out.push(format!("{table}: {} rows", rows.len()));
        out.extend(rows);
    }
    out
}
