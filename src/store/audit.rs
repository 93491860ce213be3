//! The audit log: who did what to a workspace and its access. Each record is written by the store
//! in the transaction of the change it records (so a change is never without its record, nor a
//! record without its change), in the workspace the actor is in at that moment. Records are kept
//! `KEPT` (the hourly sweep purges older ones).

use super::{StoreResult, WorkspaceId};
use crate::domain::{closed_set, Timestamp, UserId};
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// How long an audit record is kept.
pub const KEPT: chrono::TimeDelta = chrono::TimeDelta::days(365);

closed_set! {
    /// What a record is about: a closed set (README "Audit log" lists them).
    #[derive(Serialize, ToSchema)]
    pub enum AuditKind {
        #[serde(rename = "invitation.created")]
        InvitationCreated = "invitation.created",
        #[serde(rename = "invitation.revoked")]
        InvitationRevoked = "invitation.revoked",
        #[serde(rename = "member.joined")]
        MemberJoined = "member.joined",
        #[serde(rename = "member.left")]
        MemberLeft = "member.left",
        #[serde(rename = "member.removed")]
        MemberRemoved = "member.removed",
        #[serde(rename = "member.role_changed")]
        RoleChanged = "member.role_changed",
        #[serde(rename = "workspace.owner_changed")]
        OwnerChanged = "workspace.owner_changed",
        #[serde(rename = "workspace.renamed")]
        Renamed = "workspace.renamed",
        #[serde(rename = "token.created")]
        TokenCreated = "token.created",
        #[serde(rename = "token.revoked")]
        TokenRevoked = "token.revoked",
        #[serde(rename = "webhook.created")]
        WebhookCreated = "webhook.created",
        #[serde(rename = "webhook.changed")]
        WebhookChanged = "webhook.changed",
        #[serde(rename = "webhook.deleted")]
        WebhookDeleted = "webhook.deleted",
        /// A sign-up through one of the workspace's open invitation links, with another address
        /// than the invited one, refused by the sign-up policy. Nobody signed in did it: no actor.
        #[serde(rename = "sign_up.refused")]
        SignUpRefused = "sign_up.refused",
    }
}

impl AuditKind {
    /// How a page names it.
    pub fn describe(self) -> &'static str {
        match self {
            AuditKind::InvitationCreated => "Invited",
            AuditKind::InvitationRevoked => "Revoked an invitation",
            AuditKind::MemberJoined => "Joined",
            AuditKind::MemberLeft => "Left",
            AuditKind::MemberRemoved => "Removed",
            AuditKind::RoleChanged => "Changed a role",
            AuditKind::OwnerChanged => "Handed over ownership",
            AuditKind::Renamed => "Renamed the workspace",
            AuditKind::TokenCreated => "Created an API token",
            AuditKind::TokenRevoked => "Revoked an API token",
            AuditKind::WebhookCreated => "Added a webhook",
            AuditKind::WebhookChanged => "Changed a webhook",
            AuditKind::WebhookDeleted => "Deleted a webhook",
            AuditKind::SignUpRefused => "Sign-up refused",
        }
    }
}

/// What a change records: its kind, whom or what it touched, and that thing before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: AuditKind,
    /// An email for people and invitations, a label for tokens, a URL for webhooks.
    pub target: String,
    pub before: Value,
    pub after: Value,
}

impl Record {
    pub fn new(kind: AuditKind, target: impl Into<String>, before: Value, after: Value) -> Self {
        Record {
            kind,
            target: target.into(),
            before,
            after,
        }
    }
}

/// A record as read back (the API's and the page's).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: Timestamp,
    /// Who did it; `null` when nobody signed in did (`sign_up.refused`: someone signing up).
    pub actor_id: Option<UserId>,
    /// The actor's email now (`null` when the account is gone, or there is no actor).
    pub actor_email: Option<String>,
    pub kind: AuditKind,
    pub target: String,
    /// What it was before (`null` for something new).
    #[schema(value_type = Option<Object>)]
    pub before: Value,
    /// What it is after (`null` for something gone).
    #[schema(value_type = Option<Object>)]
    pub after: Value,
}

/// Which records a page holds: a workspace's, newest first, below `before` (an id), optionally
/// only one actor's or one kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    pub actor: Option<UserId>,
    pub kind: Option<AuditKind>,
    pub before: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// More records follow the last.
    pub more: bool,
}

#[async_trait]
pub trait Audit: Send + Sync {
    /// Up to `limit` records of `workspace` that `query` selects, newest first.
    async fn audit_page(
        &self,
        workspace: &WorkspaceId,
        query: &AuditQuery,
        limit: u32,
    ) -> StoreResult<AuditPage>;
    /// Deletes the records older than `before` (every workspace's); how many.
    async fn purge_audit(&self, before: Timestamp) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (That they read back as written: `store::tests`.)
    #[test]
    fn kinds_serialize_as_they_are_stored() {
        for kind in AuditKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
