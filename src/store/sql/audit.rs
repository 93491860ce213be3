//! The audit log: a record written inside the transaction of the change it records, pages of a
//! workspace's records, newest first, and the purge of old ones.

use super::{Db, SqlStore};
use crate::domain::{Timestamp, UserId};
use crate::store::audit::{Audit, AuditEntry, AuditKind, AuditPage, AuditQuery, Record};
use crate::store::{StoreError, StoreResult, WorkspaceId};
use async_trait::async_trait;
use serde_json::{json, Value};
use sqlx::Transaction;
use uuid::Uuid;

/// The workspace a record goes to.
pub(super) enum RecordIn<'a> {
    /// The one this actor is in now (none: the account is gone, and nothing is written).
    ActorsWorkspace(&'a UserId),
    /// This one, for what nobody signed in did (a refused sign-up); nothing when it is gone.
    Workspace(&'a WorkspaceId),
}

/// Writes `record` of what `actor` did, in `tx`, to the workspace `actor` is in now.
pub(super) async fn record(
    tx: &mut Transaction<'_, Db>,
    actor: &UserId,
    record: &Record,
) -> StoreResult<()> {
    record_in(tx, RecordIn::ActorsWorkspace(actor), record).await
}

/// Writes `record`, in `tx`, to the workspace `to` says.
pub(super) async fn record_in(
    tx: &mut Transaction<'_, Db>,
    to: RecordIn<'_>,
    record: &Record,
) -> StoreResult<()> {
    // `$1` picks the workspace; the record's own values follow.
    let insert = match to {
        RecordIn::ActorsWorkspace(actor) => sqlx::query(
            "INSERT INTO audit_log (id, workspace_id, at, actor_id, kind, target, detail) \
             SELECT $2, workspace_id, $3, $1, $4, $5, $6 FROM workspace_members WHERE user_id = $1",
        )
        .bind(actor),
        RecordIn::Workspace(workspace) => sqlx::query(
            "INSERT INTO audit_log (id, workspace_id, at, actor_id, kind, target, detail) \
             SELECT $2, id, $3, NULL, $4, $5, $6 FROM workspaces WHERE id = $1",
        )
        .bind(workspace),
    };
    let detail = json!({"before": record.before, "after": record.after}).to_string();
    insert
        .bind(Uuid::now_v7())
        .bind(Timestamp::now())
        .bind(record.kind.as_str())
        .bind(&record.target)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends `tx` for a change whose statement returned what it touched (`None`: nothing, so nothing is
/// committed and the answer is false): records `what` made of it, commits, true.
pub(super) async fn commit_recorded<T>(
    mut tx: Transaction<'_, Db>,
    actor: &UserId,
    touched: Option<T>,
    what: impl FnOnce(T) -> Record,
) -> StoreResult<bool> {
    let Some(touched) = touched else {
        return Ok(false);
    };
    record(&mut tx, actor, &what(touched)).await?;
    tx.commit().await?;
    Ok(true)
}

/// A record as stored: id, time, actor, the actor's email now, kind, target, detail.
type Row = (
    Uuid,
    Timestamp,
    Option<UserId>,
    Option<String>,
    String,
    String,
    String,
);

fn entry((id, at, actor_id, actor_email, kind, target, detail): Row) -> StoreResult<AuditEntry> {
    let kind = AuditKind::parse(&kind)
        .ok_or_else(|| StoreError::Corrupt(format!("audit record {id} has kind {kind:?}")))?;
    let mut detail: Value = serde_json::from_str(&detail)
        .map_err(|error| StoreError::Corrupt(format!("audit record {id}: {error}")))?;
    Ok(AuditEntry {
        id,
        at,
        actor_id,
        actor_email,
        kind,
        target,
        before: detail.get_mut("before").map_or(Value::Null, Value::take),
        after: detail.get_mut("after").map_or(Value::Null, Value::take),
    })
}

#[async_trait]
impl Audit for SqlStore {
    async fn audit_page(
        &self,
        workspace: &WorkspaceId,
        query: &AuditQuery,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        // Each filter adds its condition and its parameter, in this order.
        let mut conditions = String::new();
        let mut next = 2;
        for (present, column) in [
            (query.actor.is_some(), "a.actor_id ="),
            (query.kind.is_some(), "a.kind ="),
            (query.before.is_some(), "a.id <"),
        ] {
            if present {
                conditions.push_str(&format!(" AND {column} ${next}"));
                next += 1;
            }
        }
        let sql = format!(
            "SELECT a.id, a.at, a.actor_id, u.email, a.kind, a.target, a.detail FROM audit_log a \
             LEFT JOIN users u ON u.id = a.actor_id WHERE a.workspace_id = $1{conditions} \
             ORDER BY a.id DESC LIMIT ${next}"
        );
        let mut statement = sqlx::query_as::<_, Row>(&sql).bind(workspace);
        if let Some(actor) = &query.actor {
            statement = statement.bind(actor);
        }
        if let Some(kind) = query.kind {
            statement = statement.bind(kind.as_str());
        }
        if let Some(before) = query.before {
            statement = statement.bind(before);
        }
        let rows = statement
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let more = rows.len() > limit as usize;
        let entries = rows
            .into_iter()
            .take(limit as usize)
            .map(entry)
            .collect::<StoreResult<_>>()?;
        Ok(AuditPage { entries, more })
    }

    async fn purge_audit(&self, before: Timestamp) -> StoreResult<u64> {
        self.delete_older("DELETE FROM audit_log WHERE at < $1", before)
            .await
    }
}
