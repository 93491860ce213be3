//! Slows password guessing and account spam: sign-in attempts are counted per email and per client
//! address, sign-ups per client address, webhook test sends per user, and past a limit within the
//! window they are refused.
//!
//! An attempt is *reserved* before the password is looked at, in one atomic step that checks every
//! key and records the attempt, so parallel guesses cannot all pass the check before any is counted.
//! A successful sign-in then forgives the email's attempts and gives back its own address attempt.
//!
//! Where the counts live follows the database: on Postgres (possibly several app instances) in the
//! `auth_attempts` table, serialised per key by an advisory lock, so all instances enforce one limit;
//! on SQLite (one process) in this process's memory, bounded to `MAX_KEYS` keys.

use crate::domain::UserId;
use crate::store::{PgTries, StoreResult, Tries};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How far back attempts count, and so how long a refusal lasts at most.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins for one email within the window before it is refused.
pub const EMAIL_LIMIT: usize = 5;
/// Failed sign-ins from one client address within the window before it is refused. Higher than the
/// email limit because many people can share an address (an office, a NAT).
pub const ADDRESS_LIMIT: usize = 20;
/// Sign-ups (each one an expensive password hash and a new account) from one client address
/// within the window. Enough for a small team signing up together behind one NAT.
pub const SIGN_UP_LIMIT: usize = 10;
/// Password reset mails asked for one email within the window (each one fills an inbox).
pub const MAIL_TO_LIMIT: usize = 3;
/// Password reset mails asked for from one client address within the window.
pub const MAIL_FROM_LIMIT: usize = 10;
/// Webhook test sends one user asks for within the window (each one an outbound request to a URL
/// of their choosing, up to `webhooks::send::TIMEOUT`). Someone debugging a receiver sends one,
/// fixes something and sends again: 30 allows one every 30 s for the whole window, faster than a
/// receiver is changed by hand, while a script gets 30 requests per user per window. Not above 32,
/// so a key's queue needs no larger allocation than an address key's (`MAX_KEYS`'s memory holds).
pub const WEBHOOK_TEST_LIMIT: usize = 30;
/// The most keys kept in memory (SQLite). A key holds at most its limit of instants, so this bounds
/// the map to a few tens of MB. At the cap, expired keys are dropped first; if none can be, an attempt
/// needing a *new* key is refused (logged) rather than evicting a live key, because evicting would
/// reset someone's count. Reaching it takes thousands of client addresses within one window.
/// Measured full (95,238 email keys of one attempt, 4,762 address keys of 20): 35 MB of RSS.
pub const MAX_KEYS: usize = 100_000;
/// Emails longer than this are counted under their hash, so a key never grows with the input.
const MAX_EMAIL_KEY: usize = 64;

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A sign-in for this email (as typed, trimmed and lower-cased; long or odd ones hashed).
    Email(String),
    /// A sign-in from this client address (IPv6: its /64, which one client usually owns whole).
    Address(String),
    /// A sign-up from this client address.
    SignUp(String),
    /// A password reset mail to this email (as `Email` keeps it).
    MailTo(String),
    /// A password reset mail asked for from this client address.
    MailFrom(String),
    /// A webhook test send asked for by this user (their id, at most `UserId::MAX_LEN` bytes).
    WebhookTest(String),
}

impl Key {
    pub fn email(typed: &str) -> Key {
        let email = typed.trim().to_lowercase();
        if email.len() <= MAX_EMAIL_KEY && !email.chars().any(char::is_control) {
            Key::Email(email)
        } else {
            let digest = Sha256::digest(email.as_bytes());
            Key::Email(format!("#{}", hex::encode(&digest[..16])))
        }
    }

    pub fn address(address: IpAddr) -> Key {
        Key::Address(network(address))
    }

    pub fn sign_up(address: IpAddr) -> Key {
        Key::SignUp(network(address))
    }

    /// A password reset mail to `typed`.
    pub fn mail_to(typed: &str) -> Key {
        match Key::email(typed) {
            Key::Email(email) => Key::MailTo(email),
            other => other,
        }
    }

    pub fn mail_from(address: IpAddr) -> Key {
        Key::MailFrom(network(address))
    }

    /// A webhook test send by `user`, to any of their endpoints.
    pub fn webhook_test(user: &UserId) -> Key {
        Key::WebhookTest(user.as_str().to_owned())
    }

    pub fn limit(&self) -> usize {
        match self {
            Key::Email(_) => EMAIL_LIMIT,
            Key::Address(_) => ADDRESS_LIMIT,
            Key::SignUp(_) => SIGN_UP_LIMIT,
            Key::MailTo(_) => MAIL_TO_LIMIT,
            Key::MailFrom(_) => MAIL_FROM_LIMIT,
            Key::WebhookTest(_) => WEBHOOK_TEST_LIMIT,
        }
    }

    /// How the key is stored: a kind prefix and its value (at most ~80 bytes, never a NUL).
    fn stored(&self) -> String {
        match self {
            Key::Email(email) => format!("email:{email}"),
            Key::Address(address) => format!("address:{address}"),
            Key::SignUp(address) => format!("sign-up:{address}"),
            Key::MailTo(email) => format!("mail-to:{email}"),
            Key::MailFrom(address) => format!("mail-from:{address}"),
            Key::WebhookTest(user) => format!("webhook-test:{user}"),
        }
    }
}

/// An IPv4 address, or the /64 network of an IPv6 one.
fn network(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// An attempt that was let through; it stays counted unless given back.
#[derive(Debug)]
pub struct Attempt {
    id: Uuid,
    keys: Vec<Key>,
}

/// The answer to `reserve`.
#[derive(Debug)]
pub enum Reservation {
    Granted(Attempt),
    /// Some key is at its limit: try again after this long.
    Refused(Duration),
}

/// The attempt counts of this app (in `AppState`); cheap to clone, clones share the counts.
#[derive(Clone)]
pub struct Limiter {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<Memory>),
    /// In the database, where every instance on it counts (`store::Tries`).
    Shared(Arc<dyn Tries>),
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Memory(_) => "Limiter(memory)",
            Backend::Shared(_) => "Limiter(postgres)",
        })
    }
}

impl Limiter {
    /// Where attempts are counted for the database behind `pools`: in this process on SQLite (one
    /// process owns the file), in the database on Postgres (every instance on it shares the limits).
    pub fn for_database(pools: &crate::store::Pools) -> Self {
        match pools {
            crate::store::Pools::Sqlite { .. } => Self::in_memory(),
            crate::store::Pools::Postgres(pool) => Self::shared(pool.clone()),
        }
    }

    /// Counts in this process's memory (one process: SQLite).
    pub fn in_memory() -> Self {
        Self {
            backend: Backend::Memory(Arc::new(Memory::default())),
        }
    }

    /// Counts in Postgres's `auth_attempts` table, shared by every instance on that database.
    pub fn shared(pool: PgPool) -> Self {
        Self {
            backend: Backend::Shared(Arc::new(PgTries::new(pool))),
        }
    }

    /// Atomically checks every key and, when none is at its limit, counts one attempt against each.
    pub async fn reserve(&self, keys: &[Key]) -> StoreResult<Reservation> {
        let shared = match &self.backend {
            Backend::Memory(memory) => return Ok(memory.reserve_at(keys, Instant::now())),
            Backend::Shared(shared) => shared,
        };
        let limits: Vec<(String, usize)> =
            keys.iter().map(|key| (key.stored(), key.limit())).collect();
        Ok(match shared.reserve(&limits, WINDOW).await? {
            Ok(id) => Reservation::Granted(Attempt {
                id,
                keys: keys.to_vec(),
            }),
            Err(wait) => Reservation::Refused(wait),
        })
    }

    /// The attempt succeeded: its email keys are forgiven entirely; its other keys get this one
    /// attempt back (a success is no guess, but it must not reset the count of guesses at others).
    pub async fn succeeded(&self, attempt: Attempt) {
        self.give_back(attempt, true).await;
    }

    /// The attempt did not happen after all (invalid input, a server error): it is uncounted.
    pub async fn cancel(&self, attempt: Attempt) {
        self.give_back(attempt, false).await;
    }

    async fn give_back(&self, attempt: Attempt, forgive_emails: bool) {
        match &self.backend {
            Backend::Memory(memory) => memory.give_back(&attempt, forgive_emails),
            Backend::Shared(shared) => {
                let (forgiven, returned): (Vec<&Key>, Vec<&Key>) = attempt
                    .keys
                    .iter()
                    .partition(|key| forgive_emails && matches!(key, Key::Email(_)));
                let stored = |keys: Vec<&Key>| keys.into_iter().map(Key::stored).collect();
                let (forgiven, returned): (Vec<String>, Vec<String>) =
                    (stored(forgiven), stored(returned));
                let given = shared.give_back(attempt.id, &forgiven, &returned).await;
                if let Err(error) = given {
                    tracing::error!(error = %crate::error_chain(&error), "could not update the sign-in attempt counts");
                }
            }
        }
    }
}

/// Recent attempts per key, in memory.
#[derive(Default)]
struct Memory {
    attempts: Mutex<HashMap<Key, VecDeque<(Instant, Uuid)>>>,
    /// When the whole map was last swept for expired keys (only needed at the cap).
    swept_at: Mutex<Option<Instant>>,
}

/// At the cap, the whole map (100,000 keys: ~5 ms) is swept at most this often, so a flood of
/// new keys cannot make every request pay for a sweep under the lock.
const SWEEP_PAUSE: Duration = Duration::from_secs(1);

impl Memory {
    fn reserve_at(&self, keys: &[Key], now: Instant) -> Reservation {
        // A poisoned lock means a panic while counting; the counts are still usable.
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wait = Duration::ZERO;
        let mut new_keys = 0;
        for key in keys {
            match attempts.get_mut(key) {
                Some(times) => {
                    forget_old(times, now);
                    // Never more than `limit` are kept, so the oldest is the one to wait for.
                    if times.len() >= key.limit() {
                        if let Some((oldest, _)) = times.front() {
                            wait = wait.max(WINDOW.saturating_sub(now.duration_since(*oldest)));
                        }
                    }
                }
                None => new_keys += 1,
            }
        }
        if !wait.is_zero() {
            return Reservation::Refused(wait);
        }
        if attempts.len() + new_keys > MAX_KEYS {
            let mut swept_at = self
                .swept_at
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if swept_at.is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_PAUSE) {
                *swept_at = Some(now);
                attempts.retain(|_, times| {
                    forget_old(times, now);
                    !times.is_empty()
                });
            }
            if attempts.len() + new_keys > MAX_KEYS {
                tracing::error!(
                    keys = attempts.len(),
                    "sign-in limiter full: refusing attempts with new keys"
                );
                return Reservation::Refused(WINDOW);
            }
        }
        let id = Uuid::new_v4();
        for key in keys {
            attempts
                .entry(key.clone())
                .or_default()
                .push_back((now, id));
        }
        Reservation::Granted(Attempt {
            id,
            keys: keys.to_vec(),
        })
    }

    fn give_back(&self, attempt: &Attempt, forgive_emails: bool) {
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for key in &attempt.keys {
            if forgive_emails && matches!(key, Key::Email(_)) {
                attempts.remove(key);
            } else if let Some(times) = attempts.get_mut(key) {
                times.retain(|(_, id)| *id != attempt.id);
                if times.is_empty() {
                    attempts.remove(key);
                }
            }
        }
    }
}

fn forget_old(times: &mut VecDeque<(Instant, Uuid)>, now: Instant) {
    while times
        .front()
        .is_some_and(|(time, _)| now.duration_since(*time) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(reservation: Reservation) -> Attempt {
        match reservation {
            Reservation::Granted(attempt) => attempt,
            Reservation::Refused(wait) => panic!("refused for {wait:?}"),
        }
    }

    fn refused(reservation: Reservation) -> Duration {
        match reservation {
            Reservation::Refused(wait) => wait,
            Reservation::Granted(_) => panic!("granted"),
        }
    }

    #[test]
    fn refuses_after_the_limit_until_the_window_passes() {
        let memory = Memory::default();
        let email = [Key::email("ana@example.com")];
        let start = Instant::now();
        for _ in 0..EMAIL_LIMIT {
            granted(memory.reserve_at(&email, start));
        }
        assert_eq!(refused(memory.reserve_at(&email, start)), WINDOW);
        let later = start + Duration::from_secs(60);
        assert_eq!(
            refused(memory.reserve_at(&email, later)),
            WINDOW - Duration::from_secs(60)
        );
        granted(memory.reserve_at(&email, start + WINDOW));
    }

    #[test]
    fn reserving_counts_before_anything_is_evaluated() {
        // What parallel requests do: all reserve first, none has finished.
        let memory = Memory::default();
        let keys = [Key::email("ana@example.com")];
        let now = Instant::now();
        let let_through = (0..40)
            .filter(|_| matches!(memory.reserve_at(&keys, now), Reservation::Granted(_)))
            .count();
        assert_eq!(let_through, EMAIL_LIMIT);
    }

    #[test]
    fn a_refused_attempt_counts_against_no_key() {
        let memory = Memory::default();
        let now = Instant::now();
        let email = Key::email("ana@example.com");
        let address = Key::address("10.0.0.1".parse().unwrap());
        for _ in 0..EMAIL_LIMIT {
            granted(memory.reserve_at(std::slice::from_ref(&email), now));
        }
        for _ in 0..30 {
            refused(memory.reserve_at(&[email.clone(), address.clone()], now));
        }
        // The address was not charged for the refused tries.
        for n in 0..ADDRESS_LIMIT {
            let other = Key::email(&format!("user{n}@example.com"));
            granted(memory.reserve_at(&[other, address.clone()], now));
        }
    }

    #[test]
    fn keys_count_separately_and_success_forgives_the_email() {
        let memory = Memory::default();
        let now = Instant::now();
        let address = Key::address("10.0.0.1".parse().unwrap());
        for n in 0..ADDRESS_LIMIT {
            let keys = [Key::email(&format!("user{n}@example.com")), address.clone()];
            granted(memory.reserve_at(&keys, now));
        }
        let fresh = Key::email("new@example.com");
        refused(memory.reserve_at(&[fresh.clone(), address.clone()], now));
        granted(memory.reserve_at(&[fresh], now));

        let email = Key::email("bo@example.com");
        let other_address = Key::address("10.0.0.2".parse().unwrap());
        let mut last = None;
        for _ in 0..EMAIL_LIMIT {
            last = Some(granted(
                memory.reserve_at(&[email.clone(), other_address.clone()], now),
            ));
        }
        refused(memory.reserve_at(std::slice::from_ref(&email), now));
        // The last attempt succeeded: the email starts over, the address keeps the 4 failures.
        memory.give_back(&last.unwrap(), true);
        granted(memory.reserve_at(std::slice::from_ref(&email), now));
        let counted = memory.attempts.lock().unwrap()[&other_address].len();
        assert_eq!(counted, EMAIL_LIMIT - 1);
    }

    #[test]
    fn a_cancelled_attempt_is_not_counted() {
        let memory = Memory::default();
        let now = Instant::now();
        let key = [Key::sign_up("10.0.0.1".parse().unwrap())];
        for _ in 0..3 * SIGN_UP_LIMIT {
            let attempt = granted(memory.reserve_at(&key, now));
            memory.give_back(&attempt, false);
        }
        for _ in 0..SIGN_UP_LIMIT {
            granted(memory.reserve_at(&key, now));
        }
        refused(memory.reserve_at(&key, now));
    }

    #[test]
    fn webhook_test_sends_are_limited_per_user() {
        let memory = Memory::default();
        let now = Instant::now();
        let ana = [Key::webhook_test(&UserId::parse("user_ana").unwrap())];
        let bo = [Key::webhook_test(&UserId::parse("user_bo").unwrap())];
        for _ in 0..WEBHOOK_TEST_LIMIT {
            granted(memory.reserve_at(&ana, now));
        }
        assert_eq!(refused(memory.reserve_at(&ana, now)), WINDOW);
        // Another user's sends are counted on their own.
        for _ in 0..WEBHOOK_TEST_LIMIT {
            granted(memory.reserve_at(&bo, now));
        }
        refused(memory.reserve_at(&bo, now));
        granted(memory.reserve_at(&ana, now + WINDOW));
        // The longest user id still makes a short key.
        let longest = format!("user_{}", "a".repeat(UserId::MAX_LEN - 5));
        let key = Key::webhook_test(&UserId::parse(&longest).unwrap()).stored();
        assert_eq!(key, format!("webhook-test:{longest}"));
        assert!(key.len() <= 80, "{key}");
    }

    #[test]
    fn keys_are_short_whatever_is_typed() {
        let long = format!("{}@example.com", "a".repeat(10_000));
        let Key::Email(key) = Key::email(&long) else {
            unreachable!()
        };
        assert!(key.len() <= 40, "{key}");
        assert_eq!(Key::email(&long), Key::email(&long.to_uppercase()));
        assert_ne!(Key::email(&long), Key::email(&format!("b{long}")));
        let Key::Email(key) = Key::email("ana\0@example.com") else {
            unreachable!()
        };
        assert!(!key.contains('\0'));
        assert_eq!(
            Key::email("  Ana@Example.com "),
            Key::Email("ana@example.com".into())
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_network() {
        let one = Key::address("2001:db8:1:2:aaaa::1".parse().unwrap());
        let same_network = Key::address("2001:db8:1:2:bbbb::9".parse().unwrap());
        let other = Key::address("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(one, same_network);
        assert_ne!(one, other);
        assert_eq!(
            Key::address("::ffff:10.0.0.1".parse().unwrap()),
            Key::address("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn at_the_cap_new_keys_are_refused_and_old_counts_kept() {
        let memory = Memory::default();
        let now = Instant::now();
        let victim = Key::email("victim@example.com");
        for _ in 0..EMAIL_LIMIT - 1 {
            granted(memory.reserve_at(std::slice::from_ref(&victim), now));
        }
        {
            let mut attempts = memory.attempts.lock().unwrap();
            for n in 0..MAX_KEYS - 1 {
                attempts.insert(
                    Key::Email(format!("filler{n}")),
                    VecDeque::from([(now, Uuid::nil())]),
                );
            }
        }
        refused(memory.reserve_at(&[Key::email("new@example.com")], now));
        // The victim's count survived: one more failure and it is locked.
        granted(memory.reserve_at(std::slice::from_ref(&victim), now));
        refused(memory.reserve_at(std::slice::from_ref(&victim), now));
        // Once the fillers expire they make room.
        let later = now + WINDOW;
        granted(memory.reserve_at(&[Key::email("new@example.com")], later));
    }
}
