//! The group-commit writer on real databases: SQLite files, and Postgres schemas when
//! `ICP_TEST_POSTGRES_URL` is set (required unless `ICP_TEST_SKIP_POSTGRES=1`).
//! Size: test-only (compiled under `cfg(test)`); each test runs on both databases with the fixtures
//! at the top, kept together.

use super::*;
use crate::domain::{validate_draft, Timestamp, UserId};
use crate::store::postgres::PgWrites;
use crate::store::sqlite::SqliteWrites;
use crate::store::{PgStore, SqliteStore, Store};
use sqlx::Connection;
use std::str::FromStr;
use uuid::Uuid;

/// A test on each database for each `name::<Writes>(&store, &pool)` below.
macro_rules! on_both_writers {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::sqlite();
                    let (store, writer) = super::sqlite_store(&db).await;
                    super::$name::<super::SqliteWrites>(&store, &writer).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some((store, pool)) = super::postgres_store().await {
                        super::$name::<super::PgWrites>(&store, &pool).await;
                    }
                }
            )*
        }
    };
}

on_both_writers!(
    one_failing_write_fails_alone,
    a_batch_of_inserts_stores_what_one_insert_does,
);

/// Runs `jobs` as one batch and gives what each was answered.
async fn batch_answers<A: ApplyWrite>(
    pool: &Pool<A::Db>,
    jobs: Vec<Job>,
    answers: Vec<oneshot::Receiver<StoreResult<Written>>>,
) -> Vec<StoreResult<Written>> {
    run_batch::<A>(pool, jobs).await;
    let answered = futures_util::future::join_all(answers).await;
    answered
        .into_iter()
        .map(|answer| answer.expect("answered"))
        .collect()
}

fn icp(name: &str) -> Icp {
    let body = serde_json::json!({
        "name": name,
        "leadProviderCriteria": [{"provider": "baseProvider", "type": "person", "filters": {"job_title": ["CTO"]}}],
        "customFilterCriteria": [],
        "crmFilters": null,
        "userIds": [],
        "leadsPerList": 20,
        "activeUntil": null
    });
    let now = Timestamp::now();
    validate_draft(&body)
        .expect("valid body")
        .with_member(&member())
        .into_icp(Uuid::now_v7(), now, now)
}

fn change() -> crate::store::Change {
    crate::store::Change::new(&member(), crate::store::VersionAction::Created)
}

/// Stores `icp` through `store` as `member()` creating it (`Store::insert_icp`).
async fn create(store: &dyn Store, icp: &crate::domain::Icp) {
    let change = change();
    store
        .insert_icp(Arc::new(icp.clone()), &change)
        .await
        .expect("insert");
}

/// The insert of `icp` by `member()`, with its JSON text as `Store::insert_icp` makes it.
fn insert(icp: crate::domain::Icp) -> IcpWrite {
    let json = icp_json(&icp).expect("JSON");
    IcpWrite::Insert(Arc::new(icp), change(), json)
}

fn member() -> UserId {
    UserId::parse("user_groupcommit").expect("user id")
}

fn job(write: IcpWrite) -> (Job, oneshot::Receiver<StoreResult<Written>>) {
    let (reply, answer) = oneshot::channel();
    (Job { write, reply }, answer)
}

struct Sqlite {
    _dir: tempfile::TempDir,
    url: String,
}

fn sqlite() -> Sqlite {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("icp.db").display());
    Sqlite { _dir: dir, url }
}

/// Options for a fresh schema in the test Postgres; `None` only with the explicit opt-out.
async fn postgres() -> Option<sqlx::postgres::PgConnectOptions> {
    let url = match std::env::var("ICP_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ if std::env::var("ICP_TEST_SKIP_POSTGRES").as_deref() == Ok("1") => {
            tracing::warn!("SKIPPED on Postgres (ICP_TEST_SKIP_POSTGRES=1)");
            return None;
        }
        _ => panic!("set ICP_TEST_POSTGRES_URL, or ICP_TEST_SKIP_POSTGRES=1 to skip on purpose"),
    };
    let schema = format!("t_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("Postgres");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    Some(
        sqlx::postgres::PgConnectOptions::from_str(&url)
            .expect("URL")
            .options([("search_path", schema.as_str())]),
    )
}

/// 32 tasks × 8 inserts at once: every one is answered Ok, and every one is then readable.
/// A store on `db`, with the pool its writer writes through.
async fn sqlite_store(db: &Sqlite) -> (SqliteStore, sqlx::SqlitePool) {
    let store = SqliteStore::connect(&db.url).await.expect("open");
    let crate::store::Pools::Sqlite { writer, .. } = store.pools() else {
        unreachable!()
    };
    (store, writer)
}

/// A store on a fresh Postgres schema, with its pool; `None` only with the explicit opt-out.
async fn postgres_store() -> Option<(PgStore, sqlx::PgPool)> {
    let store = PgStore::connect_with(postgres().await?)
        .await
        .expect("open");
    let crate::store::Pools::Postgres(pool) = store.pools() else {
        unreachable!()
    };
    Some((store, pool))
}

async fn concurrent_inserts_all_land(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..32)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..8 {
                    let icp = icp(&format!("ICP {task}/{n}"));
                    create(&*store, &icp).await;
                    ids.push(icp.id);
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("task"));
    }
    assert_eq!(ids.len(), 256);
    for id in ids {
        let stored = store.icp(id).await.expect("read").expect("stored");
        assert_eq!(stored.user_ids, vec![member()]);
    }
}

#[tokio::test]
async fn concurrent_inserts_all_land_sqlite() {
    let db = sqlite();
    let store = SqliteStore::connect(&db.url).await.expect("open");
    concurrent_inserts_all_land(Arc::new(store)).await;
}

#[tokio::test]
async fn concurrent_inserts_all_land_postgres() {
    if let Some(options) = postgres().await {
        let store = PgStore::connect_with(options).await.expect("open");
        concurrent_inserts_all_land(Arc::new(store)).await;
    }
}

/// Every answer comes after its commit: right after each reply, a brand-new connection (no pool,
/// no cache) already sees the row: `fresh_name` reads its name so.
async fn no_answer_before_commit<F, R>(store: Arc<dyn Store>, fresh_name: F)
where
    F: Fn(Uuid) -> R + Clone + Send + 'static,
    R: std::future::Future<Output = Option<String>> + Send,
{
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let store = store.clone();
            let fresh_name = fresh_name.clone();
            tokio::spawn(async move {
                for n in 0..4 {
                    let icp = icp(&format!("ICP {task}/{n}"));
                    create(&*store, &icp).await;
                    let found = fresh_name(icp.id).await;
                    assert_eq!(
                        found.as_ref(),
                        Some(&icp.name),
                        "committed before the answer"
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

const NAME_OF: &str = "SELECT name FROM icps WHERE id = $1";

#[tokio::test]
async fn no_answer_before_commit_sqlite() {
    let db = sqlite();
    let store = Arc::new(SqliteStore::connect(&db.url).await.expect("open"));
    let url = db.url.clone();
    no_answer_before_commit(store, move |id| {
        let url = url.clone();
        async move {
            let mut fresh = sqlx::SqliteConnection::connect(&url).await.expect("open");
            let query = sqlx::query_scalar(NAME_OF).bind(id);
            query.fetch_optional(&mut fresh).await.expect("read")
        }
    })
    .await;
}

#[tokio::test]
async fn no_answer_before_commit_postgres() {
    let Some(options) = postgres().await else {
        return;
    };
    let store = Arc::new(PgStore::connect_with(options.clone()).await.expect("open"));
    no_answer_before_commit(store, move |id| {
        let options = options.clone();
        async move {
            let mut fresh = sqlx::PgConnection::connect_with(&options)
                .await
                .expect("open");
            let query = sqlx::query_scalar(NAME_OF).bind(id);
            query.fetch_optional(&mut fresh).await.expect("read")
        }
    })
    .await;
}

/// One batch: inserts around a stale update, a duplicate insert and a delete of nothing, with
/// one requester gone. Only the failing writes fail, each with its own error, in order.
async fn one_failing_write_fails_alone<A: ApplyWrite>(store: &dyn Store, pool: &Pool<A::Db>) {
    let existing = icp("Existing");
    create(store, &existing).await;
    let mut stale = existing.clone();
    stale.name = "Stale change".into();
    let mut wrong_previous = existing.clone();
    wrong_previous.updated_at =
        Timestamp::from_millis(existing.updated_at.millis() - 1).expect("instant");

    let (first, second, third) = (icp("First"), icp("Second"), icp("Third"));
    let (gone, gone_answer) = job(insert(icp("Requester left")));
    drop(gone_answer);
    let gone_id = match &gone.write {
        IcpWrite::Insert(icp, ..) => icp.id,
        _ => unreachable!(),
    };
    let writes = vec![
        job(insert(first.clone())),
        job(IcpWrite::Update {
            icp: stale,
            previous: Box::new(wrong_previous),
            change: change(),
        }),
        job(insert(second.clone())),
        job(insert(first.clone())),
        job(IcpWrite::Delete(icp("Nothing"), change())),
        job(insert(third.clone())),
    ];
    let (mut jobs, answers): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
    jobs.insert(3, gone);
    let answers = batch_answers::<A>(pool, jobs, answers).await;
    assert!(matches!(answers[0], Ok(Written::Done)), "{answers:?}");
    assert!(matches!(answers[1], Err(StoreError::Stale)), "{answers:?}");
    assert!(matches!(answers[2], Ok(Written::Done)), "{answers:?}");
    // A duplicate id is a database (constraint) error, as it was before group commit.
    assert!(
        matches!(answers[3], Err(StoreError::Database(_))),
        "{answers:?}"
    );
    assert!(
        matches!(answers[4], Ok(Written::Deleted(false))),
        "{answers:?}"
    );
    assert!(matches!(answers[5], Ok(Written::Done)), "{answers:?}");

    for (id, name) in [
        (first.id, "First"),
        (second.id, "Second"),
        (third.id, "Third"),
        (gone_id, "Requester left"),
        (existing.id, "Existing"),
    ] {
        let stored = store.icp(id).await.expect("read").expect("stored");
        assert_eq!(stored.name, name);
        assert_eq!(stored.user_ids, vec![member()], "members of {name}");
    }
}

/// An ICP with every kind of field filled (the reference's example, a description with quotes and
/// non-ASCII text, two members, an owner, an end date).
fn full_icp(name: &str) -> Icp {
    let mut body: serde_json::Value =
        serde_json::from_str(include_str!("../../api/examples/ai-filtering.json"))
            .expect("example");
    body["name"] = name.into();
    body["description"] = "Buyers who say \"yes\" — ünïcödé ✓".into();
    body["userIds"] = serde_json::json!(["user_teammate"]);
    body["activeUntil"] = "2031-05-04T03:02:01.123Z".into();
    let now = Timestamp::now();
    let mut icp = validate_draft(&body)
        .expect("valid body")
        .with_member(&member())
        .into_icp(Uuid::now_v7(), now, now);
    icp.owner = Some(member());
    icp
}

/// A batch of inserts only (the usual batch under load) stores each ICP, its members and its first
/// version as they were given, as an insert alone does; a duplicate among them fails alone.
async fn a_batch_of_inserts_stores_what_one_insert_does<A: ApplyWrite>(
    store: &dyn Store,
    pool: &Pool<A::Db>,
) {
    let alone = full_icp("Alone");
    create(store, &alone).await;

    // With a failing write (a duplicate id): the batch runs again write by write.
    let (first, second) = (full_icp("First"), full_icp("Second"));
    let (jobs, answers): (Vec<_>, Vec<_>) = [first.clone(), second.clone(), first.clone()]
        .into_iter()
        .map(|icp| job(insert(icp)))
        .unzip();
    let answers = batch_answers::<A>(pool, jobs, answers).await;
    assert!(matches!(answers[0], Ok(Written::Done)), "{answers:?}");
    assert!(matches!(answers[1], Ok(Written::Done)), "{answers:?}");
    assert!(
        matches!(answers[2], Err(StoreError::Database(_))),
        "{answers:?}"
    );

    // Without one: the batch taken whole. Its runs (2 + 1) are one with two members in it, written
    // table by table, and one of ICPs with one member each, written as one text (SQLite).
    let (third, fourth, fifth) = (full_icp("Third"), icp("Fourth"), icp("Fifth"));
    let (jobs, answers): (Vec<_>, Vec<_>) = [third.clone(), fourth.clone(), fifth.clone()]
        .into_iter()
        .map(|icp| job(insert(icp)))
        .unzip();
    run_batch::<A>(pool, jobs).await;
    for answer in futures_util::future::join_all(answers).await {
        assert!(matches!(answer.expect("answered"), Ok(Written::Done)));
    }

    for given in [alone, first, second, third, fourth, fifth] {
        let stored = store.icp(given.id).await.expect("read").expect("stored");
        assert_eq!(stored, given);
        let versions = store.versions(given.id, None, 100).await.expect("versions");
        assert_eq!(versions.len(), 1, "{}", given.name);
        let version = &versions[0];
        assert_eq!(
            (version.number, version.action, &version.by, version.at),
            (
                1,
                crate::store::VersionAction::Created,
                &member(),
                given.updated_at
            )
        );
        assert_eq!(version.icp, given);
    }
}

/// A transaction that cannot start (or commit) fails every write of its batch, and none is stored.
#[tokio::test]
async fn a_failed_batch_fails_every_write() {
    let db = sqlite();
    let (store, writer) = sqlite_store(&db).await;
    writer.close().await;
    let (a, b) = (icp("A"), icp("B"));
    let (jobs, answers): (Vec<_>, Vec<_>) = [a.clone(), b.clone()]
        .into_iter()
        .map(|icp| job(insert(icp)))
        .unzip();
    run_batch::<SqliteWrites>(&writer, jobs).await;
    for answer in answers {
        let result = answer.await.expect("answered");
        assert!(
            matches!(result, Err(StoreError::BatchFailed(_))),
            "{result:?}"
        );
    }
    for id in [a.id, b.id] {
        assert!(store.icp(id).await.expect("read").is_none());
    }
}

#[tokio::test]
async fn a_stopped_writer_is_an_error_not_a_hang() {
    // The task is gone before the request: the send fails.
    let (jobs, queue) = mpsc::channel(1);
    drop(queue);
    let writer = GroupCommit::from_sender(jobs);
    let result = writer
        .submit(IcpWrite::Delete(icp("Nothing"), change()))
        .await;
    assert!(matches!(result, Err(StoreError::WriterGone)), "{result:?}");

    // The task goes away with the request in hand (as a panic mid-batch would): the reply is
    // dropped, and the request fails rather than waiting forever.
    let (jobs, mut queue) = mpsc::channel(1);
    let writer = GroupCommit::from_sender(jobs);
    let task = tokio::spawn(async move {
        let job = queue.recv().await;
        drop(job);
    });
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        writer.submit(IcpWrite::Delete(icp("Nothing"), change())),
    )
    .await
    .expect("answered, not hung");
    assert!(matches!(result, Err(StoreError::WriterGone)), "{result:?}");
    task.await.expect("task");
}

/// The other writers on SQLite's one writer connection (users, tokens, sessions) keep going while
/// ICP writes stream in: the batch task holds the connection only for a batch at a time.
#[tokio::test]
async fn other_writes_are_not_starved_sqlite() {
    let db = sqlite();
    let store = Arc::new(SqliteStore::connect(&db.url).await.expect("open"));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..16)
        .map(|_| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    create(&*store, &icp("Load")).await;
                }
            })
        })
        .collect();
    for n in 0..20 {
        let user = crate::store::User {
            id: UserId::parse(&format!("user_starve{n}")).expect("id"),
            email: format!("starve{n}@example.com"),
            name: "Starve".into(),
        };
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            store.create_user(
                &user,
                "hash",
                &crate::store::Workspace {
                    id: crate::store::WorkspaceId::parse(&format!("ws_starve{n}")).unwrap(),
                    name: "Starve".into(),
                },
            ),
        )
        .await
        .expect("not starved")
        .expect("created");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.expect("load");
    }
}
