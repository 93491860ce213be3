//! History and ownership forms without JavaScript: restore a version, restore a deleted ICP, hand
//! an ICP over. Each answers with a redirect, or a page saying why it was refused.

use super::icps::{refused, signed_in_or_redirect};
use super::posted;
use crate::domain::UserId;
use crate::icps;
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/forms/icps/{id}/versions/{version}/restore",
            post(restore_version),
        )
        .route("/forms/icps/{id}/restore", post(restore_deleted))
        .route("/forms/icps/{id}/owner", post(hand_over))
}

fn not_found() -> Response {
    super::problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist.")
}

async fn restore_version(
    State(state): State<AppState>,
    session: Session,
    Path((id, version)): Path<(String, String)>,
) -> Response {
    let user = match signed_in_or_redirect(&session, "/icps").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let (Ok(id), Ok(number)) = (Uuid::try_parse(&id), version.parse::<u32>()) else {
        return not_found();
    };
    match icps::restore_version(state.store.as_ref(), &user, id, number).await {
        Ok(_) => Redirect::to(&format!("/icps/{id}/history?notice=restored")).into_response(),
        Err(error) => refused(error),
    }
}

async fn restore_deleted(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in_or_redirect(&session, "/icps/deleted").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let Ok(id) = Uuid::try_parse(&id) else {
        return not_found();
    };
    match icps::restore_deleted(state.store.as_ref(), &user, id).await {
        Ok(_) => Redirect::to(&format!("/icps/{id}?notice=restored")).into_response(),
        Err(error) => refused(error),
    }
}

#[derive(Deserialize)]
struct OwnerForm {
    #[serde(default)]
    owner: String,
}

async fn hand_over(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    form: Result<Form<OwnerForm>, FormRejection>,
) -> Response {
    let user = match signed_in_or_redirect(&session, "/icps").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let form = match posted(form) {
        Ok(form) => form,
        Err((status, message)) => return super::problem(status, message),
    };
    let Ok(id) = Uuid::try_parse(&id) else {
        return not_found();
    };
    let Some(to) = UserId::parse(form.owner.trim()) else {
        return super::problem(StatusCode::BAD_REQUEST, "Choose a teammate to hand it to.");
    };
    match icps::hand_over(state.store.as_ref(), &user, id, &to).await {
        Ok(_) => Redirect::to(&format!("/icps/{id}?notice=handed")).into_response(),
        Err(error) => refused(error),
    }
}
