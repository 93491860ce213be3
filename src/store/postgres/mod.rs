//! The Postgres store: `uuid`, `timestamptz` and `jsonb` columns, a pool of connections; ICP writes
//! are group-committed by a few writer tasks (`group_commit.rs`).

mod attempts;
mod list_page;
mod notify;
// The statements both databases share, compiled here for this one (see there).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;
/// The database `sql` is compiled for.
type Db = sqlx::Postgres;
mod writes;

use super::group_commit::{GroupCommit, WriteMode};
use super::reads::ReadCache;
use super::{from_json, Destination, Pools, Role, StoreError, StoreResult, WorkspaceId};
use crate::domain::{Icp, Timestamp, UserId};
pub use attempts::PgTries;
use list_page::{list_sql, page_of, PageRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::FromRow;
use std::str::FromStr;
use std::sync::Arc;
use uuid::Uuid;
pub(super) use writes::PgWrites;
use writes::{insert_many, write_members, PgWrites as Writes};

/// How ICP writes commit on Postgres. Postgres already shares WAL flushes between concurrent
/// commits, so one batch writer (one connection, statements in series) measured no better than the
/// pool; four writers measured 1.3x the pool's one commit per write (`benches/writes.rs`).
const PG_WRITE_MODE: WriteMode = WriteMode::GroupCommit { writers: 4 };
/// A batch of inserts is one statement (`writes::insert_many`): it needs no BEGIN and COMMIT.
const INSERTS_IN_ONE_STATEMENT: bool = true;

/// The store on Postgres (`sql::SqlStore`).
pub use sql::SqlStore as PgStore;

/// The columns an `IcpRow` reads, from `icps i`.
pub(super) const ICP_COLUMNS: &str = "i.id, i.name, i.description, i.lead_provider_criteria, i.custom_filter_criteria, \
     i.crm_filters, i.leads_per_list, i.active_until, i.created_at, i.updated_at, i.owner_id, i.everyone, \
     ARRAY(SELECT m.user_id FROM icp_members m WHERE m.icp_id = i.id ORDER BY m.position) AS user_ids";

/// A row of a list page.
#[derive(FromRow)]
pub(super) struct ListedRow {
    #[sqlx(flatten)]
    pub(super) icp: IcpRow,
    pub(super) more: bool,
}

#[derive(FromRow)]
pub(super) struct IcpRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    lead_provider_criteria: Json<serde_json::Value>,
    custom_filter_criteria: Json<serde_json::Value>,
    crm_filters: Option<Json<serde_json::Value>>,
    leads_per_list: i32,
    active_until: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
    owner_id: Option<UserId>,
    everyone: bool,
    user_ids: Vec<UserId>,
}

impl TryFrom<IcpRow> for Icp {
    type Error = StoreError;

    fn try_from(row: IcpRow) -> StoreResult<Icp> {
        Ok(Icp {
            id: row.id,
            name: row.name,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
            lead_provider_criteria: from_json(row.lead_provider_criteria.0)?,
            custom_filter_criteria: from_json(row.custom_filter_criteria.0)?,
            crm_filters: row.crm_filters.map(|j| from_json(j.0)).transpose()?,
            user_ids: row.user_ids,
            leads_per_list: u16::try_from(row.leads_per_list)
                .map_err(|_| StoreError::Corrupt("leads_per_list out of range".into()))?,
            active_until: row.active_until,
            owner: row.owner_id,
            everyone: row.everyone,
        })
    }
}

/// JSON text is cast to `jsonb`, a list of ids is bound as an array.
const SQL: sql::Dialect = sql::Dialect {
    everyone: "i.everyone",
    later: "GREATEST(updated_at + interval '1 millisecond', $3)",
    json: "::jsonb",
    in_list: ("= ANY(", ")"),
    horizon: Some("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
    locks: true,
    subscribed: "w.events ?| array['*', e.type]",
    one_xid: false,
    params: crate::store::batch::Params::Numbered,
};

/// A batch holds its row locks until its commit, so two instances' batches updating the same ICPs
/// in opposite orders can deadlock; Postgres then aborts one update, which the caller retries with
/// a fresh read exactly as it does for a stale one.
fn lost_race(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01") => StoreError::Stale,
        _ => StoreError::from(error),
    }
}

/// `ids` bound for `SQL.in_list`.
fn id_list(ids: &[UserId]) -> StoreResult<Vec<&str>> {
    Ok(ids.iter().map(UserId::as_str).collect())
}

/// Where `user` is (workspace and role), with the workspaces the move to `to` changes locked in a
/// fixed order (their ids') for the rest of the transaction: moves into or out of one workspace
/// happen one at a time, and two moves that touch the same two workspaces cannot wait for each
/// other.
async fn where_is(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user: &UserId,
    to: &Destination,
) -> StoreResult<Option<(WorkspaceId, Role)>> {
    let target: Option<WorkspaceId> = match to {
        Destination::OwnWorkspace(_) => None,
        Destination::Invited { invitation, .. } => {
            sqlx::query_scalar("SELECT workspace_id FROM invitations WHERE id = $1")
                .bind(invitation)
                .fetch_optional(&mut **tx)
                .await?
        }
    };
    for _ in 0..3 {
        let current: Option<WorkspaceId> =
            sqlx::query_scalar("SELECT workspace_id FROM workspace_members WHERE user_id = $1")
                .bind(user)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let mut workspaces: Vec<&str> = [Some(&current), target.as_ref()]
            .into_iter()
            .flatten()
            .map(WorkspaceId::as_str)
            .collect();
        workspaces.sort_unstable();
        workspaces.dedup();
        for workspace in workspaces {
            sqlx::query(
                "SELECT pg_advisory_xact_lock(hashtextextended('icp-builder workspace ' || $1, 0))",
            )
            .bind(workspace)
            .execute(&mut **tx)
            .await?;
        }
        let locked: Option<(WorkspaceId, Role)> = sqlx::query_as(
            "SELECT workspace_id, role FROM workspace_members WHERE user_id = $1 FOR UPDATE",
        )
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
        match locked {
            // Still where it was when its workspace was locked.
            Some((now_in, role)) if now_in == current => return Ok(Some((now_in, role))),
            // Moved meanwhile (its own move held the lock): lock where it is now.
            Some(_) => continue,
            None => return Ok(None),
        }
    }
    Err(StoreError::Stale)
}

/// A search (a `LIKE` scan) in a transaction whose statements stop at the search limit (the
/// request time limit), so a search answered 503 does not run on. A dropped sqlx future does not
/// cancel a Postgres statement; `statement_timeout` does.
struct Search(sqlx::Transaction<'static, sqlx::Postgres>);

impl Search {
    async fn start(pool: &PgPool, limit: std::time::Duration) -> StoreResult<Self> {
        let mut search = pool.begin().await?;
        let limit = format!("{}ms", limit.as_millis().max(1));
        sqlx::query("SELECT set_config('statement_timeout', $1, true)")
            .bind(limit)
            .execute(&mut *search)
            .await?;
        Ok(Self(search))
    }

    fn connection(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }

    /// The search's statements ran: `SearchStopped` when `statement_timeout` stopped one
    /// (SQLSTATE 57014).
    async fn done<T>(self, result: Result<T, sqlx::Error>) -> StoreResult<T> {
        match result {
            Ok(found) => {
                self.0.commit().await?;
                Ok(found)
            }
            Err(sqlx::Error::Database(cause)) if cause.code().as_deref() == Some("57014") => {
                Err(StoreError::SearchStopped)
            }
            Err(error) => Err(error.into()),
        }
    }
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options).await
    }

    /// Opens a pool with these options and brings the schema up to date.
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<Self> {
        Self::connect_with_mode(options, PG_WRITE_MODE).await
    }

    /// As `connect_with`, choosing how ICP writes are committed.
    pub async fn connect_with_mode(
        options: PgConnectOptions,
        mode: WriteMode,
    ) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options.clone())
            .await?;
        sql::migrate(&pool, &sqlx::migrate!("migrations/postgres")).await?;
        let icp_writes = match mode {
            WriteMode::GroupCommit { writers } => {
                Some(GroupCommit::spawn::<PgWrites>(pool.clone(), writers))
            }
            WriteMode::PerWrite => None,
        };
        // Other instances change ICPs too: remembered reads wait until their changes are heard.
        let reads = ReadCache::waiting();
        // One pool serves every kind of read and write.
        let pools = sql::Connections {
            reader: pool.clone(),
            writer: pool.clone(),
            long_reader: pool,
        };
        let store = Self::new(pools, icp_writes, reads);
        notify::spawn_listener(options, Arc::downgrade(&store.reads));
        Ok(store)
    }

    async fn read_icp(&self, id: Uuid) -> StoreResult<Option<Icp>> {
        let row: Option<IcpRow> =
            sqlx::query_as(&format!("SELECT {ICP_COLUMNS} FROM icps i WHERE i.id = $1"))
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
        row.map(Icp::try_from).transpose()
    }

    fn connections(&self) -> Pools {
        Pools::Postgres(self.writer.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::list_page::list_sql;
    use super::*;
    use crate::store::list::{count_sql, ListFilter};
    use sqlx::pool::PoolConnection;
    use sqlx::{Connection, Postgres};

    /// A store in a fresh schema of the Postgres at `ICP_TEST_POSTGRES_URL` (as the integration
    /// tests do); `None`, loudly, only with `ICP_TEST_SKIP_POSTGRES=1`.
    async fn fresh_store() -> Option<PgStore> {
        let url = match std::env::var("ICP_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ if std::env::var("ICP_TEST_SKIP_POSTGRES").as_deref() == Ok("1") => {
                eprintln!("!!! SKIPPED on Postgres (ICP_TEST_SKIP_POSTGRES=1)");
                return None;
            }
            _ => panic!("set ICP_TEST_POSTGRES_URL, or ICP_TEST_SKIP_POSTGRES=1 to skip"),
        };
        let schema = format!("t_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let options = PgConnectOptions::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        Some(PgStore::connect_with(options).await.unwrap())
    }

    /// A connection to a schema of its own as the first two migrations left it, then what
    /// `scripts` make of it (later migrations, rows); `None` as for `fresh_store`.
    async fn old_schema(scripts: &[&str]) -> Option<PoolConnection<Postgres>> {
        let store = fresh_store().await?;
        let schema = format!("old_{}", Uuid::new_v4().simple());
        let mut old = store.writer.acquire().await.unwrap();
        sqlx::raw_sql(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}"
        ))
        .execute(&mut *old)
        .await
        .unwrap();
        let first = [
            include_str!("../../../migrations/postgres/0001_init.sql"),
            include_str!("../../../migrations/postgres/0002_auth_attempts.sql"),
        ];
        for sql in first.iter().chain(scripts) {
            sqlx::raw_sql(sql).execute(&mut *old).await.unwrap();
        }
        Some(old)
    }

    fn plan_text(rows: Vec<(String,)>) -> String {
        rows.into_iter()
            .map(|(line,)| line)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_membership_migration_copies_each_icps_creation_instant() {
        // The schema as it was before 0003, with rows, then 0003.
        let Some(mut old) = old_schema(&[
            "INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, leads_per_list, \
             created_at, updated_at) VALUES \
             ('00000000-0000-0000-0000-000000000001', 'a', '[]', '[]', 20, '2024-01-01T00:00:01.5Z', now()), \
             ('00000000-0000-0000-0000-000000000002', 'b', '[]', '[]', 20, '2024-01-01T00:00:02Z', now()); \
             INSERT INTO icp_members (icp_id, user_id, position) VALUES \
             ('00000000-0000-0000-0000-000000000001', 'user_a', 0), \
             ('00000000-0000-0000-0000-000000000001', 'user_b', 1), \
             ('00000000-0000-0000-0000-000000000002', 'user_b', 0);",
            include_str!("../../../migrations/postgres/0003_member_created_at.sql"),
        ])
        .await
        else {
            return;
        };
        let rows: Vec<(String, i32, String)> = sqlx::query_as(
            "SELECT user_id, position, to_char(created_at AT TIME ZONE 'UTC', 'SS.MS') \
             FROM icp_members ORDER BY icp_id, position",
        )
        .fetch_all(&mut *old)
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![
                ("user_a".into(), 0, "01.500".into()),
                ("user_b".into(), 1, "01.500".into()),
                ("user_b".into(), 0, "02.000".into()),
            ]
        );
        let refused = sqlx::query(
            "INSERT INTO icp_members (icp_id, user_id, position) \
             VALUES ('00000000-0000-0000-0000-000000000002', 'user_c', 1)",
        )
        .execute(&mut *old)
        .await;
        assert!(refused.is_err(), "created_at is NOT NULL");
    }

    #[tokio::test]
    async fn a_list_page_and_the_count_are_index_scans_without_a_sort() {
        let Some(store) = fresh_store().await else {
            return;
        };
        // user_a's 1,000 ICPs among 20,000 of user_b, analysed, so the planner sees tables worth
        // indexing and a user whose rows are a small part of them (as most users are).
        for (user, count) in [("user_a", 1_000), ("user_b", 20_000)] {
            sqlx::query(
                "WITH new AS (INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, \
                 leads_per_list, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'ICP ' || n, '[]', '[]', 20, \
                 now() - n * interval '1 second', now() FROM generate_series(1, $2) n \
                 RETURNING id, created_at) \
                 INSERT INTO icp_members (icp_id, user_id, position, created_at) \
                 SELECT id, $1, 0, created_at FROM new",
            )
            .bind(user)
            .bind(count)
            .execute(&store.writer)
            .await
            .unwrap();
        }
        sqlx::query("VACUUM ANALYZE icp_members")
            .execute(&store.writer)
            .await
            .unwrap();
        sqlx::query("ANALYZE icps")
            .execute(&store.writer)
            .await
            .unwrap();
        for cursor in [false, true] {
            let explain = format!(
                "EXPLAIN (COSTS OFF) {}",
                list_sql(&ListFilter::default(), cursor)
            );
            let query = sqlx::query_as::<_, (String,)>(&explain)
                .bind("user_a")
                .bind(21_i64);
            let query = if cursor {
                query.bind(Timestamp::now().0).bind(Uuid::now_v7())
            } else {
                query
            };
            let plan = plan_text(query.fetch_all(&store.writer).await.unwrap());
            // Index Only Scan once vacuumed, Index Scan before: both walk the index in order.
            assert!(
                plan.contains("Scan using icp_members_by_user_newest on icp_members me"),
                "the members' index must drive the page:\n{plan}"
            );
            assert!(
                plan.contains("Index Scan using icps_pkey on icps i"),
                "each row joins icps by primary key:\n{plan}"
            );
            // The page's rows are read in the index's order up to the limit, and the byte budget's
            // running sum needs no sort. (What follows sorts the page's own rows, at most
            // `LIMIT`, and one ICP's few user ids by position: bounded.)
            let page = plan
                .split_once("CTE cut")
                .and_then(|(_, rest)| rest.split("Plan").next())
                .unwrap_or_default();
            assert!(page.contains("Limit"), "{plan}");
            assert!(!page.contains("Sort"), "no sort of the list:\n{plan}");
        }
        let explain = format!("EXPLAIN (COSTS OFF) {}", count_sql(&ListFilter::default()));
        let plan = plan_text(
            sqlx::query_as::<_, (String,)>(&explain)
                .bind("user_a")
                .fetch_all(&store.writer)
                .await
                .unwrap(),
        );
        // Index Only Scan when the visibility map is current; a Bitmap scan of the same index while
        // other transactions (parallel tests) keep VACUUM from marking pages all-visible.
        assert!(
            plan.contains("icp_members_by_user_newest") && !plan.contains("Seq Scan"),
            "the count reads the members' index:\n{plan}"
        );
    }

    #[tokio::test]
    async fn people_who_share_icps_end_up_in_one_workspace() {
        let Some(mut old) = old_schema(&[
            include_str!("../../../migrations/postgres/0003_member_created_at.sql"),
            // a-b share ICP 1, b-c share ICP 2 (a chain), d is alone, e shares only with an id
            // that names no account.
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES \
             ('user_a', 'a@acme.io', 'A', 'x', '2024-01-03Z'), ('user_b', 'b@acme.io', 'B', 'x', '2024-01-01Z'), \
             ('user_c', 'c@gmail.com', 'C', 'x', '2024-01-02Z'), ('user_d', 'd@gmail.com', 'Dee', 'x', '2024-01-04Z'), \
             ('user_e', 'e@solo.io', 'E', 'x', '2024-01-05Z'); \
             INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, \
             leads_per_list, created_at, updated_at) VALUES \
             ('00000000-0000-0000-0000-000000000001', 'one', '[]', '[]', 20, now(), now()), \
             ('00000000-0000-0000-0000-000000000002', 'two', '[]', '[]', 20, now(), now()), \
             ('00000000-0000-0000-0000-000000000003', 'three', '[]', '[]', 20, now(), now()); \
             INSERT INTO icp_members (icp_id, user_id, position, created_at) VALUES \
             ('00000000-0000-0000-0000-000000000001', 'user_a', 0, now()), \
             ('00000000-0000-0000-0000-000000000001', 'user_b', 1, now()), \
             ('00000000-0000-0000-0000-000000000002', 'user_c', 0, now()), \
             ('00000000-0000-0000-0000-000000000002', 'user_b', 1, now()), \
             ('00000000-0000-0000-0000-000000000003', 'user_e', 0, now()), \
             ('00000000-0000-0000-0000-000000000003', 'user_ghost', 1, now());",
            include_str!("../../../migrations/postgres/0004_workspaces.sql"),
        ])
        .await
        else {
            return;
        };
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT m.user_id, m.workspace_id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id ORDER BY m.user_id",
        )
        .fetch_all(&mut *old)
        .await
        .unwrap();
        let row = |user: &str, workspace: &str, name: &str, role: &str| {
            (user.into(), workspace.into(), name.into(), role.into())
        };
        assert_eq!(
            rows,
            vec![
                // The earliest user of the chain (b) owns it; it is named after b's domain.
                row("user_a", "ws_a", "acme.io", "member"),
                row("user_b", "ws_a", "acme.io", "owner"),
                row("user_c", "ws_a", "acme.io", "member"),
                row("user_d", "ws_d", "Dee's workspace", "owner"),
                row("user_e", "ws_e", "solo.io", "owner"),
            ]
        );
        let (members,): (i64,) = sqlx::query_as("SELECT count(*) FROM icp_members")
            .fetch_one(&mut *old)
            .await
            .unwrap();
        assert_eq!(members, 6, "every ICP is read by the same users");
    }
}
