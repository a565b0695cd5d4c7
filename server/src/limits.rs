//! The bad-input wall's traffic limits: a per-device rate limit, a limit on failed
//! authentication per address, and a request timeout.
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
//! **Failed authentication is charged to the address.** A fresh random token per request would
//! get a fresh bucket each time; so every answer `401` to a request with a token also takes one
//! from its client address's failure bucket ([`AUTH_FAILURES_PER_MINUTE`]). When that bucket is
//! empty, the address is blocked until it refills: its requests are answered 429 before any
//! lookup, except those whose token this process saw succeed recently, so the devices behind a
//! shared address (a proxy, an office network) keep working while a flood from it is refused.
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
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Failed authentications (answers `401` to a request with a token) an address may cause per
/// minute before it is blocked for a while.
pub const AUTH_FAILURES_PER_MINUTE: u32 = 60;

/// Tokens remembered as recently good, at most (older ones are forgotten first).
const GOOD_TOKENS: usize = 10_000;

/// How long a token that succeeded is remembered as good.
const GOOD_FOR: Duration = Duration::from_secs(600);

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

/// Per-device and per-address token buckets, or the storage's shared counters; and the
/// addresses blocked for failing authentication too often.
pub struct RateLimiter {
    buckets: DefaultKeyedRateLimiter<Caller>,
    clock: DefaultClock,
    checks: AtomicU64,
    per_minute: NonZeroU32,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    good: Mutex<HashMap<[u8; 32], Instant>>,
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
            failures: DefaultKeyedRateLimiter::dashmap(Quota::per_minute(
                NonZeroU32::new(AUTH_FAILURES_PER_MINUTE).unwrap_or(NonZeroU32::MIN),
            )),
            blocked: Mutex::new(HashMap::new()),
            good: Mutex::new(HashMap::new()),
        }
    }

    /// Whether requests with token hash `token` from `ip` are refused now: the address is
    /// blocked for failed authentication and this token did not succeed recently. `Some(seconds)`
    /// to wait.
    fn blocked(&self, ip: IpAddr, token: &[u8; 32]) -> Option<u64> {
        let now = Instant::now();
        let until = *lock(&self.blocked).get(&ip)?;
        if until <= now {
            lock(&self.blocked).remove(&ip);
            return None;
        }
        let good = lock(&self.good)
            .get(token)
            .is_some_and(|seen| now.duration_since(*seen) < GOOD_FOR);
        (!good).then(|| (until - now).as_secs().max(1))
    }

    /// Records how a request with token hash `token` from `ip` ended: a `401` takes one from
    /// the address's failure bucket (and blocks the address when it is empty); anything else
    /// remembers the token as good.
    fn settle(&self, ip: IpAddr, token: [u8; 32], unauthorized: bool) {
        let now = Instant::now();
        if !unauthorized {
            let mut good = lock(&self.good);
            if good.len() >= GOOD_TOKENS {
                good.retain(|_, seen| now.duration_since(*seen) < GOOD_FOR);
                if good.len() >= GOOD_TOKENS {
                    good.clear();
                }
            }
            good.insert(token, now);
            return;
        }
        if let Err(not_until) = self.failures.check_key(&ip) {
            let wait = not_until.wait_time_from(self.clock.now());
            tracing::info!(
                wait_seconds = wait.as_secs(),
                "an address failed authentication too often"
            );
            let mut blocked = lock(&self.blocked);
            blocked.retain(|_, until| *until > now);
            blocked.insert(ip, now + wait.max(Duration::from_secs(1)));
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
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let caller = match bearer_token(request.headers()) {
        Ok(token) => Caller::Device(*SecretHash::of(token).as_bytes()),
        Err(_) => Caller::Address(ip),
    };
    let limited = |retry_after: u64| {
        state.metrics.rate_limited();
        tracing::info!(retry_after, "rate limited");
        AppError::RateLimited { retry_after }.into_response()
    };
    if let Caller::Device(token) = &caller {
        if let Some(retry_after) = state.rate_limiter.blocked(ip, token) {
            return limited(retry_after);
        }
    }
    let checked = state
        .rate_limiter
        .check_with(state.storage.as_ref(), caller)
        .await;
    match checked {
        Ok(()) => {
            let response = next.run(request).await;
            if let Caller::Device(token) = caller {
                let unauthorized = response.status() == axum::http::StatusCode::UNAUTHORIZED;
                state.rate_limiter.settle(ip, token, unauthorized);
            }
            response
        }
        Err(retry_after) => limited(retry_after),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
