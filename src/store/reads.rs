//! ICPs and list pages as the database last gave them, so that reading one ICP or a page of them
//! again skips the round trip to the database — most of such a read's cost (see BENCHMARKS.md).
//!
//! Only reads that show an ICP use this (`GET` of one ICP, list pages, the ICP's page); anything
//! that changes an ICP reads it from the database, and writes check the version they read there.
//!
//! Kept exact by forgetting: every ICP write of this process forgets what it touched after it
//! commits and before it is acknowledged (`changed`), and a read that started before a change
//! does not keep its answer (the memo's generation). Changes made elsewhere: on SQLite there is no
//! elsewhere (one server per file; the CLI writes only users and tokens); on Postgres, each ICP
//! change notifies `icp_changes` in its transaction (a trigger, migration 0009), and
//! `postgres/notify.rs` forgets what each notification names. While this process is not listening
//! (starting, or its listening connection lost), nothing is remembered or answered from memory;
//! and on Postgres nothing is trusted longer than `HEARD_TTL`, in case the listening connection
//! dies without a word.

use super::list::{ListFilter, Listed};
use super::memo::{share, Memo};
use super::{ListCursor, StoreError, StoreResult};
use crate::domain::{Icp, UserId};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use uuid::Uuid;

/// How long a remembered read is trusted when changes arrive as notifications (Postgres): as long
/// as an API token's owner (`memo::TOKEN_TTL`).
const HEARD_TTL: Duration = super::memo::TOKEN_TTL;

/// A list page's question: whose ICPs, which filter, from where, how many.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub member: UserId,
    pub filter: ListFilter,
    pub after: Option<ListCursor>,
    pub limit: u32,
}

impl PageKey {
    /// A page of every ICP shared with `member` (unfiltered, newest first).
    pub fn every(member: &UserId, after: Option<ListCursor>, limit: u32) -> Self {
        Self {
            member: member.clone(),
            filter: ListFilter::default(),
            after,
            limit,
        }
    }
}

/// A list page as read, and its JSON once an answer needed it.
#[derive(Debug, Default)]
pub struct Page {
    pub listed: Listed,
    json: OnceLock<Box<str>>,
}

impl Page {
    /// The JSON array of the page's ICPs, made once.
    pub fn json(&self) -> serde_json::Result<&str> {
        json_once(&self.json, &self.listed.icps)
    }

    /// `json()` as an answer's body that shares the page's text rather than copying it (a page of
    /// large ICPs is megabytes, and every request for it would hold its own copy).
    pub fn json_body(self: &Arc<Self>) -> serde_json::Result<bytes::Bytes> {
        self.json()?;
        Ok(bytes::Bytes::from_owner(PageText(self.clone())))
    }
}

/// A page's JSON, made: the bytes of an answer's body.
struct PageText(Arc<Page>);

impl AsRef<[u8]> for PageText {
    fn as_ref(&self) -> &[u8] {
        self.0.json.get().map_or(&[][..], |json| json.as_bytes())
    }
}

/// An ICP as read, and its JSON once an answer needed it.
#[derive(Debug)]
pub struct CachedIcp {
    pub icp: Icp,
    json: OnceLock<Box<str>>,
}

impl CachedIcp {
    /// The ICP as JSON, made once.
    pub fn json(&self) -> serde_json::Result<&str> {
        json_once(&self.json, &self.icp)
    }
}

/// `value` as JSON, written into `cell` by the first caller and read from it after.
fn json_once<'a, T: serde::Serialize + ?Sized>(
    cell: &'a OnceLock<Box<str>>,
    value: &T,
) -> serde_json::Result<&'a str> {
    if let Some(json) = cell.get() {
        return Ok(json);
    }
    let json = serde_json::to_string(value)?;
    Ok(cell.get_or_init(|| json.into()))
}

/// What a remembered ICP costs in memory: its typed fields, about its JSON text's length (its
/// provider-specific filters are held as text), and the JSON text once shown (made then, so
/// counted ahead).
fn icp_bytes(icp: &Icp) -> usize {
    size_of::<Icp>() + 2 * json_len(icp)
}

/// The length of `value`'s JSON text, counted without writing it.
fn json_len<T: serde::Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter does not fail; a value that cannot be written is not kept for long.
    serde_json::to_writer(&mut count, value).map_or(usize::MAX / 2, |()| count.0)
}

pub struct ReadCache {
    icps: Memo<Uuid, Arc<CachedIcp>>,
    pages: Memo<PageKey, Arc<Page>>,
    /// Whether every change to the database reaches `changed`/`changed_elsewhere`.
    live: AtomicBool,
}

impl ReadCache {
    /// For a database only this process changes (SQLite).
    pub fn live() -> Self {
        let reads = Self::new(None);
        reads.live.store(true, Ordering::SeqCst);
        reads
    }

    /// For a database others change too: used once `resume` says changes are heard (Postgres).
    /// Whatever is remembered is also read again after `HEARD_TTL`, so that a listening connection
    /// that died without a word (a network path dropped silently) cannot keep an answer longer.
    pub fn waiting() -> Self {
        Self::new(Some(HEARD_TTL))
    }

    fn new(ttl: Option<Duration>) -> Self {
        Self {
            // Half of the caches' budget (`memo::share`) for ICPs, 7/16 for list pages.
            icps: Memo::new(ttl, share(8), |_, shown| icp_bytes(&shown.icp)),
            pages: Memo::new(ttl, share(7), |key, page| {
                size_of::<PageKey>()
                    + key.filter.words.iter().map(|w| w.len() + 24).sum::<usize>()
                    + page.listed.icps.iter().map(icp_bytes).sum::<usize>()
            }),
            live: AtomicBool::new(false),
        }
    }

    /// The bytes remembered now: ICPs, list pages.
    pub fn bytes(&self) -> (usize, usize) {
        (self.icps.bytes(), self.pages.bytes())
    }

    /// Whether reads are remembered now (every change to the database is heard).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// The ICP `id`, remembered or else as `fetch` reads it from the database.
    pub async fn icp(
        &self,
        id: Uuid,
        fetch: impl Future<Output = StoreResult<Option<Icp>>>,
    ) -> StoreResult<Option<Arc<CachedIcp>>> {
        let fetch = async {
            let icp = fetch.await?;
            Ok::<_, StoreError>(icp.map(|icp| {
                Arc::new(CachedIcp {
                    icp,
                    json: OnceLock::new(),
                })
            }))
        };
        if self.is_live() {
            self.icps.get_or_fetch(&id, fetch).await
        } else {
            fetch.await
        }
    }

    /// The list page `key` asks for, remembered or else as `fetch` reads it. A filter on
    /// `activeUntil` depends on the time of asking, so such pages are always read.
    pub async fn page(
        &self,
        key: &PageKey,
        fetch: impl Future<Output = StoreResult<Listed>>,
    ) -> StoreResult<Arc<Page>> {
        let fetch = async {
            let listed = fetch.await?;
            Ok::<_, StoreError>(Some(Arc::new(Page {
                listed,
                json: OnceLock::new(),
            })))
        };
        let found = if self.is_live() && key.filter.active.is_none() {
            self.pages.get_or_fetch(key, fetch).await?
        } else {
            fetch.await?
        };
        Ok(found.unwrap_or_default())
    }

    /// After this process changed (or tried to change) the ICPs `ids`: a page may list any ICP.
    pub fn changed<'a>(&self, ids: impl IntoIterator<Item = &'a Uuid>) {
        self.icps.forget(ids);
        self.pages.forget_all();
    }

    /// After a change that may touch any ICP (a user moving between workspaces).
    pub fn changed_all(&self) {
        self.icps.forget_all();
        self.pages.forget_all();
    }

    /// A change notified by the database: an ICP's id, `new` for new ICPs, or anything else for
    /// "any ICP".
    pub fn changed_elsewhere(&self, payload: &str) {
        match Uuid::try_parse(payload) {
            Ok(id) => self.changed([&id]),
            Err(_) if payload == "new" => self.changed(std::iter::empty()),
            Err(_) => self.changed_all(),
        }
    }

    /// Changes may go unheard from now on: forget everything and read from the database.
    pub fn suspend(&self) {
        self.live.store(false, Ordering::SeqCst);
        self.changed_all();
    }

    /// Every change is heard from now on (anything read before is not kept).
    pub fn resume(&self) {
        self.changed_all();
        self.live.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn icp(name: &str) -> Icp {
        serde_json::from_value(serde_json::json!({
            "id": "01a22b48-0f03-74b8-861c-c6972d6733d2",
            "name": name,
            "leadProviderCriteria": [],
            "customFilterCriteria": [],
            "userIds": ["user_a"],
            "leadsPerList": 10,
            "createdAt": "2026-11-30T07:00:00.000Z",
            "updatedAt": "2026-11-30T07:00:00.000Z",
        }))
        .unwrap()
    }

    async fn read(reads: &ReadCache, id: Uuid, name: &str, calls: &AtomicUsize) -> String {
        let found = reads
            .icp(id, async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(Some(icp(name)))
            })
            .await
            .unwrap();
        found.unwrap().icp.name.clone()
    }

    fn key(limit: u32, active: Option<bool>) -> PageKey {
        PageKey {
            member: UserId::parse("user_a").unwrap(),
            filter: ListFilter {
                active,
                ..ListFilter::default()
            },
            after: None,
            limit,
        }
    }

    async fn page(reads: &ReadCache, key: &PageKey, name: &str, calls: &AtomicUsize) -> String {
        let found = reads
            .page(key, async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(Listed {
                    icps: vec![icp(name)],
                    more: false,
                })
            })
            .await
            .unwrap();
        found.listed.icps[0].name.clone()
    }

    #[tokio::test]
    async fn an_icp_is_read_once_until_it_changes() {
        let (reads, calls, id) = (ReadCache::live(), AtomicUsize::new(0), Uuid::now_v7());
        assert_eq!(read(&reads, id, "first", &calls).await, "first");
        assert_eq!(read(&reads, id, "second", &calls).await, "first");
        reads.changed([&Uuid::now_v7()]);
        assert_eq!(read(&reads, id, "second", &calls).await, "first");
        reads.changed([&id]);
        assert_eq!(read(&reads, id, "third", &calls).await, "third");
        reads.changed_elsewhere(&id.to_string());
        assert_eq!(read(&reads, id, "fourth", &calls).await, "fourth");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn pages_are_forgotten_by_any_change() {
        let (reads, calls) = (ReadCache::live(), AtomicUsize::new(0));
        let all = key(20, None);
        assert_eq!(page(&reads, &all, "first", &calls).await, "first");
        assert_eq!(page(&reads, &all, "second", &calls).await, "first");
        assert_eq!(page(&reads, &key(10, None), "other", &calls).await, "other");
        reads.changed([&Uuid::now_v7()]);
        assert_eq!(page(&reads, &all, "third", &calls).await, "third");
        reads.changed_elsewhere("new");
        assert_eq!(page(&reads, &all, "fourth", &calls).await, "fourth");
        reads.changed_elsewhere("*");
        assert_eq!(page(&reads, &all, "fifth", &calls).await, "fifth");
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn the_json_remembered_is_the_icps_shown() {
        let page = Page {
            listed: Listed {
                icps: vec![icp("first"), icp("second")],
                more: true,
            },
            json: OnceLock::new(),
        };
        let json: serde_json::Value = serde_json::from_str(page.json().unwrap()).unwrap();
        assert_eq!(json, serde_json::to_value(&page.listed.icps).unwrap());
    }

    #[tokio::test]
    async fn pages_filtered_by_the_time_of_asking_are_always_read() {
        let (reads, calls) = (ReadCache::live(), AtomicUsize::new(0));
        let active = key(20, Some(true));
        assert_eq!(page(&reads, &active, "first", &calls).await, "first");
        assert_eq!(page(&reads, &active, "second", &calls).await, "second");
    }

    #[tokio::test]
    async fn nothing_is_remembered_while_changes_may_go_unheard() {
        let (reads, calls, id) = (ReadCache::waiting(), AtomicUsize::new(0), Uuid::now_v7());
        assert_eq!(read(&reads, id, "first", &calls).await, "first");
        assert_eq!(read(&reads, id, "second", &calls).await, "second");
        reads.resume();
        assert_eq!(read(&reads, id, "third", &calls).await, "third");
        assert_eq!(read(&reads, id, "fourth", &calls).await, "third");
        reads.suspend();
        assert_eq!(read(&reads, id, "fifth", &calls).await, "fifth");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn reads_heard_of_by_notification_are_read_again_after_a_while() {
        let (reads, calls, id) = (
            ReadCache::new(Some(Duration::ZERO)),
            AtomicUsize::new(0),
            Uuid::now_v7(),
        );
        reads.resume();
        assert_eq!(read(&reads, id, "first", &calls).await, "first");
        assert_eq!(read(&reads, id, "second", &calls).await, "second");
        assert!(ReadCache::waiting().icps.ttl.is_some() && ReadCache::live().icps.ttl.is_none());
    }

    #[tokio::test]
    async fn big_provider_filters_weigh_what_they_hold_and_the_caches_stay_in_budget() {
        let mut big = icp("big");
        let numbers: Vec<u32> = (0..20_000).collect();
        let text = serde_json::to_string(&numbers).unwrap().len();
        big.lead_provider_criteria = vec![serde_json::from_value(serde_json::json!({
            "provider": "baseProvider", "filters": {"scores": numbers}
        }))
        .unwrap()];
        // 20,000 numbers: ~110 KB of text, held as text and counted twice (and shown).
        assert!(icp_bytes(&big) > 2 * text);
        assert!(icp_bytes(&big) < 3 * text);

        let reads = ReadCache::live();
        for limit in 1..=100 {
            let page_of = Listed {
                icps: vec![big.clone(); 2],
                more: false,
            };
            reads
                .page(&key(limit, None), async { Ok(page_of) })
                .await
                .unwrap();
            let (icps, pages) = reads.bytes();
            assert!(icps <= share(8) && pages <= share(7), "{icps} + {pages}");
        }
        assert!(reads.bytes().1 > 0, "pages that fit are kept");
    }

    #[tokio::test]
    async fn a_read_overtaken_by_a_change_is_not_kept() {
        let (reads, id) = (ReadCache::live(), Uuid::now_v7());
        let found = reads
            .icp(id, async {
                // Another request changes the ICP while this one reads it.
                reads.changed([&id]);
                Ok(Some(icp("old")))
            })
            .await
            .unwrap();
        assert_eq!(found.unwrap().icp.name, "old");
        let calls = AtomicUsize::new(0);
        assert_eq!(read(&reads, id, "new", &calls).await, "new");
    }
}
