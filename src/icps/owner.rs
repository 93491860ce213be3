//! Handing an ICP over to another member of the workspace: only its owner can.

use super::{get_for, later_than, manages, writer, IcpError, IcpResult};
use crate::domain::{Icp, UserId};
use crate::store::{Change, Store, StoreError, VersionAction};
use crate::workspaces;
use uuid::Uuid;

/// Makes `to` (a member of the owner's workspace) the owner of `id`, adding them to its members if
/// they are not there yet. Recorded as an update.
pub async fn hand_over(store: &dyn Store, user: &UserId, id: Uuid, to: &UserId) -> IcpResult<Icp> {
    writer(store, user).await?;
    get_for(store, user, id).await?;
    let members = workspaces::members(store, user).await?;
    if !members.iter().any(|member| &member.user.id == to) {
        return Err(IcpError::NotMember(to.clone()));
    }
    for _ in 0..5 {
        let current = get_for(store, user, id).await?;
        if current.owner.is_some() && !manages(store, user, &current).await? {
            return Err(IcpError::OwnerOnly {
                id,
                what: "hand it over",
            });
        }
        if current.owner.as_ref() == Some(to) {
            return Ok(current);
        }
        let mut icp = current.clone();
        icp.owner = Some(to.clone());
        if !icp.user_ids.contains(to) {
            icp.user_ids.push(to.clone());
        }
        icp.updated_at = later_than(&current);
        match store
            .update_icp(&icp, &current, &Change::new(user, VersionAction::Updated))
            .await
        {
            Ok(()) => return Ok(icp),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(IcpError::Conflict(id))
}
