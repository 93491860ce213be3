//! Idempotency keys on Postgres: one statement claims a key or reads who holds it.

use super::PgStore;
use crate::domain::{Timestamp, UserId};
use crate::store::{Claim, Idempotency, KeyUse, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
impl Idempotency for PgStore {
    async fn claim_key(
        &self,
        user: &UserId,
        key: &str,
        use_: &KeyUse,
        expired_before: Timestamp,
    ) -> StoreResult<Claim> {
        sqlx::query("DELETE FROM idempotency_keys WHERE claimed_at < $1")
            .bind(expired_before.0)
            .execute(&self.pool)
            .await?;
        // A key taken by a concurrent request is read after the insert gave way: the loop ends
        // once either this insert wins or the row it lost to is seen.
        loop {
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, icp_id, claimed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(key)
            .bind(&use_.request_hash)
            .bind(use_.icp_id)
            .bind(use_.claimed_at.0)
            .execute(&self.pool)
            .await?
            .rows_affected()
                == 1;
            if claimed {
                return Ok(Claim::Claimed);
            }
            let held: Option<(Vec<u8>, Uuid, DateTime<Utc>, Option<String>)> = sqlx::query_as(
                "SELECT request_hash, icp_id, claimed_at, response FROM idempotency_keys \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(user.as_str())
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
            if let Some((request_hash, icp_id, claimed_at, response)) = held {
                return Ok(Claim::Taken(KeyUse {
                    request_hash,
                    icp_id,
                    claimed_at: Timestamp(claimed_at),
                    response,
                }));
            }
        }
    }

    async fn complete_key(
        &self,
        user: &UserId,
        key: &str,
        claimed_at: Timestamp,
        response: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET response = $1 \
             WHERE user_id = $2 AND key = $3 AND claimed_at = $4",
        )
        .bind(response)
        .bind(user.as_str())
        .bind(key)
        .bind(claimed_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_key(
        &self,
        user: &UserId,
        key: &str,
        claimed_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2 AND claimed_at = $3 AND response IS NULL",
        )
        .bind(user.as_str())
        .bind(key)
        .bind(claimed_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
