//! The whole app as one router: the JSON API, the form posts and the pages, under the layers every
//! request passes (ids and tracing, security headers, time limit, panics, body limits, sessions,
//! the same-origin check, the sign-in rule).
#![cfg(feature = "ssr")]

pub mod health;
pub mod layers;
pub mod metrics;
pub mod observe;
pub mod serve;
pub mod site;

use crate::app::{shell, App};
use crate::auth::session::COOKIE_NAME;
use crate::state::AppState;
use axum::http::{HeaderName, Request};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::LazyLock;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// How long a session lives without use.
pub const SESSION_IDLE: tower_sessions::cookie::time::Duration =
    tower_sessions::cookie::time::Duration::days(7);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The pages' routes, listed once per process. Listing them runs the app with resource loads
/// suppressed through a process-wide flag (leptos_server's `SuppressResourceLoad`): a page whose
/// resource is first polled while a route list is being made anywhere in the process waits
/// forever (leptos-rs/leptos#4773) — with several routers in one process (the tests), about one
/// page in 500. Listed once, before the first router exists, no page can meet that window.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

/// The whole app as one router, so tests drive exactly what the server serves.
pub fn app(state: AppState) -> Router {
    let routes = page_routes();
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
    let config = state.config.clone();
    let time_limit = state.config.request_timeout();
    let health = health::router(state.store.clone());
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/icps") }))
        .route(
            crate::builder::form::names::lead::REGION_OPTIONS,
            get(crate::pages::builder_page::region_options),
        )
        .merge(crate::api::router())
        .merge(crate::forms::router())
        .merge(pages)
        .merge(layers::bundle_files(&state.leptos_options))
        // The sign-in rule for pages (matched routes only: an unknown path stays a 404).
        .route_layer(axum::middleware::from_fn(
            crate::auth::guard::require_session,
        ))
        .route_layer(axum::middleware::from_fn(layers::record_route))
        .with_state(state);
    // The layers every request passes, around the whole router once (`Router::layer` would wrap
    // each route, and each request would clone and box its way through every wrapping). Outermost
    // first: every request gets an id and a span carrying it, …, and its session innermost.
    let layered = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // A span per request: its id and method (never the raw path, which may carry an
        // invitation token; `observe` logs the route template).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %request.method())
                })
                .on_response(()),
        )
        // Inside the request's span: one log line and the metrics per request, with its final
        // status (see `observe`).
        .layer(axum::middleware::from_fn(observe::observe))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Pages compressed on the fly (the bundle is compressed ahead of time).
        .layer(layers::compress_pages())
        // Every response, the timeouts' and panics' too, carries the security headers.
        .layer(axum::middleware::map_response(move |response| async move {
            crate::headers::with_security_headers(response, https)
        }))
        // A JSON 503 once a request takes longer than `Config::request_timeout`.
        .layer(axum::middleware::from_fn_with_state(
            time_limit,
            layers::time_limit,
        ))
        // A JSON 500 on a panic.
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(sessions)
        // Cross-site writes are refused before their body is read.
        .layer(axum::middleware::from_fn_with_state(
            config,
            layers::same_origin,
        ))
        // Bodies within their limits and the server's budget; form posts and server-function
        // calls read whole here, a signed-out caller's only up to 16 KiB (413 past it).
        .layer(axum::middleware::from_fn_with_state(
            crate::forms::BodyBudget::default(),
            crate::forms::bounded_body,
        ))
        .service(app);
    health.fallback_service(layered)
}
