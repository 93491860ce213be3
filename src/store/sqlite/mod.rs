//! The SQLite store: WAL, foreign keys, a busy timeout and `synchronous=FULL` (a commit is on disk
//! before a 201). Writes go through one connection, reads through a pool: SQLite admits one writer at
//! a time, and queueing in the pool is cheaper than contending on the file lock. ICP writes share
//! that connection's commits through the group-commit writer (`group_commit.rs`).

mod history;
mod idempotency;
mod list_page;
mod rows;
mod search;
mod teams;
mod writes;

pub(super) use writes::SqliteWrites;

use rows::{from_text, instant, IcpJson};
use search::Search;

use super::group_commit::{apply_alone, GroupCommit, IcpWrite, WriteMode, Written};
use super::list::{bind_filter, count_sql, ListFilter, Listed, Sigil};
use super::memo::TokenOwners;
use super::reads::ReadCache;
use super::{
    user_id, ApiToken, Change, ListCursor, Pools, Store, StoreError, StoreResult, User, UserRecord,
    Version, Workspace,
};
use crate::domain::{Icp, Timestamp, UserId};
use async_trait::async_trait;
use list_page::list_page;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    /// One reader for reads of every ICP (see `Store::every_icp_page`): one such read after another
    /// use this one connection, its one page cache and thread, rather than opening all eight.
    long_reads: SqlitePool,
    /// `None`: each ICP write commits alone (`WriteMode::PerWrite`).
    icp_writes: Option<GroupCommit>,
    /// Who each API token belongs to (see `memo`).
    tokens: Arc<TokenOwners>,
    /// What `icp`/`list_icps` gave, for reads (see `reads`).
    reads: Arc<ReadCache>,
}

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
const ICP_BY_ID: &str = concat!("SELECT ", icp_object!(), " FROM icps i WHERE i.id = ?");
pub(super) const ICP_OBJECT: &str = icp_object!();

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        writes::backfill_search_text(&writer).await?;
        // Each reader keeps a page cache of 1 MiB (SQLite's default is 2 MB): eight of them fill
        // on the first long read (every ICP listed), and they are most of what such a read keeps.
        // (Four readers on two cores made a page under parallel tests wait out the pool's 30 s:
        // some request holds more than one reader at once; not yet found.)
        let reader = options.read_only(true).pragma("cache_size", "-1024");
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(reader.clone())
            .await?;
        let long_reads = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(reader);
        let icp_writes = match mode {
            // One writer: the pool has one connection, and a second would only wait for it.
            WriteMode::GroupCommit { .. } => {
                Some(GroupCommit::spawn::<SqliteWrites>(writer.clone(), 1))
            }
            WriteMode::PerWrite => None,
        };
        Ok(Self {
            writer,
            readers,
            long_reads,
            icp_writes,
            tokens: Arc::default(),
            // One server per SQLite file: every change goes through this store.
            reads: Arc::new(ReadCache::live()),
        })
    }

    /// Commits `write`, then forgets what it touched (also when it failed: it may have committed).
    async fn write_icp(&self, write: IcpWrite) -> StoreResult<Written> {
        let touched = write.ids();
        let written = match &self.icp_writes {
            Some(group) => group.submit(write).await,
            None => apply_alone::<SqliteWrites>(&self.writer, &write).await,
        };
        self.reads.changed(&touched);
        written
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        workspace: &Workspace,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES (?, ?, ?, ?)")
                .bind(user.id.as_str())
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
        teams::create_workspace(&mut tx, workspace, &user.id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, user: &UserId, password_hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let row: Option<(String, String, String, String)> =
            sqlx::query_as("SELECT id, email, name, password_hash FROM users WHERE email = ?")
                .bind(email)
                .fetch_optional(&self.readers)
                .await?;
        row.map(|(id, email, name, password_hash)| {
            Ok(UserRecord {
                user: User {
                    id: user_id(&id)?,
                    email,
                    name,
                },
                password_hash,
            })
        })
        .transpose()
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT email, name FROM users WHERE id = ?")
                .bind(id.as_str())
                .fetch_optional(&self.readers)
                .await?;
        Ok(row.map(|(email, name)| User {
            id: id.clone(),
            email,
            name,
        }))
    }

    async fn create_token(
        &self,
        id: Uuid,
        user: &UserId,
        label: &str,
        token_hash: &[u8],
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO api_tokens (id, user_id, label, token_hash) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(user.as_str())
            .bind(label)
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn user_by_token_hash(&self, token_hash: &[u8]) -> StoreResult<Option<UserId>> {
        let lookup = sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.readers);
        self.tokens.owner(token_hash, lookup).await
    }

    async fn revoke_token(&self, user: &UserId, id: Uuid) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(id)
        .bind(user.as_str())
        .execute(&self.writer)
        .await?;
        self.tokens.forget_all();
        Ok(done.rows_affected() == 1)
    }

    async fn tokens(&self, user: &UserId) -> StoreResult<Vec<ApiToken>> {
        let rows: Vec<(Uuid, String, i64, bool)> = sqlx::query_as(
            "SELECT id, label, created_at, revoked_at IS NOT NULL FROM api_tokens \
             WHERE user_id = ? ORDER BY created_at DESC, id DESC",
        )
        .bind(user.as_str())
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(id, label, created_at, revoked)| {
                Ok(ApiToken {
                    id,
                    label,
                    created_at: instant(created_at)?,
                    revoked,
                })
            })
            .collect()
    }

    async fn insert_icp(&self, icp: &Icp, change: &Change) -> StoreResult<()> {
        self.write_icp(IcpWrite::Insert(icp.clone(), change.clone()))
            .await?;
        Ok(())
    }

    async fn insert_icps(&self, icps: Vec<Icp>, change: &Change) -> StoreResult<()> {
        self.write_icp(IcpWrite::InsertAll(icps, change.clone()))
            .await?;
        Ok(())
    }

    async fn icp(&self, id: Uuid) -> StoreResult<Option<Icp>> {
        let text: Option<String> = sqlx::query_scalar(ICP_BY_ID)
            .bind(id)
            .fetch_optional(&self.readers)
            .await?;
        text.map(|text| Icp::try_from(from_text::<IcpJson>(&text)?))
            .transpose()
    }

    async fn list_icps(
        &self,
        member: &UserId,
        filter: &ListFilter,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Listed> {
        list_page(&self.readers, member, filter, after, limit).await
    }

    async fn every_icp_page(
        &self,
        member: &UserId,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Listed> {
        let filter = ListFilter::default();
        list_page(&self.long_reads, member, &filter, after, limit).await
    }

    async fn count_icps(&self, member: &UserId, filter: &ListFilter) -> StoreResult<u64> {
        let sql = count_sql(filter, Sigil::Question);
        let query = sqlx::query_scalar::<_, i64>(&sql).bind(member.as_str());
        let query = bind_filter!(query, filter, Timestamp::now().millis());
        let count = if filter.words.is_empty() {
            query.fetch_one(&self.readers).await?
        } else {
            let mut search = Search::start(&self.readers).await?;
            let found = query.fetch_one(search.connection()).await;
            search.done(found)?
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
        history::versions(&self.readers, id, before, limit).await
    }

    async fn deleted_icps(&self, owner: &UserId, since: Timestamp) -> StoreResult<Vec<Version>> {
        history::deleted(&self.readers, owner, since).await
    }

    fn reads(&self) -> &ReadCache {
        &self.reads
    }

    fn pools(&self) -> Pools {
        Pools::Sqlite {
            readers: self.readers.clone(),
            writer: self.writer.clone(),
        }
    }
}

/// A new database file with foreign keys on and no migrations run, for tests that build an older
/// schema on it and migrate it; the file goes with the directory.
#[cfg(test)]
async fn empty_database() -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    (dir, SqlitePool::connect_with(options).await.unwrap())
}

#[cfg(test)]
mod tests {
    use super::list_page::list_sql;
    use super::*;

    /// What SQLite plans for `sql` (parameters unbound: the plan does not depend on them).
    async fn plan(store: &SqliteStore, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&store.readers)
                .await
                .unwrap();
        rows.into_iter()
            .map(|(_, _, _, detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_membership_migration_copies_each_icps_creation_instant() {
        let (_dir, pool) = empty_database().await;
        sqlx::raw_sql(include_str!("../../../migrations/sqlite/0001_init.sql"))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, leads_per_list, \
             created_at, updated_at) VALUES (x'01', 'a', '[]', '[]', 20, 1000, 5000), \
             (x'02', 'b', '[]', '[]', 20, 2000, 2000); \
             INSERT INTO icp_members (icp_id, user_id, position) VALUES \
             (x'01', 'user_a', 0), (x'01', 'user_b', 1), (x'02', 'user_b', 0);",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::raw_sql(include_str!(
            "../../../migrations/sqlite/0002_member_created_at.sql"
        ))
        .execute(&pool)
        .await
        .unwrap();
        let rows: Vec<(Vec<u8>, String, i64, i64)> = sqlx::query_as(
            "SELECT icp_id, user_id, position, created_at FROM icp_members ORDER BY icp_id, position",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![
                (vec![1], "user_a".into(), 0, 1000),
                (vec![1], "user_b".into(), 1, 1000),
                (vec![2], "user_b".into(), 0, 2000),
            ]
        );
        // Deleting an ICP still removes its members (the rebuilt table kept its foreign key).
        sqlx::query("DELETE FROM icps WHERE id = x'01'")
            .execute(&pool)
            .await
            .unwrap();
        let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM icp_members")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(left, 1);
    }

    #[tokio::test]
    async fn long_versions_and_replies_keep_their_rows_and_leave_overflow_pages() {
        let (_dir, pool) = empty_database().await;
        let before = [
            include_str!("../../../migrations/sqlite/0001_init.sql"),
            include_str!("../../../migrations/sqlite/0002_member_created_at.sql"),
            include_str!("../../../migrations/sqlite/0003_workspaces.sql"),
            include_str!("../../../migrations/sqlite/0004_owners_and_history.sql"),
            include_str!("../../../migrations/sqlite/0005_share_with_everyone.sql"),
            include_str!("../../../migrations/sqlite/0006_search_text.sql"),
            include_str!("../../../migrations/sqlite/0007_idempotency_keys.sql"),
        ];
        for migration in before {
            sqlx::raw_sql(migration).execute(&pool).await.unwrap();
        }
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

        sqlx::raw_sql(include_str!(
            "../../../migrations/sqlite/0008_rowid_for_long_rows.sql"
        ))
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(overflow("icp_versions").await, 0);
        assert_eq!(overflow("idempotency_keys").await, 0);
        let versions: Vec<(Vec<u8>, i64, String, String)> = sqlx::query_as(
            "SELECT icp_id, version, action, icp FROM icp_versions ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            versions,
            vec![
                (vec![1], 1, "created".into(), icp.clone()),
                (vec![1], 2, "deleted".into(), icp.clone()),
            ]
        );
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
        let deleted: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "EXPLAIN QUERY PLAN SELECT icp_id FROM icp_versions \
             WHERE owner_id = 'user_a' AND action = 'deleted' ORDER BY at DESC",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(
            deleted
                .iter()
                .any(|(.., detail)| detail.contains("icp_versions_deleted")),
            "{deleted:?}"
        );
        sqlx::query("DELETE FROM users WHERE id = 'user_a'")
            .execute(&pool)
            .await
            .unwrap();
        let (keys,): (i64,) = sqlx::query_as("SELECT count(*) FROM idempotency_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
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
        let plan = plan(&store, &count_sql(&ListFilter::default(), Sigil::Question)).await;
        assert_eq!(
            plan,
            "SEARCH icp_members USING COVERING INDEX icp_members_by_user_newest (user_id=?)"
        );
    }
}
