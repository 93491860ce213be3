//! Events into webhook deliveries on Postgres: the cursor is a position `(xid, seq)` (see
//! migration 0014), locked by the one instance that fans out at a time; only events of
//! transactions older than any still running are passed, so none is ever passed over.

use crate::domain::Timestamp;
use crate::store::StoreResult;
use sqlx::PgPool;

/// See `Webhooks::fan_out`.
pub(super) async fn fan_out(writer: &PgPool, now: Timestamp, limit: u32) -> StoreResult<u32> {
    let mut tx = writer.begin().await?;
    let (from_xid, from_seq): (String, i64) =
        sqlx::query_as("SELECT xid::text, seq FROM webhook_cursor WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
    let passed: Vec<(String, i64)> = sqlx::query_as(
        "SELECT xid::text, seq FROM events WHERE (xid, seq) > ($1::xid8, $2) \
         AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid, seq LIMIT $3",
    )
    .bind(&from_xid)
    .bind(from_seq)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    let Some((to_xid, to_seq)) = passed.last() else {
        return Ok(0);
    };
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, state, due_at, created_at) \
         SELECT w.id, e.id, e.type, 'pending', $5, $5 \
         FROM events e JOIN event_audience a ON a.seq = e.seq \
         JOIN webhooks w ON w.user_id = a.user_id AND w.disabled_at IS NULL AND w.created_at <= e.at \
         JOIN workspace_members m ON m.user_id = w.user_id AND m.workspace_id = e.workspace_id \
         WHERE (e.xid, e.seq) > ($1::xid8, $2) AND (e.xid, e.seq) <= ($3::xid8, $4) \
         AND w.events ?| array['*', e.type] \
         ON CONFLICT DO NOTHING",
    )
    .bind(&from_xid)
    .bind(from_seq)
    .bind(to_xid)
    .bind(to_seq)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE webhook_cursor SET xid = $1::xid8, seq = $2 WHERE id = 1")
        .bind(to_xid)
        .bind(to_seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(u32::try_from(passed.len()).unwrap_or(u32::MAX))
}
