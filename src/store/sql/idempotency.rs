//! Idempotency keys: claimed, completed and released on the writer.

use super::{SqlStore, Statement};
use crate::domain::Timestamp;
use crate::store::{Claim, Idempotency, KeyUse, StoreResult, UserKey};
use async_trait::async_trait;
use uuid::Uuid;

/// `sql` bound to one claim of a key: `$1` the user, `$2` the key, `$3` when it was claimed.
fn on_claim<'q>(sql: &'q str, key: UserKey<'q>, claimed_at: Timestamp) -> Statement<'q> {
    sqlx::query(sql)
        .bind(key.user)
        .bind(key.key)
        .bind(claimed_at)
}

#[async_trait]
impl Idempotency for SqlStore {
    async fn claim_key(
        &self,
        key: UserKey<'_>,
        use_: &KeyUse,
        expired_before: Timestamp,
    ) -> StoreResult<Claim> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE claimed_at < $1")
            .bind(expired_before)
            .execute(&mut *tx)
            .await?;
        // A key taken by a concurrent request (Postgres) is read after the insert gave way: the
        // loop ends once either this insert wins or the row it lost to is seen.
        let claim = loop {
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, icp_id, claimed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING",
            )
            .bind(key.user)
            .bind(key.key)
            .bind(&use_.request_hash)
            .bind(use_.icp_id)
            .bind(use_.claimed_at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if claimed {
                break Claim::Claimed;
            }
            let held: Option<(Vec<u8>, Uuid, Timestamp, Option<String>)> = sqlx::query_as(
                "SELECT request_hash, icp_id, claimed_at, response FROM idempotency_keys \
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(key.user)
            .bind(key.key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((request_hash, icp_id, claimed_at, response)) = held {
                break Claim::Taken(KeyUse {
                    request_hash,
                    icp_id,
                    claimed_at,
                    response,
                });
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn complete_key(
        &self,
        key: UserKey<'_>,
        claimed_at: Timestamp,
        response: &str,
    ) -> StoreResult<()> {
        let complete = "UPDATE idempotency_keys SET response = $4 \
             WHERE user_id = $1 AND key = $2 AND claimed_at = $3";
        self.write(on_claim(complete, key, claimed_at).bind(response))
            .await
    }

    async fn release_key(&self, key: UserKey<'_>, claimed_at: Timestamp) -> StoreResult<()> {
        let release = "DELETE FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2 AND claimed_at = $3 AND response IS NULL";
        self.write(on_claim(release, key, claimed_at)).await
    }
}
