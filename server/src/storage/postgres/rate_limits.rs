//! The shared rate limit in PostgreSQL: each caller's token bucket is a row of the UNLOGGED
//! table `rate_buckets`, taken from with one upsert a request, so every relay process on the
//! database draws from the same bucket.

use std::sync::atomic::Ordering;

use super::{Inner, SWEEP_RATE_BUCKETS_EVERY};
use crate::storage::{RateQuota, StorageResult};

/// Takes one request from a caller's shared token bucket (GCRA: the bucket is the caller's
/// "theoretical arrival time", `tat`; a request is allowed if moving it one interval on stays
/// within the burst of now). One upsert; now and then deletes buckets that are full again.
pub(super) async fn take_request(
    inner: &Inner,
    caller: [u8; 32],
    now: i64,
    quota: RateQuota,
) -> StorageResult<Option<u64>> {
    let client = inner.pool.get().await?;
    if inner.counted.fetch_add(1, Ordering::Relaxed) % SWEEP_RATE_BUCKETS_EVERY
        == SWEEP_RATE_BUCKETS_EVERY - 1
    {
        let stmt = client
            .prepare_cached("DELETE FROM rate_buckets WHERE tat < $1")
            .await?;
        client.execute(&stmt, &[&now]).await?;
    }
    let stmt = client
        .prepare_cached(
            "INSERT INTO rate_buckets AS b (caller, tat, allowed)
             VALUES ($1, $2::bigint + $3::bigint, true)
             ON CONFLICT (caller) DO UPDATE SET
                tat = CASE WHEN greatest(b.tat, $2::bigint) + $3::bigint - $2::bigint
                                <= $4::bigint
                      THEN greatest(b.tat, $2::bigint) + $3::bigint ELSE b.tat END,
                allowed = greatest(b.tat, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint
             RETURNING tat, allowed",
        )
        .await?;
    let row = client
        .query_one(
            &stmt,
            &[
                &caller.as_slice(),
                &now,
                &quota.interval_micros,
                &quota.burst_micros,
            ],
        )
        .await?;
    let (tat, allowed): (i64, bool) = (row.try_get(0)?, row.try_get(1)?);
    if allowed {
        return Ok(None);
    }
    let wait = tat
        .saturating_add(quota.interval_micros)
        .saturating_sub(quota.burst_micros)
        .saturating_sub(now);
    Ok(Some(u64::try_from(wait).unwrap_or(0)))
}
