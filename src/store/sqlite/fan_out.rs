//! Events into webhook deliveries on SQLite: one writer, so `seq` is commit order and the cursor
//! is the last `seq` passed.

use crate::domain::Timestamp;
use crate::store::StoreResult;
use sqlx::SqlitePool;

/// See `Webhooks::fan_out`.
pub(super) async fn fan_out(writer: &SqlitePool, now: Timestamp, limit: u32) -> StoreResult<u32> {
    let mut tx = writer.begin().await?;
    let from: i64 = sqlx::query_scalar("SELECT seq FROM webhook_cursor WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let passed: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(from)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
    let Some(&to) = passed.last() else {
        return Ok(0);
    };
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, state, due_at, created_at) \
         SELECT w.id, e.id, e.type, 'pending', $3, $3 \
         FROM events e JOIN event_audience a ON a.seq = e.seq \
         JOIN webhooks w ON w.user_id = a.user_id AND w.disabled_at IS NULL AND w.created_at <= e.at \
         JOIN workspace_members m ON m.user_id = w.user_id AND m.workspace_id = e.workspace_id \
         WHERE e.seq > $1 AND e.seq <= $2 \
         AND EXISTS (SELECT 1 FROM json_each(w.events) j WHERE j.value IN ('*', e.type)) \
         ON CONFLICT DO NOTHING",
    )
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE webhook_cursor SET seq = $1 WHERE id = 1")
        .bind(to)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(u32::try_from(passed.len()).unwrap_or(u32::MAX))
}
