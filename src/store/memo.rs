//! Answers the database gave, remembered so the next identical question skips a round trip (the
//! largest part of a small read's cost). Used for who an API token belongs to, for `TOKEN_TTL`: an
//! integration sends its token with every request, and looking it up each time was half the cost
//! of a `GET` of one ICP. A token revoked through this process is forgotten at once; one revoked by
//! another process (a second instance, the CLI) stops working here within `TOKEN_TTL`.

use super::{user_id, StoreResult};
use crate::domain::UserId;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token's owner is trusted without asking the database again.
pub const TOKEN_TTL: Duration = Duration::from_secs(1);

/// Who each API token belongs to, by the token's hash.
pub struct TokenOwners(Memo<Vec<u8>, UserId>);

impl Default for TokenOwners {
    fn default() -> Self {
        Self(Memo::new(Some(TOKEN_TTL), 10_000))
    }
}

impl TokenOwners {
    /// The owner of the unrevoked token `hash`: remembered, or else what `lookup` (a query for
    /// the owner's id, run only when needed) finds.
    pub async fn owner(
        &self,
        hash: &[u8],
        lookup: impl Future<Output = Result<Option<String>, sqlx::Error>>,
    ) -> StoreResult<Option<UserId>> {
        let fetch = async { lookup.await?.map(|id| user_id(&id)).transpose() };
        self.0.get_or_fetch(&hash.to_vec(), fetch).await
    }

    /// After a token was revoked.
    pub fn forget_all(&self) {
        self.0.forget_all();
    }
}

pub struct Memo<K, V> {
    inner: Mutex<Inner<K, V>>,
    /// `None`: valid until forgotten.
    pub(super) ttl: Option<Duration>,
    /// Entries kept at most; past it, the expired ones go, and if none has, all of them.
    capacity: usize,
}

struct Inner<K, V> {
    entries: HashMap<K, (V, Instant)>,
    /// Bumped by every `forget_all`: a read that started before one does not store its answer.
    generation: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    pub fn new(ttl: Option<Duration>, capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
            }),
            ttl,
            capacity,
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
            if let Some((value, at)) = inner.entries.get(key) {
                if self.fresh(*at, now) {
                    return Ok(Some(value.clone()));
                }
            }
            inner.generation
        };
        let found = fetch.await?;
        if let Some(value) = &found {
            let mut inner = self.lock();
            if inner.generation == generation {
                if inner.entries.len() >= self.capacity {
                    inner.entries.retain(|_, (_, at)| self.fresh(*at, now));
                    if inner.entries.len() >= self.capacity {
                        inner.entries.clear();
                    }
                }
                inner.entries.insert(key.clone(), (value.clone(), now));
            }
        }
        Ok(found)
    }

    /// After a change to these keys' values (and to nothing else remembered).
    pub fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k K>)
    where
        K: 'k,
    {
        let mut inner = self.lock();
        for key in keys {
            inner.entries.remove(key);
        }
        inner.generation += 1;
    }

    /// After a change that may touch any entry.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
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
        let (memo, calls) = (Memo::new(None, 10), AtomicUsize::new(0));
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
        let (memo, calls) = (Memo::new(None, 10), AtomicUsize::new(0));
        assert_eq!(ask(&memo, 1, None, &calls).await, None);
        assert_eq!(ask(&memo, 1, Some(2), &calls).await, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn values_expire_after_their_ttl() {
        let (memo, calls) = (Memo::new(Some(Duration::ZERO), 10), AtomicUsize::new(0));
        ask(&memo, 1, Some(1), &calls).await;
        assert_eq!(ask(&memo, 1, Some(2), &calls).await, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_answer_read_before_a_change_is_not_kept() {
        let memo = Memo::new(None, 10);
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

    #[tokio::test]
    async fn it_stays_bounded() {
        let (memo, calls) = (Memo::new(None, 100), AtomicUsize::new(0));
        for key in 0..=100 {
            ask(&memo, key, Some(key), &calls).await;
        }
        assert!(memo.lock().entries.len() <= 100);
        assert_eq!(ask(&memo, 100, None, &calls).await, Some(100));
    }
}
