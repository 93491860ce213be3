//! The SQL of the ICP writes (insert, update, delete) on SQLite, run by the group-commit writer or
//! alone.

use super::SqliteStore;
use crate::store::group_commit::{ApplyWrite, IcpWrite, Written};
use crate::store::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::sqlite::SqliteConnection;
use sqlx::types::Json;
use sqlx::Sqlite;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct SqliteWrites;

#[async_trait]
impl ApplyWrite for SqliteWrites {
    type Db = Sqlite;

    async fn apply(conn: &mut SqliteConnection, write: &IcpWrite) -> StoreResult<Written> {
        match write {
            IcpWrite::Insert(icp) => {
                sqlx::query(
                    "INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
                     crm_filters, leads_per_list, active_until, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(icp.id)
                .bind(&icp.name)
                .bind(&icp.description)
                .bind(Json(&icp.lead_provider_criteria))
                .bind(Json(&icp.custom_filter_criteria))
                .bind(icp.crm_filters.as_ref().map(Json))
                .bind(i64::from(icp.leads_per_list))
                .bind(icp.active_until.map(|t| t.millis()))
                .bind(icp.created_at.millis())
                .bind(icp.updated_at.millis())
                .execute(&mut *conn)
                .await?;
                SqliteStore::write_members(conn, icp).await?;
                Ok(Written::Done)
            }
            IcpWrite::Update {
                icp,
                previous_update,
            } => {
                let done = sqlx::query(
                    "UPDATE icps SET name = ?2, description = ?3, lead_provider_criteria = ?4, custom_filter_criteria = ?5, \
                     crm_filters = ?6, leads_per_list = ?7, active_until = ?8, updated_at = ?9 \
                     WHERE id = ?1 AND updated_at = ?10",
                )
                .bind(icp.id)
                .bind(&icp.name)
                .bind(&icp.description)
                .bind(Json(&icp.lead_provider_criteria))
                .bind(Json(&icp.custom_filter_criteria))
                .bind(icp.crm_filters.as_ref().map(Json))
                .bind(i64::from(icp.leads_per_list))
                .bind(icp.active_until.map(|t| t.millis()))
                .bind(icp.updated_at.millis())
                .bind(previous_update.millis())
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Stale);
                }
                sqlx::query("DELETE FROM icp_members WHERE icp_id = ?")
                    .bind(icp.id)
                    .execute(&mut *conn)
                    .await?;
                SqliteStore::write_members(conn, icp).await?;
                Ok(Written::Done)
            }
            IcpWrite::Delete(id) => {
                let done = sqlx::query("DELETE FROM icps WHERE id = ?")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(Written::Deleted(done.rows_affected() == 1))
            }
        }
    }
}
