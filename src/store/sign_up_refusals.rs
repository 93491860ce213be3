//! Sign-ups the policy (`SIGN_UP`) refused, as stored: for the administrator's
//! `icp-builder audit sign-ups`, kept `KEPT` and at most `MAX_KEPT` rows (the hourly sweep purges
//! the rest). One that came through an open invitation's link for another address is also an
//! audit record of that invitation's workspace, written in the same transaction.

use super::{StoreResult, WorkspaceId};
use crate::domain::{closed_set, Timestamp};
use async_trait::async_trait;
use std::net::IpAddr;

/// How long a refusal is kept.
pub const KEPT: chrono::TimeDelta = chrono::TimeDelta::days(30);
/// At most this many refusals are kept (the newest); a flood of refusals ends as this many rows.
pub const MAX_KEPT: u32 = 100_000;
/// A refused email is stored as typed and trimmed, cut to this many characters (an address has at
/// most 254 bytes; the sign-up form's body is read up to 16 KiB).
pub const EMAIL_CHARS: usize = 254;

/// The email of a refusal as stored: trimmed, at most `EMAIL_CHARS` characters.
pub fn stored_email(typed: &str) -> String {
    typed.trim().chars().take(EMAIL_CHARS).collect()
}

closed_set! {
    /// Why a sign-up was refused: a closed set (the table's CHECK lists it too), stored and shown
    /// as its text.
    pub enum RefusalReason {
        /// The policy does not admit the address, and no invitation link was followed.
        SignUpClosed = "sign-up-closed",
        /// Through an invitation link that cannot be used: unknown, accepted, revoked or expired.
        InvitationClosed = "invitation-closed",
        /// Through an open invitation's link, with another address than the one it names.
        InvitedAnotherAddress = "invited-another-address",
    }
}

/// An open invitation whose link a refused sign-up came through, for another address.
#[derive(Debug, Clone, PartialEq)]
pub struct ThroughInvitation {
    pub workspace: WorkspaceId,
    /// The address the invitation names.
    pub invited: String,
}

/// A refused sign-up. `Via` is what is known of the open invitation whose link it came through
/// for another address: the invitation itself when it is recorded (`NewRefusal`), its workspace
/// when it is read back (`StoredRefusal`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal<Via> {
    pub at: Timestamp,
    /// As typed when recorded; the store keeps (and reads back) `stored_email` of it.
    pub email: String,
    pub reason: RefusalReason,
    /// The client's address, when it was known.
    pub address: Option<IpAddr>,
    pub invitation: Option<Via>,
}

/// A refusal to store (and, through an invitation, to record in its workspace's audit log).
pub type NewRefusal = Refusal<ThroughInvitation>;

/// A refusal as read back, newest first.
pub type StoredRefusal = Refusal<InvitingWorkspace>;

/// The workspace of the invitation a stored refusal came through.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitingWorkspace {
    pub id: WorkspaceId,
    /// Its name, while it exists.
    pub name: Option<String>,
}

#[async_trait]
pub trait SignUpRefusals {
    /// Stores `refusal`; one through an invitation also writes a `sign_up.refused` audit record
    /// (no actor, the email as its target) in the invitation's workspace, in the same transaction.
    async fn record_sign_up_refusal(&self, refusal: &NewRefusal) -> StoreResult<()>;
    /// The newest `limit` refusals, newest first.
    async fn sign_up_refusals(&self, limit: u32) -> StoreResult<Vec<StoredRefusal>>;
    /// Deletes the refusals older than `before`, then all but the newest `keep`; how many.
    async fn purge_sign_up_refusals(&self, before: Timestamp, keep: u32) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_email_is_trimmed_and_bounded_on_a_character_boundary() {
        assert_eq!(stored_email("  Eve@Example.com \n"), "Eve@Example.com");
        let long = "é".repeat(400);
        let stored = stored_email(&long);
        assert_eq!(stored.chars().count(), EMAIL_CHARS);
        assert!(stored.chars().all(|c| c == 'é'));
    }
}
