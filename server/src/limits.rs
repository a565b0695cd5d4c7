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
//! **Across relay processes.** With SQLite there is one process and the buckets live in it.
//! When the storage shares state between processes (PostgreSQL, see
//! [`crate::storage::Storage::take_request`]), the buckets live in the database instead, with
//! the same algorithm (GCRA) and the same shape, one upsert a request: a device that spreads
//! its requests over N processes still gets `rate_per_minute` in all. The bucket is keyed by
//! the caller and the rate, so give every process the same `--rate-per-minute`. If the
//! database cannot answer (it is down), the request is let through and a warning logged: the
//! request then fails or succeeds on its own merits, and a database hiccup must not turn into
//! 429s.
//!
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use sha2::{Digest, Sha256};

use crate::auth::{bearer_token, SecretHash};
use crate::error::AppError;
use crate::storage::{RateQuota, Storage};
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

impl Caller {
    /// The key a shared bucket is stored under: a hash of the caller (the token's hash, or the
    /// address) and the rate, so a process configured with another rate has buckets of its own.
    fn key(&self, per_minute: NonZeroU32) -> [u8; 32] {
        let mut hash = Sha256::new();
        match self {
            Caller::Device(token) => {
                hash.update(b"device ");
                hash.update(token);
            }
            Caller::Address(ip) => hash.update(format!("address {ip}").as_bytes()),
        }
        hash.update(format!(" per minute {per_minute}").as_bytes());
        hash.finalize().into()
    }
}

/// Per-device and per-address token buckets, or the storage's shared counters.
pub struct RateLimiter {
    buckets: DefaultKeyedRateLimiter<Caller>,
    clock: DefaultClock,
    checks: AtomicU64,
    per_minute: NonZeroU32,
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
            per_minute,
        }
    }

    /// Takes one request from the caller's bucket: the storage's shared one when it keeps
    /// buckets for several processes, else this process's. `Err(seconds)` to wait if it is
    /// empty.
    async fn check_with(&self, storage: &dyn Storage, caller: Caller) -> Result<(), u64> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let per_minute = i64::from(self.per_minute.get());
        let interval = (60_000_000 / per_minute).max(1);
        let quota = RateQuota {
            interval_micros: interval,
            burst_micros: interval * per_minute,
        };
        let Some(taken) = storage.take_request(caller.key(self.per_minute), now, quota) else {
            return self.check(caller);
        };
        match taken.await {
            Ok(None) => Ok(()),
            // Whole seconds, rounded up, at least one.
            Ok(Some(wait)) => Err(wait.div_ceil(1_000_000).max(1)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the request from the shared rate limit");
                Ok(())
            }
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
    let checked = state
        .rate_limiter
        .check_with(state.storage.as_ref(), caller)
        .await;
    match checked {
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
