//! Durable ICP creates through `Store::insert_icp` from 32 concurrent tasks: one commit per write
//! (the path before group commit) against the group-commit writer, measured in the same run on a
//! fresh SQLite file each, and on fresh Postgres schemas when `ICP_TEST_POSTGRES_URL` is set.
//!
//! `cargo bench --features ssr --bench writes` (optimised build). The modes take turns, `BENCH_ROUNDS`
//! (default 3) rounds of `BENCH_SECONDS` (default 3) each, so that a change in the machine's load
//! falls on all of them; each mode's figures pool its rounds. Compare ratios within one run only.

use icp_builder::domain::{validate_draft, Icp, Timestamp, UserId};
use icp_builder::store::{DynStore, PgStore, SqliteStore, WriteMode};
use sqlx::Connection;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TASKS: usize = 32;

/// The reference's "AI-Qualified SaaS Buyers"-sized body (about 760 bytes of JSON).
fn icp(member: &UserId) -> Icp {
    let body = serde_json::json!({
        "name": "AI-Qualified SaaS Buyers",
        "description": "Decision makers at growing SaaS companies that already buy AI tooling",
        "leadProviderCriteria": [{
            "provider": "baseProvider", "type": "person",
            "filters": {"job_title": ["CTO", "VP Engineering", "Head of Data"],
                        "location": {"country": ["Germany", "Austria", "Switzerland"]},
                        "company": {"employee_size": {"min": 50, "max": 2000}, "industry": ["Software", "SaaS"]}}
        }],
        "customFilterCriteria": [
            {"type": "maxPeoplePerCompany", "value": 2},
            {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^(?!.*(Agency|Consulting)).*$"}
        ],
        "crmFilters": null,
        "userIds": [],
        "leadsPerList": 25,
        "activeUntil": null
    });
    let now = Timestamp::now();
    validate_draft(&body)
        .expect("valid body")
        .with_member(member)
        .into_icp(Uuid::now_v7(), now, now)
}

/// One mode's inserts over all its rounds.
#[derive(Default)]
struct Figures {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Figures {
    fn add(&mut self, round: Figures) {
        self.latencies.extend(round.latencies);
        self.elapsed += round.elapsed;
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
    }
}

/// `TASKS` tasks inserting for `length`; every insert must succeed.
async fn measure(store: DynStore, length: Duration) -> Figures {
    let member = UserId::parse("user_bench").expect("user id");
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, member) = (store.clone(), member.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while start.elapsed() < length {
                    let icp = icp(&member);
                    let began = Instant::now();
                    let change = icp_builder::store::Change::new(
                        &member,
                        icp_builder::store::VersionAction::Created,
                    );
                    store
                        .insert_icp(Arc::new(icp.clone()), &change)
                        .await
                        .expect("insert");
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("task"));
    }
    Figures {
        latencies,
        elapsed: start.elapsed(),
    }
}

/// Each mode's figures, and its throughput as a multiple of the first (one commit per write).
fn report(database: &str, runs: &[(String, Figures)]) {
    let base = runs[0].1.per_second();
    for (mode, figures) in runs {
        println!(
            "{database:<8} {mode:<26} {:>7.0} inserts/s  {:>5.2}x   p50 {:>6.1} ms   p99 {:>6.1} ms",
            figures.per_second(),
            figures.per_second() / base,
            figures.quantile(0.50).as_secs_f64() * 1e3,
            figures.quantile(0.99).as_secs_f64() * 1e3,
        );
    }
}

fn label(mode: WriteMode) -> String {
    match mode {
        WriteMode::PerWrite => "one commit per write".into(),
        WriteMode::GroupCommit { writers } => format!("group commit, {writers} writer(s)"),
    }
}

async fn sqlite(mode: WriteMode, length: Duration) -> Figures {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqliteStore::connect_with_mode(&url, mode)
        .await
        .expect("open SQLite");
    measure(Arc::new(store), length).await
}

async fn postgres(url: &str, mode: WriteMode, length: Duration) -> Figures {
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url).await.expect("Postgres");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("URL")
        .options([("search_path", schema.as_str())]);
    let store = PgStore::connect_with_mode(options, mode)
        .await
        .expect("open Postgres");
    let figures = measure(Arc::new(store), length).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    figures
}

fn setting(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let seconds = setting("BENCH_SECONDS", 3.0);
    let rounds = setting("BENCH_ROUNDS", 3.0) as usize;
    let length = Duration::from_secs_f64(seconds);
    println!(
        "{TASKS} tasks, {rounds} rounds of {seconds} s per mode, durable inserts (SQLite synchronous=FULL)"
    );

    let modes = [WriteMode::PerWrite, WriteMode::GroupCommit { writers: 1 }];
    let mut runs: Vec<(String, Figures)> = modes
        .iter()
        .map(|&m| (label(m), Figures::default()))
        .collect();
    for _ in 0..rounds {
        for (mode, (_, figures)) in modes.iter().zip(runs.iter_mut()) {
            figures.add(sqlite(*mode, length).await);
        }
    }
    report("SQLite", &runs);

    match std::env::var("ICP_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let modes = [
                WriteMode::PerWrite,
                WriteMode::GroupCommit { writers: 1 },
                WriteMode::GroupCommit { writers: 2 },
                WriteMode::GroupCommit { writers: 4 },
                WriteMode::GroupCommit { writers: 8 },
            ];
            let mut runs: Vec<(String, Figures)> = modes
                .iter()
                .map(|&m| (label(m), Figures::default()))
                .collect();
            for _ in 0..rounds {
                for (mode, (_, figures)) in modes.iter().zip(runs.iter_mut()) {
                    figures.add(postgres(&url, *mode, length).await);
                }
            }
            report("Postgres", &runs);
        }
        _ => println!("Postgres skipped: set ICP_TEST_POSTGRES_URL"),
    }
}
