//! Answers the database gave, remembered so the next identical question skips a round trip (the
//! largest part of a small read's cost). Used for who an API token belongs to, for `TOKEN_TTL`: an
//! integration sends its token with every request, and looking it up each time was half the cost
//! of a `GET` of one ICP. A token revoked through this process is forgotten at once; one revoked by
//! another process (a second instance, the CLI) stops working here within `TOKEN_TTL`. A token's
//! expiry is remembered with it and checked at every use, so it stops working at its expiry.

use super::{StoreResult, TokenOwner};
use crate::domain::Timestamp;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a token's owner is trusted without asking the database again.
pub const TOKEN_TTL: Duration = Duration::from_secs(1);

/// The bytes every in-memory cache of the process may hold together, unless `set_budget` says
/// otherwise (`CACHE_BYTES`): ICPs take 1/2, list pages 7/16, token owners 1/16.
pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;
static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET);

/// Sets the bytes all caches made from now on share (the server does it once, before its store).
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes, Ordering::SeqCst);
}

/// `sixteenths` of the caches' budget, in bytes.
pub fn share(sixteenths: usize) -> usize {
    BUDGET.load(Ordering::SeqCst) / 16 * sixteenths
}

/// How often a token's last use is written at most (per token, per process): a token sent with
/// every request is noted at its first use and then once a minute, not once a request.
pub const LAST_USE_EVERY: Duration = Duration::from_secs(60);

/// A token as the database knows it: whose it is, what it may do, until when, and when its use
/// was last noted (shared by every copy of a remembered answer, so one request of many notes it).
#[derive(Debug)]
pub struct KnownToken {
    pub id: Uuid,
    pub owner: TokenOwner,
    pub expires_at: Option<Timestamp>,
    /// The milliseconds of the last use noted (read with the token, or noted since); 0: never.
    last_noted: AtomicI64,
}

impl KnownToken {
    pub fn new(
        id: Uuid,
        owner: TokenOwner,
        expires_at: Option<Timestamp>,
        last_used_at: Option<Timestamp>,
    ) -> Self {
        Self {
            id,
            owner,
            expires_at,
            last_noted: AtomicI64::new(last_used_at.map_or(0, |at| at.millis())),
        }
    }

    /// It still works at `now`: not past its expiry.
    pub fn live_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// Whether a use at `now` is to be written: true for one caller once `LAST_USE_EVERY` has
    /// passed since the last use noted (which then is `now`), false for everyone else.
    pub fn note_use(&self, now: Timestamp) -> bool {
        let every = i64::try_from(LAST_USE_EVERY.as_millis()).unwrap_or(i64::MAX);
        let last = self.last_noted.load(Ordering::Acquire);
        now.millis().saturating_sub(last) >= every
            && self
                .last_noted
                .compare_exchange(last, now.millis(), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }
}

/// Who each API token belongs to, by the token's hash.
pub struct TokenOwners(Memo<Vec<u8>, Arc<KnownToken>>);

impl Default for TokenOwners {
    fn default() -> Self {
        // A hash (32 bytes), an owner id (~30), the token's id, scope, expiry and last use (~64),
        // the `Arc`'s counts and the map's own share of an entry.
        let weigh = |hash: &Vec<u8>, token: &Arc<KnownToken>| {
            hash.len() + token.owner.user.as_str().len() + 64 + 16 + 96
        };
        Self(Memo::new(Some(TOKEN_TTL), share(1), weigh))
    }
}

impl TokenOwners {
    /// The unrevoked token `hash`, expired or not: remembered, or else what `lookup` (a query
    /// for it, run only when needed) finds.
    pub async fn token(
        &self,
        hash: &[u8],
        lookup: impl Future<Output = StoreResult<Option<KnownToken>>>,
    ) -> StoreResult<Option<Arc<KnownToken>>> {
        let fetch = async { Ok(lookup.await?.map(Arc::new)) };
        self.0.get_or_fetch(&hash.to_vec(), fetch).await
    }

    /// After a token was revoked.
    pub fn forget_all(&self) {
        self.0.forget_all();
    }
}

/// Answers remembered by key, weighed in bytes: at most `max_bytes` together.
pub struct Memo<K, V> {
    inner: Mutex<Inner<K, V>>,
    /// `None`: valid until forgotten.
    pub(super) ttl: Option<Duration>,
    /// Bytes kept at most, as `weigh` counts them; past it, the expired entries go, and if that is
    /// not enough, all of them. An entry weighing more than an eighth of it is not kept at all.
    max_bytes: usize,
    /// What an entry costs in memory (its key and value, and the map's share), in bytes.
    weigh: fn(&K, &V) -> usize,
}

struct Inner<K, V> {
    /// Each entry with its weight and when it was read.
    entries: HashMap<K, (V, usize, Instant)>,
    /// The sum of the entries' weights.
    bytes: usize,
    /// Bumped by every `forget_all`: a read that started before one does not store its answer.
    generation: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    pub fn new(ttl: Option<Duration>, max_bytes: usize, weigh: fn(&K, &V) -> usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                bytes: 0,
                generation: 0,
            }),
            ttl,
            max_bytes,
            weigh,
        }
    }

    /// The remembered answer for `key`, or else `fetch`'s. Only found values (`Some`) are
    /// remembered: a missing row is asked for again.
    pub async fn get_or_fetch<F, E>(&self, key: &K, fetch: F) -> Result<Option<V>, E>
    where
        F: Future<Output = Result<Option<V>, E>>,
    {
        let now = Instant::now();
        let generation = {
            let inner = self.lock();
            if let Some((value, _, at)) = inner.entries.get(key) {
                if self.fresh(*at, now) {
                    return Ok(Some(value.clone()));
                }
            }
            inner.generation
        };
        let found = fetch.await?;
        if let Some(value) = &found {
            let weight = (self.weigh)(key, value);
            let mut inner = self.lock();
            if inner.generation == generation && weight <= self.max_bytes / 8 {
                if inner.bytes + weight > self.max_bytes {
                    inner.entries.retain(|_, (_, _, at)| self.fresh(*at, now));
                    inner.bytes = inner.entries.values().map(|(_, w, _)| w).sum();
                    if inner.bytes + weight > self.max_bytes {
                        inner.entries.clear();
                        inner.bytes = 0;
                    }
                }
                let old = inner
                    .entries
                    .insert(key.clone(), (value.clone(), weight, now));
                inner.bytes += weight;
                inner.bytes -= old.map_or(0, |(_, w, _)| w);
            }
        }
        Ok(found)
    }

    /// The bytes held now, as the entries were weighed.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// After a change to these keys' values (and to nothing else remembered).
    pub fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k K>)
    where
        K: 'k,
    {
        let mut inner = self.lock();
        for key in keys {
            if let Some((_, weight, _)) = inner.entries.remove(key) {
                inner.bytes -= weight;
            }
        }
        inner.generation += 1;
    }

    /// After a change that may touch any entry.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
        inner.generation += 1;
    }

    fn fresh(&self, at: Instant, now: Instant) -> bool {
        self.ttl.is_none_or(|ttl| now.duration_since(at) < ttl)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // The map holds no invariant a panicking holder could break.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn ask(
        memo: &Memo<u32, u32>,
        key: u32,
        answer: Option<u32>,
        calls: &AtomicUsize,
    ) -> Option<u32> {
        memo.get_or_fetch(&key, async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(answer)
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_found_value_is_fetched_once_until_forgotten() {
        let (memo, calls) = (Memo::new(None, 800, weigh), AtomicUsize::new(0));
        assert_eq!(ask(&memo, 1, Some(10), &calls).await, Some(10));
        assert_eq!(ask(&memo, 1, Some(11), &calls).await, Some(10));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        memo.forget_all();
        assert_eq!(ask(&memo, 1, None, &calls).await, None);
        assert_eq!(ask(&memo, 1, Some(12), &calls).await, Some(12));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn missing_values_are_always_fetched() {
        let (memo, calls) = (Memo::new(None, 800, weigh), AtomicUsize::new(0));
        assert_eq!(ask(&memo, 1, None, &calls).await, None);
        assert_eq!(ask(&memo, 1, Some(2), &calls).await, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn values_expire_after_their_ttl() {
        let (memo, calls) = (
            Memo::new(Some(Duration::ZERO), 800, weigh),
            AtomicUsize::new(0),
        );
        ask(&memo, 1, Some(1), &calls).await;
        assert_eq!(ask(&memo, 1, Some(2), &calls).await, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_answer_read_before_a_change_is_not_kept() {
        let memo = Memo::new(None, 800, weigh);
        let found = memo
            .get_or_fetch(&1, async {
                // The row changes while it is being read.
                memo.forget_all();
                Ok::<_, Infallible>(Some(1))
            })
            .await
            .unwrap();
        assert_eq!(found, Some(1));
        let calls = AtomicUsize::new(0);
        assert_eq!(ask(&memo, 1, Some(2), &calls).await, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    fn known(expires_at: Option<Timestamp>, last_used_at: Option<Timestamp>) -> KnownToken {
        let owner = TokenOwner {
            user: crate::domain::UserId::parse("user_ana").unwrap(),
            scope: crate::account::TokenScope::Read,
        };
        KnownToken::new(Uuid::now_v7(), owner, expires_at, last_used_at)
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis).unwrap()
    }

    #[tokio::test]
    async fn a_remembered_token_stops_working_at_its_expiry() {
        let owners = TokenOwners::default();
        let calls = AtomicUsize::new(0);
        let lookup = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Some(known(Some(at(10_000)), None)))
        };
        let first = owners.token(b"hash", lookup()).await.unwrap().unwrap();
        let again = owners.token(b"hash", lookup()).await.unwrap().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "remembered");
        assert!(first.live_at(at(9_999)));
        assert!(!again.live_at(at(10_000)));
        assert!(known(None, None).live_at(at(Timestamp::MAX_MILLIS)));
    }

    #[test]
    fn a_use_is_noted_at_most_once_a_minute() {
        let minute = i64::try_from(LAST_USE_EVERY.as_millis()).unwrap();
        let first = 1_700_000_000_000;
        let never = known(None, None);
        assert!(never.note_use(at(first)));
        assert!(!never.note_use(at(first)));
        assert!(!never.note_use(at(first + minute - 1)));
        assert!(never.note_use(at(first + minute)));
        let lately = known(None, Some(at(first)));
        assert!(!lately.note_use(at(first + minute - 1)));
        assert!(lately.note_use(at(first + minute)));
    }

    /// Each entry weighs as much as its value says.
    fn weigh(_: &u32, value: &u32) -> usize {
        *value as usize
    }

    #[tokio::test]
    async fn it_stays_within_its_bytes() {
        let (memo, calls) = (Memo::new(None, 1_000, weigh), AtomicUsize::new(0));
        for key in 0..=100 {
            ask(&memo, key, Some(100 + key % 10), &calls).await;
            assert!(memo.bytes() <= 1_000, "{} bytes", memo.bytes());
            let held: usize = memo.lock().entries.values().map(|(_, w, _)| w).sum();
            assert_eq!(held, memo.bytes());
        }
        assert_eq!(ask(&memo, 100, None, &calls).await, Some(100));
        let before = memo.bytes();
        memo.forget([&100]);
        assert_eq!(memo.bytes(), before - 100);
        memo.forget_all();
        assert_eq!(memo.bytes(), 0);
    }

    #[tokio::test]
    async fn an_entry_too_big_for_its_share_is_not_kept() {
        let (memo, calls) = (Memo::new(None, 1_000, weigh), AtomicUsize::new(0));
        assert_eq!(ask(&memo, 1, Some(126), &calls).await, Some(126));
        assert_eq!(ask(&memo, 1, Some(127), &calls).await, Some(127));
        assert_eq!(memo.bytes(), 0);
        assert_eq!(ask(&memo, 2, Some(125), &calls).await, Some(125));
        assert_eq!(memo.bytes(), 125);
    }
}
