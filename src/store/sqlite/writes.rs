//! ICP inserts on SQLite: bound multi-row `INSERT`s (the updates and deletions are `sql::writes`).

use super::sql::writes::bind_columns;
use super::sql::{bind_event, write_events, EVENTS};
use super::SQL;
use crate::domain::{Icp, UserId};
use crate::store::batch::{runs, Inserts};
use crate::store::criteria_text::CriteriaText;
use crate::store::events::NewEvent;
use crate::store::history::{version_at, Change};
use crate::store::StoreResult;
use serde_json::value::RawValue;
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection};
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

type Insert<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

/// A run of new ICPs that each have one member and one event (the usual batch: creates), its four
/// `INSERT`s as one text: one call on the connection's thread for the run instead of four, each
/// a hand-over between threads both ways. Under `scripts/bench.sh`'s creates (batches of ~11: runs
/// of 8, 2 and 1) a batch took 15 calls (the pool's ping, BEGIN, 12 `INSERT`s, COMMIT), now 5;
/// context switches went from 3.0 to 1.9 a create, and callgrind's count from ~317k to ~307k
/// instructions.
static ONE_EACH: LazyLock<Inserts> =
    LazyLock::new(|| ICPS.then(&MEMBERS).then(&VERSIONS).then(&EVENTS));

/// Binds `icp`'s member row `position`, `user` (`MEMBERS`' `$1` to `$4`).
fn bind_member<'q>(
    query: Insert<'q>,
    icp: &'q Icp,
    position: usize,
    user: &'q UserId,
) -> Insert<'q> {
    // created_at is the ICP's creation instant, copied so a list page is one index range.
    query
        .bind(icp.id)
        .bind(user)
        .bind(position as i64)
        .bind(icp.created_at)
}

/// Binds `icp`'s version row (`VERSIONS`' `$1` to `$7`): `json` its text as it is (SQLite's column
/// holds JSON as text).
fn bind_version<'q>(
    query: Insert<'q>,
    icp: &'q Icp,
    json: &'q RawValue,
    change: &'q Change,
) -> Insert<'q> {
    query
        .bind(icp.id)
        .bind(icp.id)
        .bind(change.action.as_str())
        .bind(&change.by)
        .bind(version_at(icp, change))
        .bind(icp.owner.as_ref())
        .bind(json.get())
}

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
            insert = bind_member(insert, icp, position, user);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts ICPs (one, an import's, or a batch's), their members, first versions and events as
/// bound multi-row `INSERT`s: the values go straight into the rows, with no JSON for SQLite to
/// parse and take apart on the writer's thread. A run of ICPs with one member and one event each
/// goes as one text (`ONE_EACH`); any other run as one statement per table and run length.
/// Each ICP comes with its JSON text, made once: its version's `icp` and its event's.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
    icps: &[(&Icp, &RawValue, &Change)],
) -> StoreResult<()> {
    for run in runs(icps) {
        // Cut from each ICP's JSON text, not serialized again.
        let criteria = run
            .iter()
            .map(|(icp, json, _)| CriteriaText::of(icp, json.get()))
            .collect::<StoreResult<Vec<_>>>()?;
        let events = NewEvent::of_all(
            run.iter()
                .map(|&(icp, json, change)| (icp, json, None, change)),
        )?;
        let one_each =
            events.len() == run.len() && run.iter().all(|(icp, ..)| icp.user_ids.len() == 1);
        let mut insert = sqlx::query(if one_each {
            ONE_EACH.sql(run.len())
        } else {
            ICPS.sql(run.len())
        });
        for ((icp, ..), criteria) in run.iter().zip(&criteria) {
            insert = bind_columns(insert, icp, criteria);
        }
        if one_each {
            for (icp, ..) in run {
                insert = bind_member(insert, icp, 0, &icp.user_ids[0]);
            }
            for &(icp, json, change) in run {
                insert = bind_version(insert, icp, json, change);
            }
            for event in &events {
                insert = bind_event(insert, event);
            }
            insert.execute(&mut *conn).await?;
        } else {
            insert.execute(&mut *conn).await?;
            let only: Vec<&Icp> = run.iter().map(|(icp, ..)| *icp).collect();
            write_members(conn, &only).await?;
            let mut versions = sqlx::query(VERSIONS.sql(run.len()));
            for &(icp, json, change) in run {
                versions = bind_version(versions, icp, json, change);
            }
            versions.execute(&mut *conn).await?;
            write_events(conn, &events).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{EVENTS, ICPS, MEMBERS, ONE_EACH, VERSIONS};

    #[test]
    fn each_statement_has_its_run_length_of_rows() {
        let tables = [(&*ICPS, 13), (&*MEMBERS, 4), (&*VERSIONS, 7), (&*EVENTS, 7)];
        for (inserts, per_row) in tables.into_iter().chain([(&*ONE_EACH, 13 + 4 + 7 + 7)]) {
            for rows in [1, 2, 4, 8, 16, 32] {
                let sql = inserts.sql(rows);
                // Unnamed parameters, bound in order (`Params::InOrder`).
                assert_eq!(sql.matches('?').count(), rows * per_row, "{sql}");
                assert!(!sql.contains('$'), "{sql}");
                assert!(sql.starts_with("INSERT INTO "), "{sql}");
            }
        }
        // A run's four statements, in the order their values are bound.
        let statements: Vec<&str> = ONE_EACH.sql(2).split("; ").collect();
        let tables: Vec<&str> = statements
            .iter()
            .map(|statement| statement.split(' ').nth(2).unwrap_or_default())
            .collect();
        assert_eq!(tables, ["icps", "icp_members", "icp_versions", "events"]);
    }
}
