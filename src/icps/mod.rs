//! The ICP use cases — create, read, list, change and delete the ICPs a user may see — shared by the
//! JSON API, the builder's server functions and the no-JavaScript forms. Each caller maps `IcpError`
//! to its own answer.
#![cfg(feature = "ssr")]

mod access;
mod history;
pub mod idempotent;
mod owner;
mod patch;
pub mod transfer;

pub use access::{manages, writer};
pub use history::{deleted, restore_deleted, restore_version, versions, RESTORE_DAYS};
pub use owner::hand_over;
pub use patch::apply_patch;

use crate::domain::{
    validate_draft, validate_parsed, FieldError, Icp, IcpDraft, NulInText, Timestamp, UserId,
};
use crate::store::{
    CachedIcp, Change, IcpJson, ListCursor, ListFilter, ListOrder, Page, PageKey, Store,
    StoreError, VersionAction,
};
use crate::workspaces;
use access::{check_removed_members, reaches};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

/// Why an ICP use case failed. `Store` keeps its cause for the log; callers show only safe text.
#[derive(Debug, thiserror::Error)]
pub enum IcpError {
    /// The body (or the ICP it would make) breaks the rules; every problem at its JSON path.
    #[error("Invalid request body")]
    Invalid(Vec<FieldError>),
    #[error("ICP not found: {0}")]
    NotFound(Uuid),
    /// The ICP exists but is not shared with the caller.
    #[error("You do not have access to ICP {0}")]
    Forbidden(Uuid),
    /// The caller may see the ICP but only its owner may do `what` ("delete it", …).
    #[error("Only the ICP's owner can {what}")]
    OwnerOnly { id: Uuid, what: &'static str },
    /// The caller is a viewer of their workspace: they change no ICP.
    #[error(
        "Viewers cannot change ICPs; ask an owner or admin of your workspace for another role"
    )]
    ReadOnly,
    /// No such version of the ICP, or a deletion too old to restore.
    #[error("{0}")]
    NoVersion(String),
    /// The ICP is no longer the version the client read (its `If-Match`).
    #[error("ICP {0} has changed since you read it; read it again and retry")]
    Changed(Uuid),
    /// A restore of a deleted ICP that exists.
    #[error("ICP {0} is not deleted")]
    NotDeleted(Uuid),
    /// A hand-over to someone outside the owner's workspace.
    #[error("{0} is not a member of your workspace")]
    NotMember(UserId),
    /// An `Idempotency-Key` used before with another body.
    #[error("Idempotency-Key '{0}' was already used with a different request body; use a new key for a different request")]
    KeyReused(String),
    /// The request that holds an `Idempotency-Key` has not finished.
    #[error("A request with Idempotency-Key '{0}' is still being processed; retry in a moment")]
    InFlight(String),
    /// Concurrent updates kept winning the race.
    #[error("ICP {0} is being changed by someone else; try again")]
    Conflict(Uuid),
    /// Never shown to users (they get a generic message); logs carry its whole chain.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IcpError {
    fn from(error: StoreError) -> Self {
        match error {
            // The database refused a viewer's write (the role changed since it was asked).
            StoreError::ReadOnly => IcpError::ReadOnly,
            error => IcpError::Store(error),
        }
    }
}

pub type IcpResult<T> = Result<T, IcpError>;

/// Validates a create body and stores the ICP with the caller among its users (and, `everyone`,
/// every member of the caller's workspace, now and later).
pub async fn create(
    store: &dyn Store,
    user: &UserId,
    body: &Value,
    everyone: bool,
) -> IcpResult<Icp> {
    let id = Uuid::now_v7();
    let (icp, _) = create_with_id(store, user, body, NulInText::Unknown, everyone, id).await?;
    Ok(icp)
}

/// The API's `create` (without "everyone"), with the ICP's JSON text as the API answers it
/// (written once, when it was stored). `nul`: what the body's text told of NULs.
pub async fn create_with_json(
    store: &dyn Store,
    user: &UserId,
    body: &Value,
    nul: NulInText,
) -> IcpResult<(Icp, IcpJson)> {
    create_with_id(store, user, body, nul, false, Uuid::now_v7()).await
}

/// `create_with_json`, giving the ICP this id (chosen before, for an idempotent create).
async fn create_with_id(
    store: &dyn Store,
    user: &UserId,
    body: &Value,
    nul: NulInText,
    everyone: bool,
    id: Uuid,
) -> IcpResult<(Icp, IcpJson)> {
    // A viewer's create is refused by the database, in the insert's transaction (`ReadOnly`): the
    // busiest write asks no question of its own first.
    let draft = validate_parsed(body, nul).map_err(IcpError::Invalid)?;
    check_added_members(store, user, &[], &draft.user_ids, body).await?;
    let draft = draft.with_member(user);
    let now = Timestamp::now();
    let mut icp = draft.into_icp(id, now, now);
    icp.owner = Some(user.clone());
    icp.everyone = everyone;
    if everyone {
        add_everyone(store, user, &mut icp).await?;
    }
    // Shared with the writer, not copied: back whole once it has written it.
    let icp = Arc::new(icp);
    let json = store
        .insert_icp(Arc::clone(&icp), &Change::new(user, VersionAction::Created))
        .await?;
    Ok((Arc::unwrap_or_clone(icp), json))
}

/// Adds every member of `user`'s workspace missing from the ICP's users, in the order they joined.
async fn add_everyone(store: &dyn Store, user: &UserId, icp: &mut Icp) -> IcpResult<()> {
    let members = workspaces::members(store, user).await?;
    for member in members {
        if !icp.user_ids.contains(&member.user.id) {
            icp.user_ids.push(member.user.id);
        }
    }
    Ok(())
}

/// What `create` would store for `body` — validated the same way, the caller among its users —
/// without storing anything (the API's dry run).
pub async fn dry_run(store: &dyn Store, user: &UserId, body: &Value) -> IcpResult<IcpDraft> {
    let draft = validate_draft(body).map_err(IcpError::Invalid)?;
    check_added_members(store, user, &[], &draft.user_ids, body).await?;
    Ok(draft.with_member(user))
}

/// Refuses registered users outside the caller's workspace among the ids `after` adds to
/// `before` (see `workspaces::user_id_errors`), each at its path in `body`.
async fn check_added_members(
    store: &dyn Store,
    user: &UserId,
    before: &[UserId],
    after: &[UserId],
    body: &Value,
) -> IcpResult<()> {
    let added: Vec<UserId> = after
        .iter()
        .filter(|id| *id != user && !before.contains(id))
        .cloned()
        .collect();
    let errors = workspaces::user_id_errors(store, user, &added, body).await?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(IcpError::Invalid(errors))
    }
}

/// The ICP `id` if it exists and `user` may read it (see `reaches`), to show (remembered: see
/// `store::ReadCache`). Anything that changes an ICP reads it with `get_for`.
pub async fn read_for(store: &dyn Store, user: &UserId, id: Uuid) -> IcpResult<Arc<CachedIcp>> {
    let shown = store
        .reads()
        .icp(id, store.icp(id))
        .await?
        .ok_or(IcpError::NotFound(id))?;
    if reaches(store, user, &shown.icp).await? {
        Ok(shown)
    } else {
        Err(IcpError::Forbidden(id))
    }
}

/// The ICP `id` if it exists and `user` may read it, as the database holds it now.
pub async fn get_for(store: &dyn Store, user: &UserId, id: Uuid) -> IcpResult<Icp> {
    let icp = store.icp(id).await?.ok_or(IcpError::NotFound(id))?;
    if reaches(store, user, &icp).await? {
        Ok(icp)
    } else {
        Err(IcpError::Forbidden(id))
    }
}

/// One page of a user's ICPs, in the list's order.
#[derive(Debug, Clone)]
pub struct IcpPage {
    found: Arc<Page>,
    order: ListOrder,
}

impl IcpPage {
    pub fn icps(&self) -> &[Icp] {
        &self.found.listed.icps
    }

    /// `icps()` as a JSON array (made once per remembered page).
    pub fn json(&self) -> serde_json::Result<&str> {
        self.found.json()
    }

    /// `json()` as an answer's body, sharing the page's text.
    pub fn json_body(&self) -> serde_json::Result<bytes::Bytes> {
        self.found.json_body()
    }

    /// Where the next page starts; `None` on the last page.
    pub fn next(&self) -> Option<ListCursor> {
        if self.found.listed.more {
            self.icps()
                .last()
                .map(|last| ListCursor::of(last, self.order))
        } else {
            None
        }
    }
}

/// Up to `limit` ICPs shared with `user` that `filter` lets through, in its order, after `after`,
/// fewer when `store::PAGE_BYTES` of them end the page (remembered pages: see `store::ReadCache`).
pub async fn list(
    store: &dyn Store,
    user: &UserId,
    filter: &ListFilter,
    after: Option<ListCursor>,
    limit: u32,
) -> IcpResult<IcpPage> {
    let key = PageKey {
        member: user.clone(),
        filter: filter.clone(),
        after,
        limit,
    };
    let found = store.reads().page(&key, store.list_icps(&key)).await?;
    Ok(IcpPage {
        found,
        order: filter.order,
    })
}

/// How many ICPs shared with `user` `filter` lets through (shown beside the paged list).
pub async fn count(store: &dyn Store, user: &UserId, filter: &ListFilter) -> IcpResult<u64> {
    Ok(store.count_icps(user, filter).await?)
}

/// Updates `id` with `patch` (see `apply_patch`), retrying when a concurrent update got there
/// first, so that no acknowledged change is lost. `everyone` sets "shared with everyone in the
/// workspace" (`None` keeps it as it is).
pub async fn update(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    patch: &Value,
    everyone: Option<bool>,
) -> IcpResult<Icp> {
    update_if(store, user, id, patch, everyone, &IfMatch::Any).await
}

/// A client's condition on the version of an ICP it read (HTTP `If-Match`): any version, or one
/// of these (each named by its `updatedAt`, which every change moves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    OneOf(Vec<Timestamp>),
}

impl IfMatch {
    /// The version a page opened (its `updatedAt` in milliseconds), if it says.
    pub fn opened_at(millis: Option<i64>) -> Self {
        match millis {
            None => IfMatch::Any,
            Some(millis) => IfMatch::OneOf(Timestamp::from_millis(millis).into_iter().collect()),
        }
    }

    fn allows(&self, icp: &Icp) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::OneOf(versions) => versions.contains(&icp.updated_at),
        }
    }
}

/// `update`, only while the ICP is as `if_match` says (else `Changed`: the client's copy is stale).
pub async fn update_if(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    patch: &Value,
    everyone: Option<bool>,
    if_match: &IfMatch,
) -> IcpResult<Icp> {
    // A `userIds` given without a word on `everyone` (the API's PATCH) is exactly who it is shared
    // with: it ends "everyone in the workspace" rather than being silently added to.
    let everyone = everyone.or_else(|| patch.get("userIds").map(|_| false));
    let edit = Edit {
        patch,
        everyone,
        if_match,
        action: VersionAction::Updated,
    };
    change(store, user, id, edit).await
}

/// One change to an ICP: `patch` merged in, "everyone in the workspace" set as `everyone` says
/// (`None` keeps it), made only while the ICP is as `if_match` says, recorded as `action`.
struct Edit<'a> {
    patch: &'a Value,
    everyone: Option<bool>,
    if_match: &'a IfMatch,
    action: VersionAction,
}

/// Makes `edit`: the merged ICP passes the create validation, adds only members of the caller's
/// workspace, and removes members only when the caller owns it (never the owner).
async fn change(store: &dyn Store, user: &UserId, id: Uuid, edit: Edit<'_>) -> IcpResult<Icp> {
    let Edit {
        patch,
        everyone,
        if_match,
        action,
    } = edit;
    writer(store, user).await?;
    for _ in 0..5 {
        let current = get_for(store, user, id).await?;
        if !if_match.allows(&current) {
            return Err(IcpError::Changed(id));
        }
        let member = current.is_shared_with(user).then_some(user);
        let draft = apply_patch(&current, patch, member)?;
        check_added_members(store, user, &current.user_ids, &draft.user_ids, patch).await?;
        let managing = manages(store, user, &current).await?;
        check_removed_members(&current, &draft.user_ids, managing)?;
        let mut icp = draft.into_icp(id, current.created_at, later_than(&current));
        icp.owner = current.owner.clone();
        icp.everyone = everyone.unwrap_or(current.everyone);
        if icp.everyone {
            add_everyone(store, user, &mut icp).await?;
        }
        match store
            .update_icp(&icp, &current, &Change::new(user, action))
            .await
        {
            Ok(()) => return Ok(icp),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(IcpError::Conflict(id))
}

/// Now, or strictly later than the ICP's last update even within the same millisecond.
fn later_than(current: &Icp) -> Timestamp {
    Timestamp::now()
        .max(Timestamp::from_millis(current.updated_at.millis() + 1).unwrap_or(current.updated_at))
}

/// Deletes `id` if `user` manages it (its owner, or the owner or an admin of the owner's
/// workspace; members may see it but not delete it); the deletion is recorded, so the owner can
/// restore it for `RESTORE_DAYS` days.
pub async fn delete(store: &dyn Store, user: &UserId, id: Uuid) -> IcpResult<()> {
    delete_if(store, user, id, &IfMatch::Any).await
}

/// `delete`, only while the ICP is as `if_match` says (else `Changed`).
pub async fn delete_if(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    if_match: &IfMatch,
) -> IcpResult<()> {
    writer(store, user).await?;
    for _ in 0..5 {
        let current = get_for(store, user, id).await?;
        if !if_match.allows(&current) {
            return Err(IcpError::Changed(id));
        }
        if current.owner.is_some() && !manages(store, user, &current).await? {
            return Err(IcpError::OwnerOnly {
                id,
                what: "delete it",
            });
        }
        match store
            .delete_icp(&current, &Change::new(user, VersionAction::Deleted))
            .await
        {
            Ok(true) => return Ok(()),
            // Deleted by someone else in between.
            Ok(false) => return Err(IcpError::NotFound(id)),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(IcpError::Conflict(id))
}
