//! Test harness: the real router over a real database (a SQLite file, or a fresh Postgres schema).

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use icp_builder::auth;
use icp_builder::domain::UserId;
use icp_builder::server::app;
use icp_builder::state::{AppState, Config};
use icp_builder::store::{DynStore, PgStore, SqliteStore};
use leptos::prelude::get_configuration;
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;
use std::str::FromStr;
use std::sync::Arc;
use tempfile::TempDir;
use tower::ServiceExt;

/// Where the Postgres tests run. Unset, the Postgres variants fail (see `SKIP_POSTGRES_VAR`).
pub const POSTGRES_URL_VAR: &str = "ICP_TEST_POSTGRES_URL";
/// The explicit opt-out: `ICP_TEST_SKIP_POSTGRES=1` skips (loudly) the Postgres variants when no
/// Postgres is configured, so a missing database is never mistaken for passing tests.
pub const SKIP_POSTGRES_VAR: &str = "ICP_TEST_SKIP_POSTGRES";

/// The Postgres to test against: `None` only when explicitly opted out; otherwise a missing
/// `ICP_TEST_POSTGRES_URL` fails the test.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var(SKIP_POSTGRES_VAR).as_deref() == Ok("1") => {
            eprintln!(
                "!!! SKIPPED on Postgres ({SKIP_POSTGRES_VAR}=1): set {POSTGRES_URL_VAR} to run it"
            );
            None
        }
        _ => panic!(
            "{POSTGRES_URL_VAR} is not set, so this Postgres test cannot run. Set it (e.g. \
             postgres://postgres@127.0.0.1:5432/test), or set {SKIP_POSTGRES_VAR}=1 to skip the \
             Postgres tests on purpose"
        ),
    }
}

/// Creates a fresh schema in the Postgres at `url` and returns its name.
pub async fn new_postgres_schema(url: &str) -> String {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("Postgres at {POSTGRES_URL_VAR} is not reachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    schema
}

/// Runs each listed `async fn name(db: Database)` once on SQLite and once on Postgres.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Database::sqlite()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(database) = $crate::common::Database::postgres().await {
                        super::$name(database).await
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_databases;

/// A database a test owns for its whole life.
pub enum Database {
    Sqlite { dir: Arc<TempDir> },
    Postgres { options: Box<PgConnectOptions> },
}

impl Database {
    pub fn sqlite() -> Self {
        Database::Sqlite {
            dir: Arc::new(tempfile::tempdir().expect("temp dir")),
        }
    }

    /// A fresh schema in the Postgres that `ICP_TEST_POSTGRES_URL` names; `None` (skip) only
    /// with the explicit opt-out.
    pub async fn postgres() -> Option<Self> {
        let url = postgres_url()?;
        let schema = new_postgres_schema(&url).await;
        let options = PgConnectOptions::from_str(&url)
            .expect("valid Postgres URL")
            .options([("search_path", schema.as_str())]);
        Some(Database::Postgres {
            options: Box::new(options),
        })
    }

    pub fn sqlite_url(&self) -> Option<String> {
        match self {
            Database::Sqlite { dir } => {
                Some(format!("sqlite://{}", dir.path().join("icp.db").display()))
            }
            Database::Postgres { .. } => None,
        }
    }

    pub async fn open(&self) -> DynStore {
        match self {
            Database::Sqlite { .. } => {
                let url = self.sqlite_url().expect("sqlite");
                Arc::new(SqliteStore::connect(&url).await.expect("open SQLite"))
            }
            Database::Postgres { options } => Arc::new(
                PgStore::connect_with(options.as_ref().clone())
                    .await
                    .expect("open Postgres"),
            ),
        }
    }
}

pub struct TestApp {
    pub database: Database,
    pub store: DynStore,
    pub router: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A signed-up user and a token of theirs.
pub struct Caller {
    pub id: UserId,
    pub token: String,
}

/// The app's Leptos settings (Cargo.toml), with unhashed bundle names: pages name the hashed ones
/// from the hash.txt cargo-leptos writes beside the release binary, and none is beside a test's.
fn leptos_options() -> leptos::prelude::LeptosOptions {
    let mut options = get_configuration(Some("Cargo.toml"))
        .expect("leptos config")
        .leptos_options;
    options.hash_files = false;
    options
}

impl TestApp {
    pub async fn start(database: Database) -> Self {
        TestApp::start_with(database, leptos_options(), Config::default()).await
    }

    /// As [`TestApp::start`], letting webhooks go to private addresses (`ALLOW_PRIVATE_WEBHOOKS`),
    /// so a test's receiver on loopback can be one.
    pub async fn start_with_private_webhooks(database: Database) -> Self {
        let config = Config {
            allow_private_webhooks: true,
            ..Config::default()
        };
        TestApp::start_with(database, leptos_options(), config).await
    }

    /// As [`TestApp::start`], mailing through the SMTP server at `smtp_url` (`SMTP_URL`).
    pub async fn start_with_mail(database: Database, smtp_url: &str) -> Self {
        let config = Config {
            smtp_url: Some(icp_builder::mail::SmtpUrl::parse(smtp_url).expect("SMTP URL")),
            ..Config::default()
        };
        TestApp::start_with(database, leptos_options(), config).await
    }

    /// As [`TestApp::start`], with these settings.
    pub async fn start_configured(database: Database, config: Config) -> Self {
        TestApp::start_with(database, leptos_options(), config).await
    }

    /// As [`TestApp::start`], serving the site (`/pkg`) from `site_root` instead of target/site.
    pub async fn start_with_site(database: Database, site_root: &std::path::Path) -> Self {
        let mut options = leptos_options();
        options.site_root = site_root.to_string_lossy().as_ref().into();
        TestApp::start_with(database, options, Config::default()).await
    }

    /// An app on a store opened elsewhere (its database is not the test's to reopen).
    pub async fn with_store(store: DynStore) -> Self {
        let state = AppState::new(leptos_options(), store.clone(), Config::default())
            .await
            .expect("state");
        TestApp {
            database: Database::sqlite(),
            router: app(state),
            store,
        }
    }

    async fn start_with(
        database: Database,
        leptos_options: leptos::prelude::LeptosOptions,
        config: Config,
    ) -> Self {
        let store = database.open().await;
        let state = AppState::new(leptos_options, store.clone(), config)
            .await
            .expect("state");
        let router = app(state);
        TestApp {
            database,
            store,
            router,
        }
    }

    /// Stops this app and starts a new one on the same database, as a server restart would.
    pub async fn restart(self) -> Self {
        let TestApp {
            database,
            store,
            router,
        } = self;
        drop(router);
        drop(store);
        TestApp::start(database).await
    }

    pub async fn caller(&self, name: &str) -> Caller {
        let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
        let user = auth::create_user(self.store.as_ref(), &email, name, "correct horse battery")
            .await
            .expect("create user");
        let (_, token) =
            auth::create_token(self.store.as_ref(), &email, "tests", Default::default())
                .await
                .expect("create token");
        Caller { id: user.id, token }
    }

    /// Brings `member` into `owner`'s workspace as a member, through an invitation as a person
    /// would.
    pub async fn join(&self, owner: &Caller, member: &Caller) {
        self.join_as(owner, member, icp_builder::store::Role::Member)
            .await
    }

    /// Brings `member` into `owner`'s workspace with `role`, through an invitation.
    pub async fn join_as(&self, owner: &Caller, member: &Caller, role: icp_builder::store::Role) {
        let store = self.store.as_ref();
        let user = store
            .user_by_id(&member.id)
            .await
            .expect("read member")
            .expect("member exists");
        let (_, link) = icp_builder::workspaces::invite(store, &owner.id, &user.email, role)
            .await
            .expect("invite");
        icp_builder::workspaces::accept(store, &user, &link)
            .await
            .expect("accept");
    }

    /// Sends a request through the router; `body` is sent as JSON when given.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        };
        self.raw(request.expect("request")).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, caller: &Caller, body: &Value) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/entities/icps",
            Some(&caller.token),
            Some(body),
        )
        .await
    }

    pub async fn get(&self, caller: &Caller, uri: &str) -> Reply {
        self.send(Method::GET, uri, Some(&caller.token), None).await
    }

    pub async fn patch(&self, caller: &Caller, id: &str, body: &Value) -> Reply {
        self.send(
            Method::PATCH,
            &format!("/api/v1/entities/icps/{id}"),
            Some(&caller.token),
            Some(body),
        )
        .await
    }

    pub async fn delete(&self, caller: &Caller, id: &str) -> Reply {
        self.send(
            Method::DELETE,
            &format!("/api/v1/entities/icps/{id}"),
            Some(&caller.token),
            None,
        )
        .await
    }

    /// Creates an ICP and returns its JSON, failing the test if that did not give a 201.
    pub async fn create(&self, caller: &Caller, body: &Value) -> Value {
        let reply = self.post(caller, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }
}

/// The reference page's request examples, as shipped with the API docs.
pub fn example(name: &str) -> Value {
    icp_builder::api::openapi::example(name)
}

/// A small valid create body.
pub fn minimal(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "leadProviderCriteria": [],
        "customFilterCriteria": [],
        "userIds": []
    })
}

/// The `(path, message)` pairs of a 400 body, after checking its envelope.
pub fn details(reply: &Reply) -> Vec<(Value, String)> {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body["error"]["code"], "BAD_REQUEST");
    reply.body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["path"].clone(),
                d["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

impl TestApp {
    /// A session cookie for `caller`, as signing in would give (made in the session store directly,
    /// so page tests do not depend on the sign-in form).
    pub async fn session_cookie(&self, caller: &Caller) -> String {
        use tower_sessions::session::{Id, Record};
        use tower_sessions::SessionStore;
        let sessions = icp_builder::auth::session::SessionBackend::open(&self.store.pools())
            .await
            .expect("session store");
        let mut record = Record {
            id: Id::default(),
            data: [("user_id".to_owned(), serde_json::json!(caller.id.as_str()))]
                .into_iter()
                .collect(),
            expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
                + tower_sessions::cookie::time::Duration::hours(1),
        };
        sessions.create(&mut record).await.expect("create session");
        format!("icp_session={}", record.id)
    }

    /// A same-origin browser request with the session cookie.
    pub async fn browser(
        &self,
        cookie: &str,
        method: Method,
        uri: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "app.test")
            .header(header::ORIGIN, "http://app.test")
            .header(header::COOKIE, cookie);
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter())
                    .finish();
                Body::from(encoded)
            }
            None => Body::empty(),
        };
        self.raw(request.body(body).expect("request")).await
    }
}

/// The site the tests' browser talks to: requests name this host, and our pages' posts carry it
/// as their `Origin`.
pub const SITE: &str = "http://localhost";

/// What `reply`'s `Set-Cookie` sets the session cookie to, as a `Cookie` header value
/// (`icp_session=…`); `None` when it sets none or clears it.
pub fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| {
            pair.split_once('=').is_some_and(|(name, value)| {
                name == auth::session::COOKIE_NAME && !value.is_empty()
            })
        })
        .map(str::to_owned)
}

/// Where a redirect points.
pub fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// The body of an HTML (or other non-JSON) reply.
pub fn text(reply: &Reply) -> &str {
    reply.body.as_str().unwrap_or_default()
}

/// A request as a browser on `SITE` sends it, with the session `cookie` when given.
pub fn browser(method: Method, uri: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "localhost");
    match cookie {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}

/// A url-encoded form body.
pub fn form_body(fields: &[(&str, &str)]) -> Body {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(fields);
    Body::from(body.finish())
}

impl TestApp {
    /// A page load in the browser.
    pub async fn visit(&self, uri: &str, cookie: Option<&str>) -> Reply {
        self.raw(
            browser(Method::GET, uri, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// A form posted from one of our own pages.
    pub async fn submit(&self, uri: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
        self.submit_from(Some(SITE), uri, cookie, fields).await
    }

    /// A form posted from a page at `origin` (`None`: no `Origin` header).
    pub async fn submit_from(
        &self,
        origin: Option<&str>,
        uri: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Reply {
        let mut request = browser(Method::POST, uri, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        self.raw(request.body(form_body(fields)).expect("request"))
            .await
    }

    /// Signs a new user up through the form; returns their email and session cookie.
    pub async fn signed_up(&self, name: &str) -> (String, String) {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let reply = self
            .submit(
                "/sign-up",
                None,
                &[
                    ("name", name),
                    ("email", &email),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let cookie = session_cookie(&reply).expect("sign-up sets the session cookie");
        (email, cookie)
    }
}

impl TestApp {
    /// Posts `file` to the import form, as a browser sends a file upload.
    pub async fn import(&self, cookie: &str, file: &str) -> Reply {
        let boundary = "----icpbuilderboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"icps.json\"\r\n\
             Content-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
        );
        self.raw(
            Request::builder()
                .method(Method::POST)
                .uri("/forms/icps/import")
                .header(header::HOST, "app.test")
                .header(header::ORIGIN, "http://app.test")
                .header(header::COOKIE, cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}
