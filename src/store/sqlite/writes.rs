//! ICP inserts on SQLite: bound multi-row `INSERT`s (the updates and deletions are `sql::writes`).

use super::sql::write_events;
use super::sql::writes::bind_columns;
use super::SQL;
use crate::domain::{Icp, UserId};
use crate::store::batch::{runs, Inserts};
use crate::store::criteria_text::CriteriaText;
use crate::store::events::NewEvent;
use crate::store::history::{version_at, Change};
use crate::store::StoreResult;
use serde_json::value::RawValue;
use sqlx::sqlite::SqliteConnection;
use std::sync::LazyLock;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct SqliteWrites;

static ICPS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
         crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, everyone, search_text)",
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        13,
        SQL.params,
    )
});
static MEMBERS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icp_members (icp_id, user_id, position, created_at)",
        "($1, $2, $3, $4)",
        4,
        SQL.params,
    )
});
// A new ICP's first version is 1; a restored one (same id) continues its history.
static VERSIONS: LazyLock<Inserts> = LazyLock::new(|| {
    Inserts::new(
        "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp)",
        "($1, (SELECT coalesce(max(version), 0) + 1 FROM icp_versions WHERE icp_id = $2), \
         $3, $4, $5, $6, $7)",
        7,
        SQL.params,
    )
});

/// Inserts the member rows of `icps`: who each is shared with, in order.
pub(super) async fn write_members(conn: &mut SqliteConnection, icps: &[&Icp]) -> StoreResult<()> {
    let members: Vec<(&Icp, usize, &UserId)> = icps
        .iter()
        .flat_map(|icp| {
            let users = icp.user_ids.iter().enumerate();
            users.map(move |(position, user)| (*icp, position, user))
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
                .bind(icp.created_at);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts ICPs (one, an import's, or a batch's), their members and first versions as bound
/// multi-row `INSERT`s: the values go straight into the rows, with no JSON for SQLite to parse
/// and take apart on the writer's thread, and one hand-over to the connection's thread per run.
/// Each ICP comes with its JSON text, made once: its version's `icp` and its event's.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
    icps: &[(&Icp, &RawValue, &Change)],
) -> StoreResult<()> {
    // Cut from each ICP's JSON text, not serialized again.
    let criteria = icps
        .iter()
        .map(|(icp, json, _)| CriteriaText::of(icp, json.get()))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut criteria = criteria.iter();
    for run in runs(icps) {
        let mut insert = sqlx::query(ICPS.sql(run.len()));
        for ((icp, ..), criteria) in run.iter().zip(criteria.by_ref()) {
            insert = bind_columns(insert, icp, criteria);
        }
        insert.execute(&mut *conn).await?;
    }
    let only: Vec<&Icp> = icps.iter().map(|(icp, ..)| *icp).collect();
    write_members(conn, &only).await?;
    for run in runs(icps) {
        let mut insert = sqlx::query(VERSIONS.sql(run.len()));
        for (icp, json, change) in run {
            // The text as it is (SQLite's column holds JSON as text).
            insert = insert
                .bind(icp.id)
                .bind(icp.id)
                .bind(change.action.as_str())
                .bind(&change.by)
                .bind(version_at(icp, change))
                .bind(icp.owner.as_ref())
                .bind(json.get());
        }
        insert.execute(&mut *conn).await?;
    }
    let events = icps
        .iter()
        .map(|&(icp, json, change)| (icp, json, None, change));
    write_events(conn, &NewEvent::of_all(events)?).await
}

#[cfg(test)]
mod tests {
    use super::{ICPS, MEMBERS, VERSIONS};

    #[test]
    fn each_statement_has_its_run_length_of_rows() {
        for (inserts, per_row) in [(&*ICPS, 13), (&*MEMBERS, 4), (&*VERSIONS, 7)] {
            for rows in [1, 2, 4, 8, 16, 32] {
                let sql = inserts.sql(rows);
                // Unnamed parameters, bound in order (`Params::InOrder`).
                assert_eq!(sql.matches('?').count(), rows * per_row, "{sql}");
                assert!(!sql.contains('$'), "{sql}");
                assert!(sql.starts_with("INSERT INTO icp"), "{sql}");
            }
        }
    }
}
