//! The event log's statements (see `store::events`): written with each ICP write, read a page at
//! a time, purged when old.

use super::super::SQL;
use super::{Db, SqlStore};
use crate::domain::{Timestamp, UserId};
use crate::store::batch::{runs, Inserts};
use crate::store::events::{Events, EventsPage, NewEvent};
use crate::store::StoreResult;
use crate::store::PAGE_BYTES;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::query::Query;
use sqlx::Database;
use std::sync::LazyLock;
use uuid::Uuid;

type Connection = <Db as Database>::Connection;
type Arguments<'q> = <Db as Database>::Arguments<'q>;

pub(in crate::store) static INSERT: LazyLock<Inserts> = LazyLock::new(|| {
    let json = SQL.json;
    Inserts::new(
        "INSERT INTO events (id, type, icp_id, workspace_id, at, audience, body)",
        &format!(
            "($1, $2, $3, (SELECT workspace_id FROM workspace_members WHERE user_id = $4), $5, \
             $6{json}, $7)"
        ),
        7,
        SQL.params,
    )
});

/// Writes `events` in the caller's transaction (the one of the changes they record).
pub(in crate::store) async fn write_events(
    conn: &mut Connection,
    events: &[NewEvent<'_>],
) -> StoreResult<()> {
    for run in runs(events) {
        let mut insert = sqlx::query(INSERT.sql(run.len()));
        for event in run {
            insert = bind_event(insert, event);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Binds `event`'s row of `INSERT` (`$1` to `$7`).
pub(in crate::store) fn bind_event<'q>(
    query: Query<'q, Db, Arguments<'q>>,
    event: &'q NewEvent<'_>,
) -> Query<'q, Db, Arguments<'q>> {
    query
        .bind(event.id)
        .bind(event.kind.as_str())
        .bind(event.icp)
        .bind(event.workspace_of)
        .bind(event.at)
        .bind(&event.audience)
        .bind(&event.body)
}

/// A reader's page: `$1` the reader, `$2` how many, `$3` (with a cursor) the `seq` read last.
fn page_sql(after: bool) -> String {
    let last = ("(SELECT c.xid FROM events c WHERE c.seq = $3)", "$3");
    format!(
        "SELECT e.body FROM event_audience a JOIN events e ON e.seq = a.seq \
         JOIN workspace_members w ON w.user_id = a.user_id AND w.workspace_id = e.workspace_id \
         WHERE a.user_id = $1{below}{after} ORDER BY a.xid, a.seq LIMIT $2",
        below = SQL.below_horizon("a"),
        after = if after {
            format!(" AND {}", SQL.after("a", last))
        } else {
            String::new()
        },
    )
}

static FIRST_PAGE: LazyLock<String> = LazyLock::new(|| page_sql(false));
static NEXT_PAGE: LazyLock<String> = LazyLock::new(|| page_sql(true));

/// Events deleted per statement when purging, so no purge holds the writer long.
const PURGE_BATCH: i64 = 5_000;

#[async_trait]
impl Events for SqlStore {
    async fn events_page(
        &self,
        reader: &UserId,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Option<EventsPage>> {
        let page = match after {
            None => sqlx::query_scalar(&FIRST_PAGE)
                .bind(reader)
                .bind(i64::from(limit) + 1),
            Some(id) => {
                let seq: Option<i64> = sqlx::query_scalar(
                    "SELECT e.seq FROM events e \
                     JOIN event_audience a ON a.seq = e.seq AND a.user_id = $2 WHERE e.id = $1",
                )
                .bind(id)
                .bind(reader)
                .fetch_optional(&self.reader)
                .await?;
                let Some(seq) = seq else {
                    return Ok(None);
                };
                sqlx::query_scalar(&NEXT_PAGE)
                    .bind(reader)
                    .bind(i64::from(limit) + 1)
                    .bind(seq)
            }
        };
        // One row more than asked, to know whether more follow; read as they come, so a page of
        // large events stops at `PAGE_BYTES` without reading the rest.
        let mut rows = page.fetch(&self.reader);
        let mut taken = EventsPage::default();
        let mut bytes = 0_usize;
        while let Some(body) = rows.try_next().await? {
            let body: String = body;
            if taken.events.len() == limit as usize || bytes >= PAGE_BYTES as usize {
                taken.more = true;
                break;
            }
            bytes += body.len();
            taken.events.push(body);
        }
        Ok(Some(taken))
    }

    async fn purge_events(&self, before: Timestamp) -> StoreResult<u64> {
        // Webhook deliveries go with their events (their retries end within two days).
        loop {
            let done = sqlx::query(
                "DELETE FROM webhook_deliveries WHERE (webhook_id, event_id) IN (\
                 SELECT webhook_id, event_id FROM webhook_deliveries WHERE created_at < $1 LIMIT $2)",
            )
            .bind(before)
            .bind(PURGE_BATCH)
            .execute(&self.writer)
            .await?;
            if done.rows_affected() < PURGE_BATCH as u64 {
                break;
            }
        }
        let mut purged = 0;
        loop {
            let mut tx = self.writer.begin().await?;
            let oldest = "SELECT seq FROM events WHERE at < $1 ORDER BY at LIMIT $2";
            sqlx::query(&format!(
                "DELETE FROM event_audience WHERE seq IN ({oldest})"
            ))
            .bind(before)
            .bind(PURGE_BATCH)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(&format!("DELETE FROM events WHERE seq IN ({oldest})"))
                .bind(before)
                .bind(PURGE_BATCH)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            purged += done.rows_affected();
            if done.rows_affected() < PURGE_BATCH as u64 {
                return Ok(purged);
            }
        }
    }
}
