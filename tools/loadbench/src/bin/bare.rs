//! The bare instrument: a durable create behind a bare axum handler with no validation, auth or
//! middleware; the ceiling the app is measured against. Also `GET /echo`, a JSON answer with no
//! database, the ceiling for reads.
//!
//! `bare ADDR DATABASE_URL each|group|rows`:
//! - `each` and `group`: an ICP row (the body as it came) and its member row in tables of the
//!   bare's own, one statement per row (`synchronous=FULL` on SQLite); `each` commits every
//!   request alone, `group` has one writer task commit whatever is queued in one transaction.
//! - `rows`: the rows the app writes for a create — the ICP's columns, its member row, its first
//!   version and its `icp.created` event (the event's `event_audience` row made by the app's
//!   trigger) — in the app's own tables (the database is migrated by the app first, and the user
//!   the rows are made by is the one user there: `scripts/bench.sh` runs the app's CLI on it),
//!   group-committed as multi-row `INSERT`s in runs of power-of-two lengths (a handful of
//!   statements per table, prepared once), as the app does. The ICP stored, answered and carried
//!   by the event is the ICP as the app's API returns it (`createdAt`, `updatedAt`, the user in
//!   `userIds`); the event's body is the app's JSON for it (`id`, `type`, `timestamp`,
//!   `data.icp`, `data.ownerId`), its audience the member ids, and on Postgres its `xid` is the
//!   column's default, the writing transaction's id, as for the app.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, QueryBuilder, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Who every bench ICP is shared with and made by, when the database has no user (`each`,
/// `group`); `rows` takes the database's first user, so the event's workspace is found as the
/// app's is.
const USER: &str = "user_bench";
/// The most rows one `INSERT` takes (as the app's).
const MOST_ROWS: usize = 32;

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What is stored of a create: for `rows` the app's columns, taken from the body as it came; for
/// `each` and `group` only `id` and `icp`.
struct Row {
    id: Uuid,
    name: String,
    description: Option<String>,
    lead_provider_criteria: String,
    custom_filter_criteria: String,
    crm_filters: Option<String>,
    leads_per_list: i32,
    search_text: String,
    /// The ICP as answered, for its first version.
    icp: String,
    /// The `icp.created` event (`rows` only): its id, who may see it (a JSON array) and its JSON.
    event_id: Uuid,
    audience: String,
    event: String,
}

impl Row {
    /// `icp`: the ICP as the app's API returns it; `user` its owner and member; `at` its
    /// creation instant as the API writes it.
    fn of(id: Uuid, icp: &Value, user: &str, at: &str) -> Self {
        let text = |key: &str| icp[key].as_str().map(str::to_owned);
        let json = |key: &str| Some(&icp[key]).filter(|v| !v.is_null()).map(Value::to_string);
        let name = text("name").unwrap_or_default();
        let description = text("description");
        let search_text = format!("{name} {}", description.as_deref().unwrap_or("")).to_lowercase();
        let icp_text = icp.to_string();
        let event_id = Uuid::now_v7();
        let owner = Value::from(user).to_string();
        // The app's `event_json`: {"id","type","timestamp","data":{"icp","ownerId"}}.
        let event = format!(
            r#"{{"id":"{event_id}","type":"icp.created","timestamp":"{at}","data":{{"icp":{icp_text},"ownerId":{owner}}}}}"#
        );
        Row {
            event_id,
            audience: format!("[{owner}]"),
            event,
            id,
            lead_provider_criteria: json("leadProviderCriteria").unwrap_or_else(|| "[]".into()),
            custom_filter_criteria: json("customFilterCriteria").unwrap_or_else(|| "[]".into()),
            crm_filters: json("crmFilters"),
            leads_per_list: icp["leadsPerList"].as_i64().unwrap_or(100).clamp(1, 1000) as i32,
            search_text,
            icp: icp_text,
            name,
            description,
        }
    }

    /// The `each` and `group` modes' row: the body as it came.
    fn minimal(id: Uuid, icp: &Value) -> Self {
        Row {
            id,
            name: String::new(),
            description: None,
            lead_provider_criteria: String::new(),
            custom_filter_criteria: String::new(),
            crm_filters: None,
            leads_per_list: 0,
            search_text: String::new(),
            icp: icp.to_string(),
            event_id: Uuid::nil(),
            audience: String::new(),
            event: String::new(),
        }
    }
}

type Job = (Row, oneshot::Sender<bool>);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Each,
    Group,
    Rows,
}

#[derive(Clone)]
struct App {
    db: Db,
    mode: Mode,
    /// Who makes the creates (see `USER`).
    user: Arc<str>,
    group: Option<mpsc::Sender<Job>>,
    echo: Arc<Value>,
}

/// Opens the database and makes the `each`/`group` modes' own tables.
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

/// The `each` and `group` modes' insert: two statements per create, in one transaction.
async fn insert_minimal(db: &Db, rows: &[Row]) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query("INSERT INTO bare_icps (id, body, created_at) VALUES (?1, ?2, unixepoch('subsec') * 1000)")
                    .bind(row.id)
                    .bind(&row.icp)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO bare_members (icp_id, user_id) VALUES (?1, 'user_bench')")
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query("INSERT INTO bare_icps (id, body) VALUES ($1, $2::jsonb)")
                    .bind(row.id)
                    .bind(&row.icp)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO bare_members (icp_id, user_id) VALUES ($1, 'user_bench')")
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
    }
}

/// `rows` cut into runs of power-of-two lengths, longest first, none longer than `MOST_ROWS`.
fn runs<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let len = rows.len().min(MOST_ROWS);
        (len > 0).then(|| {
            let (run, rest) = rows.split_at(1 << len.ilog2());
            rows = rest;
            run
        })
    })
}

fn millis_now() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    now.as_millis() as i64
}

/// `millis` after the epoch as the app writes an instant: `2024-01-15T10:30:00.000Z`.
fn rfc3339_millis(millis: i64) -> String {
    let (days, in_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Days to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, ms) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1_000 % 60, in_day % 1_000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

const ICPS: &str = "INSERT INTO icps (id, name, description, lead_provider_criteria, \
    custom_filter_criteria, crm_filters, leads_per_list, active_until, created_at, updated_at, \
    owner_id, everyone, search_text) ";
const MEMBERS: &str = "INSERT INTO icp_members (icp_id, user_id, position, created_at) ";
const VERSIONS: &str = "INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) ";

/// The app's event insert (`store/sql/events.rs`): the workspace is the owner's, looked up by the
/// statement; `xid` (Postgres) and `seq` are the columns' defaults.
const EVENTS: &str = "INSERT INTO events (id, type, icp_id, workspace_id, at, audience, body) ";
const WORKSPACE_OF: &str = "(SELECT workspace_id FROM workspace_members WHERE user_id = ";

/// Inserts a batch of creates in one transaction, as `mode` does.
async fn insert(db: &Db, mode: Mode, user: &str, rows: &[Row]) -> Result<(), sqlx::Error> {
    if mode == Mode::Rows {
        insert_rows(db, user, rows).await
    } else {
        insert_minimal(db, rows).await
    }
}

/// The `rows` mode's insert: the app's rows as multi-row statements.
async fn insert_rows(db: &Db, user: &str, rows: &[Row]) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let now = millis_now();
            let mut tx = pool.begin().await?;
            for run in runs(rows) {
                let mut icps = QueryBuilder::new(ICPS);
                icps.push_values(run, |mut b, row| {
                    b.push_bind(row.id)
                        .push_bind(&row.name)
                        .push_bind(&row.description)
                        .push_bind(&row.lead_provider_criteria)
                        .push_bind(&row.custom_filter_criteria)
                        .push_bind(&row.crm_filters)
                        .push_bind(row.leads_per_list)
                        .push_bind(None::<i64>)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(user)
                        .push_bind(false)
                        .push_bind(&row.search_text);
                });
                icps.build().execute(&mut *tx).await?;
                let mut members = QueryBuilder::new(MEMBERS);
                members.push_values(run, |mut b, row| {
                    b.push_bind(row.id).push_bind(user).push_bind(0).push_bind(now);
                });
                members.build().execute(&mut *tx).await?;
                let mut versions = QueryBuilder::new(VERSIONS);
                versions.push_values(run, |mut b, row| {
                    b.push_bind(row.id)
                        .push_bind(1)
                        .push_bind("created")
                        .push_bind(user)
                        .push_bind(now)
                        .push_bind(user)
                        .push_bind(&row.icp);
                });
                versions.build().execute(&mut *tx).await?;
                let mut events = QueryBuilder::new(EVENTS);
                events.push_values(run, |mut b, row| {
                    b.push_bind(row.event_id)
                        .push_bind("icp.created")
                        .push_bind(row.id)
                        .push(WORKSPACE_OF)
                        .push_bind_unseparated(user)
                        .push_unseparated(")")
                        .push_bind(now)
                        .push_bind(&row.audience)
                        .push_bind(&row.event);
                });
                events.build().execute(&mut *tx).await?;
            }
            tx.commit().await
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for run in runs(rows) {
                let mut icps = QueryBuilder::new(ICPS);
                icps.push_values(run, |mut b, row| {
                    b.push_bind(row.id)
                        .push_bind(&row.name)
                        .push_bind(&row.description)
                        .push_bind(&row.lead_provider_criteria)
                        .push_unseparated("::jsonb")
                        .push_bind(&row.custom_filter_criteria)
                        .push_unseparated("::jsonb")
                        .push_bind(&row.crm_filters)
                        .push_unseparated("::jsonb")
                        .push_bind(row.leads_per_list)
                        .push("NULL")
                        .push("now()")
                        .push("now()")
                        .push_bind(user)
                        .push_bind(false)
                        .push_bind(&row.search_text);
                });
                icps.build().execute(&mut *tx).await?;
                let mut members = QueryBuilder::new(MEMBERS);
                members.push_values(run, |mut b, row| {
                    b.push_bind(row.id).push_bind(user).push_bind(0).push("now()");
                });
                members.build().execute(&mut *tx).await?;
                let mut versions = QueryBuilder::new(VERSIONS);
                versions.push_values(run, |mut b, row| {
                    b.push_bind(row.id)
                        .push_bind(1)
                        .push_bind("created")
                        .push_bind(user)
                        .push("now()")
                        .push_bind(user)
                        .push_bind(&row.icp)
                        .push_unseparated("::jsonb");
                });
                versions.build().execute(&mut *tx).await?;
                let mut events = QueryBuilder::new(EVENTS);
                events.push_values(run, |mut b, row| {
                    b.push_bind(row.event_id)
                        .push_bind("icp.created")
                        .push_bind(row.id)
                        .push(WORKSPACE_OF)
                        .push_bind_unseparated(user)
                        .push_unseparated(")")
                        .push("now()")
                        .push_bind(&row.audience)
                        .push_unseparated("::jsonb")
                        .push_bind(&row.event);
                });
                events.build().execute(&mut *tx).await?;
            }
            tx.commit().await
        }
    }
}

/// The group-commit writer: whatever is queued goes in one transaction; every request is answered
/// after the commit.
async fn writer(db: Db, mode: Mode, user: Arc<str>, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, 256).await > 0 {
        let (rows, replies): (Vec<Row>, Vec<_>) = batch.drain(..).unzip();
        let ok = match insert(&db, mode, &user, &rows).await {
            Ok(()) => true,
            Err(error) => {
                eprintln!("insert failed: {error}");
                false
            }
        };
        for reply in replies {
            let _ = reply.send(ok);
        }
    }
}

async fn create(State(app): State<App>, body: Bytes) -> (StatusCode, Json<Value>) {
    let Ok(mut icp) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(Value::Null));
    };
    let id = Uuid::now_v7();
    icp["id"] = Value::String(id.to_string());
    let row = match app.mode {
        Mode::Rows => {
            // The ICP as the app answers it: its instants, and its maker among its members.
            let at = rfc3339_millis(millis_now());
            icp["createdAt"] = Value::String(at.clone());
            icp["updatedAt"] = Value::String(at.clone());
            icp["userIds"] = Value::Array(vec![Value::from(&*app.user)]);
            Row::of(id, &icp, &app.user, &at)
        }
        Mode::Each | Mode::Group => Row::minimal(id, &icp),
    };
    let stored = match &app.group {
        Some(queue) => {
            let (reply, answer) = oneshot::channel();
            queue.send((row, reply)).await.is_ok() && answer.await.unwrap_or(false)
        }
        None => insert(&app.db, app.mode, &app.user, &[row]).await.is_ok(),
    };
    if !stored {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(Value::Null));
    }
    (StatusCode::CREATED, Json(icp))
}

async fn echo_icp(State(app): State<App>) -> Json<Value> {
    Json(app.echo.as_ref().clone())
}

const FIRST_USER: &str = "SELECT id FROM users ORDER BY created_at LIMIT 1";

/// The `rows` mode's user: the database's first (made by the app's CLI).
fn first_user(found: Result<Option<String>, sqlx::Error>) -> Arc<str> {
    match found {
        Ok(Some(user)) => user.into(),
        Ok(None) => {
            eprintln!("bare: `rows` needs a user in the app's tables (the app's CLI makes one)");
            std::process::exit(1);
        }
        Err(error) => {
            eprintln!("bare: cannot read the app's users: {error}");
            std::process::exit(1);
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, url, mode] = args.as_slice() else {
        eprintln!("usage: bare ADDR DATABASE_URL each|group|rows");
        std::process::exit(2);
    };
    let mode = match mode.as_str() {
        "each" => Mode::Each,
        "group" => Mode::Group,
        "rows" => Mode::Rows,
        _ => {
            eprintln!("bare: the mode is each, group or rows, not {mode}");
            std::process::exit(2);
        }
    };
    let db = match connect(url).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("cannot open {url}: {error}");
            std::process::exit(1);
        }
    };
    let user: Arc<str> = match (&db, mode) {
        (Db::Sqlite(pool), Mode::Rows) => first_user(sqlx::query_scalar(FIRST_USER).fetch_optional(pool).await),
        (Db::Postgres(pool), Mode::Rows) => first_user(sqlx::query_scalar(FIRST_USER).fetch_optional(pool).await),
        _ => USER.into(),
    };
    let group = (mode != Mode::Each).then(|| {
        let (queue, jobs) = mpsc::channel(1024);
        tokio::spawn(writer(db.clone(), mode, user.clone(), jobs));
        queue
    });
    // What `GET /api/v1/entities/icps/{id}` answers, in size and shape.
    let echo: Value = serde_json::from_str(include_str!("../../../../src/api/examples/created-201.json"))
        .unwrap_or(Value::Null);
    let app = App { db, mode, user, group, echo: Arc::new(echo) };
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
