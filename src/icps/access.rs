//! Who may do what to an ICP beyond being among its users: a viewer changes none; the workspace's
//! owner and admins manage every ICP whose owner is in their workspace (README "Roles").

use super::{IcpError, IcpResult};
use crate::domain::{FieldError, Icp, UserId};
use crate::store::Store;
use crate::workspaces;

/// Refuses a viewer before any work: the changes other than a plain create start here. The
/// database refuses a viewer's ICP write in any case, in the write's own transaction (migration
/// 0021), so a role changed meanwhile is still honoured.
pub async fn writer(store: &dyn Store, user: &UserId) -> IcpResult<()> {
    if workspaces::membership(store, user).await?.role.writes() {
        Ok(())
    } else {
        Err(IcpError::ReadOnly)
    }
}

/// Whether `user` manages the ICP as its owner does: they own it, or they are the owner or an
/// admin of the workspace its owner is in (the reference's "admin user").
pub async fn manages(store: &dyn Store, user: &UserId, icp: &Icp) -> IcpResult<bool> {
    let Some(owner) = &icp.owner else {
        return Ok(false);
    };
    if owner == user {
        return Ok(true);
    }
    let mine = workspaces::membership(store, user).await?;
    if !mine.role.manages() {
        return Ok(false);
    }
    let theirs = store.membership(owner).await?;
    Ok(theirs.is_some_and(|theirs| theirs.workspace.id == mine.workspace.id))
}

/// Whether `user` may read the ICP: it is shared with them, or they manage it.
pub(super) async fn reaches(store: &dyn Store, user: &UserId, icp: &Icp) -> IcpResult<bool> {
    Ok(icp.is_shared_with(user) || manages(store, user, icp).await?)
}

/// Nobody removes the owner; only who manages the ICP (`managing`: see `manages`) removes anyone
/// else.
pub(super) fn check_removed_members(
    current: &Icp,
    after: &[UserId],
    managing: bool,
) -> IcpResult<()> {
    let Some(owner) = &current.owner else {
        return Ok(());
    };
    let removed: Vec<&UserId> = current
        .user_ids
        .iter()
        .filter(|id| !after.contains(id))
        .collect();
    if removed.contains(&owner) {
        return Err(IcpError::Invalid(vec![FieldError::new(
            vec!["userIds".into()],
            format!(
                "{owner} owns this ICP and cannot be removed; the owner can hand it over to \
                 someone else first"
            ),
        )]));
    }
    if !removed.is_empty() && !managing {
        return Err(IcpError::OwnerOnly {
            id: current.id,
            what: "remove its members",
        });
    }
    Ok(())
}
