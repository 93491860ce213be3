//! Webhook endpoints and deliveries (see `store::webhooks`), on both databases: what differs is
//! only where the events' order stops (`Dialect::horizon`), row locking, and how an endpoint's
//! event types are matched.

use super::super::SQL;
use super::audit::{commit_recorded, record};
use super::SqlStore;
use crate::domain::{Timestamp, UserId};
use crate::store::webhooks::{
    Attempt, Claimed, Delivery, DeliveryState, HookChange, HookRef, NewWebhook, Outcome, Webhook,
    Webhooks,
};
use crate::store::{AuditKind, Record, StoreError, StoreResult};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::LazyLock;
use uuid::Uuid;

/// An endpoint's columns, named as `Webhook`'s fields.
const WEBHOOK: &str = "SELECT id, url, events, description, created_at, \
     disabled_at IS NULL AS enabled, disabled_at, disabled_reason, failing_since FROM webhooks";

type DeliveryRow = (
    Uuid,
    String,
    String,
    i32,
    Option<Timestamp>,
    Option<i32>,
    Option<String>,
    Option<Timestamp>,
    Timestamp,
);

fn delivery(row: DeliveryRow) -> StoreResult<Delivery> {
    let (event_id, event_type, state, attempts, due_at, status, last_error, last_attempt_at, at) =
        row;
    Ok(Delivery {
        event_id,
        event_type,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery state {state:?}")))?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: due_at,
        last_status: status.and_then(|status| u16::try_from(status).ok()),
        last_error,
        last_attempt_at,
        created_at: at,
    })
}

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let json = SQL.json;
    format!(
        "INSERT INTO webhooks (id, user_id, url, events, description, secret, created_at) \
         SELECT $1, $2, $3, $4{json}, $5, $6, $7 \
         WHERE (SELECT count(*) FROM webhooks WHERE user_id = $2) < $8"
    )
});

static CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE webhook_deliveries SET claimed_until = $2, attempts = attempts + 1 \
         WHERE (webhook_id, event_id) IN (\
           SELECT d.webhook_id, d.event_id FROM webhook_deliveries d \
           JOIN webhooks w ON w.id = d.webhook_id \
           WHERE d.due_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1) \
           AND w.disabled_at IS NULL ORDER BY d.due_at LIMIT $3{lock}) \
         RETURNING webhook_id, event_id, attempts",
        lock = SQL.locking("d", true)
    )
});

/// Passing events on to deliveries: the cursor (locked), the positions after it (`$1`, `$2`; up
/// to `$3` of them, below the horizon), and the deliveries of the events from after `($1, $2)` to
/// `($3, $4)`, due at `$5`, for each enabled endpoint older than the event whose user may see it
/// and that asked for its type.
struct FanOut {
    cursor: String,
    next: String,
    insert: String,
}

static FAN_OUT: LazyLock<FanOut> = LazyLock::new(|| FanOut {
    cursor: format!(
        "SELECT xid, seq FROM webhook_cursor WHERE id = 1{}",
        SQL.locking("", false)
    ),
    next: format!(
        "SELECT e.xid, e.seq FROM events e WHERE {}{} ORDER BY e.xid, e.seq LIMIT $3",
        SQL.after("e", ("$1", "$2")),
        SQL.below_horizon("e")
    ),
    insert: format!(
        "INSERT INTO webhook_deliveries \
         (webhook_id, event_id, event_type, state, due_at, created_at) \
         SELECT w.id, e.id, e.type, 'pending', $5, $5 \
         FROM events e JOIN event_audience a ON a.seq = e.seq \
         JOIN webhooks w ON w.user_id = a.user_id AND w.disabled_at IS NULL \
         AND w.created_at <= e.at \
         JOIN workspace_members m ON m.user_id = w.user_id AND m.workspace_id = e.workspace_id \
         WHERE {} AND {} AND {} ON CONFLICT DO NOTHING",
        SQL.after("e", ("$1", "$2")),
        SQL.up_to("e", ("$3", "$4")),
        SQL.subscribed
    ),
});

/// The fan-out's reads of events (the next positions, the deliveries of a range), for tests of
/// their plans.
#[cfg(test)]
#[allow(dead_code)] // used by SQLite's tests only, and this module is compiled for both
pub(in crate::store) fn fan_out_sql() -> [&'static str; 2] {
    [&FAN_OUT.next, &FAN_OUT.insert]
}

#[async_trait]
impl Webhooks for SqlStore {
    async fn create_webhook(&self, hook: &NewWebhook<'_>, most: u32) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(&INSERT)
            .bind(hook.id)
            .bind(hook.user)
            .bind(hook.url)
            .bind(hook.events)
            .bind(hook.description)
            .bind(hook.secret)
            .bind(hook.created_at)
            .bind(i64::from(most))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let events: Value = serde_json::from_str(hook.events)?;
        let created = Record::new(
            AuditKind::WebhookCreated,
            hook.url,
            Value::Null,
            json!({"id": hook.id, "events": events, "description": hook.description}),
        );
        record(&mut tx, hook.user, &created).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn webhooks(&self, user: &UserId) -> StoreResult<Vec<Webhook>> {
        sqlx::query_as(&format!(
            "{WEBHOOK} WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user)
        .fetch_all(&self.reader)
        .await
        .map_err(Into::into)
    }

    async fn webhook(&self, hook: HookRef<'_>) -> StoreResult<Option<Webhook>> {
        sqlx::query_as(&format!("{WEBHOOK} WHERE id = $1 AND user_id = $2"))
            .bind(hook.id)
            .bind(hook.user)
            .fetch_optional(&self.reader)
            .await
            .map_err(Into::into)
    }

    async fn webhook_secrets(
        &self,
        hook: HookRef<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT secret, CASE WHEN previous_until > $3 THEN previous_secret END \
             FROM webhooks WHERE id = $1 AND user_id = $2",
        )
        .bind(hook.id)
        .bind(hook.user)
        .bind(now)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(secret, previous)| std::iter::once(secret).chain(previous).collect()))
    }

    async fn delete_webhook(&self, hook: HookRef<'_>) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE webhook_id = \
             (SELECT id FROM webhooks WHERE id = $1 AND user_id = $2)",
        )
        .bind(hook.id)
        .bind(hook.user)
        .execute(&mut *tx)
        .await?;
        let deleted: Option<String> =
            sqlx::query_scalar("DELETE FROM webhooks WHERE id = $1 AND user_id = $2 RETURNING url")
                .bind(hook.id)
                .bind(hook.user)
                .fetch_optional(&mut *tx)
                .await?;
        commit_recorded(tx, hook.user, deleted, |url| {
            let before = json!({ "id": hook.id });
            Record::new(AuditKind::WebhookDeleted, url, before, Value::Null)
        })
        .await
    }

    async fn change_webhook(&self, hook: HookRef<'_>, change: HookChange<'_>) -> StoreResult<bool> {
        // What changed, as the audit log records it (a secret never: only that it was rotated).
        let (sql, at, text, after) = match change {
            HookChange::Rotate { secret, old_until } => (
                "UPDATE webhooks SET previous_secret = secret, previous_until = $3, secret = $4 \
                 WHERE id = $1 AND user_id = $2 RETURNING url",
                Some(old_until),
                Some(secret),
                json!({ "secretRotated": true }),
            ),
            HookChange::Disable(disabled) => {
                let (at, reason) = disabled.unzip();
                (
                    "UPDATE webhooks SET disabled_at = $3, disabled_reason = $4, \
                     failing_since = NULL WHERE id = $1 AND user_id = $2 RETURNING url",
                    at,
                    reason,
                    json!({ "enabled": at.is_none(), "reason": reason }),
                )
            }
        };
        let mut tx = self.writer.begin().await?;
        let changed: Option<String> = sqlx::query_scalar(sql)
            .bind(hook.id)
            .bind(hook.user)
            .bind(at)
            .bind(text)
            .fetch_optional(&mut *tx)
            .await?;
        commit_recorded(tx, hook.user, changed, |url| {
            Record::new(
                AuditKind::WebhookChanged,
                url,
                json!({ "id": hook.id }),
                after,
            )
        })
        .await
    }

    async fn deliveries(&self, webhook: Uuid, limit: u32) -> StoreResult<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT event_id, event_type, state, attempts, due_at, last_status, last_error, \
             last_attempt_at, created_at FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY created_at DESC, event_id DESC LIMIT $2",
        )
        .bind(webhook)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(delivery).collect()
    }

    async fn redeliver(&self, webhook: Uuid, event: Uuid, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', due_at = $3, claimed_until = NULL \
             WHERE webhook_id = $1 AND event_id = $2",
        )
        .bind(webhook)
        .bind(event)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fan_out(&self, now: Timestamp, limit: u32) -> StoreResult<u32> {
        // No endpoint to deliver to: nothing to write, and the writer stays free. The cursor stays
        // where it is, so an endpoint enabled meanwhile misses nothing it may get (the next step
        // passes on from there).
        let any: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks WHERE disabled_at IS NULL)")
                .fetch_one(&self.reader)
                .await?;
        if !any {
            return Ok(0);
        }
        let mut tx = self.writer.begin().await?;
        // One instance at a time passes events on: the cursor's row is locked until the commit.
        let from: (i64, i64) = sqlx::query_as(&FAN_OUT.cursor).fetch_one(&mut *tx).await?;
        let passed: Vec<(i64, i64)> = sqlx::query_as(&FAN_OUT.next)
            .bind(from.0)
            .bind(from.1)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let Some(&to) = passed.last() else {
            return Ok(0);
        };
        sqlx::query(&FAN_OUT.insert)
            .bind(from.0)
            .bind(from.1)
            .bind(to.0)
            .bind(to.1)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE webhook_cursor SET xid = $1, seq = $2 WHERE id = 1")
            .bind(to.0)
            .bind(to.1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u32::try_from(passed.len()).unwrap_or(u32::MAX))
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        let mut tx = self.writer.begin().await?;
        let taken: Vec<(Uuid, Uuid, i32)> = sqlx::query_as(&CLAIM)
            .bind(now)
            .bind(lease_until)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(taken.len());
        for (webhook_id, event_id, attempts) in taken {
            let (url, secret, previous, body): (String, String, Option<String>, Option<String>) =
                sqlx::query_as(
                    "SELECT w.url, w.secret, \
                     CASE WHEN w.previous_until > $3 THEN w.previous_secret END, \
                     (SELECT e.body FROM events e WHERE e.id = $2) \
                     FROM webhooks w WHERE w.id = $1",
                )
                .bind(webhook_id)
                .bind(event_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            claimed.push(Claimed {
                webhook_id,
                event_id,
                attempt: u32::try_from(attempts).unwrap_or(1),
                url,
                secrets: std::iter::once(secret).chain(previous).collect(),
                body,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn record_delivery(&self, attempt: Attempt<'_>) -> StoreResult<()> {
        let Attempt {
            claimed,
            outcome,
            at: now,
            give_up_before,
        } = attempt;
        let (state, status, error, retry_at) = match outcome {
            Outcome::Delivered { status } => (DeliveryState::Delivered, Some(*status), None, None),
            Outcome::Failed {
                status,
                error,
                retry_at,
            } => {
                let state = match retry_at {
                    Some(_) => DeliveryState::Pending,
                    None => DeliveryState::Failed,
                };
                (state, *status, Some(error.as_str()), *retry_at)
            }
        };
        let mut tx = self.writer.begin().await?;
        // Only the attempt that still holds the row records it (a late one whose lease ran out
        // and was claimed again does not).
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $4, due_at = $5, claimed_until = NULL, \
             last_status = $6, last_error = $7, last_attempt_at = $8 \
             WHERE webhook_id = $1 AND event_id = $2 AND attempts = $3",
        )
        .bind(claimed.webhook_id)
        .bind(claimed.event_id)
        .bind(i32::try_from(claimed.attempt).unwrap_or(i32::MAX))
        .bind(state.as_str())
        .bind(retry_at)
        .bind(status.map(i32::from))
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if state == DeliveryState::Delivered {
            sqlx::query("UPDATE webhooks SET failing_since = NULL WHERE id = $1")
                .bind(claimed.webhook_id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE webhooks SET failing_since = coalesce(failing_since, $2) WHERE id = $1",
            )
            .bind(claimed.webhook_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhooks SET disabled_at = $2, disabled_reason = $3 \
                 WHERE id = $1 AND disabled_at IS NULL AND failing_since < $4",
            )
            .bind(claimed.webhook_id)
            .bind(now)
            .bind("Every delivery failed for 5 days: enable it again once the endpoint answers")
            .bind(give_up_before)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE due_at IS NOT NULL")
                .fetch_one(&self.reader)
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
