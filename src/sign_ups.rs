//! Sign-ups the policy (`SIGN_UP`) refused: why each was, and its record (`store::SignUpRefusals`)
//! — for the administrator (`icp-builder audit sign-ups`) and, when it came through an open
//! invitation's link for another address, in that workspace's audit log.
#![cfg(feature = "ssr")]

use crate::domain::Timestamp;
use crate::store::{
    NewRefusal, RefusalReason, Store, StoreResult, ThroughInvitation, REFUSALS_MAX_KEPT,
};
use crate::workspaces::{self, WorkspaceError};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window `RECORDED` counts in: the hourly sweep's interval, so that between two sweeps a
/// process adds at most `REFUSALS_MAX_KEPT` rows to the ones the sweep leaves.
const WINDOW: Duration = Duration::from_secs(3600);

/// How many refusals this process may still record in the current window. Anyone can post a
/// refused sign-up, and the sweep runs hourly: without this, a flood would grow the table (and an
/// invited workspace's audit log) by whatever the server can take until the next sweep.
static RECORDED: Mutex<Option<Budget>> = Mutex::new(None);

/// A count of what was done in a fixed window.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Budget {
    since: Instant,
    used: u32,
}

impl Budget {
    /// Takes one from `budget` (a new window once `WINDOW` has passed since the last began): false
    /// when `limit` were taken in this window.
    fn take(budget: &mut Option<Budget>, now: Instant, limit: u32) -> bool {
        let current = match budget {
            Some(current) if now.duration_since(current.since) < WINDOW => current,
            _ => budget.insert(Budget {
                since: now,
                used: 0,
            }),
        };
        if current.used >= limit {
            return false;
        }
        current.used += 1;
        true
    }
}

/// Why a sign-up that came with `next` (the page to go on to: an invitation's link
/// `/invite/{token}`, or another) was refused, with the invitation when it is open.
async fn why_refused(
    store: &dyn Store,
    next: &str,
) -> StoreResult<(RefusalReason, Option<ThroughInvitation>)> {
    let Some(token) = next.strip_prefix("/invite/") else {
        return Ok((RefusalReason::SignUpClosed, None));
    };
    match workspaces::open_invitation(store, token).await {
        // Open, and the policy refused: it names another address (its own is admitted).
        Ok(invitation) => {
            let through = ThroughInvitation {
                workspace: invitation.workspace.id,
                invited: invitation.email,
            };
            Ok((RefusalReason::InvitedAnotherAddress, Some(through)))
        }
        Err(WorkspaceError::Store(error)) => Err(error),
        Err(_) => Ok((RefusalReason::InvitationClosed, None)),
    }
}

/// Records the sign-up of `email` (as typed) from `address` that the policy refused (`next`: where
/// the sign-up was to go on to) and says why. Past this process's budget for the hour, nothing is
/// stored (the reason is still given, for the log and the metric).
pub async fn record_refusal(
    store: &dyn Store,
    email: &str,
    next: &str,
    address: Option<IpAddr>,
) -> StoreResult<RefusalReason> {
    let (reason, invitation) = why_refused(store, next).await?;
    let within = {
        let mut budget = RECORDED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Budget::take(&mut budget, Instant::now(), REFUSALS_MAX_KEPT)
    };
    if !within {
        tracing::warn!(
            reason = reason.as_str(),
            "sign-up refusal not recorded: {REFUSALS_MAX_KEPT} recorded in the last hour"
        );
        return Ok(reason);
    }
    let refusal = NewRefusal {
        at: Timestamp::now(),
        email: email.to_owned(),
        reason,
        address,
        invitation,
    };
    store.record_sign_up_refusal(&refusal).await?;
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_past_its_limit_until_the_window_ends() {
        let start = Instant::now();
        let mut budget = None;
        assert!(Budget::take(&mut budget, start, 2));
        assert!(Budget::take(
            &mut budget,
            start + Duration::from_secs(10),
            2
        ));
        assert!(!Budget::take(
            &mut budget,
            start + Duration::from_secs(20),
            2
        ));
        assert!(!Budget::take(
            &mut budget,
            start + WINDOW - Duration::from_millis(1),
            2
        ));
        // A new window starts from the first take after the last one ended.
        let later = start + WINDOW;
        assert!(Budget::take(&mut budget, later, 2));
        assert_eq!(
            budget,
            Some(Budget {
                since: later,
                used: 1
            })
        );
    }
}
