//! Idempotency keys as stored (the rules are in `crate::icps::idempotent`): a key is claimed by
//! one request, atomically, before it creates; completed with the response to replay after.

use super::StoreResult;
use crate::domain::{Timestamp, UserId};
use async_trait::async_trait;
use uuid::Uuid;

/// A key already claimed, as the request that claimed it left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// SHA-256 of the body it came with.
    pub request_hash: Vec<u8>,
    /// The id its ICP is created with.
    pub icp_id: Uuid,
    pub claimed_at: Timestamp,
    /// The response body once the ICP is created; `None` while the first request runs.
    pub response: Option<String>,
}

/// One user's idempotency key: keys are per user, so a key is always named with its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserKey<'a> {
    pub user: &'a UserId,
    pub key: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request holds the key now (it was free, or only expired uses held it).
    Claimed,
    /// Another request holds it.
    Taken(KeyUse),
}

#[async_trait]
pub trait Idempotency {
    /// Claims `key` for `use_` (a request with this body hash, whose ICP will get `icp_id`),
    /// unless a use claimed at `expired_before` or later holds it. Purges expired keys.
    async fn claim_key(
        &self,
        key: UserKey<'_>,
        use_: &KeyUse,
        expired_before: Timestamp,
    ) -> StoreResult<Claim>;
    /// Records the response of the request that claimed `key` at `claimed_at`.
    async fn complete_key(
        &self,
        key: UserKey<'_>,
        claimed_at: Timestamp,
        response: &str,
    ) -> StoreResult<()>;
    /// Frees `key` if the use claimed at `claimed_at` still holds it without a response (its
    /// request created nothing).
    async fn release_key(&self, key: UserKey<'_>, claimed_at: Timestamp) -> StoreResult<()>;
}
