//! The SQL of the ICP writes (insert, update, delete) on Postgres, run by the group-commit writer or
//! alone. Each records its version in `icp_versions` in the same transaction.

use super::lost_race_is_stale;
use super::PgStore;
use crate::domain::{CrmFilters, CustomFilter, Icp, LeadSource, Timestamp};
use crate::store::group_commit::{ApplyWrite, IcpWrite, Written};
use crate::store::history::{baseline, stored_version, version_at, Change, VersionAction};
use crate::store::search_text::{search_text, search_text_of};
use crate::store::{json_text, StoreError, StoreResult};
use async_trait::async_trait;
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::types::Json;
use sqlx::Postgres;
use uuid::Uuid;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct PgWrites;

/// Records the version of an update or deletion of `icp` (`previous` before it), and first a
/// baseline of `previous` when the ICP has no version yet. The ICP's row is already written (and
/// locked) in this transaction, so no other write numbers a version of it meanwhile.
async fn record(
    conn: &mut PgConnection,
    icp: &Icp,
    previous: &Icp,
    change: &Change,
) -> StoreResult<()> {
    let insert =
        "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp, patch) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)";
    let owner = icp.owner.as_ref().map(|owner| owner.as_str());
    let newest: Option<(i32, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT version, at FROM icp_versions WHERE icp_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(icp.id)
    .fetch_optional(&mut *conn)
    .await?;
    let (next, newest_at) = match newest {
        Some((version, at)) => (i64::from(version) + 1, Timestamp(at)),
        None => {
            let (by, at, json) = baseline(previous, change);
            sqlx::query(insert)
                .bind(icp.id)
                .bind(1_i32)
                .bind(VersionAction::Baseline.as_str())
                .bind(by.as_str())
                .bind(at.0)
                .bind(owner)
                .bind(json)
                .bind(None::<String>)
                .execute(&mut *conn)
                .await?;
            (2, at)
        }
    };
    let (json, patch) = stored_version(icp, previous, change, next, newest_at).columns();
    let number = i32::try_from(next).map_err(|_| StoreError::Corrupt(format!("version {next}")))?;
    sqlx::query(insert)
        .bind(icp.id)
        .bind(number)
        .bind(change.action.as_str())
        .bind(change.by.as_str())
        .bind(version_at(icp, change).0)
        .bind(owner)
        .bind(json)
        .bind(patch)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Fills in `icps.search_text` where it is missing (ICPs stored before search existed, or before
/// it covered targeting values: migration 0013), 200 ICPs a transaction; a no-op once done. Run at
/// start, before the writer takes the connection.
pub(super) async fn backfill_search_text(pool: &sqlx::PgPool) -> StoreResult<()> {
    let mut after = uuid::Uuid::nil();
    loop {
        let batch: Vec<(uuid::Uuid, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, name, description, lead_provider_criteria::text FROM icps \
             WHERE search_text IS NULL AND id > $1 ORDER BY id LIMIT 200",
        )
        .bind(after)
        .fetch_all(pool)
        .await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.0;
        let mut tx = pool.begin().await?;
        for (id, name, description, leads) in batch {
            // Criteria the database holds were checked when stored; unreadable ones add nothing.
            let leads: Vec<crate::domain::LeadSource> =
                serde_json::from_str(&leads).unwrap_or_default();
            sqlx::query("UPDATE icps SET search_text = $2 WHERE id = $1 AND search_text IS NULL")
                .bind(id)
                .bind(search_text_of(&name, description.as_deref(), &leads))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

/// An ICP, its members and its first version as one element of `insert_many`'s JSON array: the
/// criteria and the version's ICP nested as JSON (read as `jsonb` columns), not as strings holding
/// JSON, which Postgres would have to unescape and parse again.
#[derive(Serialize)]
struct InsertRow<'a> {
    id: Uuid,
    name: &'a str,
    description: Option<&'a str>,
    lead_provider_criteria: &'a [LeadSource],
    custom_filter_criteria: &'a [CustomFilter],
    crm_filters: Option<&'a CrmFilters>,
    leads_per_list: u16,
    active_until: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
    owner_id: Option<&'a str>,
    everyone: bool,
    search_text: String,
    members: Vec<&'a str>,
    action: &'static str,
    by_user: &'a str,
    at: Timestamp,
    icp: &'a Icp,
}

/// Inserts ICPs (one, an import's, or a batch's), their members and first versions in one
/// statement, whatever their number: the rows travel as one JSON array (`jsonb_to_recordset`).
/// One round trip for a whole batch.
async fn insert_many(conn: &mut PgConnection, icps: &[(&Icp, &Change)]) -> StoreResult<()> {
    let rows: Vec<InsertRow> = icps
        .iter()
        .map(|(icp, change)| InsertRow {
            id: icp.id,
            name: &icp.name,
            description: icp.description.as_deref(),
            lead_provider_criteria: &icp.lead_provider_criteria,
            custom_filter_criteria: &icp.custom_filter_criteria,
            crm_filters: icp.crm_filters.as_ref(),
            leads_per_list: icp.leads_per_list,
            active_until: icp.active_until,
            created_at: icp.created_at,
            updated_at: icp.updated_at,
            owner_id: icp.owner.as_ref().map(|owner| owner.as_str()),
            everyone: icp.everyone,
            search_text: search_text(icp),
            members: icp.user_ids.iter().map(|user| user.as_str()).collect(),
            action: change.action.as_str(),
            by_user: change.by.as_str(),
            at: version_at(icp, change),
            icp,
        })
        .collect();
    sqlx::query(
        "WITH r AS ( \
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, name text, description text, \
           lead_provider_criteria jsonb, custom_filter_criteria jsonb, crm_filters jsonb, \
           leads_per_list integer, active_until timestamptz, created_at timestamptz, \
           updated_at timestamptz, owner_id text, everyone boolean, search_text text, \
           members jsonb, action text, by_user text, at timestamptz, icp jsonb) \
         ), inserted AS ( \
           INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
           crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, everyone, search_text) \
           SELECT id, name, description, lead_provider_criteria, custom_filter_criteria, \
           crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, \
           everyone, search_text FROM r RETURNING id \
         ), members AS ( \
           INSERT INTO icp_members (icp_id, user_id, position, created_at) \
           SELECT r.id, u.user_id, u.position - 1, r.created_at \
           FROM inserted JOIN r ON r.id = inserted.id, \
           jsonb_array_elements_text(r.members) WITH ORDINALITY AS u(user_id, position) \
         ) \
         INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
         SELECT r.id, (SELECT coalesce(max(v.version), 0) + 1 FROM icp_versions v WHERE v.icp_id = r.id), \
         r.action, r.by_user, r.at, r.owner_id, r.icp FROM r",
    )
    .bind(json_text(&rows)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl ApplyWrite for PgWrites {
    type Db = Postgres;

    async fn insert_many(conn: &mut PgConnection, icps: &[(&Icp, &Change)]) -> StoreResult<()> {
        insert_many(conn, icps).await
    }

    async fn apply(conn: &mut PgConnection, write: &IcpWrite) -> StoreResult<Written> {
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
                    "UPDATE icps SET name = $2, description = $3, lead_provider_criteria = $4, custom_filter_criteria = $5, \
                     crm_filters = $6, leads_per_list = $7, active_until = $8, updated_at = $9, owner_id = $11, everyone = $12, search_text = $13 \
                     WHERE id = $1 AND updated_at = $10",
                )
                .bind(icp.id)
                .bind(&icp.name)
                .bind(&icp.description)
                .bind(Json(&icp.lead_provider_criteria))
                .bind(Json(&icp.custom_filter_criteria))
                .bind(icp.crm_filters.as_ref().map(Json))
                .bind(i32::from(icp.leads_per_list))
                .bind(icp.active_until.map(|t| t.0))
                .bind(icp.updated_at.0)
                .bind(previous.updated_at.0)
                .bind(icp.owner.as_ref().map(|owner| owner.as_str()))
                .bind(icp.everyone)
                .bind(search_text(icp))
                .execute(&mut *conn)
                .await
                .map_err(lost_race_is_stale)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Stale);
                }
                sqlx::query("DELETE FROM icp_members WHERE icp_id = $1")
                    .bind(icp.id)
                    .execute(&mut *conn)
                    .await?;
                PgStore::write_members(conn, icp).await?;
                record(conn, icp, previous, change).await?;
                Ok(Written::Done)
            }
            IcpWrite::Delete(icp, change) => {
                let done = sqlx::query("DELETE FROM icps WHERE id = $1 AND updated_at = $2")
                    .bind(icp.id)
                    .bind(icp.updated_at.0)
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() == 1 {
                    record(conn, icp, icp, change).await?;
                    return Ok(Written::Deleted(true));
                }
                let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM icps WHERE id = $1")
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
