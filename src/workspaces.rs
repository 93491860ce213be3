//! The workspace use cases — members, roles, invitations, leaving and removing, and who may be put
//! in an ICP's `userIds` — shared by the JSON API and the settings forms. The owner and admins
//! rename the workspace, invite, remove and set roles (never the owner's: the owner hands the
//! workspace over); every member sees the members and the open invitations.
#![cfg(feature = "ssr")]

use crate::domain::{normalised_email, FieldError, Timestamp, UserId};
use crate::store::{
    Acting, AuditPage, AuditQuery, Destination, Invitation, Member, Membership, Role, Store,
    StoreError, StoreResult, User, Workspace, WorkspaceId,
};
use chrono::Duration;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an invitation link can be used.
pub const INVITATION_DAYS: i64 = 7;
/// Every invitation link's token starts with this.
pub const INVITATION_PREFIX: &str = "inv_";
pub const MAX_WORKSPACE_NAME: usize = 100;

/// Mail domains people use privately: a workspace is named after its owner there, not the domain.
const PERSONAL_DOMAINS: [&str; 15] = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
];

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("Only the workspace's owner and admins can do this.")]
    NotManager,
    /// The owner's role is changed (or the owner removed) by someone else, or ownership is
    /// handed over by someone who does not have it.
    #[error("Only the owner can hand the workspace over; the owner's role changes only that way.")]
    OwnerOnly,
    /// An invitation offering the owner's role.
    #[error("An invitation gives the role admin, member or viewer.")]
    InvitedOwner,
    #[error("That person is not a member of your workspace.")]
    NotMember,
    #[error("You cannot remove yourself; leave the workspace instead.")]
    RemovingSelf,
    #[error("Enter a valid email address.")]
    InvalidEmail,
    #[error("A workspace name is 1 to 100 characters.")]
    InvalidName,
    #[error("{0} is already a member of your workspace.")]
    AlreadyMember(String),
    #[error("This invitation link is not valid.")]
    UnknownInvitation,
    #[error("This invitation has expired; ask for a new one.")]
    Expired,
    #[error("This invitation was revoked; ask for a new one.")]
    Revoked,
    #[error("This invitation has already been used.")]
    Used,
    #[error("This invitation is for {0}; sign in with that email to accept it.")]
    WrongEmail(String),
    #[error("You are already a member of this workspace.")]
    AlreadyInWorkspace,
    #[error("You are the only member: there is no one to leave.")]
    Alone,
    /// Never shown to users (they get a generic message); logs carry its whole chain.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type WorkspaceResult<T> = Result<T, WorkspaceError>;

/// The workspace a new account starts in: named after the email's domain (a company's), or
/// "<name>'s workspace" for a personal mail domain.
pub fn own_workspace(user: &User) -> Workspace {
    let domain = user.email.rsplit_once('@').map_or("", |(_, domain)| domain);
    let name = if domain.is_empty() || PERSONAL_DOMAINS.contains(&domain) {
        format!("{}'s workspace", user.name)
    } else {
        domain.to_owned()
    };
    Workspace {
        id: WorkspaceId::new(),
        name: name.chars().take(MAX_WORKSPACE_NAME).collect(),
    }
}

/// The caller's membership: every user has one (made with the account), so none is a store fault.
pub async fn membership(store: &dyn Store, user: &UserId) -> StoreResult<Membership> {
    store
        .membership(user)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("{user} has no workspace")))
}

/// The caller's membership, if their role manages the workspace (owner or admin).
async fn managed(store: &dyn Store, user: &UserId) -> WorkspaceResult<Membership> {
    let membership = membership(store, user).await?;
    if membership.role.manages() {
        Ok(membership)
    } else {
        Err(WorkspaceError::NotManager)
    }
}

/// A manager's change to the workspace of `membership` (theirs).
fn acting<'a>(membership: &'a Membership, manager: &'a UserId) -> Acting<'a> {
    Acting {
        workspace: &membership.workspace.id,
        actor: manager,
    }
}

/// The caller's workspace members, earliest first.
pub async fn members(store: &dyn Store, user: &UserId) -> StoreResult<Vec<Member>> {
    let membership = membership(store, user).await?;
    store.members(&membership.workspace.id).await
}

pub async fn rename(store: &dyn Store, user: &UserId, name: &str) -> WorkspaceResult<Workspace> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_WORKSPACE_NAME
        || name.chars().any(char::is_control)
    {
        return Err(WorkspaceError::InvalidName);
    }
    let membership = managed(store, user).await?;
    store
        .rename_workspace(acting(&membership, user), name)
        .await?;
    Ok(Workspace {
        id: membership.workspace.id,
        name: name.to_owned(),
    })
}

fn link_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Invites `email` to the caller's workspace with `role`; returns the invitation and its link's
/// token, which is stored only as a hash (the caller shows it once).
pub async fn invite(
    store: &dyn Store,
    user: &UserId,
    email: &str,
    role: Role,
) -> WorkspaceResult<(Invitation, String)> {
    let email = normalised_email(email).ok_or(WorkspaceError::InvalidEmail)?;
    if role == Role::Owner {
        return Err(WorkspaceError::InvitedOwner);
    }
    let membership = managed(store, user).await?;
    let members = store.members(&membership.workspace.id).await?;
    if members.iter().any(|member| member.user.email == email) {
        return Err(WorkspaceError::AlreadyMember(email));
    }
    let inviter = members
        .into_iter()
        .find(|member| &member.user.id == user)
        .map(|member| member.user.name)
        .unwrap_or_default();
    let token = format!(
        "{INVITATION_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
    );
    let now = Timestamp::now();
    let invitation = Invitation {
        id: Uuid::now_v7(),
        workspace: membership.workspace,
        email,
        invited_by: inviter,
        role,
        created_at: now,
        expires_at: Timestamp(now.0 + Duration::days(INVITATION_DAYS)),
        accepted: false,
        revoked: false,
    };
    store
        .insert_invitation(&invitation, user, &link_hash(&token))
        .await?;
    Ok((invitation, token))
}

/// The caller's workspace invitations that can still be accepted, newest first.
pub async fn open_invitations(
    store: &dyn Store,
    user: &UserId,
) -> WorkspaceResult<Vec<Invitation>> {
    let membership = membership(store, user).await?;
    Ok(store
        .open_invitations(&membership.workspace.id, Timestamp::now())
        .await?)
}

pub async fn revoke(store: &dyn Store, user: &UserId, id: Uuid) -> WorkspaceResult<()> {
    let membership = managed(store, user).await?;
    if store
        .revoke_invitation(acting(&membership, user), id, Timestamp::now())
        .await?
    {
        Ok(())
    } else {
        Err(WorkspaceError::UnknownInvitation)
    }
}

/// The invitation a link's token names, if it can still be accepted.
pub async fn open_invitation(store: &dyn Store, token: &str) -> WorkspaceResult<Invitation> {
    if !token.starts_with(INVITATION_PREFIX) || token.len() > 64 {
        return Err(WorkspaceError::UnknownInvitation);
    }
    let invitation = store
        .invitation_by_hash(&link_hash(token))
        .await?
        .ok_or(WorkspaceError::UnknownInvitation)?;
    if invitation.accepted {
        Err(WorkspaceError::Used)
    } else if invitation.revoked {
        Err(WorkspaceError::Revoked)
    } else if invitation.expires_at <= Timestamp::now() {
        Err(WorkspaceError::Expired)
    } else {
        Ok(invitation)
    }
}

/// `user` joins the workspace of the invitation `token` names (leaving their own, see
/// `Workspaces::move_user`). Only an account with the invited email can accept; a link works once.
pub async fn accept(store: &dyn Store, user: &User, token: &str) -> WorkspaceResult<Workspace> {
    let invitation = open_invitation(store, token).await?;
    if invitation.email != user.email {
        return Err(WorkspaceError::WrongEmail(invitation.email));
    }
    if membership(store, &user.id).await?.workspace.id == invitation.workspace.id {
        return Err(WorkspaceError::AlreadyInWorkspace);
    }
    let to = Destination::Invited {
        invitation: invitation.id,
        now: Timestamp::now(),
    };
    if store.move_user(&user.id, None, &to, &user.id).await? {
        Ok(invitation.workspace)
    } else {
        // Used, revoked or expired in between: say which.
        open_invitation(store, token)
            .await
            .and(Err(WorkspaceError::Used))
    }
}

/// The owner or an admin removes `member` (never the owner), who gets a workspace of their own.
pub async fn remove(store: &dyn Store, manager: &UserId, member: &UserId) -> WorkspaceResult<()> {
    let membership = managed(store, manager).await?;
    if member == manager {
        return Err(WorkspaceError::RemovingSelf);
    }
    let removed = store
        .members(&membership.workspace.id)
        .await?
        .into_iter()
        .find(|candidate| &candidate.user.id == member)
        .ok_or(WorkspaceError::NotMember)?;
    if removed.role == Role::Owner {
        return Err(WorkspaceError::OwnerOnly);
    }
    let to = Destination::OwnWorkspace(own_workspace(&removed.user));
    // Not moved when they left for another workspace since: they are no longer this one's.
    if store
        .move_user(member, Some(&membership.workspace.id), &to, manager)
        .await?
    {
        Ok(())
    } else {
        Err(WorkspaceError::NotMember)
    }
}

/// The caller leaves their workspace for one of their own. An owner leaving hands the workspace
/// to its earliest other member.
pub async fn leave(store: &dyn Store, user: &UserId) -> WorkspaceResult<Workspace> {
    let members = members(store, user).await?;
    if members.len() < 2 {
        return Err(WorkspaceError::Alone);
    }
    let me = members
        .into_iter()
        .find(|member| &member.user.id == user)
        .ok_or(WorkspaceError::NotMember)?;
    let workspace = own_workspace(&me.user);
    let from = membership(store, user).await?.workspace.id;
    let to = Destination::OwnWorkspace(workspace.clone());
    if store.move_user(user, Some(&from), &to, user).await? {
        Ok(workspace)
    } else {
        // Moved meanwhile (an invitation accepted, removed by the owner): not left from here.
        Err(WorkspaceError::NotMember)
    }
}

/// The owner or an admin gives `member` the `role`. `Role::Owner` hands the workspace over, which
/// only the owner may do (they become an admin); the owner's role changes no other way. Returns the
/// member's role before.
pub async fn set_role(
    store: &dyn Store,
    manager: &UserId,
    member: &UserId,
    role: Role,
) -> WorkspaceResult<Role> {
    let membership = managed(store, manager).await?;
    if role == Role::Owner && membership.role != Role::Owner {
        return Err(WorkspaceError::OwnerOnly);
    }
    let before = store
        .set_role(acting(&membership, manager), member, role)
        .await?
        .ok_or(WorkspaceError::NotMember)?;
    if before == Role::Owner && role != Role::Owner {
        // Nothing changed: the owner stays the owner.
        return Err(WorkspaceError::OwnerOnly);
    }
    Ok(before)
}

/// A page of the caller's workspace's audit log (owner and admins only), newest first.
pub async fn audit(
    store: &dyn Store,
    user: &UserId,
    query: &AuditQuery,
    limit: u32,
) -> WorkspaceResult<AuditPage> {
    let membership = managed(store, user).await?;
    Ok(store
        .audit_page(&membership.workspace.id, query, limit)
        .await?)
}

/// The problems with `added` user ids (ids the caller puts into an ICP's `userIds` that were not
/// there before), each at its index in `body`'s `userIds`: a registered user outside the caller's
/// workspace cannot be added. Ids that name no account are kept as the reference allows (ids are
/// random, so no later account can take one).
pub async fn user_id_errors(
    store: &dyn Store,
    user: &UserId,
    added: &[UserId],
    body: &Value,
) -> StoreResult<Vec<FieldError>> {
    if added.is_empty() {
        return Ok(Vec::new());
    }
    let membership = membership(store, user).await?;
    let outsiders = store.outsiders(&membership.workspace.id, added).await?;
    let Some(Value::Array(given)) = body.get("userIds") else {
        return Ok(Vec::new());
    };
    let mut reported = Vec::new();
    let mut errors = Vec::new();
    for (index, id) in given.iter().enumerate() {
        let Some(outsider) = outsiders.iter().find(|outsider| id == outsider.as_str()) else {
            continue;
        };
        if reported.contains(&outsider) {
            continue;
        }
        reported.push(outsider);
        errors.push(FieldError::new(
            vec!["userIds".into(), index.into()],
            format!(
                "{outsider} is not a member of your workspace ({}); invite them first",
                membership.workspace.name
            ),
        ));
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str) -> User {
        User {
            id: UserId::parse("user_a").unwrap(),
            email: email.into(),
            name: "Ana".into(),
        }
    }

    #[test]
    fn a_new_workspace_is_named_after_the_company_domain_or_the_person() {
        assert_eq!(own_workspace(&user("ana@acme.io")).name, "acme.io");
        assert_eq!(
            own_workspace(&user("ana@gmail.com")).name,
            "Ana's workspace"
        );
        let id = own_workspace(&user("ana@acme.io")).id;
        assert!(
            id.as_str().starts_with("ws_") && id.as_str().len() == 27,
            "{id}"
        );
        assert_eq!(WorkspaceId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(WorkspaceId::parse("ws_"), None);
        assert_eq!(WorkspaceId::parse("user_a"), None);
        assert_ne!(id, own_workspace(&user("ana@acme.io")).id);
    }
}
