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
//! * [`routes`]: one router per area (workspaces, invites, sync, live, ...), and the browser
//!   app's files ([`routes::app`]).
//! * [`auth`]: bearer tokens, the signup secret, and the workspace a device may touch.
//! * [`storage`]: the [`Storage`] trait and its backends, SQLite (the default) and PostgreSQL
//!   (several relay processes on one database).
//! * [`notify`]: fan-out of new heads to live WebSockets (fed across processes by the
//!   PostgreSQL backend).
//! * [`error`] and [`extract`]: one JSON error type for every failure, including axum's own.
//! * [`config`]: flags, environment and the signup secret file.
//! * Operations: [`metrics`] (Prometheus `/metrics`), [`request_id`] (an id per request in
//!   logs and answers), [`limits`] (rate limit and request timeout), [`openapi`] (the served
//!   API description), [`tls`] (rustls), [`admin`] (the operator's commands).

#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod server;
pub mod storage;
pub mod tls;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::{json, Value};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::{Config, SignupSecret};
pub use error::AppError;
pub use limits::Limits;
pub use metrics::Metrics;
pub use notify::Notifier;
pub use storage::postgres::PgStorage;
pub use storage::sqlite::SqliteStorage;
pub use storage::{SecretHash, Storage, StorageError};

/// What every handler shares: storage, live notifications, the signup secret and the clock.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) notifier: Arc<Notifier>,
    pub(crate) signup_secret: SignupSecret,
    pub(crate) clock: Clock,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) rate_limiter: Arc<limits::RateLimiter>,
    pub(crate) request_timeout: std::time::Duration,
    pub(crate) web: Option<Arc<routes::app::WebApp>>,
}

impl AppState {
    /// State over a storage backend, with the operator's signup secret and the system clock.
    ///
    /// When the storage is shared with other relay processes ([`Storage::follow`]), this
    /// spawns the task that feeds their heads and revocations to this state's live sockets, on
    /// the current tokio runtime (it must be called inside one; outside, a warning is logged
    /// and only this process's own changes reach its sockets).
    pub fn new(storage: Arc<dyn Storage>, signup_secret: &str) -> AppState {
        let notifier = Arc::new(Notifier::new());
        if let Some(follow) = storage.follow(Arc::downgrade(&notifier)) {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(follow);
                }
                Err(_) => tracing::warn!(
                    "no async runtime: live sockets will not hear of other relay processes"
                ),
            }
        }
        AppState {
            storage,
            notifier,
            signup_secret: SignupSecret::Fixed(SecretHash::of(signup_secret)),
            clock: Clock::system(),
            metrics: Arc::new(Metrics::new()),
            rate_limiter: Arc::new(limits::RateLimiter::new(Limits::default().rate_per_minute)),
            request_timeout: Limits::default().request_timeout,
            web: None,
        }
    }

    /// The same state checking signups against `secret` (e.g. a file read at each signup).
    pub fn with_signup_secret(mut self, secret: SignupSecret) -> AppState {
        self.signup_secret = secret;
        self
    }

    /// The same state with these traffic limits (fresh rate buckets).
    pub fn with_limits(mut self, limits: Limits) -> AppState {
        self.rate_limiter = Arc::new(limits::RateLimiter::new(limits.rate_per_minute));
        self.request_timeout = limits.request_timeout;
        self
    }

    /// The same state with these metrics (e.g. with a log size source).
    pub fn with_metrics(mut self, metrics: Metrics) -> AppState {
        self.metrics = Arc::new(metrics);
        self
    }

    /// The same state serving this build of the browser app at `/` ([`routes::app`]). Without
    /// it (the default) `/` is the JSON 404 of any unknown route, and `GET /v1/app` answers a
    /// `null` hash.
    pub fn with_web_app(mut self, web: routes::app::WebApp) -> AppState {
        self.web = Some(Arc::new(web));
        self
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
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
/// methods, bodies over [`trellis_protocol::MAX_BODY_BYTES`], rate limits, timeouts), metrics,
/// and a tracing span with a request id per request.
///
/// Layers, outermost first: request id, tracing span, metrics, the JSON error net, the request
/// timeout, the rate limit, the body limit, then the routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve_metrics))
        .route("/v1/openapi.json", get(openapi::serve_openapi))
        .merge(routes::workspaces::router())
        .merge(routes::invites::router())
        .merge(routes::sync::router())
        .merge(routes::live::router())
        .merge(routes::members::router())
        .merge(routes::keys::router())
        .merge(routes::roster::router())
        .merge(routes::checkpoints::router())
        .merge(routes::app::router(state.web.clone()))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(trellis_protocol::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.request_timeout,
        ))
        .layer(middleware::map_response(error::json_errors_only))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                // Method, route template and request id only: never the path (it holds member
                // and device ids), headers (tokens, secrets), queries or bodies.
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or(metrics::UNMATCHED_ROUTE, MatchedPath::as_str);
                    let request_id = req
                        .extensions()
                        .get::<request_id::RequestId>()
                        .map_or("", |id| id.0.as_str());
                    tracing::info_span!("request", method = %req.method(), route, request_id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(middleware::from_fn(request_id::assign))
        .with_state(state)
}

/// `GET /healthz`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The relay is up", body = openapi::Health))
)]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
