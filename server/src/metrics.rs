//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! What an operator needs to see that the relay is healthy, and nothing about who uses it:
//! labels are route templates (`/v1/workspaces/{ws}/push`, never a path with an id in it), HTTP
//! methods and status codes. Requests that match no route are counted under `unmatched`, so a
//! scanner trying random paths cannot grow the label set.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `trellis_relay_http_requests_total` | counter | `route`, `method`, `status` |
//! | `trellis_relay_http_request_bytes_total` | counter | `route` (body bytes read) |
//! | `trellis_relay_http_response_bytes_total` | counter | `route` (body bytes sent) |
//! | `trellis_relay_http_request_duration_seconds` | histogram | `route`, `method` (push and pull latency are its `/push` and `/pull` routes) |
//! | `trellis_relay_rate_limited_total` | counter | |
//! | `trellis_relay_live_sockets` | gauge | |
//! | `trellis_relay_workspaces` | gauge | |
//! | `trellis_relay_log_entries` | gauge | |
//! | `trellis_relay_log_bytes` | gauge | (change bytes kept in every log) |
//!
//! The log gauges are read from the database at each scrape through a [`LogSizeSource`];
//! without one (a relay built in a test without it) they stay at 0.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::error::AppError;
use crate::AppState;

/// Route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

pub use crate::storage::LogSize;

/// Where the log gauges come from at each scrape. Called on a blocking thread.
pub trait LogSizeSource: Send + Sync + 'static {
    /// The current sizes; the error is logged and the gauges keep their last value.
    fn log_size(&self) -> Result<LogSize, String>;
}

/// The relay's metrics, in a registry of their own (so tests with several relays in one
/// process do not mix their numbers).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_bytes: IntCounterVec,
    response_bytes: IntCounterVec,
    duration: HistogramVec,
    rate_limited: IntCounter,
    live_sockets: IntGauge,
    workspaces: IntGauge,
    log_entries: IntGauge,
    log_bytes: IntGauge,
    log_source: Option<Arc<dyn LogSizeSource>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero, and no log size source.
    pub fn new() -> Metrics {
        // The names and label sets below are constants, so registration cannot fail; a failure
        // would be a programming error caught by every test.
        Metrics::build().expect("the relay's metric definitions are valid")
    }

    fn build() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "trellis_relay_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        let request_bytes = IntCounterVec::new(
            Opts::new(
                "trellis_relay_http_request_bytes_total",
                "Request body bytes read, by route template.",
            ),
            &["route"],
        )?;
        let response_bytes = IntCounterVec::new(
            Opts::new(
                "trellis_relay_http_response_bytes_total",
                "Response body bytes sent, by route template.",
            ),
            &["route"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "trellis_relay_http_request_duration_seconds",
                "Time from request to response head, by route template and method.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )?;
        let rate_limited = IntCounter::new(
            "trellis_relay_rate_limited_total",
            "Requests refused with 429 by the per-device or per-address rate limit.",
        )?;
        let live_sockets = IntGauge::new(
            "trellis_relay_live_sockets",
            "Live WebSockets currently open.",
        )?;
        let workspaces = IntGauge::new("trellis_relay_workspaces", "Workspaces registered.")?;
        let log_entries = IntGauge::new(
            "trellis_relay_log_entries",
            "Log entries kept, across workspaces.",
        )?;
        let log_bytes = IntGauge::new(
            "trellis_relay_log_bytes",
            "Encrypted change bytes kept in the logs, across workspaces.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_bytes.clone()))?;
        registry.register(Box::new(response_bytes.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(live_sockets.clone()))?;
        registry.register(Box::new(workspaces.clone()))?;
        registry.register(Box::new(log_entries.clone()))?;
        registry.register(Box::new(log_bytes.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            request_bytes,
            response_bytes,
            duration,
            rate_limited,
            live_sockets,
            workspaces,
            log_entries,
            log_bytes,
            log_source: None,
        })
    }

    /// The same metrics, with the log gauges read from `source` at each scrape.
    pub fn with_log_source(mut self, source: Arc<dyn LogSizeSource>) -> Metrics {
        self.log_source = Some(source);
        self
    }

    /// Counts a live socket until the guard is dropped.
    /// How many live sockets are open now.
    pub fn open_live_sockets(&self) -> i64 {
        self.live_sockets.get()
    }

    /// Counts a live socket as open until the returned guard is dropped.
    pub fn live_socket(&self) -> LiveSocketGuard {
        self.live_sockets.inc();
        LiveSocketGuard(self.live_sockets.clone())
    }

    /// Counts a request refused by the rate limit.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Refreshes the log gauges (blocking: it may read the database) and renders every metric
    /// in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        if let Some(source) = &self.log_source {
            match source.log_size() {
                Ok(size) => {
                    self.workspaces.set(clamp(size.workspaces));
                    self.log_entries.set(clamp(size.entries));
                    self.log_bytes.set(clamp(size.bytes));
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the log size for /metrics"),
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Holds one count of the live sockets gauge; dropping it gives the count back.
#[derive(Debug)]
pub struct LiveSocketGuard(IntGauge);

impl Drop for LiveSocketGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware: counts the request, its body bytes and its answer, and times it. Installed with
/// `Router::layer`, so it sees the matched route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let metrics = Arc::clone(&state.metrics);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();

    let read = metrics.request_bytes.with_label_values(&[route.as_str()]);
    let request = request.map(|body| {
        // `inspect_frame` keeps the body's size hint, so answers keep their Content-Length.
        Body::new(body.inspect_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                read.inc_by(data.len() as u64);
            }
        }))
    });

    let response = next.run(request).await;

    metrics
        .duration
        .with_label_values(&[route.as_str(), method.as_str()])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[route.as_str(), method.as_str(), response.status().as_str()])
        .inc();
    let sent = metrics.response_bytes.with_label_values(&[route.as_str()]);
    response.map(|body| {
        Body::new(body.inspect_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                sent.inc_by(data.len() as u64);
            }
        }))
    })
}

/// `GET /metrics`: every metric in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain"))
)]
pub async fn serve_metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let metrics = Arc::clone(&state.metrics);
    let text = tokio::task::spawn_blocking(move || metrics.render())
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))?
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(LogSize);

    impl LogSizeSource for Fixed {
        fn log_size(&self) -> Result<LogSize, String> {
            Ok(self.0)
        }
    }

    #[test]
    fn gauges_follow_the_source_and_live_guards() {
        let metrics = Metrics::new().with_log_source(Arc::new(Fixed(LogSize {
            workspaces: 2,
            entries: 7,
            bytes: 1234,
        })));
        let guard = metrics.live_socket();
        let text = metrics.render().unwrap();
        assert!(text.contains("trellis_relay_log_entries 7"), "{text}");
        assert!(text.contains("trellis_relay_log_bytes 1234"), "{text}");
        assert!(text.contains("trellis_relay_workspaces 2"), "{text}");
        assert!(text.contains("trellis_relay_live_sockets 1"), "{text}");
        drop(guard);
        let text = metrics.render().unwrap();
        assert!(text.contains("trellis_relay_live_sockets 0"), "{text}");
    }
}
