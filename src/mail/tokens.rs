//! The tokens of mailed links (a password reset, an email confirmation): 32 random bytes, in the
//! link as hex, stored as their SHA-256 only; each works once, for an hour.

use crate::domain::{Timestamp, UserId};
use crate::store::{EmailPurpose, NewEmailToken, Store, StoreResult};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a mailed link works.
pub const LIFETIME_MINUTES: i64 = 60;

/// What is stored in a token's place.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `token` looks like one this module makes (64 hex digits): anything else is answered
/// as an unknown link without a database read, and never goes back into a URL.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Makes a token of `purpose` for `user` (confirming `new_email`, for a change of email), stores
/// its hash, and returns the token for the link.
pub async fn issue(
    store: &dyn Store,
    purpose: EmailPurpose,
    user: &UserId,
    new_email: Option<&str>,
) -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Timestamp::now();
    store
        .insert_email_token(&NewEmailToken {
            id: Uuid::now_v7(),
            purpose,
            user,
            token_hash: &token_hash(&token),
            new_email,
            created_at: now,
            expires_at: Timestamp(now.0 + chrono::Duration::minutes(LIFETIME_MINUTES)),
        })
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_of_this_shape_are_looked_up() {
        assert!(well_formed(&hex::encode([7u8; 32])));
        for bad in [
            "",
            "abc",
            &"g".repeat(64),
            &"a".repeat(65),
            "../../etc/passwd",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
