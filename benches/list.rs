//! What one page of a user's ICP list costs as their ICP count grows: `list_icps(limit 20)` for
//! the first page and a deep one (the middle of the list), at 100, 10,000 and 100,000 ICPs of one
//! user, on a SQLite file and on Postgres, in pages per second and as a ratio to 100 ICPs (issue 8:
//! the goal is < 2× between 100 and 100k; before the membership index a page sorted them all).
//!
//! `cargo bench --features ssr --bench list` (optimised build). Postgres runs in a fresh schema of
//! the database `ICP_TEST_POSTGRES_URL` names (dropped afterwards); unset, it is skipped, loudly.
//! The ICPs are a fixture: the first goes through `Store::insert_icp`, the rest are bulk-inserted
//! through the store's own pool in one transaction per 10,000, with the same columns.

use icp_builder::domain::{validate_draft, Icp, Timestamp, UserId};
use icp_builder::store::{
    DynStore, ListCursor, ListFilter, ListOrder, PageKey, PgStore, Pools, SqliteStore, Store,
};
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const SIZES: [usize; 3] = [100, 10_000, 100_000];
const PAGE: u32 = 20;
/// How long each figure is measured for (after a warm-up).
const MEASURE_FOR: Duration = Duration::from_millis(1500);

/// The ICPs of the user, newest first, as (created_at, id): where a deep page's cursor comes from.
struct Fixture {
    user: UserId,
    template: Icp,
    /// Oldest first, as inserted.
    made: Vec<ListCursor>,
    /// The instant of the next ICP, 1 ms after the last.
    next_millis: i64,
}

impl Fixture {
    fn new() -> Self {
        let user = UserId::parse("user_benchlist0001").expect("a valid user id");
        let body = serde_json::json!({
            "name": "DACH Tech Leaders",
            "description": "Technology leaders in German-speaking regions",
            "leadProviderCriteria": [{"provider": "baseProvider", "type": "person",
                "filters": {"job_title": ["CTO", "VP Engineering"], "location": {"country": ["Germany"]}}}],
            "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": 2}],
            "userIds": [],
            "leadsPerList": 20
        });
        let now = Timestamp::now();
        let template = validate_draft(&body)
            .expect("a valid body")
            .with_member(&user)
            .into_icp(Uuid::nil(), now, now);
        Self {
            user,
            template,
            made: Vec::new(),
            next_millis: now.millis() - 200_000,
        }
    }

    /// The next `count` ICPs, each 1 ms newer than the last.
    fn make(&mut self, count: usize) -> Vec<Icp> {
        (0..count)
            .map(|_| {
                let at = Timestamp::from_millis(self.next_millis).expect("a valid instant");
                self.next_millis += 1;
                let mut icp = self.template.clone();
                icp.id = Uuid::now_v7();
                icp.created_at = at;
                icp.updated_at = at;
                self.made.push(ListCursor::of(&icp, ListOrder::Created));
                icp
            })
            .collect()
    }

    /// Brings the user's ICP count to `size`.
    async fn fill(&mut self, store: &DynStore, size: usize) {
        if self.made.is_empty() {
            // The real write path once, so the bulk rows below match what it writes.
            let first = self.make(1).remove(0);
            store
                .insert_icp(
                    Arc::new(first.clone()),
                    &icp_builder::store::Change::new(
                        &self.user,
                        icp_builder::store::VersionAction::Created,
                    ),
                )
                .await
                .expect("insert through the store");
        }
        while self.made.len() < size {
            let batch = self.make((size - self.made.len()).min(10_000));
            bulk_insert(&store.pools(), &batch).await;
        }
    }

    /// The cursor of the ICP halfway down the list (newest first).
    fn deep_cursor(&self) -> ListCursor {
        self.made[self.made.len() / 2].clone()
    }
}

async fn bulk_insert(pools: &Pools, icps: &[Icp]) {
    match pools {
        Pools::Sqlite { writer, .. } => {
            let mut tx = writer.begin().await.expect("begin");
            for icp in icps {
                sqlx::query(
                    "INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
                     crm_filters, leads_per_list, active_until, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?)",
                )
                .bind(icp.id)
                .bind(&icp.name)
                .bind(&icp.description)
                .bind(json(&icp.lead_provider_criteria))
                .bind(json(&icp.custom_filter_criteria))
                .bind(i64::from(icp.leads_per_list))
                .bind(icp.created_at.millis())
                .bind(icp.updated_at.millis())
                .execute(&mut *tx)
                .await
                .expect("insert icp");
                for (position, user) in icp.user_ids.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO icp_members (icp_id, user_id, position, created_at) VALUES (?, ?, ?, ?)",
                    )
                    .bind(icp.id)
                    .bind(user.as_str())
                    .bind(position as i64)
                    .bind(icp.created_at.millis())
                    .execute(&mut *tx)
                    .await
                    .expect("insert member");
                }
            }
            tx.commit().await.expect("commit");
        }
        Pools::Postgres(pool) => {
            let ids: Vec<Uuid> = icps.iter().map(|icp| icp.id).collect();
            let at: Vec<_> = icps.iter().map(|icp| icp.created_at.0).collect();
            let first = &icps[0];
            let user = first.user_ids[0].as_str();
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query(
                "INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
                 crm_filters, leads_per_list, active_until, created_at, updated_at) \
                 SELECT r.id, $3, $4, $5::jsonb, $6::jsonb, NULL, $7, NULL, r.at, r.at \
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at)",
            )
            .bind(&ids)
            .bind(&at)
            .bind(&first.name)
            .bind(&first.description)
            .bind(json(&first.lead_provider_criteria))
            .bind(json(&first.custom_filter_criteria))
            .bind(i32::from(first.leads_per_list))
            .execute(&mut *tx)
            .await
            .expect("insert icps");
            sqlx::query(
                "INSERT INTO icp_members (icp_id, user_id, position, created_at) \
                 SELECT r.id, $3, 0, r.at FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at)",
            )
            .bind(&ids)
            .bind(&at)
            .bind(user)
            .execute(&mut *tx)
            .await
            .expect("insert members");
            tx.commit().await.expect("commit");
            // As autovacuum would by then: the planner's statistics match the table.
            sqlx::query("VACUUM ANALYZE icp_members")
                .execute(pool)
                .await
                .expect("vacuum");
            sqlx::query("ANALYZE icps")
                .execute(pool)
                .await
                .expect("analyze");
        }
    }
}

/// Criteria as the JSON text the stores keep.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("criteria serialise")
}

/// Pages per second and the median latency of `list_icps(after, 20)`, one call at a time.
async fn pages_per_second(
    store: &dyn Store,
    user: &UserId,
    after: Option<ListCursor>,
) -> (f64, Duration) {
    let page = PageKey {
        member: user.clone(),
        filter: ListFilter::default(),
        after,
        limit: PAGE,
    };
    for _ in 0..50 {
        black_box(store.list_icps(&page).await.expect("list"));
    }
    let mut latencies = Vec::new();
    let start = Instant::now();
    while start.elapsed() < MEASURE_FOR {
        let call = Instant::now();
        let listed = store.list_icps(&page).await.expect("list");
        latencies.push(call.elapsed());
        assert_eq!(listed.icps.len(), PAGE as usize, "a full page");
        black_box(listed);
    }
    let rate = latencies.len() as f64 / start.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies[latencies.len() / 2])
}

/// `count_icps` (what `/icps` shows beside every page) per second: it counts index entries, so
/// unlike a page it grows with the count; shown for scale.
async fn counts_per_second(store: &dyn Store, user: &UserId, expected: usize) -> f64 {
    let mut calls = 0_u32;
    let start = Instant::now();
    while start.elapsed() < MEASURE_FOR / 3 {
        let count = store
            .count_icps(user, &ListFilter::default())
            .await
            .expect("count");
        assert_eq!(count, expected as u64);
        calls += 1;
    }
    f64::from(calls) / start.elapsed().as_secs_f64()
}

async fn run(database: &str, store: DynStore) {
    let mut fixture = Fixture::new();
    let mut baseline: Option<(f64, f64)> = None;
    println!("\n{database}: list_icps(limit {PAGE}) for one user, one call at a time");
    println!(
        "{:>8}  {:>12} {:>10} {:>9}   {:>12} {:>10} {:>9}   {:>8}",
        "ICPs", "first page/s", "p50", "vs 100", "deep page/s", "p50", "vs 100", "counts/s"
    );
    for size in SIZES {
        let filling = Instant::now();
        fixture.fill(&store, size).await;
        let filled = filling.elapsed();
        let (first, first_p50) = pages_per_second(store.as_ref(), &fixture.user, None).await;
        let deep_cursor = Some(fixture.deep_cursor());
        let (deep, deep_p50) = pages_per_second(store.as_ref(), &fixture.user, deep_cursor).await;
        let (first_base, deep_base) = *baseline.get_or_insert((first, deep));
        let counts = counts_per_second(store.as_ref(), &fixture.user, size).await;
        println!(
            "{size:>8}  {first:>12.0} {:>8.0}µs {:>8.2}×   {deep:>12.0} {:>8.0}µs {:>8.2}×   {counts:>8.0}   (filled in {:.1} s)",
            first_p50.as_secs_f64() * 1e6,
            first_base / first,
            deep_p50.as_secs_f64() * 1e6,
            deep_base / deep,
            filled.as_secs_f64(),
        );
    }
    println!("(vs 100: how many times slower a page is than at 100 ICPs; the goal is < 2×)");
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("list.db").display());
    let sqlite = SqliteStore::connect(&url).await.expect("open SQLite");
    run("SQLite (file, WAL)", Arc::new(sqlite)).await;

    let Some(url) = std::env::var("ICP_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        eprintln!(
            "\n!!! Postgres SKIPPED: ICP_TEST_POSTGRES_URL is not set \
             (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
        return;
    };
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .expect("Postgres at ICP_TEST_POSTGRES_URL is reachable");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let options = PgConnectOptions::from_str(&url)
        .expect("a valid Postgres URL")
        .options([("search_path", schema.as_str())]);
    let postgres = PgStore::connect_with(options).await.expect("open Postgres");
    run("Postgres", Arc::new(postgres)).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
}
