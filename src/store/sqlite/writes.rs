//! The SQL of the ICP writes (insert, update, delete) on SQLite, run by the group-commit writer or
//! alone. Each records its version in `icp_versions` in the same transaction.

use super::instant;
use crate::domain::Icp;
use crate::store::group_commit::{ApplyWrite, IcpWrite, Written};
use crate::store::history::{baseline, stored_version, version_at, Change, VersionAction};
use crate::store::search_text::{search_text, search_text_of};
use crate::store::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::types::Json;
use sqlx::Sqlite;
use std::sync::LazyLock;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct SqliteWrites;

/// Records the version of an update or deletion of `icp` (`previous` before it), and first a
/// baseline of `previous` when the ICP has no version yet. The ICP's row is already written (and
/// locked) in this transaction, so no other write numbers a version of it meanwhile.
async fn record(
    conn: &mut SqliteConnection,
    icp: &Icp,
    previous: &Icp,
    change: &Change,
) -> StoreResult<()> {
    let insert =
        "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp, patch) \
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    let owner = icp.owner.as_ref().map(|owner| owner.as_str());
    let newest: Option<(i64, i64)> = sqlx::query_as(
        "SELECT version, at FROM icp_versions WHERE icp_id = ? ORDER BY version DESC LIMIT 1",
    )
    .bind(icp.id)
    .fetch_optional(&mut *conn)
    .await?;
    let (next, newest_at) = match newest {
        Some((version, at)) => (version + 1, instant(at)?),
        None => {
            let (by, at, json) = baseline(previous, change);
            sqlx::query(insert)
                .bind(icp.id)
                .bind(1_i64)
                .bind(VersionAction::Baseline.as_str())
                .bind(by.as_str())
                .bind(at.millis())
                .bind(owner)
                .bind(json)
                .bind(None::<String>)
                .execute(&mut *conn)
                .await?;
            (2, at)
        }
    };
    let (json, patch) = stored_version(icp, previous, change, next, newest_at).columns();
    sqlx::query(insert)
        .bind(icp.id)
        .bind(next)
        .bind(change.action.as_str())
        .bind(change.by.as_str())
        .bind(version_at(icp, change).millis())
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
pub(super) async fn backfill_search_text(pool: &sqlx::SqlitePool) -> StoreResult<()> {
    let mut after = uuid::Uuid::nil();
    loop {
        let batch: Vec<(uuid::Uuid, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, name, description, lead_provider_criteria FROM icps \
             WHERE search_text IS NULL AND id > ?1 ORDER BY id LIMIT 200",
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
            sqlx::query("UPDATE icps SET search_text = ?2 WHERE id = ?1 AND search_text IS NULL")
                .bind(id)
                .bind(search_text_of(&name, description.as_deref(), &leads))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

/// The most rows one `INSERT` takes. A batch's rows go in runs whose lengths are powers of two
/// (a batch of 23: 16 + 4 + 2 + 1), so each table has six statements to prepare, once per
/// connection (sqlx caches them), and a batch of N takes about log2(N) statements per table.
const MOST_ROWS: usize = 32;

/// One `INSERT … VALUES` statement per run length 1, 2, 4 … `MOST_ROWS`.
struct Inserts([String; 6]);

impl Inserts {
    fn new(head: &str, row: &str) -> Self {
        Self(std::array::from_fn(|bit| {
            let rows = vec![row; 1 << bit].join(", ");
            format!("{head} VALUES {rows}")
        }))
    }

    /// The statement for a run of `rows` rows (a power of two up to `MOST_ROWS`).
    fn sql(&self, rows: usize) -> &str {
        &self.0[rows.trailing_zeros() as usize]
    }
}

static ICPS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
         crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, everyone, search_text)",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
});
static MEMBERS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icp_members (icp_id, user_id, position, created_at)",
        "(?, ?, ?, ?)",
    )
});
// A new ICP's first version is 1; a restored one (same id) continues its history.
static VERSIONS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp)",
        "(?, (SELECT coalesce(max(version), 0) + 1 FROM icp_versions WHERE icp_id = ?), ?, ?, ?, ?, ?)",
    )
});

/// `rows` cut into runs of power-of-two lengths, longest first, none longer than `MOST_ROWS`.
fn runs<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let len = rows.len().min(MOST_ROWS);
        (len > 0).then(|| {
            let (run, rest) = rows.split_at(1 << len.ilog2());
            rows = rest;
            run
        })
    })
}

/// Binds `icp`'s `icps` columns in the table's order (as `ICPS` lists them): id, name,
/// description, the criteria, leads per list, active until, created at, updated at, owner,
/// everyone, search text.
fn bind_columns<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    icp: &'q Icp,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    query
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
        .bind(icp.owner.as_ref().map(|owner| owner.as_str()))
        .bind(icp.everyone)
        .bind(search_text(icp))
}

/// Inserts the member rows of `icps`: who each is shared with, in order.
async fn insert_members(conn: &mut SqliteConnection, icps: &[&Icp]) -> StoreResult<()> {
    let members: Vec<(&Icp, usize, &str)> = icps
        .iter()
        .flat_map(|icp| {
            let users = icp.user_ids.iter().enumerate();
            users.map(move |(position, user)| (*icp, position, user.as_str()))
        })
        .collect();
    for run in runs(&members) {
        let mut insert = sqlx::query(MEMBERS.sql(run.len()));
        for &(icp, position, user) in run {
            // created_at is the ICP's creation instant, copied so a list page is one index range.
            insert = insert
                .bind(icp.id)
                .bind(user)
                .bind(position as i64)
                .bind(icp.created_at.millis());
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts ICPs (one, an import's, or a batch's), their members and first versions as bound
/// multi-row `INSERT`s: the values go straight into the rows, with no JSON for SQLite to parse
/// and take apart on the writer's thread, and one hand-over to the connection's thread per run.
async fn insert_many(conn: &mut SqliteConnection, icps: &[(&Icp, &Change)]) -> StoreResult<()> {
    for run in runs(icps) {
        let mut insert = sqlx::query(ICPS.sql(run.len()));
        for (icp, _) in run {
            insert = bind_columns(insert, icp);
        }
        insert.execute(&mut *conn).await?;
    }
    let only: Vec<&Icp> = icps.iter().map(|(icp, _)| *icp).collect();
    insert_members(conn, &only).await?;
    for run in runs(icps) {
        let mut insert = sqlx::query(VERSIONS.sql(run.len()));
        for (icp, change) in run {
            insert = insert
                .bind(icp.id)
                .bind(icp.id)
                .bind(change.action.as_str())
                .bind(change.by.as_str())
                .bind(version_at(icp, change).millis())
                .bind(icp.owner.as_ref().map(|owner| owner.as_str()))
                .bind(Json(*icp));
        }
        insert.execute(&mut *conn).await?;
    }
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
                // The columns bound as an insert binds them (?9, created at, is left alone), and
                // the version the update was made from (?14).
                let update = sqlx::query(
                    "UPDATE icps SET name = ?2, description = ?3, lead_provider_criteria = ?4, custom_filter_criteria = ?5, \
                     crm_filters = ?6, leads_per_list = ?7, active_until = ?8, updated_at = ?10, owner_id = ?11, everyone = ?12, search_text = ?13 \
                     WHERE id = ?1 AND updated_at = ?14",
                );
                let done = bind_columns(update, icp)
                    .bind(previous.updated_at.millis())
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Stale);
                }
                sqlx::query("DELETE FROM icp_members WHERE icp_id = ?")
                    .bind(icp.id)
                    .execute(&mut *conn)
                    .await?;
                insert_members(conn, &[icp]).await?;
                record(conn, icp, previous, change).await?;
                Ok(Written::Done)
            }
            IcpWrite::Delete(icp, change) => {
                let done = sqlx::query("DELETE FROM icps WHERE id = ? AND updated_at = ?")
                    .bind(icp.id)
                    .bind(icp.updated_at.millis())
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() == 1 {
                    record(conn, icp, icp, change).await?;
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

#[cfg(test)]
mod tests {
    use super::{runs, ICPS, MEMBERS, VERSIONS};

    fn lengths(count: usize) -> Vec<usize> {
        let rows: Vec<usize> = (0..count).collect();
        let cut: Vec<&[usize]> = runs(&rows).collect();
        // Every row once, in order.
        assert_eq!(cut.concat(), rows);
        cut.iter().map(|run| run.len()).collect()
    }

    #[test]
    fn a_batch_goes_in_power_of_two_runs_longest_first() {
        assert_eq!(lengths(0), Vec::<usize>::new());
        assert_eq!(lengths(1), [1]);
        assert_eq!(lengths(23), [16, 4, 2, 1]);
        assert_eq!(lengths(32), [32]);
        assert_eq!(lengths(100), [32, 32, 32, 4]);
        assert_eq!(lengths(256), [32; 8]);
    }

    #[test]
    fn each_statement_has_its_run_length_of_rows() {
        for (inserts, per_row) in [(&*ICPS, 13), (&*MEMBERS, 4), (&*VERSIONS, 7)] {
            for rows in [1, 2, 4, 8, 16, 32] {
                let sql = inserts.sql(rows);
                assert_eq!(sql.matches('?').count(), rows * per_row, "{sql}");
                assert!(sql.starts_with("INSERT INTO icp"), "{sql}");
            }
        }
    }
}
