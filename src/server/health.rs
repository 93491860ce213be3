//! `/healthz` (the process answers) and `/readyz` (the database answers, with every migration this
//! binary has) for load balancers and orchestrators: open, cheap, JSON, and outside the request
//! log and the session (they are merged outside the app's layers).

use crate::store::{readiness, DynStore};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::time::Duration;

/// How long `/readyz` waits for the database before it counts it as down.
pub const READY_WITHIN: Duration = Duration::from_secs(2);

pub fn router(store: DynStore) -> Router {
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .with_state(store)
}

async fn ready(State(store): State<DynStore>) -> Response {
    let checked = tokio::time::timeout(READY_WITHIN, readiness(&store.pools())).await;
    let reason = match checked {
        Ok(Ok(())) => return Json(json!({"status": "ready"})).into_response(),
        Ok(Err(reason)) => reason,
        Err(_) => format!(
            "the database did not answer within {} s",
            READY_WITHIN.as_secs()
        ),
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason})),
    )
        .into_response()
}
