//! The Trellis relay: authentication, workspace membership, invites, and a blind per-workspace
//! append log of end-to-end-encrypted changes.
//!
//! The relay never reads what it stores: change bytes are encrypted automerge changes, and it
//! returns them byte for byte. It knows only ids, roles, hashes of secrets and the order in
//! which changes arrived. The wire format is [`trellis_protocol`]; this crate is its server.
//!
//! The pieces, one concern per module:
//!
//! * [`app`] builds the router from [`AppState`] (tests drive it without a socket);
//!   [`server::serve`] runs it on a socket with graceful shutdown.
//! * [`routes`]: one router per area (workspaces, invites, sync, live).
//! * [`auth`]: bearer tokens, the signup secret, and the workspace a device may touch.
//! * [`storage`]: the [`Storage`] trait and its SQLite backend.
//! * [`notify`]: fan-out of new heads to live WebSockets.
//! * [`error`] and [`extract`]: one JSON error type for every failure, including axum's own.
//! * [`config`]: flags, environment and the signup secret file.

#![warn(missing_docs)]

pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod notify;
pub mod routes;
pub mod server;
pub mod storage;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::{json, Value};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use auth::SecretHash;
pub use config::Config;
pub use error::AppError;
pub use notify::Notifier;
pub use storage::sqlite::SqliteStorage;
pub use storage::{Storage, StorageError};

/// What every handler shares: storage, live notifications, the signup secret and the clock.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) notifier: Arc<Notifier>,
    pub(crate) signup_secret: SecretHash,
    pub(crate) clock: Clock,
}

impl AppState {
    /// State over a storage backend, with the operator's signup secret and the system clock.
    pub fn new(storage: Arc<dyn Storage>, signup_secret: &str) -> AppState {
        AppState {
            storage,
            notifier: Arc::new(Notifier::new()),
            signup_secret: SecretHash::of(signup_secret),
            clock: Clock::system(),
        }
    }

    /// The same state with another clock (tests use it to expire invites).
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    /// The storage backend.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }
}

/// The relay's notion of now, in seconds since the Unix epoch.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }))
    }

    /// A clock that asks `now` for the time.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

/// The relay's router: every endpoint, JSON errors for everything (unknown routes, wrong
/// methods, bodies over [`trellis_protocol::MAX_BODY_BYTES`]), and a tracing span per request.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(routes::workspaces::router())
        .merge(routes::invites::router())
        .merge(routes::sync::router())
        .merge(routes::live::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(trellis_protocol::MAX_BODY_BYTES))
        .layer(middleware::map_response(error::json_errors_only))
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: never headers (tokens, secrets), queries or bodies.
                .make_span_with(|req: &Request| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// `GET /healthz`: the process is up.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
