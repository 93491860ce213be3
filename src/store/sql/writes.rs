//! The ICP writes both databases run alike: an update, a deletion and the version each records,
//! in the caller's transaction. Inserts are each database's own (`super::super::insert_many`).

use super::super::{insert_many, lost_race, write_members, Writes, INSERTS_IN_ONE_STATEMENT, SQL};
use super::events::write_events;
use super::Db;
use crate::domain::Icp;
use crate::store::criteria_text::CriteriaText;
use crate::store::events::NewEvent;
use crate::store::group_commit::{icp_json, ApplyWrite, IcpWrite, Written};
use crate::store::history::{baseline, stored_version, version_at, Change, VersionAction};
use crate::store::search_text::{search_text, search_text_of};
use crate::store::{StoreError, StoreResult};
use async_trait::async_trait;
use serde_json::value::RawValue;
use sqlx::query::Query;
use sqlx::{Database, Pool};
use std::sync::LazyLock;
use uuid::Uuid;

type Connection = <Db as Database>::Connection;
type Arguments<'q> = <Db as Database>::Arguments<'q>;

/// Binds `icp`'s `icps` columns in the table's order (`$1` to `$13`): id, name, description, the
/// criteria (`criteria`: their texts, bound as JSON by the statement: `SQL.json`), leads per list,
/// active until, created at, updated at, owner, everyone, search text.
pub(in crate::store) fn bind_columns<'q>(
    query: Query<'q, Db, Arguments<'q>>,
    icp: &'q Icp,
    criteria: &'q CriteriaText<'_>,
) -> Query<'q, Db, Arguments<'q>> {
    query
        .bind(icp.id)
        .bind(&icp.name)
        .bind(&icp.description)
        .bind(&*criteria.leads)
        .bind(&*criteria.custom)
        .bind(criteria.crm.as_deref())
        .bind(i32::from(icp.leads_per_list))
        .bind(icp.active_until)
        .bind(icp.created_at)
        .bind(icp.updated_at)
        .bind(icp.owner.as_ref())
        .bind(icp.everyone)
        .bind(search_text(icp))
}

static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let json = SQL.json;
    format!(
        "UPDATE icps SET name = $2, description = $3, lead_provider_criteria = $4{json}, \
         custom_filter_criteria = $5{json}, crm_filters = $6{json}, leads_per_list = $7, \
         active_until = $8, updated_at = $10, owner_id = $11, everyone = $12, \
         search_text = $13 WHERE id = $1 AND updated_at = $14"
    )
});

static INSERT_VERSION: LazyLock<String> = LazyLock::new(|| {
    let json = SQL.json;
    format!(
        "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp, patch) \
         VALUES ($1, $2, $3, $4, $5, $6, $7{json}, $8{json})"
    )
});

/// Records the version of an update or deletion of `icp` (`previous` before it), and first a
/// baseline of `previous` when the ICP has no version yet. The ICP's row is already written (and
/// locked) in this transaction, so no other write numbers a version of it meanwhile.
async fn record(
    conn: &mut Connection,
    icp: &Icp,
    previous: &Icp,
    change: &Change,
) -> StoreResult<()> {
    let newest: Option<(i32, crate::domain::Timestamp)> = sqlx::query_as(
        "SELECT version, at FROM icp_versions WHERE icp_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(icp.id)
    .fetch_optional(&mut *conn)
    .await?;
    let (next, newest_at) = match newest {
        Some((version, at)) => (i64::from(version) + 1, at),
        None => {
            let (by, at, json) = baseline(previous, change);
            sqlx::query(&INSERT_VERSION)
                .bind(icp.id)
                .bind(1_i32)
                .bind(VersionAction::Baseline.as_str())
                .bind(by)
                .bind(at)
                .bind(icp.owner.as_ref())
                .bind(json)
                .bind(None::<String>)
                .execute(&mut *conn)
                .await?;
            (2, at)
        }
    };
    let (json, patch) = stored_version(icp, previous, change, next, newest_at).columns();
    let number = i32::try_from(next).map_err(|_| StoreError::Corrupt(format!("version {next}")))?;
    sqlx::query(&INSERT_VERSION)
        .bind(icp.id)
        .bind(number)
        .bind(change.action.as_str())
        .bind(&change.by)
        .bind(version_at(icp, change))
        .bind(icp.owner.as_ref())
        .bind(json)
        .bind(patch)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Fills in `icps.search_text` where it is missing (ICPs stored before search existed, or before
/// it covered targeting values: migration 0013), 200 ICPs a transaction; a no-op once done. Run at
/// start, before the writers take their connections.
pub(super) async fn backfill_search_text(pool: &Pool<Db>) -> StoreResult<()> {
    let mut after = Uuid::nil();
    loop {
        let batch: Vec<(Uuid, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, name, description, CAST(lead_provider_criteria AS TEXT) FROM icps \
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

#[async_trait]
impl ApplyWrite for Writes {
    type Db = Db;
    const INSERTS_IN_ONE_STATEMENT: bool = INSERTS_IN_ONE_STATEMENT;

    async fn insert_many(
        conn: &mut Connection,
        icps: &[(&Icp, &RawValue, &Change)],
    ) -> StoreResult<()> {
        insert_many(conn, icps).await
    }

    async fn apply(conn: &mut Connection, write: &IcpWrite) -> StoreResult<Written> {
        match write {
            IcpWrite::Insert(icp, change, json) => {
                insert_many(conn, &[(icp, json, change)]).await?;
                Ok(Written::Done)
            }
            IcpWrite::InsertAll(icps, change) => {
                let jsons = icps.iter().map(icp_json).collect::<StoreResult<Vec<_>>>()?;
                let all: Vec<_> = icps
                    .iter()
                    .zip(&jsons)
                    .map(|(icp, json)| (icp, &**json, change))
                    .collect();
                insert_many(conn, &all).await?;
                Ok(Written::Done)
            }
            IcpWrite::Update {
                icp,
                previous,
                change,
            } => {
                // The columns bound as an insert binds them ($9, created at, is left alone), and
                // the version the update was made from ($14).
                let update = sqlx::query(&UPDATE);
                let criteria = CriteriaText::serialized(icp)?;
                let done = bind_columns(update, icp, &criteria)
                    .bind(previous.updated_at)
                    .execute(&mut *conn)
                    .await
                    .map_err(lost_race)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Stale);
                }
                drop(criteria);
                sqlx::query("DELETE FROM icp_members WHERE icp_id = $1")
                    .bind(icp.id)
                    .execute(&mut *conn)
                    .await?;
                write_members(conn, &[icp]).await?;
                record(conn, icp, previous, change).await?;
                let json = icp_json(icp)?;
                let event = NewEvent::of_all([(icp, &*json, Some(&**previous), change)])?;
                write_events(conn, &event).await?;
                Ok(Written::Done)
            }
            IcpWrite::Delete(icp, change) => {
                let done = sqlx::query("DELETE FROM icps WHERE id = $1 AND updated_at = $2")
                    .bind(icp.id)
                    .bind(icp.updated_at)
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() == 1 {
                    record(conn, icp, icp, change).await?;
                    let json = icp_json(icp)?;
                    write_events(conn, &NewEvent::of_all([(icp, &*json, None, change)])?).await?;
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
