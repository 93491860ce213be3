//! Single-use tokens sent by mail (a password reset, an email confirmation) as stored: by their
//! SHA-256 hash only, used once, until they expire (the rules are `crate::mail::tokens`'s).

use super::StoreResult;
use crate::domain::{Timestamp, UserId};
use async_trait::async_trait;
use uuid::Uuid;

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPurpose {
    /// Sets a new password (the "forgot password" link).
    Reset,
    /// Makes the token's `new_email` the user's email.
    ConfirmEmail,
}

impl EmailPurpose {
    /// How it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPurpose::Reset => "reset",
            EmailPurpose::ConfirmEmail => "confirm_email",
        }
    }
}

/// A token to store (never the token itself: `token_hash` is its SHA-256).
#[derive(Debug, Clone, Copy)]
pub struct NewEmailToken<'a> {
    pub id: Uuid,
    pub purpose: EmailPurpose,
    pub user: &'a UserId,
    pub token_hash: &'a [u8],
    /// The address a `ConfirmEmail` token confirms.
    pub new_email: Option<&'a str>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A token that can still be used: unused and not expired.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEmailToken {
    pub user: UserId,
    pub new_email: Option<String>,
}

/// What opening an email confirmation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// The user's email is now the token's.
    Changed { user: UserId, email: String },
    /// Another account took the address meanwhile; nothing changed and the token stays unused.
    Taken(String),
    /// Unknown, used or expired.
    Closed,
}

#[async_trait]
pub trait EmailTokens {
    async fn insert_email_token(&self, token: &NewEmailToken<'_>) -> StoreResult<()>;
    /// The token `token_hash` of `purpose` if it is live at `now` (it stays unused).
    async fn live_email_token(
        &self,
        purpose: EmailPurpose,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<LiveEmailToken>>;
    /// In one transaction: marks the live reset token `token_hash` used and sets its user's
    /// password hash. `None` (and nothing changed) when the token is not live at `now`.
    async fn reset_password(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>>;
    /// In one transaction: marks the live confirmation `token_hash` used and makes its address
    /// its user's email, if no other account has it.
    async fn confirm_email(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<Confirmed>;
    /// Sets `user`'s email (a change without mail); `Conflict` when another account has it.
    async fn set_email(&self, user: &UserId, email: &str) -> StoreResult<()>;
    /// Deletes the tokens that expired before `before`; how many.
    async fn purge_email_tokens(&self, before: Timestamp) -> StoreResult<u64>;
}
