//! Running it as a service: `/healthz` and `/readyz` (503 while the database is unreachable, 200
//! again once it is back), and `icp-builder backup` taken while the server creates ICPs.

use crate::common;
use crate::common::{minimal, postgres_url, Database, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use icp_builder::store::{PgStore, SqliteStore, Store};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

async fn probe(app: &TestApp, path: &str) -> (StatusCode, serde_json::Value) {
    let reply = app
        .raw(
            Request::builder()
                .method(Method::GET)
                .uri(path)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_session() {
    let app = TestApp::start(Database::sqlite()).await;
    assert_eq!(
        probe(&app, "/healthz").await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        probe(&app, "/readyz").await,
        (StatusCode::OK, json!({"status": "ready"}))
    );
}

/// A TCP proxy to Postgres that can be cut (every connection dropped, new ones refused) and
/// restored, to make the database unreachable and reachable again.
struct Cable {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl Cable {
    async fn to(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0_u64);
        let (is_up, cut) = (up.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !is_up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let upstream = upstream.clone();
                let mut cut = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Cable { addr, up, cuts }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn readiness_follows_the_database_while_health_stays_up() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schema = common::new_postgres_schema(&url).await;
    let options = PgConnectOptions::from_str(&url).unwrap();
    let cable = Cable::to(format!("{}:{}", options.get_host(), options.get_port())).await;
    let through = options
        .host("127.0.0.1")
        .port(cable.addr.port())
        .options([("search_path", schema.as_str())]);
    let store = PgStore::connect_with(through).await.unwrap();
    let app = TestApp::with_store(Arc::new(store)).await;
    assert_eq!(probe(&app, "/readyz").await.0, StatusCode::OK);

    cable.cut();
    let (status, body) = probe(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"].as_str().unwrap().contains("database"),
        "{body}"
    );
    assert_eq!(probe(&app, "/healthz").await.0, StatusCode::OK);

    cable.restore();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = probe(&app, "/readyz").await.0;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once the database is back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_creates_holds_every_icp_acknowledged_before_it() {
    let database = Database::sqlite();
    let url = database.sqlite_url().unwrap();
    let app = Arc::new(TestApp::start(database).await);
    let ana = Arc::new(app.caller("ana").await);
    let writing = Arc::new(AtomicBool::new(true));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..4)
        .map(|n| {
            let (app, ana, writing, acknowledged) = (
                app.clone(),
                ana.clone(),
                writing.clone(),
                acknowledged.clone(),
            );
            tokio::spawn(async move {
                let mut i = 0;
                while writing.load(Ordering::SeqCst) {
                    let reply = app.post(&ana, &minimal(&format!("Writer {n} #{i}"))).await;
                    assert_eq!(reply.status, StatusCode::CREATED);
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(reply.body["id"].as_str().unwrap().to_owned());
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backup.db");
    let run = {
        let (copy, url) = (copy.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_icp-builder"))
                .arg("backup")
                .arg(&copy)
                .env("DATABASE_URL", &url)
                .output()
        })
    };
    let output = run.await.unwrap().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("Backed up to "));
    tokio::time::sleep(Duration::from_millis(100)).await;
    writing.store(false, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(before.len() > 5, "creates were running: {}", before.len());

    let restored = SqliteStore::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("the backup opens as a database");
    let pools = restored.pools();
    let icp_builder::store::Pools::Sqlite { readers, .. } = &pools else {
        unreachable!()
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(readers)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    for id in &before {
        let id = uuid::Uuid::parse_str(id).unwrap();
        assert!(
            restored.icp(id).await.unwrap().is_some(),
            "{id} was acknowledged before the backup"
        );
    }

    // A second backup to the same file is refused; nothing is overwritten.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_icp-builder"))
        .arg("backup")
        .arg(&copy)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

#[tokio::test]
async fn backup_on_postgres_points_to_pg_dump() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schema = common::new_postgres_schema(&url).await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_icp-builder"))
        .args(["backup", "/tmp/never-written.db"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}
