//! Idempotency keys on SQLite: claimed, completed and released on the writer connection.

use super::{instant, SqliteStore};
use crate::domain::{Timestamp, UserId};
use crate::store::{Claim, Idempotency, KeyUse, StoreResult};
use async_trait::async_trait;
use uuid::Uuid;

#[async_trait]
impl Idempotency for SqliteStore {
    async fn claim_key(
        &self,
        user: &UserId,
        key: &str,
        use_: &KeyUse,
        expired_before: Timestamp,
    ) -> StoreResult<Claim> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE claimed_at < ?")
            .bind(expired_before.millis())
            .execute(&mut *tx)
            .await?;
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, icp_id, claimed_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(user.as_str())
        .bind(key)
        .bind(&use_.request_hash)
        .bind(use_.icp_id)
        .bind(use_.claimed_at.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let claim = if claimed {
            Claim::Claimed
        } else {
            let (request_hash, icp_id, claimed_at, response): (Vec<u8>, Uuid, i64, Option<String>) =
                sqlx::query_as(
                    "SELECT request_hash, icp_id, claimed_at, response FROM idempotency_keys \
                     WHERE user_id = ? AND key = ?",
                )
                .bind(user.as_str())
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
            Claim::Taken(KeyUse {
                request_hash,
                icp_id,
                claimed_at: instant(claimed_at)?,
                response,
            })
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn complete_key(
        &self,
        user: &UserId,
        key: &str,
        claimed_at: Timestamp,
        response: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET response = ? WHERE user_id = ? AND key = ? AND claimed_at = ?",
        )
        .bind(response)
        .bind(user.as_str())
        .bind(key)
        .bind(claimed_at.millis())
        .execute(&self.writer)
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
             WHERE user_id = ? AND key = ? AND claimed_at = ? AND response IS NULL",
        )
        .bind(user.as_str())
        .bind(key)
        .bind(claimed_at.millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
