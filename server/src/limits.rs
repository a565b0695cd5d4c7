//! The bad-input wall's traffic limits: a per-device rate limit and a request timeout.
//!
//! **Rate limit.** A token bucket per device (keyed by the SHA-256 of the bearer token the
//! request presents, so the token itself is never kept) or, for requests without a bearer token
//! (signup, invite redemption), per client address. A bucket holds a minute's worth of requests
//! and refills at `rate_per_minute`; an empty one is answered 429 `rate_limited` with
//! `Retry-After` in whole seconds, before the body is read or the database is touched. The check
//! comes before authentication on purpose: a flood of wrong tokens costs a hash, not a query.
//! `/healthz` and `/metrics` are not limited (probes and scrapers poll them). Behind a reverse
//! proxy every unauthenticated request shares the proxy's address; the device limit is
//! unaffected.
//!
//! **Timeout.** A request whose body does not arrive, or whose answer is not ready, within
//! `request_timeout` is answered 408 (JSON, through the error net), and nothing is stored: a push
//! is stored only after its whole body was read and decoded. The server also bounds how long a
//! connection may take to send its request head (see [`crate::server`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::auth::{bearer_token, SecretHash};
use crate::error::AppError;
use crate::AppState;

/// Requests per minute a device (or an address without a token) may make by default: far
/// above what a syncing client needs, and above what the test suites send.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 1200;

/// How long a request may take to arrive and be answered by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Paths that are never rate limited.
const UNLIMITED_PATHS: &[&str] = &["/healthz", "/metrics"];

/// After this many checks the limiter forgets buckets that are full again.
const SWEEP_EVERY: u64 = 4096;

/// The operator's traffic limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per minute per device or address; also the burst a full bucket allows.
    pub rate_per_minute: NonZeroU32,
    /// Longest time a request may take to arrive and be answered.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate_per_minute: NonZeroU32::new(DEFAULT_RATE_PER_MINUTE).unwrap_or(NonZeroU32::MIN),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Whose bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    /// The SHA-256 of the presented bearer token.
    Device([u8; 32]),
    /// The client address of a request without a bearer token.
    Address(IpAddr),
}

/// Per-device and per-address token buckets.
pub struct RateLimiter {
    buckets: DefaultKeyedRateLimiter<Caller>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("buckets", &self.buckets.len())
            .finish()
    }
}

impl RateLimiter {
    /// Buckets of `per_minute` requests, refilled at `per_minute` a minute.
    pub fn new(per_minute: NonZeroU32) -> RateLimiter {
        RateLimiter {
            buckets: DefaultKeyedRateLimiter::dashmap(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from the caller's bucket; `Err(seconds)` to wait if it is empty.
    fn check(&self, caller: Caller) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.buckets.retain_recent();
            self.buckets.shrink_to_fit();
        }
        self.buckets.check_key(&caller).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Whole seconds, rounded up, at least one.
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// Middleware: answers 429 with `Retry-After` when the caller's bucket is empty.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if UNLIMITED_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let caller = match bearer_token(request.headers()) {
        Ok(token) => Caller::Device(*SecretHash::of(token).as_bytes()),
        Err(_) => Caller::Address(
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip()),
        ),
    };
    match state.rate_limiter.check(caller) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            state.metrics.rate_limited();
            tracing::info!(retry_after, "rate limited");
            AppError::RateLimited { retry_after }.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_says_how_long_to_wait() {
        let limiter = RateLimiter::new(NonZeroU32::new(3).unwrap());
        let device = Caller::Device([1; 32]);
        for _ in 0..3 {
            assert_eq!(limiter.check(device), Ok(()));
        }
        let wait = limiter.check(device).unwrap_err();
        // Three a minute: the next one comes within 20 seconds.
        assert!((1..=20).contains(&wait), "{wait}");
        // Other callers have buckets of their own.
        assert_eq!(limiter.check(Caller::Device([2; 32])), Ok(()));
        assert_eq!(
            limiter.check(Caller::Address(IpAddr::V4(Ipv4Addr::LOCALHOST))),
            Ok(())
        );
    }
}
