//! Workspaces as stored: who belongs to which (one workspace per user, one owner per workspace) and
//! the invitations that bring people in. The rules (who may invite, remove, rename) live in
//! `crate::workspaces`; this is what the two databases do alike.

pub use crate::account::Role;

use super::{StoreResult, User};
use crate::domain::{Timestamp, UserId};
use async_trait::async_trait;
use uuid::Uuid;

/// A workspace's id: `ws_` and letters or digits (a migrated workspace takes its first user's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    const PREFIX: &'static str = "ws_";

    /// A new random id.
    pub fn new() -> Self {
        use rand::distributions::{Alphanumeric, DistString};
        let random = Alphanumeric.sample_string(&mut rand::thread_rng(), 24);
        Self(format!("{}{random}", Self::PREFIX))
    }

    /// Checks the form; `None` when `raw` is not a workspace id.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(Self::PREFIX)?;
        let well_formed = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric());
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for WorkspaceId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
}

/// Where a user is: their workspace and their role in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace: Workspace,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: Timestamp,
}

/// An invitation as stored (its token only as a hash).
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: Uuid,
    pub workspace: Workspace,
    /// Only an account with this email can accept it.
    pub email: String,
    /// The inviter's name.
    pub invited_by: String,
    /// The role the invited person gets on joining (never `Owner`).
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted: bool,
    pub revoked: bool,
}

/// Where `move_user` takes a user.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A new workspace of their own, as its owner (leaving, or removed by the owner).
    OwnWorkspace(Workspace),
    /// The workspace of an invitation that is still open at `now`, with the invitation's role; the
    /// invitation is used up in the same transaction.
    Invited { invitation: Uuid, now: Timestamp },
}

/// A manager's change to their workspace: made in `workspace`, recorded as `actor`'s.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub workspace: &'a WorkspaceId,
    pub actor: &'a UserId,
}

/// The workspace side of the store; every method is one statement or one transaction.
#[async_trait]
pub trait Workspaces: Send + Sync {
    /// The user's workspace and role (`None` only for a user that does not exist).
    async fn membership(&self, user: &UserId) -> StoreResult<Option<Membership>>;
    /// The workspace's members, earliest first.
    async fn members(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Member>>;
    /// Renames it, recording what the actor did (as every change below records it, in the same
    /// transaction: see `store::audit`).
    async fn rename_workspace(&self, by: Acting<'_>, name: &str) -> StoreResult<()>;
    /// Gives `member` of the workspace the `role`; `Role::Owner` hands the workspace over (its
    /// owner becomes an admin). The owner's own role changes only that way (asked of the owner,
    /// nothing changes). The member's role before; `None` (nothing changed) when they are not in
    /// `workspace`.
    async fn set_role(
        &self,
        by: Acting<'_>,
        member: &UserId,
        role: Role,
    ) -> StoreResult<Option<Role>>;
    /// Which of `ids` are registered users outside `workspace`.
    async fn outsiders(&self, workspace: &WorkspaceId, ids: &[UserId]) -> StoreResult<Vec<UserId>>;

    /// Stores an invitation from `invited_by` (`accepted`/`revoked` are ignored: a new one is
    /// open).
    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        invited_by: &UserId,
        token_hash: &[u8],
    ) -> StoreResult<()>;
    /// The invitation a link's token hash names, whatever its state.
    async fn invitation_by_hash(&self, token_hash: &[u8]) -> StoreResult<Option<Invitation>>;
    /// The workspace's invitations still open at `now`, newest first.
    async fn open_invitations(
        &self,
        workspace: &WorkspaceId,
        now: Timestamp,
    ) -> StoreResult<Vec<Invitation>>;
    /// Revokes an open invitation of the workspace; false when there is none with that id.
    async fn revoke_invitation(
        &self,
        by: Acting<'_>,
        id: Uuid,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Moves `user` out of their workspace, in one transaction: they leave every ICP they share
    /// with someone who stays (those belong to the team; ICPs only they can read go with them);
    /// if they owned it, its earliest other member becomes the owner; an emptied workspace is
    /// deleted. False (and nothing changed) when an invitation is no longer open, or when `from`
    /// names a workspace the user is no longer in (they moved meanwhile). Moves into or out of one
    /// workspace happen one at a time (Postgres: a lock per workspace, taken in a fixed order),
    /// so two people leaving at once cannot both leave an ICP that only they shared.
    async fn move_user(
        &self,
        user: &UserId,
        from: Option<&WorkspaceId>,
        to: &Destination,
        actor: &UserId,
    ) -> StoreResult<bool>;
}
