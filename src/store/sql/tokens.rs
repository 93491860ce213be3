//! API tokens: stored by their hash, looked up (remembered in `memo::TokenOwners`, the expiry
//! checked at every use and the last use noted at most once a minute), listed and revoked.

use super::audit::{commit_recorded, record};
use super::{Db, SqlStore};
use crate::domain::{Timestamp, UserId};
use crate::store::memo::KnownToken;
use crate::store::{
    ApiToken, AuditKind, NewToken, Record, StoreError, StoreResult, TokenOwner, TokenScope,
};
use serde_json::{json, Value};
use sqlx::Pool;
use uuid::Uuid;

/// A token looked up by its hash: id, owner, scope, expiry and last use.
type LookupRow = (Uuid, UserId, String, Option<Timestamp>, Option<Timestamp>);

/// A token as `Store::tokens` lists it: id, label, scope, created, expiry, last use, revoked.
type ListRow = (
    Uuid,
    String,
    String,
    Timestamp,
    Option<Timestamp>,
    Option<Timestamp>,
    bool,
);

/// A stored token scope, checked.
fn scope(raw: &str) -> StoreResult<TokenScope> {
    TokenScope::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("bad token scope {raw:?}")))
}

/// Stores a new token, recorded in the owner's workspace's audit log.
pub(super) async fn insert(store: &SqlStore, token: NewToken<'_>) -> StoreResult<()> {
    let mut tx = store.writer.begin().await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, label, token_hash, scope, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id)
    .bind(token.user)
    .bind(token.label)
    .bind(token.token_hash)
    .bind(token.scope.as_str())
    .bind(token.expires_at)
    .execute(&mut *tx)
    .await?;
    let created = Record::new(
        AuditKind::TokenCreated,
        token.label,
        Value::Null,
        json!({"id": token.id, "scope": token.scope.as_str(), "expiresAt": token.expires_at}),
    );
    record(&mut tx, token.user, &created).await?;
    Ok(tx.commit().await?)
}

/// The owner and scope of the live token `token_hash` (see `Store::live_token`).
pub(super) async fn live(store: &SqlStore, token_hash: &[u8]) -> StoreResult<Option<TokenOwner>> {
    let lookup = async {
        let row: Option<LookupRow> = sqlx::query_as(
            "SELECT id, user_id, scope, expires_at, last_used_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&store.reader)
        .await?;
        row.map(|(id, user, raw_scope, expires_at, last_used_at)| {
            let owner = TokenOwner {
                user,
                scope: scope(&raw_scope)?,
            };
            Ok(KnownToken::new(id, owner, expires_at, last_used_at))
        })
        .transpose()
    };
    let Some(token) = store.tokens.token(token_hash, lookup).await? else {
        return Ok(None);
    };
    let now = Timestamp::now();
    if !token.live_at(now) {
        return Ok(None);
    }
    if token.note_use(now) {
        let noted = store
            .write(
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(token.id),
            )
            .await;
        // The request goes on: its last use is only shown on the settings page.
        if let Err(error) = noted {
            tracing::warn!(%error, token = %token.id, "could not note a token's use");
        }
    }
    Ok(Some(token.owner.clone()))
}

/// Revokes the user's token `id` (recorded in their workspace's audit log); false when there is
/// no such live token of theirs.
pub(super) async fn revoke(store: &SqlStore, user: &UserId, id: Uuid) -> StoreResult<bool> {
    let mut tx = store.writer.begin().await?;
    let revoked: Option<(String, String)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
         AND revoked_at IS NULL RETURNING label, scope",
    )
    .bind(Timestamp::now())
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    let revoked = commit_recorded(tx, user, revoked, |(label, scope): (String, String)| {
        let before = json!({"id": id, "scope": scope});
        Record::new(AuditKind::TokenRevoked, label, before, Value::Null)
    })
    .await;
    store.tokens.forget_all();
    revoked
}

pub(super) async fn list(reader: &Pool<Db>, user: &UserId) -> StoreResult<Vec<ApiToken>> {
    let rows: Vec<ListRow> = sqlx::query_as(
        "SELECT id, label, scope, created_at, expires_at, last_used_at, revoked_at IS NOT NULL \
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(user)
    .fetch_all(reader)
    .await?;
    let token = |(id, label, raw_scope, created_at, expires_at, last_used_at, revoked): ListRow| {
        Ok(ApiToken {
            id,
            label,
            scope: scope(&raw_scope)?,
            created_at,
            expires_at,
            last_used_at,
            revoked,
        })
    };
    rows.into_iter().map(token).collect()
}
