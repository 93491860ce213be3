//! The SQL of the ICP writes (insert, update, delete) on SQLite, run by the group-commit writer or
//! alone. Each records its version in `icp_versions` in the same transaction.

use super::SqliteStore;
use crate::domain::{CrmFilters, CustomFilter, Icp, LeadSource};
use crate::store::group_commit::{ApplyWrite, IcpWrite, Written};
use crate::store::history::{version_at, versions_of_write, Change, VersionAction};
use crate::store::list::{search_text, search_text_of};
use crate::store::{json_text, StoreError, StoreResult};
use async_trait::async_trait;
use serde::Serialize;
use sqlx::sqlite::SqliteConnection;
use sqlx::types::Json;
use sqlx::Sqlite;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct SqliteWrites;

/// Records the versions of a write; a baseline only when the ICP has none yet.
async fn record(
    conn: &mut SqliteConnection,
    icp: &Icp,
    previous: Option<&Icp>,
    change: &Change,
) -> StoreResult<()> {
    for (action, by, at, json) in versions_of_write(icp, previous, change) {
        let sql = if action == VersionAction::Baseline {
            "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
             SELECT ?1, 1, ?2, ?3, ?4, ?5, ?6 \
             WHERE NOT EXISTS (SELECT 1 FROM icp_versions WHERE icp_id = ?1)"
        } else {
            "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
             SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4, ?5, ?6 FROM icp_versions \
             WHERE icp_id = ?1"
        };
        sqlx::query(sql)
            .bind(icp.id)
            .bind(action.as_str())
            .bind(by.as_str())
            .bind(at.millis())
            .bind(icp.owner.as_ref().map(|owner| owner.as_str()))
            .bind(json)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Fills in `icps.search_text` where it is missing (ICPs stored before search existed), in one
/// transaction; a no-op once done. Run at start, before the writer takes the connection.
pub(super) async fn backfill_search_text(pool: &sqlx::SqlitePool) -> StoreResult<()> {
    let missing: Vec<(uuid::Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, description FROM icps WHERE search_text IS NULL")
            .fetch_all(pool)
            .await?;
    if missing.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for (id, name, description) in missing {
        sqlx::query("UPDATE icps SET search_text = ?2 WHERE id = ?1 AND search_text IS NULL")
            .bind(id)
            .bind(search_text_of(&name, description.as_deref()))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An ICP's `icps` row as one JSON array for `json_each`: its criteria nested as JSON (read with
/// `->`), not as strings holding JSON, which SQLite would have to unescape.
#[derive(Serialize)]
struct IcpRow<'a>(
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a [LeadSource],
    &'a [CustomFilter],
    Option<&'a CrmFilters>,
    u16,
    Option<i64>,
    i64,
    i64,
    Option<&'a str>,
    bool,
    String,
);

/// An `icp_members` row: ICP id, user id, position, created at.
#[derive(Serialize)]
struct MemberRow<'a>(&'a str, &'a str, usize, i64);

/// An `icp_versions` row: ICP id, action, by, at, owner, and the ICP itself nested as JSON.
#[derive(Serialize)]
struct VersionRow<'a>(
    &'a str,
    &'static str,
    &'a str,
    i64,
    Option<&'a str>,
    &'a Icp,
);

/// Inserts ICPs (one, an import's, or a batch's), their members and first versions with three
/// statements in all, whatever their number: each table's rows travel as one JSON array
/// (`json_each`), each row read once (`MATERIALIZED`: otherwise SQLite would render the row again
/// for every column it takes from it). Prepared once; one hand-over to the connection's thread
/// for a whole batch.
async fn insert_many(conn: &mut SqliteConnection, icps: &[(&Icp, &Change)]) -> StoreResult<()> {
    let ids: Vec<String> = icps
        .iter()
        .map(|(icp, _)| icp.id.simple().to_string())
        .collect();
    let (mut rows, mut members, mut versions) = (Vec::new(), Vec::new(), Vec::new());
    for ((icp, change), id) in icps.iter().zip(&ids) {
        let owner = icp.owner.as_ref().map(|owner| owner.as_str());
        rows.push(IcpRow(
            id,
            &icp.name,
            icp.description.as_deref(),
            &icp.lead_provider_criteria,
            &icp.custom_filter_criteria,
            icp.crm_filters.as_ref(),
            icp.leads_per_list,
            icp.active_until.map(|t| t.millis()),
            icp.created_at.millis(),
            icp.updated_at.millis(),
            owner,
            icp.everyone,
            search_text(icp),
        ));
        for (position, user) in icp.user_ids.iter().enumerate() {
            members.push(MemberRow(
                id,
                user.as_str(),
                position,
                icp.created_at.millis(),
            ));
        }
        versions.push(VersionRow(
            id,
            change.action.as_str(),
            change.by.as_str(),
            version_at(icp, change).millis(),
            owner,
            icp,
        ));
    }
    sqlx::query(
        "WITH rows AS MATERIALIZED (SELECT value AS r FROM json_each(?)) \
         INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
         crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, everyone, search_text) \
         SELECT unhex(r->>0), r->>1, r->>2, r->3, r->4, nullif(r->5, 'null'), r->>6, r->>7, r->>8, \
         r->>9, r->>10, r->>11, r->>12 FROM rows; \
         WITH rows AS MATERIALIZED (SELECT value AS r FROM json_each(?)) \
         INSERT INTO icp_members (icp_id, user_id, position, created_at) \
         SELECT unhex(r->>0), r->>1, r->>2, r->>3 FROM rows; \
         WITH rows AS MATERIALIZED (SELECT value AS r FROM json_each(?)) \
         INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
         SELECT unhex(r->>0), (SELECT coalesce(max(v.version), 0) + 1 FROM icp_versions v \
         WHERE v.icp_id = unhex(r->>0)), r->>1, r->>2, r->>3, r->>4, r->5 FROM rows",
    )
    .bind(json_text(&rows)?)
    .bind(json_text(&members)?)
    .bind(json_text(&versions)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl ApplyWrite for SqliteWrites {
    type Db = Sqlite;

    async fn insert_many(conn: &mut SqliteConnection, icps: &[(&Icp, &Change)]) -> StoreResult<()> {
        insert_many(conn, icps).await
    }

    async fn apply(conn: &mut SqliteConnection, write: &IcpWrite) -> StoreResult<Written> {
        match write {
            IcpWrite::Insert(icp, change) => {
                insert_many(conn, &[(icp, change)]).await?;
                Ok(Written::Done)
            }
            IcpWrite::InsertAll(icps, change) => {
                let all: Vec<_> = icps.iter().map(|icp| (icp, change)).collect();
                insert_many(conn, &all).await?;
                Ok(Written::Done)
            }
            IcpWrite::Update {
                icp,
                previous,
                change,
            } => {
                let done = sqlx::query(
                    "UPDATE icps SET name = ?2, description = ?3, lead_provider_criteria = ?4, custom_filter_criteria = ?5, \
                     crm_filters = ?6, leads_per_list = ?7, active_until = ?8, updated_at = ?9, owner_id = ?11, everyone = ?12, search_text = ?13 \
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
                .bind(previous.updated_at.millis())
                .bind(icp.owner.as_ref().map(|owner| owner.as_str()))
                .bind(icp.everyone)
                .bind(search_text(icp))
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
                record(conn, icp, Some(previous), change).await?;
                Ok(Written::Done)
            }
            IcpWrite::Delete(icp, change) => {
                let done = sqlx::query("DELETE FROM icps WHERE id = ? AND updated_at = ?")
                    .bind(icp.id)
                    .bind(icp.updated_at.millis())
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() == 1 {
                    record(conn, icp, Some(icp), change).await?;
                    return Ok(Written::Deleted(true));
                }
                let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM icps WHERE id = ?")
                    .bind(icp.id)
                    .fetch_optional(&mut *conn)
                    .await?;
                match exists {
                    Some(_) => Err(StoreError::Stale),
                    None => Ok(Written::Deleted(false)),
                }
            }
        }
    }
}
