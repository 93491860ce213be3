//! Refused sign-ups (see `store::sign_up_refusals`), the same statements on both databases: a row
//! per refusal (with its audit record when it came through an invitation), the newest read back,
//! and the purge by age and by count.

use super::audit::{record_in, RecordIn};
use super::SqlStore;
use crate::domain::Timestamp;
use crate::store::sign_up_refusals::{
    stored_email, InvitingWorkspace, NewRefusal, RefusalReason, SignUpRefusals, StoredRefusal,
};
use crate::store::{AuditKind, Record, StoreError, StoreResult, WorkspaceId};
use async_trait::async_trait;
use serde_json::json;
use uuid::Uuid;

/// A refusal as read: time, email, reason, address, workspace id and name.
type RefusalRow = (
    Timestamp,
    String,
    RefusalReason,
    Option<String>,
    Option<WorkspaceId>,
    Option<String>,
);

#[async_trait]
impl SignUpRefusals for SqlStore {
    async fn record_sign_up_refusal(&self, refusal: &NewRefusal) -> StoreResult<()> {
        let email = stored_email(&refusal.email);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO sign_up_refusals (id, at, email, reason, address, workspace_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(refusal.at)
        .bind(&email)
        .bind(refusal.reason)
        .bind(refusal.address.map(|address| address.to_string()))
        .bind(
            refusal
                .invitation
                .as_ref()
                .map(|through| &through.workspace),
        )
        .execute(&mut *tx)
        .await?;
        if let Some(through) = &refusal.invitation {
            let after = json!({"reason": refusal.reason.as_str(), "invitation": through.invited});
            let record = Record::new(AuditKind::SignUpRefused, email, json!(null), after);
            record_in(&mut tx, RecordIn::Workspace(&through.workspace), &record).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sign_up_refusals(&self, limit: u32) -> StoreResult<Vec<StoredRefusal>> {
        let rows: Vec<RefusalRow> = sqlx::query_as(
            "SELECT r.at, r.email, r.reason, r.address, r.workspace_id, w.name \
             FROM sign_up_refusals r LEFT JOIN workspaces w ON w.id = r.workspace_id \
             ORDER BY r.at DESC, r.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(at, email, reason, address, workspace, name)| {
                let address = address
                    .map(|text| {
                        text.parse()
                            .map_err(|_| StoreError::Corrupt(format!("refusal address {text:?}")))
                    })
                    .transpose()?;
                let invitation = workspace.map(|id| InvitingWorkspace { id, name });
                Ok(StoredRefusal {
                    at,
                    email,
                    reason,
                    address,
                    invitation,
                })
            })
            .collect()
    }

    async fn purge_sign_up_refusals(&self, before: Timestamp, keep: u32) -> StoreResult<u64> {
        let old = self
            .delete_older("DELETE FROM sign_up_refusals WHERE at < $1", before)
            .await?;
        // Everything from the (keep + 1)th newest on: none when there are no more than `keep`
        // (the subquery is then empty, and the comparison NULL).
        let beyond = sqlx::query(
            "DELETE FROM sign_up_refusals WHERE (at, id) <= \
             (SELECT at, id FROM sign_up_refusals ORDER BY at DESC, id DESC LIMIT 1 OFFSET $1)",
        )
        .bind(i64::from(keep))
        .execute(&self.writer)
        .await?;
        Ok(old + beyond.rows_affected())
    }
}
