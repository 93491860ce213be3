//! An ICP's history: its versions, making an old version current again, and restoring a deleted
//! ICP (its owner, within `RESTORE_DAYS` days). Each restore is itself a new version.

use super::{change, get_for, manages, writer, Edit, IcpError, IcpResult};
pub use crate::domain::RESTORE_DAYS;
use crate::domain::{Icp, Timestamp, UserId};
use crate::store::{Change, Store, StoreError, Version, VersionAction};
use crate::workspaces;
use chrono::Duration;
use std::sync::Arc;
use uuid::Uuid;

/// Versions shown at most at once (a page of history).
pub const MAX_VERSIONS: u32 = 100;

/// Up to `limit` versions of `id` older than version `before` (None: from the newest), newest
/// first, and one more when older ones follow (what the last shown changed is read from it). For
/// those the ICP is shared with; a deleted ICP's history only for its owner, as "Recently
/// deleted" decides (anyone else, a member removed from the workspace since included: not found).
pub async fn versions(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    before: Option<u32>,
    limit: u32,
) -> IcpResult<Vec<Version>> {
    let limit = limit.min(MAX_VERSIONS);
    if store.icp(id).await?.is_some() {
        get_for(store, user, id).await?;
    } else {
        let latest = store.versions(id, None, 1).await?.into_iter().next();
        if latest.is_none_or(|latest| latest.icp.owner.as_ref() != Some(user)) {
            return Err(IcpError::NotFound(id));
        }
    }
    Ok(store.versions(id, before, limit + 1).await?)
}

/// Makes version `number` of `id` current again, as an update by `user` (with an update's rules:
/// members it would add must be in the workspace; only the owner removes members).
pub async fn restore_version(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    number: u32,
) -> IcpResult<Icp> {
    get_for(store, user, id).await?;
    let version = store
        .versions(id, number.checked_add(1), 1)
        .await?
        .into_iter()
        .find(|version| version.number == number)
        .ok_or_else(|| IcpError::NoVersion(format!("ICP {id} has no version {number}")))?;
    let body = serde_json::to_value(version.icp.to_draft()).map_err(StoreError::from)?;
    let edit = Edit {
        patch: &body,
        everyone: None,
        if_match: &super::IfMatch::Any,
        action: VersionAction::Restored,
    };
    change(store, user, id, edit).await
}

/// The ICPs `user` owned and deleted in the last `RESTORE_DAYS` days, newest first.
pub async fn deleted(store: &dyn Store, user: &UserId) -> IcpResult<Vec<Version>> {
    Ok(store.deleted_icps(user, restore_window_start()).await?)
}

fn restore_window_start() -> Timestamp {
    Timestamp(Timestamp::now().0 - Duration::days(RESTORE_DAYS))
}

/// Brings back an ICP `user` owned and deleted in the last `RESTORE_DAYS` days, as it was when
/// deleted, with its id and creation time. Members who have left the owner's workspace since are
/// left out (they could no longer be added).
pub async fn restore_deleted(store: &dyn Store, user: &UserId, id: Uuid) -> IcpResult<Icp> {
    writer(store, user).await?;
    if store.icp(id).await?.is_some() {
        return Err(IcpError::NotDeleted(id));
    }
    let latest = store.versions(id, None, 1).await?.into_iter().next();
    let Some(latest) = latest.filter(|version| version.action == VersionAction::Deleted) else {
        return Err(IcpError::NotFound(id));
    };
    if !manages(store, user, &latest.icp).await? {
        return Err(if latest.icp.is_shared_with(user) {
            IcpError::OwnerOnly {
                id,
                what: "restore it",
            }
        } else {
            IcpError::NotFound(id)
        });
    }
    if latest.at < restore_window_start() {
        return Err(IcpError::NoVersion(format!(
            "ICP {id} was deleted more than {RESTORE_DAYS} days ago"
        )));
    }
    let mut icp = latest.icp;
    let membership = workspaces::membership(store, user).await?;
    let outsiders = store
        .outsiders(&membership.workspace.id, &icp.user_ids)
        .await?;
    icp.user_ids.retain(|id| !outsiders.contains(id));
    if icp.everyone {
        // Shared with everyone in the workspace: with whoever is in it now, joined since included.
        for member in store.members(&membership.workspace.id).await? {
            if !icp.user_ids.contains(&member.user.id) {
                icp.user_ids.push(member.user.id);
            }
        }
    }
    icp.updated_at = Timestamp::now();
    let icp = Arc::new(icp);
    store
        .insert_icp(
            Arc::clone(&icp),
            &Change::new(user, VersionAction::Restored),
        )
        .await?;
    Ok(Arc::unwrap_or_clone(icp))
}
