//! The SQLite store: WAL, foreign keys, a busy timeout and `synchronous=FULL` (a commit is on disk
//! before a 201). Writes go through one connection, reads through a pool: SQLite admits one writer at
//! a time, and queueing in the pool is cheaper than contending on the file lock. ICP writes share
//! that connection's commits through the group-commit writer (`group_commit.rs`).

mod list_page;
mod rows;
mod search;
// The statements both databases share, compiled here for this one (see there).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;
/// The database `sql` is compiled for.
type Db = sqlx::Sqlite;
mod writes;

pub(super) use writes::SqliteWrites;

use list_page::{list_sql, page_of, PageRow};
use rows::{from_text, IcpJson};
use search::Search;
use writes::{insert_many, write_members, SqliteWrites as Writes};
/// A batch of inserts is several statements (`writes::insert_many`): it runs in a transaction.
const INSERTS_IN_ONE_STATEMENT: bool = false;

use super::group_commit::{GroupCommit, WriteMode};
use super::reads::ReadCache;
use super::{Destination, Pools, Role, StoreError, StoreResult, WorkspaceId};
use crate::domain::{Icp, UserId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The store on SQLite (`sql::SqlStore`).
pub use sql::SqlStore as SqliteStore;

/// One ICP of `icps i` as a JSON object (a macro so the queries can `concat!` it). Reading an ICP
/// as one JSON text costs one value handed over from SQLite's thread instead of eleven, and a list
/// page is one JSON array: one hand-over per page instead of one per ICP (sqlx runs each SQLite
/// connection on its own thread, and those hand-overs were most of a page's cost).
macro_rules! icp_object {
    () => {
        "json_object('id', lower(hex(i.id)), 'name', i.name, 'description', i.description, \
         'leadProviderCriteria', json(i.lead_provider_criteria), \
         'customFilterCriteria', json(i.custom_filter_criteria), 'crmFilters', json(i.crm_filters), \
         'leadsPerList', i.leads_per_list, 'activeUntil', i.active_until, \
         'createdAt', i.created_at, 'updatedAt', i.updated_at, 'ownerId', i.owner_id, 'everyone', i.everyone, 'userIds', \
         json((SELECT json_group_array(m.user_id ORDER BY m.position) FROM icp_members m WHERE m.icp_id = i.id)))"
    };
}
const ICP_BY_ID: &str = concat!("SELECT ", icp_object!(), " FROM icps i WHERE i.id = $1");
pub(super) const ICP_OBJECT: &str = icp_object!();

/// JSON columns are text (a value bound as text is stored as it is), a list of ids is bound as a
/// JSON array, and time is milliseconds.
const SQL: sql::Dialect = sql::Dialect {
    everyone: "i.everyone = 1",
    later: "max(updated_at + 1, $3)",
    json: "",
    in_list: ("IN (SELECT value FROM json_each(", "))"),
    horizon: None,
    locks: false,
    subscribed: "EXISTS (SELECT 1 FROM json_each(w.events) j WHERE j.value IN ('*', e.type))",
    one_xid: true,
    params: crate::store::batch::Params::InOrder,
};

/// `ids` bound for `SQL.in_list`.
fn id_list(ids: &[UserId]) -> StoreResult<String> {
    Ok(serde_json::to_string(ids)?)
}

/// Where `user` is (workspace and role). One writer connection: moves (and every other write)
/// happen one at a time, so nothing needs locking.
async fn where_is(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user: &UserId,
    _to: &Destination,
) -> StoreResult<Option<(WorkspaceId, Role)>> {
    let from =
        sqlx::query_as("SELECT workspace_id, role FROM workspace_members WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(from)
}

/// A failed update is a failed update: SQLite's one writer leaves no race to lose.
fn lost_race(error: sqlx::Error) -> StoreError {
    error.into()
}

/// A pool of connections to the file. sqlx pings each connection it hands out by default, to find
/// one whose server hung up; a SQLite connection is this process's own handle on the file, with
/// no server to lose, and each ping was a round trip to its thread: one more per batch of writes
/// and per read.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

impl SqliteStore {
    /// Opens the file `url` names (creating it and its folder), migrates it and sets it up for WAL.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with_mode(url, WriteMode::GroupCommit { writers: 1 }).await
    }

    /// As `connect`, choosing how ICP writes are committed.
    pub async fn connect_with_mode(url: &str, mode: WriteMode) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(folder) = options.get_filename().parent() {
            if !folder.as_os_str().is_empty() {
                std::fs::create_dir_all(folder).map_err(|e| StoreError::Database(e.into()))?;
            }
        }
        let writer = pool_options()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sql::migrate(&writer, &sqlx::migrate!("migrations/sqlite")).await?;
        // Each reader keeps a page cache of 1 MiB (SQLite's default is 2 MB): eight of them fill
        // on the first long read (every ICP listed), and they are most of what such a read keeps.
        // (Four readers on two cores made a page under parallel tests wait out the pool's 30 s:
        // some request holds more than one reader at once; not yet found.)
        let reader = options.read_only(true).pragma("cache_size", "-1024");
        let readers = pool_options()
            .max_connections(8)
            .connect_with(reader.clone())
            .await?;
        let long_reads = pool_options().max_connections(1).connect_lazy_with(reader);
        let icp_writes = match mode {
            // One writer: the pool has one connection, and a second would only wait for it.
            WriteMode::GroupCommit { .. } => {
                Some(GroupCommit::spawn::<SqliteWrites>(writer.clone(), 1))
            }
            WriteMode::PerWrite => None,
        };
        let pools = sql::Connections {
            reader: readers,
            writer,
            long_reader: long_reads,
        };
        // One server per SQLite file: every change goes through this store.
        Ok(Self::new(pools, icp_writes, ReadCache::live()))
    }

    async fn read_icp(&self, id: Uuid) -> StoreResult<Option<Icp>> {
        let text: Option<String> = sqlx::query_scalar(ICP_BY_ID)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        text.map(|text| Icp::try_from(from_text::<IcpJson>(&text)?))
            .transpose()
    }

    fn connections(&self) -> Pools {
        Pools::Sqlite {
            readers: self.reader.clone(),
            writer: self.writer.clone(),
        }
    }
}

/// A new database file with foreign keys on and no migrations run, for tests that build an older
/// schema on it and migrate it; the file goes with the directory.
#[cfg(test)]
async fn empty_database() -> (tempfile::TempDir, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    (dir, sqlx::SqlitePool::connect_with(options).await.unwrap())
}

#[cfg(test)]
mod tests {
    use super::list_page::list_sql;
    use super::*;
    use crate::store::list::{count_sql, ListFilter};

    /// What SQLite plans for `sql` (parameters unbound: the plan does not depend on them).
    async fn plan(store: &SqliteStore, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&store.reader)
                .await
                .unwrap();
        rows.into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs `sql` (one statement or several) on `pool`.
    async fn run(pool: &sqlx::SqlitePool, sql: &str) {
        sqlx::raw_sql(sql).execute(pool).await.unwrap();
    }

    /// Runs the migrations numbered `versions` on `pool`, as the app migrates.
    async fn migrate(pool: &sqlx::SqlitePool, versions: std::ops::RangeInclusive<i64>) {
        let migrator = sqlx::migrate!("migrations/sqlite");
        for migration in migrator.iter() {
            if versions.contains(&migration.version) {
                run(pool, &migration.sql).await;
            }
        }
    }

    /// The rows `sql` reads from `pool`.
    async fn select<T>(pool: &sqlx::SqlitePool, sql: &str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        sqlx::query_as(sql).fetch_all(pool).await.unwrap()
    }

    /// Checks that `sql` reads exactly `expected` from `pool`, in order.
    async fn assert_rows<T>(pool: &sqlx::SqlitePool, sql: &str, expected: &[T])
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin + PartialEq,
        T: std::fmt::Debug,
    {
        assert_eq!(select::<T>(pool, sql).await, expected, "{sql}");
    }

    /// How many rows `table` holds.
    async fn count(pool: &sqlx::SqlitePool, table: &str) -> i64 {
        let (rows,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap();
        rows
    }

    #[tokio::test]
    async fn the_membership_migration_copies_each_icps_creation_instant() {
        let (_dir, pool) = empty_database().await;
        migrate(&pool, 1..=1).await;
        run(
            &pool,
            "INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, leads_per_list, \
             created_at, updated_at) VALUES (x'01', 'a', '[]', '[]', 20, 1000, 5000), \
             (x'02', 'b', '[]', '[]', 20, 2000, 2000); \
             INSERT INTO icp_members (icp_id, user_id, position) VALUES \
             (x'01', 'user_a', 0), (x'01', 'user_b', 1), (x'02', 'user_b', 0);",
        )
        .await;
        migrate(&pool, 2..=2).await;
        assert_rows::<(Vec<u8>, String, i64, i64)>(
            &pool,
            "SELECT icp_id, user_id, position, created_at FROM icp_members ORDER BY icp_id, position",
            &[
                (vec![1], "user_a".into(), 0, 1000),
                (vec![1], "user_b".into(), 1, 1000),
                (vec![2], "user_b".into(), 0, 2000),
            ],
        )
        .await;
        // Deleting an ICP still removes its members (the rebuilt table kept its foreign key).
        run(&pool, "DELETE FROM icps WHERE id = x'01'").await;
        let left = count(&pool, "icp_members").await;
        assert_eq!(left, 1);
    }

    #[tokio::test]
    async fn long_versions_and_replies_keep_their_rows_and_leave_overflow_pages() {
        let (_dir, pool) = empty_database().await;
        migrate(&pool, 1..=7).await;
        // A row a little longer than the reference example's (its JSON ~900 bytes, ids and times).
        let icp = format!(r#"{{"name":"{}"}}"#, "x".repeat(1_000));
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash) VALUES ('user_a', 'a@example.com', 'A', 'h'); \
             INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) VALUES \
             (x'01', 1, 'created', 'user_a', 1000, 'user_a', ?1), (x'01', 2, 'deleted', 'user_a', 2000, 'user_a', ?1); \
             INSERT INTO idempotency_keys (user_id, key, request_hash, icp_id, claimed_at, response) VALUES \
             ('user_a', 'k1', x'aa', x'01', 1000, ?1);",
        )
        .bind(&icp)
        .execute(&pool)
        .await
        .unwrap();
        let overflow = |table: &'static str| {
            let pool = pool.clone();
            async move {
                let sql = "SELECT count(*) FROM dbstat WHERE name = ?1 AND pagetype = 'overflow'";
                let (pages,): (i64,) = sqlx::query_as(sql)
                    .bind(table)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                pages
            }
        };
        // Before: each long row took an overflow page of its own.
        assert_eq!(overflow("icp_versions").await, 2);
        assert_eq!(overflow("idempotency_keys").await, 1);

        migrate(&pool, 8..=8).await;
        assert_eq!(overflow("icp_versions").await, 0);
        assert_eq!(overflow("idempotency_keys").await, 0);
        assert_rows(
            &pool,
            "SELECT icp_id, version, action, icp FROM icp_versions ORDER BY version",
            &[
                (vec![1u8], 1i64, "created".to_owned(), icp.clone()),
                (vec![1], 2, "deleted".into(), icp.clone()),
            ],
        )
        .await;
        let (response,): (String,) = sqlx::query_as(
            "SELECT response FROM idempotency_keys WHERE user_id = 'user_a' AND key = 'k1'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(response, icp);
        // The keys stay unique, the deleted index is back, and a user's keys still go with them.
        let again = sqlx::query(
            "INSERT INTO icp_versions (icp_id, version, action, by_user, at, icp) \
             VALUES (x'01', 2, 'restored', 'user_a', 3000, '{}')",
        )
        .execute(&pool)
        .await;
        assert!(again.is_err(), "a version number taken twice");
        let deleted: Vec<(i64, i64, i64, String)> = select(
            &pool,
            "EXPLAIN QUERY PLAN SELECT icp_id FROM icp_versions \
             WHERE owner_id = 'user_a' AND action = 'deleted' ORDER BY at DESC",
        )
        .await;
        assert!(
            deleted
                .iter()
                .any(|(.., detail)| detail.contains("icp_versions_deleted")),
            "{deleted:?}"
        );
        run(&pool, "DELETE FROM users WHERE id = 'user_a'").await;
        let keys = count(&pool, "idempotency_keys").await;
        assert_eq!(keys, 0);
    }

    #[tokio::test]
    async fn a_list_page_and_the_count_are_ranges_of_one_index_without_a_sort() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let every_filter = ListFilter {
            words: vec!["dach".into()],
            active: Some(true),
            shared_with: UserId::parse("user_b"),
            owned: UserId::parse("user_a").map(crate::store::Owned::By),
            people: vec![UserId::parse("user_c").into_iter().collect()],
            order: Default::default(),
            workspace: false,
        };
        for (filter, cursor) in [
            (&ListFilter::default(), false),
            (&ListFilter::default(), true),
            (&every_filter, false),
            (&every_filter, true),
        ] {
            let plan = plan(&store, &list_sql(filter, cursor)).await;
            // `page` is materialized first: the members' index from the cursor, each row joined
            // to icps by primary key, stopping at the limit, with no sort.
            let page = plan
                .split_once("MATERIALIZE page\n")
                .and_then(|(_, rest)| rest.split_once("SCAN page"))
                .map(|(page, _)| page)
                .unwrap_or_default();
            assert!(
                page.starts_with(
                    "SEARCH me USING COVERING INDEX icp_members_by_user_newest (user_id=?"
                ),
                "the members' index must drive the page:\n{plan}"
            );
            assert!(
                page.contains("SEARCH i USING INDEX sqlite_autoindex_icps_1 (id=?)"),
                "each row joins icps by primary key:\n{plan}"
            );
            // (What follows sorts the page's own rows, at most `LIMIT`, for the byte budget's
            // running sum and `json_group_array(… ORDER BY …)`, and each ICP's few user ids:
            // bounded B-trees, whatever the user's ICP count.)
            assert!(
                !page.contains("TEMP B-TREE"),
                "no sort of the list:\n{plan}"
            );
        }
        let after = plan(&store, &list_sql(&ListFilter::default(), true)).await;
        assert!(
            after.contains("\nSEARCH me USING COVERING INDEX icp_members_by_user_newest (user_id=? AND (created_at,icp_id)<(?,?))"),
            "a later page starts at the cursor in the index:\n{after}"
        );
        let plan = plan(&store, &count_sql(&ListFilter::default())).await;
        assert_eq!(
            plan,
            "SEARCH icp_members USING COVERING INDEX icp_members_by_user_newest (user_id=?)"
        );
    }

    #[tokio::test]
    async fn the_webhook_fan_out_reads_a_range_of_events_after_its_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let [next, insert] = sql::fan_out_sql();
        let next = plan(&store, next).await;
        // `seq` is the rowid, and every `xid` is 0 (migration 0022): a range of rowids.
        assert_eq!(
            next, "SEARCH e USING INTEGER PRIMARY KEY (rowid>?)",
            "the next events are a range from the cursor"
        );
        let insert = plan(&store, insert).await;
        assert!(
            insert.contains("SEARCH e USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")
                || insert.contains(
                    "SEARCH a USING COVERING INDEX event_audience_by_event (seq>? AND seq<?)"
                ),
            "the deliveries read only the range's events (or their audience rows):\n{insert}"
        );
        assert!(
            !insert.contains("SCAN e\n")
                && !insert.ends_with("SCAN e")
                && !insert.contains("SCAN a"),
            "no scan of every event or audience row:\n{insert}"
        );
    }

    /// A database with the schema and data as they were before workspaces, then migrated.
    #[tokio::test]
    async fn people_who_share_icps_end_up_in_one_workspace() {
        let (_dir, pool) = empty_database().await;
        migrate(&pool, 1..=2).await;
        run(
            &pool,
            // a-b share ICP 1, b-c share ICP 2 (a chain), d is alone, e shares only with an id
            // that names no account.
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES \
             ('user_a', 'a@acme.io', 'A', 'x', 3), ('user_b', 'b@acme.io', 'B', 'x', 1), \
             ('user_c', 'c@gmail.com', 'C', 'x', 2), ('user_d', 'd@gmail.com', 'Dee', 'x', 4), \
             ('user_e', 'e@solo.io', 'E', 'x', 5); \
             INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, \
             leads_per_list, created_at, updated_at) VALUES (x'01', 'one', '[]', '[]', 20, 1, 1), \
             (x'02', 'two', '[]', '[]', 20, 2, 2), (x'03', 'three', '[]', '[]', 20, 3, 3); \
             INSERT INTO icp_members (icp_id, user_id, position, created_at) VALUES \
             (x'01', 'user_a', 0, 1), (x'01', 'user_b', 1, 1), (x'02', 'user_c', 0, 2), \
             (x'02', 'user_b', 1, 2), (x'03', 'user_e', 0, 3), (x'03', 'user_ghost', 1, 3);",
        )
        .await;
        migrate(&pool, 3..=3).await;
        let rows: Vec<(String, String, String, String)> = select(
            &pool,
            "SELECT m.user_id, m.workspace_id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id ORDER BY m.user_id",
        )
        .await;
        let team = |user: &str, role: &str| {
            (
                user.to_owned(),
                "ws_a".to_owned(),
                "acme.io".to_owned(),
                role.to_owned(),
            )
        };
        assert_eq!(
            rows,
            vec![
                // The earliest user of the chain (b) owns it; it is named after b's domain.
                team("user_a", "member"),
                team("user_b", "owner"),
                team("user_c", "member"),
                (
                    "user_d".into(),
                    "ws_d".into(),
                    "Dee's workspace".into(),
                    "owner".into()
                ),
                (
                    "user_e".into(),
                    "ws_e".into(),
                    "solo.io".into(),
                    "owner".into()
                ),
            ]
        );
        // Nothing else changed: every ICP is read by exactly the users it was before.
        let members = count(&pool, "icp_members").await;
        assert_eq!(members, 6);
    }
}
