//! History and ownership forms without JavaScript: restore a version, restore a deleted ICP, hand
//! an ICP over. Each answers with a redirect, or a page saying why it was refused.

use super::icps::{no_such_icp, refused, signed_in_or_redirect};
use super::posted;
use crate::domain::UserId;
use crate::icps;
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
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

async fn restore_version(
    State(state): State<AppState>,
    session: Session,
    Path((id, version)): Path<(String, String)>,
) -> Result<Redirect, Response> {
    let user = signed_in_or_redirect(&session, "/icps").await?;
    let (Ok(id), Ok(number)) = (Uuid::try_parse(&id), version.parse::<u32>()) else {
        return Err(no_such_icp());
    };
    icps::restore_version(state.store.as_ref(), &user, id, number)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/icps/{id}/history?notice=restored")))
}

async fn restore_deleted(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Redirect, Response> {
    let user = signed_in_or_redirect(&session, "/icps/deleted").await?;
    let id = Uuid::try_parse(&id).map_err(|_| no_such_icp())?;
    icps::restore_deleted(state.store.as_ref(), &user, id)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/icps/{id}?notice=restored")))
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
) -> Result<Redirect, Response> {
    let user = signed_in_or_redirect(&session, "/icps").await?;
    let form = posted(form).map_err(|(status, message)| super::problem(status, message))?;
    let id = Uuid::try_parse(&id).map_err(|_| no_such_icp())?;
    let to = UserId::parse(form.owner.trim()).ok_or_else(|| {
        super::problem(StatusCode::BAD_REQUEST, "Choose a teammate to hand it to.")
    })?;
    icps::hand_over(state.store.as_ref(), &user, id, &to)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/icps/{id}?notice=handed")))
}
