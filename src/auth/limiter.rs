//! Slows password guessing: after too many failed sign-ins for one email or from one client address,
//! sign-in is refused for a while.
//!
//! The counts live in this process's memory: each instance counts on its own and a restart forgets
//! them. That is enough to make online guessing slow; several instances behind a load balancer each
//! allow their own quota.

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// How far back failures count, and so how long a refusal lasts at most.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures for one email within the window before it is refused.
pub const EMAIL_LIMIT: usize = 5;
/// Failures from one client address within the window before it is refused. Higher than the email
/// limit because many people can share an address (an office, a NAT).
pub const ADDRESS_LIMIT: usize = 20;
/// Beyond this many keys, keys without recent failures are dropped, so the map stays small.
const PRUNE_ABOVE: usize = 10_000;

/// What a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Email(String),
    Address(String),
}

impl Key {
    fn limit(&self) -> usize {
        match self {
            Key::Email(_) => EMAIL_LIMIT,
            Key::Address(_) => ADDRESS_LIMIT,
        }
    }
}

/// Recent failed sign-ins, per key.
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// The limiter of this process.
pub fn sign_in_limiter() -> &'static Limiter {
    static LIMITER: LazyLock<Limiter> = LazyLock::new(Limiter::default);
    &LIMITER
}

impl Limiter {
    /// `Err(wait)` when any key has reached its limit: try again after `wait`.
    pub fn check(&self, keys: &[Key]) -> Result<(), Duration> {
        self.check_at(keys, Instant::now())
    }

    pub fn record_failure(&self, keys: &[Key]) {
        self.record_failure_at(keys, Instant::now());
    }

    /// A successful sign-in forgives the email's failures (not the address's: one's own account
    /// must not reset the count of guesses at others).
    pub fn forgive(&self, key: &Key) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    fn check_at(&self, keys: &[Key], now: Instant) -> Result<(), Duration> {
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                forget_old(times, now);
                // Refused until the oldest failure that still counts leaves the window.
                if times.len() >= key.limit() {
                    if let Some(oldest) = times.iter().rev().nth(key.limit() - 1) {
                        wait = wait.max(WINDOW.saturating_sub(now.duration_since(*oldest)));
                    }
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    fn record_failure_at(&self, keys: &[Key], now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        for key in keys {
            let times = failures.entry(key.clone()).or_default();
            forget_old(times, now);
            times.push_back(now);
            // Only the newest `limit` failures matter.
            while times.len() > key.limit() {
                times.pop_front();
            }
        }
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|time| now.duration_since(*time) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_passes() {
        let limiter = Limiter::default();
        let email = [Key::Email("ana@example.com".into())];
        let start = Instant::now();
        for _ in 0..EMAIL_LIMIT - 1 {
            limiter.record_failure_at(&email, start);
        }
        assert_eq!(limiter.check_at(&email, start), Ok(()));
        limiter.record_failure_at(&email, start);
        assert_eq!(limiter.check_at(&email, start), Err(WINDOW));
        let later = start + Duration::from_secs(60);
        assert_eq!(
            limiter.check_at(&email, later),
            Err(WINDOW - Duration::from_secs(60))
        );
        assert_eq!(limiter.check_at(&email, start + WINDOW), Ok(()));
    }

    #[test]
    fn keys_count_separately_and_success_forgives_the_email() {
        let limiter = Limiter::default();
        let now = Instant::now();
        let address = Key::Address("10.0.0.1".into());
        for n in 0..ADDRESS_LIMIT {
            let keys = [Key::Email(format!("user{n}@example.com")), address.clone()];
            assert_eq!(limiter.check_at(&keys, now), Ok(()));
            limiter.record_failure_at(&keys, now);
        }
        let fresh_email = Key::Email("new@example.com".into());
        assert!(limiter
            .check_at(&[fresh_email.clone(), address.clone()], now)
            .is_err());
        assert_eq!(limiter.check_at(&[fresh_email], now), Ok(()));

        let email = Key::Email("bo@example.com".into());
        for _ in 0..EMAIL_LIMIT {
            limiter.record_failure_at(std::slice::from_ref(&email), now);
        }
        assert!(limiter.check_at(std::slice::from_ref(&email), now).is_err());
        limiter.forgive(&email);
        assert_eq!(limiter.check_at(&[email], now), Ok(()));
    }
}
