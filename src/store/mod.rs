//! Storage: one interface, a SQLite and a Postgres implementation, each using its database natively.

mod audit;
mod batch;
mod columns;
mod criteria_text;
mod email_tokens;
mod events;
mod group_commit;
mod history;
mod idempotency;
mod list;
mod memo;
mod ops;
mod postgres;
mod reads;
pub(crate) mod search_text;
mod sign_up_refusals;
mod sqlite;
mod webhooks;
mod workspaces;

pub use audit::{Audit, AuditEntry, AuditKind, AuditPage, AuditQuery, Record, KEPT as AUDIT_KEPT};
pub use email_tokens::{Confirmed, EmailPurpose, EmailTokens, LiveEmailToken, NewEmailToken};
pub use events::{Events, EventsPage, KEPT as EVENTS_KEPT};
pub use group_commit::WriteMode;
pub use history::{Change, Version, VersionAction};
pub use idempotency::{Claim, Idempotency, KeyUse, UserKey};
pub use list::{ListFilter, ListOrder, Listed, Owned, SearchLimit, PAGE_BYTES, PEOPLE_PER_WORD};
pub use memo::set_budget as set_cache_budget;
pub use ops::{backup, readiness, BackupError};
pub use postgres::{PgStore, PgTries};
pub use reads::{CachedIcp, Page, PageKey, ReadCache};
pub use search_text::{fold, people_named};
pub use sign_up_refusals::{
    stored_email as refused_email, InvitingWorkspace, NewRefusal, RefusalReason, SignUpRefusals,
    StoredRefusal, ThroughInvitation, KEPT as REFUSALS_KEPT, MAX_KEPT as REFUSALS_MAX_KEPT,
};
pub use sqlite::SqliteStore;
pub use webhooks::{
    Attempt, Claimed, Delivery, DeliveryState, HookChange, HookRef, NewWebhook, Outcome, Webhook,
    Webhooks,
};
pub use workspaces::{
    Acting, Destination, Invitation, Member, Membership, Role, Workspace, WorkspaceId, Workspaces,
};

pub use crate::account::{ApiToken, TokenScope};

use crate::domain::{Icp, Timestamp, UserId};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The default database: a SQLite file under `./data/`, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/icp-builder.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("the row changed since it was read")]
    Stale,
    /// The database refused an ICP write because its author is a viewer (the
    /// `icp_versions_by_writers` trigger, in the write's own transaction).
    #[error("a viewer changes no ICP")]
    ReadOnly,
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// Stored JSON that does not read as its type, or a value that does not write as JSON.
    #[error("stored JSON is unreadable")]
    Json(#[from] serde_json::Error),
    /// The ICP writer task has stopped (the runtime is shutting down, or it failed).
    #[error("the ICP writer has stopped")]
    WriterGone,
    /// The transaction this write shared with others could not commit: none of them is stored.
    #[error("the batch of ICP writes failed")]
    BatchFailed(#[source] Arc<sqlx::Error>),
    #[error("unsupported DATABASE_URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// A search ran past its limit (the request's) and was stopped.
    #[error("the search took too long and was stopped")]
    SearchStopped,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the `icp_versions_by_writers` triggers (migration 0021) say when they refuse a viewer's
/// write: the error that carries it is `StoreError::ReadOnly`.
pub const VIEWER_REFUSED: &str = "icp-builder: a viewer changes no ICP";

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.message().contains(VIEWER_REFUSED) => {
                StoreError::ReadOnly
            }
            _ => StoreError::Database(error),
        }
    }
}

/// A person who can sign in or own API tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

/// A user as stored, with the password hash that only sign-in reads.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

/// An API token to store: its id, its owner, the label they gave it, what it may do, when it
/// expires (`None`: never) and the SHA-256 hash of the token (never the token itself).
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub id: Uuid,
    pub user: &'a UserId,
    pub label: &'a str,
    pub scope: TokenScope,
    pub expires_at: Option<Timestamp>,
    pub token_hash: &'a [u8],
}

/// Who a live (unrevoked, unexpired) API token belongs to, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub user: UserId,
    pub scope: TokenScope,
}

/// Where a page of the ICP list starts: after this ICP (its id) and its key in the list's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListCursor {
    pub key: SortKey,
    pub id: Uuid,
}

/// An ICP's place in one `ListOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortKey {
    Created(Timestamp),
    Updated(Timestamp),
    /// `search_text::name_key` of its name.
    Name(String),
}

impl ListCursor {
    /// The cursor after `icp` in a list ordered by `order`.
    pub fn of(icp: &Icp, order: ListOrder) -> Self {
        let key = match order {
            ListOrder::Created => SortKey::Created(icp.created_at),
            ListOrder::Updated => SortKey::Updated(icp.updated_at),
            ListOrder::Name => SortKey::Name(search_text::name_key(&icp.name)),
        };
        Self { key, id: icp.id }
    }

    /// The order this cursor walks.
    pub fn order(&self) -> ListOrder {
        match self.key {
            SortKey::Created(_) => ListOrder::Created,
            SortKey::Updated(_) => ListOrder::Updated,
            SortKey::Name(_) => ListOrder::Name,
        }
    }

    /// Opaque to callers: `<millis>-<uuid>` in the created order (the API's cursor, unchanged),
    /// `u<millis>-<uuid>` by update, `n<uuid>-<name key>` by name.
    pub fn encode(&self) -> String {
        let id = self.id.simple();
        match &self.key {
            SortKey::Created(at) => format!("{}-{id}", at.millis()),
            SortKey::Updated(at) => format!("u{}-{id}", at.millis()),
            SortKey::Name(name) => format!("n{id}-{name}"),
        }
    }

    /// A cursor of a list ordered by `order`; `None` when `raw` is not one (mangled, or another
    /// order's).
    pub fn decode(raw: &str, order: ListOrder) -> Option<Self> {
        let instant = |raw: &str| -> Option<(Timestamp, Uuid)> {
            let (millis, id) = raw.split_once('-')?;
            Some((
                Timestamp::from_millis(millis.parse().ok()?)?,
                Uuid::try_parse(id).ok()?,
            ))
        };
        let (key, id) = match order {
            ListOrder::Created if raw.starts_with(|c: char| c.is_ascii_digit()) => {
                let (at, id) = instant(raw)?;
                (SortKey::Created(at), id)
            }
            ListOrder::Updated => {
                let (at, id) = instant(raw.strip_prefix('u')?)?;
                (SortKey::Updated(at), id)
            }
            ListOrder::Name => {
                let (id, name) = raw.strip_prefix('n')?.split_once('-')?;
                (SortKey::Name(name.to_owned()), Uuid::try_parse(id).ok()?)
            }
            ListOrder::Created => return None,
        };
        Some(Self { key, id })
    }
}

/// What the app keeps: users, their API tokens and the ICPs.
#[async_trait]
pub trait Store:
    Workspaces
    + Audit
    + SignUpRefusals
    + Idempotency
    + Events
    + Webhooks
    + EmailTokens
    + Send
    + Sync
    + 'static
{
    /// Creates the user as the owner of a new `workspace`, atomically. Fails with `Conflict` when
    /// the email is taken.
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        workspace: &Workspace,
    ) -> StoreResult<()>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// Replaces `user`'s password hash; false when there is no such user.
    async fn set_password(&self, user: &UserId, password_hash: &str) -> StoreResult<bool>;

    /// Stores a token's SHA-256 hash (never the token).
    async fn create_token(&self, token: NewToken<'_>) -> StoreResult<()>;
    /// The owner and scope of the live token with this hash: unrevoked, and not past its expiry
    /// (checked at every call, also when the answer was remembered). Notes that it was used, at
    /// most once a minute (`memo::LAST_USE_EVERY`), so a request usually writes nothing.
    async fn live_token(&self, token_hash: &[u8]) -> StoreResult<Option<TokenOwner>>;
    /// Revokes a token of `user`; false when there is no such live token.
    async fn revoke_token(&self, user: &UserId, id: Uuid) -> StoreResult<bool>;
    /// Every token of `user`, revoked ones included, newest first.
    async fn tokens(&self, user: &UserId) -> StoreResult<Vec<ApiToken>>;

    /// Inserts an ICP and its members atomically, with its version; durable once this returns.
    /// Gives the ICP's JSON text (`IcpJson`), made once for its version and its event, so an
    /// answer need not write it again.
    async fn insert_icp(&self, icp: Arc<Icp>, change: &Change) -> StoreResult<IcpJson>;
    /// Inserts several ICPs (each with its members and version) in one transaction: all or none.
    async fn insert_icps(&self, icps: Vec<Icp>, change: &Change) -> StoreResult<()>;
    async fn icp(&self, id: Uuid) -> StoreResult<Option<Icp>>;
    /// The page `page` asks for: up to its `limit` ICPs shared with its `member` that its `filter`
    /// lets through, in the filter's order, after its cursor, fewer when `list::PAGE_BYTES` of them
    /// ended the page: one index range scan, whatever the member's ICP count (a filter skips rows
    /// on the way).
    async fn list_icps(&self, page: &PageKey) -> StoreResult<Listed>;
    /// A page of every ICP shared with `member`, as `list_icps` gives it unfiltered, for a read
    /// that goes through all of them (the list of every ICP, the export). A store may serve such
    /// pages from a connection of their own, so one long read neither opens nor fills every reader.
    async fn every_icp_page(
        &self,
        member: &UserId,
        after: Option<ListCursor>,
        limit: u32,
    ) -> StoreResult<Listed>;
    /// How many ICPs shared with `member` `filter` lets through (unfiltered: counted in the
    /// membership index alone).
    async fn count_icps(&self, member: &UserId, filter: &ListFilter) -> StoreResult<u64>;
    /// Replaces an ICP if it is still as `previous` (as last read); `Stale` otherwise. Records the
    /// change as a version (and `previous` as the baseline when the ICP has no version yet).
    async fn update_icp(&self, icp: &Icp, previous: &Icp, change: &Change) -> StoreResult<()>;
    /// Deletes an ICP if it is still as `icp` (`Stale` if it changed since), recording the deletion
    /// as a version. False when there was nothing to delete.
    async fn delete_icp(&self, icp: &Icp, change: &Change) -> StoreResult<bool>;
    /// Up to `limit` of an ICP's versions older than version `before` (None: from the newest),
    /// newest first (also of a deleted ICP).
    async fn versions(
        &self,
        id: Uuid,
        before: Option<u32>,
        limit: u32,
    ) -> StoreResult<Vec<Version>>;
    /// ICPs `owner` deleted since `since`, each as its deletion version, newest first (those
    /// restored since are left out).
    async fn deleted_icps(&self, owner: &UserId, since: Timestamp) -> StoreResult<Vec<Version>>;

    /// ICPs and list pages remembered for reading, kept exact by this store's writes (`reads`).
    fn reads(&self) -> &ReadCache;

    /// The connections behind this store, for the parts of the app that keep their own tables in
    /// the same database (browser sessions, sign-in attempts).
    fn pools(&self) -> Pools;

    /// How long a search may run (the request time limit); `AppState::new` sets the server's.
    fn search_limit(&self) -> std::time::Duration;
    fn set_search_limit(&self, limit: std::time::Duration);
}

/// Sign-in attempts counted where every instance on one database sees them (Postgres:
/// `PgTries`); the limits are the caller's (`auth::limiter`).
#[async_trait]
pub trait Tries: Send + Sync {
    /// Atomically, for each `(key, limit)`: forgets its attempts older than `window`; when none
    /// has `limit` attempts left in it, counts one attempt against each (`Ok(id)`), else counts
    /// nothing and says how long until the fullest key has room (`Err(wait)`).
    async fn reserve(
        &self,
        keys: &[(String, usize)],
        window: Duration,
    ) -> StoreResult<Result<Uuid, Duration>>;
    /// Forgets every attempt of the `forgiven` keys, and attempt `attempt` of the `returned` ones.
    async fn give_back(
        &self,
        attempt: Uuid,
        forgiven: &[String],
        returned: &[String],
    ) -> StoreResult<()>;
}

/// The database connections of a store.
#[derive(Debug, Clone)]
pub enum Pools {
    /// SQLite admits one writer: `writer` is the one connection that writes, `readers` never do.
    Sqlite {
        readers: sqlx::SqlitePool,
        writer: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

pub type DynStore = Arc<dyn Store>;

/// Opens (creating if needed) and migrates the database that `url` names.
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

/// Reads a JSON column back into its typed form.
fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> StoreResult<T> {
    Ok(serde_json::from_value(value)?)
}

/// An ICP's JSON text as `serde_json` writes an `Icp` (the API's form): written once per insert
/// (by the requester, not on a writer), then stored as its first version's `icp`, spliced into its
/// event and answered, shared rather than copied.
pub type IcpJson = Arc<serde_json::value::RawValue>;

/// An ICP's stored member ids, checked.
fn member_ids(ids: &[String]) -> StoreResult<Vec<UserId>> {
    ids.iter().map(|id| user_id(id)).collect()
}

/// An ICP's stored `leads_per_list`, checked.
fn leads_per_list(stored: i64) -> StoreResult<u16> {
    u16::try_from(stored).map_err(|_| StoreError::Corrupt("leads_per_list out of range".into()))
}

fn user_id(raw: &str) -> StoreResult<UserId> {
    UserId::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("bad user id {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse` reads back the `as_str` of every member of a closed set the store keeps as text,
    /// and not `unknown`.
    macro_rules! assert_read_back {
        ($set:ident, $unknown:literal) => {
            for member in $set::ALL {
                assert_eq!($set::parse(member.as_str()), Some(member), "{member:?}");
            }
            assert_eq!($set::parse($unknown), None);
        };
    }

    #[test]
    fn closed_sets_read_back_as_written() {
        assert_read_back!(AuditKind, "member.promoted");
        assert_read_back!(RefusalReason, "closed");
    }

    #[test]
    fn cursors_round_trip_in_their_own_order_only() {
        let at = Timestamp::parse("2024-01-15T10:30:00.123Z").unwrap();
        let id = Uuid::now_v7();
        let cursors = [
            ListCursor {
                key: SortKey::Created(at),
                id,
            },
            ListCursor {
                key: SortKey::Updated(at),
                id,
            },
            ListCursor {
                key: SortKey::Name("dach - it-leiter".into()),
                id,
            },
        ];
        for cursor in &cursors {
            let raw = cursor.encode();
            for order in [ListOrder::Created, ListOrder::Updated, ListOrder::Name] {
                let decoded = ListCursor::decode(&raw, order);
                if order == cursor.order() {
                    assert_eq!(decoded.as_ref(), Some(cursor), "{raw}");
                } else {
                    assert_eq!(decoded, None, "{raw} read as {order:?}");
                }
            }
        }
        // The API's cursor is what it was.
        assert_eq!(
            cursors[0].encode(),
            format!("{}-{}", at.millis(), id.simple())
        );
        assert_eq!(ListCursor::decode("nonsense", ListOrder::Created), None);
        assert_eq!(ListCursor::decode("12-notauuid", ListOrder::Created), None);
    }
}
