//! Mailed single-use tokens (see `store::email_tokens`), the same statements on both databases.
//! A token is used by one `UPDATE … WHERE used_at IS NULL AND expires_at > now`: of two requests
//! with the same link, one changes the row and the other finds it used.

use super::{is_unique_violation, Db, SqlStore};
use crate::domain::{Timestamp, UserId};
use crate::store::email_tokens::{
    Confirmed, EmailPurpose, EmailTokens, LiveEmailToken, NewEmailToken,
};
use crate::store::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Transaction;

/// Marks the live token `$3` of purpose `$2` used at `$1`, and reads its user and new email.
const USE: &str = "UPDATE email_tokens SET used_at = $1 \
     WHERE purpose = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > $1 \
     RETURNING user_id, new_email";

/// Uses the live token `token_hash` of `purpose` in `tx`.
async fn use_token(
    tx: &mut Transaction<'_, Db>,
    purpose: EmailPurpose,
    token_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Option<(UserId, Option<String>)>> {
    Ok(sqlx::query_as(USE)
        .bind(now)
        .bind(purpose.as_str())
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await?)
}

#[async_trait]
impl EmailTokens for SqlStore {
    async fn insert_email_token(&self, token: &NewEmailToken<'_>) -> StoreResult<()> {
        self.write(
            sqlx::query(
                "INSERT INTO email_tokens \
                 (id, purpose, user_id, token_hash, new_email, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.id)
            .bind(token.purpose.as_str())
            .bind(token.user)
            .bind(token.token_hash)
            .bind(token.new_email)
            .bind(token.created_at)
            .bind(token.expires_at),
        )
        .await
    }

    async fn live_email_token(
        &self,
        purpose: EmailPurpose,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<LiveEmailToken>> {
        let row: Option<(UserId, Option<String>)> = sqlx::query_as(
            "SELECT user_id, new_email FROM email_tokens \
             WHERE purpose = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(purpose.as_str())
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(user, new_email)| LiveEmailToken { user, new_email }))
    }

    async fn reset_password(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>> {
        let mut tx = self.writer.begin().await?;
        let Some((user, _)) = use_token(&mut tx, EmailPurpose::Reset, token_hash, now).await?
        else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(user))
    }

    async fn confirm_email(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Confirmed> {
        let mut tx = self.writer.begin().await?;
        let used = use_token(&mut tx, EmailPurpose::ConfirmEmail, token_hash, now).await?;
        let Some((user, Some(email))) = used else {
            return Ok(Confirmed::Closed);
        };
        let changed = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(&email)
            .bind(&user)
            .execute(&mut *tx)
            .await;
        match changed {
            // Rolled back (dropped): the token stays usable should the address become free.
            Err(error) if is_unique_violation(&error) => return Ok(Confirmed::Taken(email)),
            other => other?,
        };
        tx.commit().await?;
        Ok(Confirmed::Changed { user, email })
    }

    async fn set_email(&self, user: &UserId, email: &str) -> StoreResult<()> {
        let changed = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(user)
            .execute(&self.writer)
            .await;
        match changed {
            Err(error) if is_unique_violation(&error) => {
                Err(StoreError::Conflict("a user with this email"))
            }
            other => other.map(|_| ()).map_err(StoreError::from),
        }
    }

    async fn purge_email_tokens(&self, before: Timestamp) -> StoreResult<u64> {
        self.delete_older("DELETE FROM email_tokens WHERE expires_at < $1", before)
            .await
    }
}
