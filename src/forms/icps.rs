//! The builder without JavaScript: plain form posts. A row button (`_action`) sends the form back
//! with the row added or removed; the save button creates or updates the ICP through the same use
//! case as the API and redirects to it, or sends the form back with every value and every error.

use super::{posted, problem};
use crate::app::shell;
use crate::auth::session::session_user;
use crate::builder::form::{
    form_errors, form_to_json, names, within_limits, Pairs, RowAction, Rows,
};
use crate::builder::view::BuilderInit;
use crate::domain::UserId;
use crate::icps::{self, IcpError};
use crate::pages::builder_page::Resubmission;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
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

/// The signed-in user and the ICP id of a form's path (`/…/icps/{id}/…`): otherwise the sign-in
/// page (back to the ICP after), or a 404 page for an id that is not a UUID.
pub(super) struct IcpCaller {
    pub user: UserId,
    pub id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for IcpCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(raw_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let user = signed_in_to(parts, &format!("/icps/{raw_id}")).await?;
        let id = Uuid::try_parse(&raw_id).map_err(|_| no_such_icp())?;
        Ok(IcpCaller { user, id })
    }
}

/// The 404 page of a form about an ICP that does not exist (or whose id is not a UUID).
pub(super) fn no_such_icp() -> Response {
    problem(StatusCode::NOT_FOUND, "This ICP doesn’t exist.")
}

pub(super) async fn signed_in_or_redirect(
    session: &Session,
    back_to: &str,
) -> Result<UserId, Response> {
    session_user(session).await.ok_or_else(|| {
        let next = url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect::<String>();
        Redirect::to(&format!("/sign-in?next={next}")).into_response()
    })
}

/// The user signed in to a request's session, or the sign-in page that comes back to `page`
/// after (without a session layer, axum's 500).
pub(super) async fn signed_in_to(parts: &mut Parts, page: &str) -> Result<UserId, Response> {
    let session = Session::from_request_parts(parts, &())
        .await
        .map_err(IntoResponse::into_response)?;
    signed_in_or_redirect(&session, page).await
}

async fn create_from_form(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    form: Result<Form<Pairs>, FormRejection>,
) -> Result<Response, Response> {
    let user = signed_in_or_redirect(&session, "/icps/new").await?;
    let pairs = posted(form).map_err(|(status, message)| problem(status, message))?;
    Ok(submit(&state, &user, None, (headers, session), pairs).await)
}

async fn update_from_form(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Result<Response, Response> {
    let user = signed_in_or_redirect(&session, &format!("/icps/{id}/edit")).await?;
    let pairs = posted(form).map_err(|(status, message)| problem(status, message))?;
    let id = Uuid::try_parse(&id).map_err(|_| no_such_icp())?;
    Ok(submit(&state, &user, Some(id), (headers, session), pairs).await)
}

/// `from` is the posted request's headers and session: the page rendered back is the user's own.
async fn submit(
    state: &AppState,
    user: &UserId,
    id: Option<Uuid>,
    from: (HeaderMap, Session),
    pairs: Pairs,
) -> Response {
    // One pass: the buttons' own fields (the first of each) apart from the form's.
    let (mut action, mut kind) = (None, None);
    let mut fields: Pairs = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        match name.as_str() {
            "_action" => action = action.or(Some(value)),
            "_filter_kind" => kind = kind.or(Some(value)),
            _ if name.starts_with('_') => {}
            _ => fields.push((name, value)),
        }
    }
    let page = match id {
        Some(id) => format!("/icps/{id}/edit"),
        None => "/icps/new".to_owned(),
    };
    let (creator, teammates) =
        crate::builder::save::builder_and_teammates(state.store.as_ref(), user).await;
    // The form again, with what was posted and why it was not saved.
    let back = |pairs: Pairs, errors, status| {
        let init = BuilderInit {
            pairs,
            errors,
            creator,
            teammates,
            editing: id.map(|id| id.to_string()),
        };
        render(state, from, &page, init, status)
    };

    // The API's row limits first: past them nothing else is done with the rows, and the form comes
    // back with only as many as can be saved.
    let (fields, too_many) = within_limits(fields);
    if !too_many.is_empty() {
        return back(fields, too_many, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    if let Some(action) = action {
        let Some(change) = RowAction::parse(&action, kind.as_deref()) else {
            return problem(StatusCode::BAD_REQUEST, "That form button is not known.");
        };
        return match change.apply(fields) {
            (fields, None) => back(fields, Vec::new(), StatusCode::OK).await,
            (fields, Some(full)) => {
                back(fields, vec![full], StatusCode::UNPROCESSABLE_ENTITY).await
            }
        };
    }

    let body = form_to_json(&fields);
    let everyone = fields
        .iter()
        .any(|(name, value)| name == names::EVERYONE && value == "true");
    let store = state.store.as_ref();
    let saved = match id {
        None => icps::create(store, user, &body, everyone).await,
        Some(id) => {
            let version = fields
                .iter()
                .find(|(name, _)| name == names::VERSION)
                .and_then(|(_, value)| value.parse().ok());
            let condition = icps::IfMatch::opened_at(version);
            icps::update_if(store, user, id, &body, Some(everyone), &condition).await
        }
    };
    match saved {
        Ok(icp) => Redirect::to(&format!("/icps/{}", icp.id)).into_response(),
        Err(IcpError::Invalid(details)) => {
            let errors = form_errors(&details, &Rows::of(&fields));
            back(fields, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // Shown in the form with everything typed, as the builder with JavaScript shows it.
        Err(changed @ IcpError::Changed(_)) => {
            let message = crate::page_error::PageError::from(changed).to_string();
            let error = crate::builder::form::FormError {
                field: None,
                section: None,
                place: "The ICP".to_owned(),
                message,
            };
            back(fields, vec![error], StatusCode::PRECONDITION_FAILED).await
        }
        Err(other) => refused(other),
    }
}

async fn delete_from_form(
    State(state): State<AppState>,
    IcpCaller { user, id }: IcpCaller,
) -> Result<Redirect, Response> {
    icps::delete(state.store.as_ref(), &user, id)
        .await
        .map_err(refused)?;
    Ok(Redirect::to("/icps"))
}

/// The page for a save or delete that did not happen (invalid input is shown in the form instead).
pub(super) fn refused(error: IcpError) -> Response {
    match error {
        IcpError::Forbidden(_) => {
            problem(StatusCode::FORBIDDEN, "You don’t have access to this ICP.")
        }
        IcpError::OwnerOnly { .. } => super::page(
            StatusCode::FORBIDDEN,
            "Only the ICP’s owner can do this",
            &format!("{error}."),
        ),
        IcpError::ReadOnly => super::page(
            StatusCode::FORBIDDEN,
            "Viewers cannot change ICPs",
            &format!("{error}."),
        ),
        IcpError::NotFound(_) | IcpError::NoVersion(_) => no_such_icp(),
        IcpError::NotDeleted(_) => problem(StatusCode::CONFLICT, "This ICP is not deleted."),
        IcpError::NotMember(_) => super::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This ICP was not handed over",
            &format!("{error}."),
        ),
        IcpError::Changed(_) => problem(
            StatusCode::PRECONDITION_FAILED,
            "This ICP changed since you opened it. Go back, reload it and save again.",
        ),
        IcpError::Conflict(_) | IcpError::KeyReused(_) | IcpError::InFlight(_) => problem(
            StatusCode::CONFLICT,
            "Someone else is changing this ICP right now. Go back and save again.",
        ),
        IcpError::Invalid(details) => super::page(
            StatusCode::BAD_REQUEST,
            "This change was not saved",
            &details
                .iter()
                .map(|detail| detail.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        IcpError::Store(cause) => {
            tracing::error!(cause = %crate::error_chain(&cause), "form post failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again.",
            )
        }
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
            crate::headers::set_page_policy();
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
