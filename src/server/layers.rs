//! The server's own middleware: the time limit, the same-origin check and the answer to a panic.

use crate::api::ApiError;
use crate::auth::origin;
use crate::state::Config;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::any::Any;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// Answers 503 with the API's error body when a request takes longer than the limit
/// (`Config::request_timeout`, from its head being read to its response head, reading the body
/// included), dropping its work, rather than letting slow requests pile up.
pub async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    within(limit, request, next).await
}

async fn within(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs_f64(), "request timed out");
            ApiError::Timeout.into_response()
        }
    }
}

/// Notes the request's route template (`/api/v1/entities/icps/{id}`) for its log line and metrics
/// (`observe`).
pub async fn record_route(request: Request, next: Next) -> Response {
    // Read from the extensions: a nested service (the bundle's files) may have none.
    let route = request.extensions().get::<axum::extract::MatchedPath>();
    if let (Some(route), Some(notes)) = (
        route,
        request
            .extensions()
            .get::<crate::request_labels::RequestLabels>(),
    ) {
        notes.route(route.as_str());
    }
    next.run(request).await
}

/// Refuses unsafe cross-site requests that carry the session cookie (see `auth::origin`): the API
/// with its JSON error body, a form post with a page.
pub async fn same_origin(
    State(config): State<Arc<Config>>,
    request: Request,
    next: Next,
) -> Response {
    if origin::allows(&request, config.public_url.as_ref()) {
        next.run(request).await
    } else if request.uri().path().starts_with("/api/") {
        ApiError::Forbidden(origin::REFUSED.to_owned()).into_response()
    } else {
        origin::refusal_page()
    }
}

/// `/pkg`, the WASM bundle, its JavaScript and the stylesheet: the `.br` or `.gz` file built beside
/// each (`scripts/serve.sh` makes them) when the browser accepts it. A file whose name carries its
/// content's hash (cargo-leptos `hash-files`: `icp-builder.<hash>.wasm`) never changes, so browsers
/// keep it a year without asking again; anything else is revalidated on every use (`no-cache`: a
/// 304 when unchanged).
pub fn bundle_files<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(axum::middleware::from_fn(bundle_cache_policy))
}

/// What a `/pkg` answer may be cached for: see [`bundle_files`].
async fn bundle_cache_policy(request: Request, next: Next) -> Response {
    let hashed = is_hashed_name(request.uri().path().rsplit('/').next().unwrap_or_default());
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let policy = if hashed && found {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// Whether a file name is `<name>.<hash>.<extension>` as cargo-leptos writes it: the hash is the
/// content's MD5 in unpadded URL-safe base64, 22 characters.
fn is_hashed_name(file_name: &str) -> bool {
    let mut parts = file_name.rsplitn(3, '.');
    let (Some(extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && !extension.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compresses HTML pages for browsers that accept it (gzip or brotli); API answers and files stay
/// as they are.
pub fn compress_pages() -> CompressionLayer<impl Predicate> {
    let html = |_: axum::http::StatusCode,
                _: axum::http::Version,
                headers: &HeaderMap,
                _: &axum::http::Extensions| {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"))
    };
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .compress_when(DefaultPredicate::new().and(html))
}

/// A handler's panic as the API's 500 body (its message goes to the log only).
pub fn panic_response(cause: Box<dyn Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| cause.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into());
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cargo_leptos_hashed_names_count_as_hashed() {
        for hashed in [
            "icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.wasm",
            "icp-builder.AAAAAAAAAAAAAAAAAAAAAA.js",
            "__wasm_split.0123456789abcdefghij-_.js",
        ] {
            assert!(is_hashed_name(hashed), "{hashed}");
        }
        for plain in [
            "icp-builder.wasm",
            "icp-builder.js",
            "inline0.js",
            "icp-builder.Xq3_bT-9kLmNoPqRsTuVw.wasm",
            "icp-builder.Xq3_bT-9kLmNoPqRsTuVwAB.wasm",
            "icp-builder.Xq3_bT-9kLmNoPqRsTu.wA.wasm",
            ".Xq3_bT-9kLmNoPqRsTuVwA.wasm",
            "icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.",
            "",
        ] {
            assert!(!is_hashed_name(plain), "{plain}");
        }
    }

    #[tokio::test]
    async fn a_request_over_the_time_limit_gets_the_json_503() {
        use axum::body::Body;
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/slow",
                axum::routing::get(std::future::pending::<&'static str>),
            )
            .route("/quick", axum::routing::get(|| async { "done" }))
            .layer(axum::middleware::from_fn(|request, next| {
                within(Duration::from_millis(20), request, next)
            }));
        let call = |path: &'static str| {
            router
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
        };

        let slow = call("/slow").await.unwrap();
        assert_eq!(slow.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        let body = slow.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "SERVICE_UNAVAILABLE");

        let quick = call("/quick").await.unwrap();
        assert_eq!(quick.status(), axum::http::StatusCode::OK);
    }
}
