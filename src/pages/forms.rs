//! The builder without JavaScript: plain form posts. A row button (`_action`) sends the form back
//! with the row added or removed; the save button creates or updates the ICP through the API's own
//! code path and redirects to it, or sends the form back with every value and every error.

use super::icps::Resubmission;
use crate::api::icps::{create, load_for, update};
use crate::api::ApiError;
use crate::app::shell;
use crate::auth::session::session_user;
use crate::builder::form::{form_errors, form_to_json, Pairs, RowAction, Rows};
use crate::builder::view::BuilderInit;
use crate::domain::UserId;
use crate::server::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use leptos::prelude::provide_context;
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/icps", post(create_from_form))
        .route("/forms/icps/{id}", post(update_from_form))
        .route("/forms/icps/{id}/delete", post(delete_from_form))
}

async fn signed_in(session: &Session, back_to: &str) -> Result<UserId, Response> {
    session_user(session).await.ok_or_else(|| {
        let next = url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect::<String>();
        Redirect::to(&format!("/sign-in?next={next}")).into_response()
    })
}

async fn create_from_form(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let user = match signed_in(&session, "/icps/new").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    submit(&state, &user, None, (headers, session), pairs).await
}

async fn update_from_form(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let user = match signed_in(&session, &format!("/icps/{id}/edit")).await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let Ok(id) = Uuid::try_parse(&id) else {
        return problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist.");
    };
    submit(&state, &user, Some(id), (headers, session), pairs).await
}

/// `from` is the posted request's headers and session: the page rendered back is the user's own.
async fn submit(
    state: &AppState,
    user: &UserId,
    id: Option<Uuid>,
    from: (HeaderMap, Session),
    pairs: Pairs,
) -> Response {
    let action = pairs
        .iter()
        .find(|(n, _)| n == "_action")
        .map(|(_, v)| v.clone());
    let kind = pairs
        .iter()
        .find(|(n, _)| n == "_filter_kind")
        .map(|(_, v)| v.clone());
    let fields: Pairs = pairs
        .into_iter()
        .filter(|(n, _)| !n.starts_with('_'))
        .collect();
    let page = match id {
        Some(id) => format!("/icps/{id}/edit"),
        None => "/icps/new".to_owned(),
    };
    let init = |pairs: Pairs, errors| BuilderInit {
        pairs,
        errors,
        creator: user.to_string(),
        editing: id.map(|id| id.to_string()),
    };

    if let Some(action) = action {
        return match RowAction::parse(&action, kind.as_deref()) {
            Some(change) => {
                render(
                    state,
                    from,
                    &page,
                    init(change.apply(fields), Vec::new()),
                    StatusCode::OK,
                )
                .await
            }
            None => problem(StatusCode::BAD_REQUEST, "That form button is not known."),
        };
    }

    let body = form_to_json(&fields);
    let saved = match id {
        None => create(state, user, &body).await,
        Some(id) => update(state, user, id, &body).await,
    };
    match saved {
        Ok(icp) => Redirect::to(&format!("/icps/{}", icp.id)).into_response(),
        Err(ApiError::BadRequest { details, .. }) => {
            let errors = form_errors(&details, &Rows::of(&fields));
            render(
                state,
                from,
                &page,
                init(fields, errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ApiError::Forbidden(_)) => {
            problem(StatusCode::FORBIDDEN, "You don’t have access to this ICP.")
        }
        Err(ApiError::NotFound(_)) => problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist."),
        Err(other) => other.into_response(),
    }
}

async fn delete_from_form(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in(&session, &format!("/icps/{id}")).await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let Ok(id) = Uuid::try_parse(&id) else {
        return problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist.");
    };
    let deleted = match load_for(&state, &user, id).await {
        Ok(_) => state.store.delete_icp(id).await.map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match deleted {
        Ok(_) => Redirect::to("/icps").into_response(),
        Err(ApiError::Forbidden(_)) => {
            problem(StatusCode::FORBIDDEN, "You don’t have access to this ICP.")
        }
        Err(ApiError::NotFound(_)) => problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist."),
        Err(other) => other.into_response(),
    }
}

/// Renders the builder page at `page` from `init` (the submitted values), with `status`.
async fn render(
    state: &AppState,
    (headers, session): (HeaderMap, Session),
    page: &str,
    init: BuilderInit,
    status: StatusCode,
) -> Response {
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(context_state.clone());
            provide_context(Resubmission(init.clone()));
        },
        move || shell(options.clone()),
    );
    let mut request = Request::get(page).body(Body::empty()).unwrap_or_default();
    *request.headers_mut() = headers;
    // The header's user menu reads the session from the request, as on any page.
    request.extensions_mut().insert(session);
    let mut response = handler(request).await;
    *response.status_mut() = status;
    response
}

fn problem(status: StatusCode, message: &'static str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{message}</title></head>\
         <body><main><h1>{message}</h1><p><a href=\"/icps\">Back to your ICPs</a></p></main></body></html>"
    );
    (status, [("content-type", "text/html; charset=utf-8")], page).into_response()
}
