//! The statements both databases run, written once. This module is compiled twice: `store::sqlite`
//! and `store::postgres` each include it (`#[path = "../sql/mod.rs"] mod sql;`), so every body here
//! is type-checked against one concrete database, with no generic bounds to carry. What it takes
//! from the including module (`super::`), under the same names on both:
//!
//! - `Db` (`sqlx::Sqlite` or `sqlx::Postgres`), `Writes` (its `ApplyWrite`), and what only that
//!   database's store does:
//!   `SqlStore::read_icp`, `SqlStore::connections`, a list page's `list_sql` and its rows
//!   (`PageRow`, `page_of`);
//! - `Writes` (its `ApplyWrite`), `insert_many` and `write_members` (its batch inserts), `Search`
//!   (a statement stopped at the search limit), `where_is` (a mover's workspace, locked where
//!   moves race), `lost_race` (how a lost update reads);
//! - the few fragments whose SQL differs (`SQL`, a `Dialect`) and how a list of ids is bound
//!   (`id_list`).
//!
//! Why not generic functions over `sqlx::Database`: each statement would carry bounds for every
//! type it binds and reads (`for<'q> T: Encode<'q, DB> + Type<DB>`, the executor's, the row's),
//! which Rust does not imply from a trait; a macro would work but leave the code unformatted.

mod audit;
mod email_tokens;
mod events;
mod history;
mod idempotency;
mod sign_up_refusals;
mod tokens;
mod webhooks;
mod workspaces;
pub(super) mod writes;

// SQLite's inserts write their events with these; Postgres's copy of this module has them unused
// (its insert statement writes them).
#[allow(unused_imports)]
pub(super) use events::{bind_event, write_events, INSERT as EVENTS};
// Only SQLite's plan test uses it; Postgres's copy of this module has it unused.
#[cfg(test)]
#[allow(unused_imports)]
pub(super) use webhooks::fan_out_sql;

use super::{list_sql, page_of, Db, PageRow, Writes};
use crate::domain::{Icp, Timestamp, UserId};
use crate::store::group_commit::{apply_alone, icp_json, GroupCommit, IcpWrite, Written};
use crate::store::list::{count_sql, ListFilter, Listed, SearchLimit};
use crate::store::memo::TokenOwners;
use crate::store::reads::{PageKey, ReadCache};
use crate::store::search_text::like_anywhere;
use crate::store::{
    ApiToken, Change, IcpJson, ListCursor, NewToken, Pools, SortKey, Store, StoreError,
    StoreResult, TokenOwner, User, UserRecord, Version, Workspace,
};
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::query::QueryAs;
use sqlx::{Database, Pool};
use std::sync::Arc;
use uuid::Uuid;

use workspaces::create_workspace;

/// A store on one database (`SqliteStore`, `PgStore`): its connections, its ICP writers and what
/// it remembers.
#[derive(Clone)]
pub struct SqlStore {
    /// Where reads go. On SQLite a pool of read-only connections; on Postgres the one pool.
    pub(super) reader: Pool<Db>,
    /// Where writes go. On SQLite the one connection that writes (it admits one writer at a time).
    pub(super) writer: Pool<Db>,
    /// Where reads of every ICP go (see `Store::every_icp_page`). On SQLite one reader, so one such
    /// read after another use one connection, its one page cache and thread, not all eight.
    pub(super) long_reader: Pool<Db>,
    /// `None`: each ICP write commits alone (`WriteMode::PerWrite`).
    pub(super) icp_writes: Option<GroupCommit>,
    /// Who each API token belongs to (see `memo`).
    pub(super) tokens: Arc<TokenOwners>,
    /// What `icp`/`list_icps` gave, for reads (see `reads`).
    pub(super) reads: Arc<ReadCache>,
    /// How long a search may run (see `Search`).
    pub(super) search_limit: Arc<SearchLimit>,
}

/// The connections a `SqlStore` is made of.
pub(super) struct Connections {
    pub reader: Pool<Db>,
    pub writer: Pool<Db>,
    pub long_reader: Pool<Db>,
}

/// The SQL that is not the same on both databases.
pub(super) struct Dialect {
    /// `i` is shared with everyone in its owner's workspace (as the partial index says it).
    pub everyone: &'static str,
    /// An ICP's `updated_at` moved on by a change of its members at `$3`: later than before,
    /// always.
    pub later: &'static str,
    /// What follows a parameter holding JSON text bound for a JSON column.
    pub json: &'static str,
    /// What goes before and after the parameter holding `id_list` for "is one of them".
    pub in_list: (&'static str, &'static str),
    /// Events are read (and turned into deliveries) only below this position's `xid`: on
    /// Postgres, the oldest transaction still running (see `store::events`); SQLite, one writer,
    /// has none.
    pub horizon: Option<&'static str>,
    /// Whether rows read to be claimed are locked (`FOR UPDATE`, `SKIP LOCKED`): on Postgres,
    /// where several instances claim at once.
    pub locks: bool,
    /// Endpoint `w` asked for the type of event `e` (its `events` holds it, or `"*"`).
    pub subscribed: &'static str,
    /// Every event's `xid` is the same (SQLite: 0), so positions compare by `seq` alone: SQLite
    /// searches an index by a row value's first column only, so `(xid, seq) > (…)` would read
    /// every event from the first.
    pub one_xid: bool,
    /// How a multi-row `INSERT`'s parameters are written (`batch::Inserts`).
    pub params: crate::store::batch::Params,
}

impl Dialect {
    /// "`alias`'s position is after (`xid`, `seq`)" (two expressions): an index range on
    /// `(xid, seq)` on both databases.
    fn after(&self, alias: &str, (xid, seq): (&str, &str)) -> String {
        if self.one_xid {
            format!("{alias}.xid = {xid} AND {alias}.seq > {seq}")
        } else {
            format!("({alias}.xid, {alias}.seq) > ({xid}, {seq})")
        }
    }

    /// "`alias`'s position is at or before (`xid`, `seq`)".
    fn up_to(&self, alias: &str, (xid, seq): (&str, &str)) -> String {
        if self.one_xid {
            format!("{alias}.xid = {xid} AND {alias}.seq <= {seq}")
        } else {
            format!("({alias}.xid, {alias}.seq) <= ({xid}, {seq})")
        }
    }

    /// "`alias`'s event is below the horizon", to add to a `WHERE`.
    fn below_horizon(&self, alias: &str) -> String {
        self.horizon
            .map(|horizon| format!(" AND {alias}.xid < {horizon}"))
            .unwrap_or_default()
    }

    /// What ends a `SELECT` of rows to lock (`of`: the table's alias, "" for all; `skip`: pass
    /// over rows another transaction holds).
    fn locking(&self, of: &str, skip: bool) -> String {
        match (self.locks, of, skip) {
            (false, ..) => String::new(),
            (true, "", false) => " FOR UPDATE".into(),
            (true, of, skip) => format!(
                " FOR UPDATE OF {of}{}",
                if skip { " SKIP LOCKED" } else { "" }
            ),
        }
    }

    /// "Is one of the ids bound at `param`".
    fn in_list(&self, param: &str) -> String {
        let (before, after) = self.in_list;
        format!("{before}{param}{after}")
    }
}

/// A statement of this database with its values bound, reading rows as `O`.
type Query<'q, O> = QueryAs<'q, Db, O, <Db as Database>::Arguments<'q>>;

/// A statement of this database with its values bound, reading no rows.
type Statement<'q> = sqlx::query::Query<'q, Db, <Db as Database>::Arguments<'q>>;

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Binds a filter's values to `query` in `list::filter_sql`'s order, the instant `active` is judged
/// at being now.
fn bind_filter<'q, O>(mut query: Query<'q, O>, filter: &'q ListFilter) -> Query<'q, O> {
    if let Some(user) = &filter.shared_with {
        query = query.bind(user);
    }
    if let Some(owned) = &filter.owned {
        query = query.bind(owned.user());
    }
    if filter.active.is_some() {
        query = query.bind(Timestamp::now());
    }
    for (index, word) in filter.words.iter().enumerate() {
        query = query.bind(like_anywhere(word));
        for person in filter.people.get(index).into_iter().flatten() {
            query = query.bind(person);
        }
    }
    query
}

/// Brings the schema up to date (`migrations`) and fills in what a migration left to the code.
pub(super) async fn migrate(pool: &Pool<Db>, migrations: &Migrator) -> StoreResult<()> {
    migrations.run(pool).await?;
    writes::backfill_search_text(pool).await
}

impl SqlStore {
    pub(super) fn new(
        pools: Connections,
        icp_writes: Option<GroupCommit>,
        reads: ReadCache,
    ) -> Self {
        Self {
            reader: pools.reader,
            writer: pools.writer,
            long_reader: pools.long_reader,
            icp_writes,
            tokens: Arc::default(),
            reads: Arc::new(reads),
            search_limit: Arc::default(),
        }
    }

    /// A page of `list_icps` read through `pool` (see `list::page_ctes`): the member, the limit and
    /// one more, the cursor, then the filter's values. A page that scans runs as a `Search`.
    async fn list_page(&self, pool: &Pool<Db>, page: &PageKey) -> StoreResult<Listed> {
        let PageKey {
            member,
            filter,
            after,
            limit,
        } = page;
        let sql = list_sql(filter, after.is_some());
        let mut query = sqlx::query_as::<_, PageRow>(&sql)
            .bind(member)
            .bind(i64::from(*limit) + 1);
        if let Some(cursor) = after {
            query = match &cursor.key {
                SortKey::Created(at) | SortKey::Updated(at) => query.bind(*at),
                SortKey::Name(name) => query.bind(name),
            }
            .bind(cursor.id);
        }
        let query = bind_filter(query, filter);
        let rows = if !filter.scans() {
            query.fetch_all(pool).await?
        } else {
            let mut search = super::Search::start(pool, self.search_limit.get()).await?;
            let rows = query.fetch_all(search.connection()).await;
            search.done(rows).await?
        };
        page_of(rows)
    }

    /// Runs `statement` on the writer: a write whose only answer is that it was done.
    async fn write(&self, statement: Statement<'_>) -> StoreResult<()> {
        statement.execute(&self.writer).await?;
        Ok(())
    }

    /// Commits `write`, then forgets what it touched (also when it failed: it may have committed).
    async fn write_icp(&self, write: IcpWrite) -> StoreResult<Written> {
        let touched = write.ids();
        let written = match &self.icp_writes {
            Some(group) => group.submit(write).await,
            None => apply_alone::<Writes>(&self.writer, &write).await,
        };
        self.reads.changed(&touched);
        written
    }

    /// Runs `delete`, whose `$1` is a time, with `before`: a purge of what is older; how many rows
    /// it deleted.
    async fn delete_older(&self, delete: &'static str, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(delete)
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        workspace: &Workspace,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(password_hash)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict("a user with this email"))
            }
            other => other?,
        };
        create_workspace(&mut tx, workspace, &user.id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let row: Option<(UserId, String, String, String)> =
            sqlx::query_as("SELECT id, email, name, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(id, email, name, password_hash)| UserRecord {
            user: User { id, email, name },
            password_hash,
        }))
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT email, name FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(email, name)| User {
            id: id.clone(),
            email,
            name,
        }))
    }

    async fn set_password(&self, user: &UserId, password_hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_token(&self, token: NewToken<'_>) -> StoreResult<()> {
        tokens::insert(self, token).await
    }

    async fn live_token(&self, token_hash: &[u8]) -> StoreResult<Option<TokenOwner>> {
        tokens::live(self, token_hash).await
    }

    async fn revoke_token(&self, user: &UserId, id: Uuid) -> StoreResult<bool> {
        tokens::revoke(self, user, id).await
    }

    async fn tokens(&self, user: &UserId) -> StoreResult<Vec<ApiToken>> {
        tokens::list(&self.reader, user).await
    }

    async fn insert_icp(&self, icp: Arc<Icp>, change: &Change) -> StoreResult<IcpJson> {
        // Written here, by the requester, not on the writer (SQLite's one).
        let json = icp_json(&icp)?;
        self.write_icp(IcpWrite::Insert(icp, change.clone(), json.clone()))
            .await?;
        Ok(json)
    }

    async fn insert_icps(&self, icps: Vec<Icp>, change: &Change) -> StoreResult<()> {
        self.write_icp(IcpWrite::InsertAll(icps, change.clone()))
            .await?;
        Ok(())
    }

    async fn icp(&self, id: Uuid) -> StoreResult<Option<Icp>> {
        self.read_icp(id).await
    }

    async fn list_icps(&self, page: &PageKey) -> StoreResult<Listed> {
        self.list_page(&self.reader, page).await
    }

    async fn every_icp_page(
        &self,
        member: &UserId,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Listed> {
        let every = PageKey::every(member, after, limit);
        self.list_page(&self.long_reader, &every).await
    }

    async fn count_icps(&self, member: &UserId, filter: &ListFilter) -> StoreResult<u64> {
        let sql = count_sql(filter);
        let query = bind_filter(sqlx::query_as::<_, (i64,)>(&sql).bind(member), filter);
        let (count,) = if filter.words.is_empty() {
            query.fetch_one(&self.reader).await?
        } else {
            let mut search = super::Search::start(&self.reader, self.search_limit.get()).await?;
            let found = query.fetch_one(search.connection()).await;
            search.done(found).await?
        };
        u64::try_from(count).map_err(|_| StoreError::Corrupt(format!("bad count {count}")))
    }

    async fn update_icp(&self, icp: &Icp, previous: &Icp, change: &Change) -> StoreResult<()> {
        self.write_icp(IcpWrite::Update {
            icp: icp.clone(),
            previous: Box::new(previous.clone()),
            change: change.clone(),
        })
        .await?;
        Ok(())
    }

    async fn delete_icp(&self, icp: &Icp, change: &Change) -> StoreResult<bool> {
        let written = self
            .write_icp(IcpWrite::Delete(icp.clone(), change.clone()))
            .await?;
        Ok(written == Written::Deleted(true))
    }

    async fn versions(
        &self,
        id: Uuid,
        before: Option<u32>,
        limit: u32,
    ) -> StoreResult<Vec<Version>> {
        history::versions(&self.reader, id, before, limit).await
    }

    async fn deleted_icps(&self, owner: &UserId, since: Timestamp) -> StoreResult<Vec<Version>> {
        history::deleted(&self.reader, owner, since).await
    }

    fn reads(&self) -> &ReadCache {
        &self.reads
    }

    fn pools(&self) -> Pools {
        self.connections()
    }

    fn search_limit(&self) -> std::time::Duration {
        self.search_limit.get()
    }

    fn set_search_limit(&self, limit: std::time::Duration) {
        self.search_limit.set(limit);
    }
}
