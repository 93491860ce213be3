//! The server: application state, the router (API + pages), and serving it.

use crate::api::{self, ApiError};
use crate::app::{shell, App};
use crate::auth::session::{SessionBackend, COOKIE_NAME};
use crate::store::{DynStore, StoreResult};
use axum::extract::FromRef;
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Everything a handler or server function needs.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: DynStore,
    pub sessions: SessionBackend,
    /// Sign-in and sign-up attempt counts (shared through the database on Postgres).
    pub limiter: crate::auth::limiter::Limiter,
    pub config: Arc<Config>,
}

/// Settings read from the environment at start-up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where users reach the app (`PUBLIC_URL`), e.g. `https://icp.example.com`. Cookies are `Secure`
    /// when it is https.
    pub public_url: Option<url::Url>,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let public_url = match std::env::var("PUBLIC_URL") {
            Ok(raw) if !raw.trim().is_empty() => Some(
                url::Url::parse(raw.trim()).map_err(|e| format!("PUBLIC_URL is not a URL: {e}"))?,
            ),
            _ => None,
        };
        Ok(Self { public_url })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

impl AppState {
    /// Assembles the state, opening the session store in the same database.
    pub async fn new(
        leptos_options: LeptosOptions,
        store: DynStore,
        config: Config,
    ) -> StoreResult<Self> {
        let sessions = store.sessions().await?;
        let limiter = store.limiter();
        Ok(Self {
            leptos_options,
            store,
            sessions,
            limiter,
            config: Arc::new(config),
        })
    }
}

/// How long a session lives without use.
pub const SESSION_IDLE: tower_sessions::cookie::time::Duration =
    tower_sessions::cookie::time::Duration::days(7);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole app as one router, so tests drive exactly what the server serves.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    crate::headers::set_page_policy();
                }
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(crate::headers::set_page_policy, shell));

    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    let https = state.config.secure_cookies();
    Router::new()
        .route("/", get(|| async { Redirect::to("/icps") }))
        .merge(api::router())
        .merge(crate::pages::forms::router())
        .merge(crate::auth::web::router())
        .merge(pages)
        // The sign-in rule for pages (matched routes only: an unknown path stays a 404) and the
        // same-origin check; inside the session layer (added after).
        .route_layer(axum::middleware::from_fn(crate::auth::web::require_session))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::origin::same_origin,
        ))
        .with_state(state)
        .layer(sessions)
        // Form posts and server-function calls are read whole, up to their size limit, before
        // the session is loaded (413 past it).
        .layer(axum::middleware::from_fn(crate::pages::forms::bounded_body))
        // Outermost last: every request gets an id, a span carrying it, and a JSON 500 on a panic.
        .layer(CatchPanicLayer::custom(panic_response))
        // A JSON 503 once a request takes longer than `serve::REQUEST_TIMEOUT`.
        .layer(axum::middleware::from_fn(crate::serve::time_limit))
        // Every response, the timeouts' and panics' too, carries the security headers.
        .layer(axum::middleware::map_response(move |response| async move {
            crate::headers::with_security_headers(response, https)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %request.method(), uri = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

fn panic_response(cause: Box<dyn Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| cause.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into());
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}
