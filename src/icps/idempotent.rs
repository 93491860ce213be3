//! Creates with an `Idempotency-Key` (the IETF httpapi draft's header): the same key from the same
//! user within `KEY_HOURS` answers the first create's response without creating again.
//!
//! - The key is claimed in the database before the create (so it holds across instances and
//!   restarts) and completed with the response after; a create that fails releases it, since
//!   nothing was stored (only created ICPs are replayed; a retry with a fixed body may reuse it).
//! - A second request while the first runs waits up to `IN_FLIGHT_WAIT` for its response, then
//!   answers 409 (`InFlight`).
//! - Another body under a used key → 422 (`KeyReused`).
//! - The ICP's id is chosen at the claim: if the process dies between the create and recording
//!   its response, a retry after `ABANDONED_AFTER` finds the ICP by that id and replays it rather
//!   than creating a second one.

use super::{create_with_id, IcpError, IcpResult};
use crate::domain::{Icp, NulInText, Timestamp, UserId};
use crate::store::{Claim, KeyUse, Store, UserKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use uuid::Uuid;

/// How long a key is remembered.
pub const KEY_HOURS: i64 = 24;
/// Keys are 1 to this many visible ASCII characters.
pub const MAX_KEY_LEN: usize = 255;
/// How long a retry waits for the request that holds its key.
pub const IN_FLIGHT_WAIT: Duration = Duration::from_secs(5);
/// A claim without a response this old belongs to a request that died.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(25);

/// What a create with a key answered.
#[derive(Debug, Clone)]
pub enum Created {
    /// Created now; the response to send is the ICP.
    New(Icp),
    /// The key's first response, replayed: the ICP's JSON exactly as it was sent then.
    Replayed { icp: Icp, body: String },
}

/// Whether `key` is a usable `Idempotency-Key`; the message says why not.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} characters"
        ));
    }
    let visible = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if !visible || key.starts_with(' ') || key.ends_with(' ') {
        return Err(
            "Idempotency-Key must be visible ASCII characters (spaces only inside)".to_owned(),
        );
    }
    Ok(())
}

/// What tells two bodies apart: SHA-256 of the JSON as parsed (so whitespace does not count).
pub fn request_hash(body: &Value) -> Vec<u8> {
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

/// `icps::create_with_json`, once per `key` of `user` (see the module's rules).
pub async fn create_once(
    store: &dyn Store,
    user: &UserId,
    key: &str,
    body: &Value,
    nul: NulInText,
) -> IcpResult<Created> {
    super::writer(store, user).await?;
    let request_hash = request_hash(body);
    let user_key = UserKey { user, key };
    let started = tokio::time::Instant::now();
    loop {
        let now = Timestamp::now();
        let expired_before = Timestamp(now.0 - chrono::Duration::hours(KEY_HOURS));
        let mine = KeyUse {
            request_hash: request_hash.clone(),
            icp_id: Uuid::now_v7(),
            claimed_at: now,
            response: None,
        };
        let held = match store.claim_key(user_key, &mine, expired_before).await? {
            Claim::Claimed => return create_claimed(store, user_key, body, nul, &mine).await,
            Claim::Taken(held) => held,
        };
        if held.request_hash != request_hash {
            return Err(IcpError::KeyReused(key.to_owned()));
        }
        if let Some(body) = held.response {
            return replay(body);
        }
        let age = (now.0 - held.claimed_at.0).to_std().unwrap_or_default();
        if age >= ABANDONED_AFTER {
            if let Some(icp) = store.icp(held.icp_id).await? {
                // Created, but its response was never recorded.
                let body = serde_json::to_string(&icp).map_err(corrupt)?;
                store.complete_key(user_key, held.claimed_at, &body).await?;
                return replay(body);
            }
            // Nothing was created: free the key and claim it again.
            store.release_key(user_key, held.claimed_at).await?;
            continue;
        }
        if started.elapsed() >= IN_FLIGHT_WAIT {
            return Err(IcpError::InFlight(key.to_owned()));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn create_claimed(
    store: &dyn Store,
    key: UserKey<'_>,
    body: &Value,
    nul: NulInText,
    mine: &KeyUse,
) -> IcpResult<Created> {
    match create_with_id(store, key.user, body, nul, false, mine.icp_id).await {
        Ok((icp, response)) => {
            if let Err(error) = store
                .complete_key(key, mine.claimed_at, response.get())
                .await
            {
                // The ICP is stored and is answered; a retry finds it by its id once the claim
                // counts as abandoned.
                tracing::warn!(error = %crate::error_chain(&error), "could not record an idempotent response");
            }
            Ok(Created::New(icp))
        }
        Err(error) => {
            store.release_key(key, mine.claimed_at).await?;
            Err(error)
        }
    }
}

fn replay(body: String) -> IcpResult<Created> {
    let icp = serde_json::from_str(&body).map_err(corrupt)?;
    Ok(Created::Replayed { icp, body })
}

fn corrupt(error: serde_json::Error) -> IcpError {
    IcpError::Store(error.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_text() {
        assert!(check_key("3f1c0b1e-7d4a-4c1e-9a7e-0e6f1b2c3d4e").is_ok());
        assert!(check_key("order 42").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
        assert!(check_key("tab\there").is_err());
        assert!(check_key("ünïcode").is_err());
        assert!(check_key(" padded").is_err());
    }
}
