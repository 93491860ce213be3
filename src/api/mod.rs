//! The JSON API: plain axum handlers under `/api`, with one error type.
#![cfg(feature = "ssr")]

pub mod audit;
pub mod caller;
pub mod contract;
pub mod error;
pub mod events;
pub mod history;
pub mod icps;
pub mod json;
pub mod list;
pub mod openapi;
pub mod query;
pub mod users;
pub mod vocabularies;
pub mod webhooks;

pub use error::{ApiError, ErrorBody};

use crate::state::AppState;
use axum::http::{Method, Uri};
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    let (routes, document) = openapi::routes_and_document();
    routes
        .route(
            "/api/openapi.json",
            get(move || std::future::ready(Json(document.clone()))),
        )
        .route("/api/{*rest}", axum::routing::any(no_route))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("No API route for {method} {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
