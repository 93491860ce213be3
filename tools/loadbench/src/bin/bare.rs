//! The bare instrument: the same durable ICP insert as the app (an ICP row and its member row, one
//! transaction, `synchronous=FULL` on SQLite) behind a bare axum handler, with no validation, auth or
//! middleware; the ceiling the app is measured against. Also `GET /echo`, a JSON answer with no
//! database, the ceiling for reads.
//!
//! `bare ADDR DATABASE_URL each|group` — `each`: one commit per request; `group`: one writer task
//! commits every queued insert in one transaction (group commit).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

type Job = (Uuid, String, oneshot::Sender<bool>);

#[derive(Clone)]
struct App {
    db: Db,
    group: Option<mpsc::Sender<Job>>,
    echo: Arc<Value>,
}

async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        for statement in [
            "CREATE TABLE IF NOT EXISTS bare_icps (id BLOB PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS bare_members (icp_id BLOB NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (icp_id, user_id))",
        ] {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Db::Sqlite(pool))
    } else {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        for statement in [
            "CREATE TABLE IF NOT EXISTS bare_icps (id uuid PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
            "CREATE TABLE IF NOT EXISTS bare_members (icp_id uuid NOT NULL, user_id text NOT NULL, PRIMARY KEY (icp_id, user_id))",
        ] {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Db::Postgres(pool))
    }
}

/// Inserts a batch of ICPs in one transaction.
async fn insert(db: &Db, rows: &[(Uuid, String)]) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for (id, body) in rows {
                sqlx::query("INSERT INTO bare_icps (id, body, created_at) VALUES (?1, ?2, unixepoch('subsec') * 1000)")
                    .bind(id)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO bare_members (icp_id, user_id) VALUES (?1, 'user_bench')")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for (id, body) in rows {
                sqlx::query("INSERT INTO bare_icps (id, body) VALUES ($1, $2::jsonb)")
                    .bind(id)
                    .bind(body)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO bare_members (icp_id, user_id) VALUES ($1, 'user_bench')")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
    }
}

/// The group-commit writer: whatever is queued goes in one transaction; every request is answered
/// after the commit.
async fn writer(db: Db, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, 256).await > 0 {
        let rows: Vec<(Uuid, String)> = batch.iter().map(|(id, body, _)| (*id, body.clone())).collect();
        let ok = insert(&db, &rows).await.is_ok();
        for (_, _, reply) in batch.drain(..) {
            let _ = reply.send(ok);
        }
    }
}

async fn create(State(app): State<App>, body: Bytes) -> (StatusCode, Json<Value>) {
    let Ok(mut icp) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(Value::Null));
    };
    let id = Uuid::now_v7();
    let text = icp.to_string();
    let stored = match &app.group {
        Some(queue) => {
            let (reply, answer) = oneshot::channel();
            queue.send((id, text, reply)).await.is_ok() && answer.await.unwrap_or(false)
        }
        None => insert(&app.db, &[(id, text)]).await.is_ok(),
    };
    if !stored {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(Value::Null));
    }
    icp["id"] = Value::String(id.to_string());
    (StatusCode::CREATED, Json(icp))
}

async fn echo_icp(State(app): State<App>) -> Json<Value> {
    Json(app.echo.as_ref().clone())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, url, mode] = args.as_slice() else {
        eprintln!("usage: bare ADDR DATABASE_URL each|group");
        std::process::exit(2);
    };
    let db = match connect(url).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("cannot open {url}: {error}");
            std::process::exit(1);
        }
    };
    let group = (mode == "group").then(|| {
        let (queue, jobs) = mpsc::channel(1024);
        tokio::spawn(writer(db.clone(), jobs));
        queue
    });
    // What `GET /api/v1/entities/icps/{id}` answers, in size and shape.
    let echo: Value = serde_json::from_str(include_str!("../../../../src/api/examples/created-201.json"))
        .unwrap_or(Value::Null);
    let app = App { db, group, echo: Arc::new(echo) };
    let router = Router::new()
        .route("/icps", post(create))
        .route("/echo", get(echo_icp))
        .with_state(app);
    let listener = match tokio::net::TcpListener::bind(addr.as_str()).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = axum::serve(listener, router).await {
        eprintln!("server failed: {error}");
        std::process::exit(1);
    }
}
