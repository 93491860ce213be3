//! Sign-in attempts counted in Postgres's `auth_attempts`, shared by every instance on the database
//! (the limits themselves are `auth::limiter`'s).

use crate::store::{StoreResult, Tries};
use async_trait::async_trait;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// Expired rows of every key are swept once per this many reservations (each reservation already
/// sweeps its own keys), so the table holds about one window of attempts.
const SWEEP_EVERY: u64 = 256;

pub struct PgTries {
    pool: PgPool,
    /// Every so many reservations, expired rows of all keys are deleted.
    reservations: AtomicU64,
}

impl PgTries {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            reservations: AtomicU64::new(0),
        }
    }

    async fn sweep(&self, window: f64) {
        let swept = sqlx::query(
            "DELETE FROM auth_attempts \
             WHERE attempted_at <= clock_timestamp() - make_interval(secs => $1)",
        )
        .bind(window)
        .execute(&self.pool)
        .await;
        if let Err(error) = swept {
            tracing::warn!(error = %crate::error_chain(&error), "could not sweep expired sign-in attempts");
        }
    }
}

#[async_trait]
impl Tries for PgTries {
    async fn reserve(
        &self,
        keys: &[(String, usize)],
        window: Duration,
    ) -> StoreResult<Result<Uuid, Duration>> {
        let window_secs = window.as_secs_f64();
        let mut stored: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
        stored.sort_unstable();
        stored.dedup();
        let mut tx = self.pool.begin().await?;
        // One lock per key, taken in sorted order (no deadlocks), held until commit: two
        // reservations for one key, on any instance, run one after the other.
        for key in &stored {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 6))")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "DELETE FROM auth_attempts WHERE key = ANY($1) \
             AND attempted_at <= clock_timestamp() - make_interval(secs => $2)",
        )
        .bind(&stored)
        .bind(window_secs)
        .execute(&mut *tx)
        .await?;
        let counts: Vec<(String, i64, f64)> = sqlx::query_as(
            "SELECT key, count(*), \
             extract(epoch FROM min(attempted_at) + make_interval(secs => $2) - clock_timestamp())::float8 \
             FROM auth_attempts WHERE key = ANY($1) GROUP BY key",
        )
        .bind(&stored)
        .bind(window_secs)
        .fetch_all(&mut *tx)
        .await?;
        let mut wait = Duration::ZERO;
        for (key, limit) in keys {
            if let Some((_, count, left)) = counts.iter().find(|(stored, ..)| stored == key) {
                if usize::try_from(*count).unwrap_or(usize::MAX) >= *limit {
                    let left = Duration::try_from_secs_f64(left.max(1.0)).unwrap_or(window);
                    wait = wait.max(left.min(window));
                }
            }
        }
        if !wait.is_zero() {
            tx.rollback().await?;
            return Ok(Err(wait));
        }
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO auth_attempts (id, key, attempted_at) \
             SELECT $1, key, clock_timestamp() FROM unnest($2::text[]) AS key",
        )
        .bind(id)
        .bind(&stored)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if self.reservations.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep(window_secs).await;
        }
        Ok(Ok(id))
    }

    async fn give_back(
        &self,
        attempt: Uuid,
        forgiven: &[String],
        returned: &[String],
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM auth_attempts WHERE key = ANY($1) OR (id = $2 AND key = ANY($3))")
            .bind(forgiven)
            .bind(attempt)
            .bind(returned)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
