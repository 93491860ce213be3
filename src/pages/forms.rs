//! The builder without JavaScript: plain form posts. A row button (`_action`) sends the form back
//! with the row added or removed; the save button creates or updates the ICP through the API's own
//! code path and redirects to it, or sends the form back with every value and every error.

use super::icps::Resubmission;
use crate::api::error::MAX_BODY_BYTES;
use crate::api::icps::{create, load_for, update};
use crate::api::json::{read_limited, Unread};
use crate::api::ApiError;
use crate::app::shell;
use crate::auth::session::session_user;
use crate::builder::form::{form_errors, form_to_json, within_limits, Pairs, RowAction, Rows};
use crate::builder::view::BuilderInit;
use crate::domain::{FieldError, PathSegment, UserId};
use crate::pages::PageError;
use crate::server::AppState;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use leptos::prelude::provide_context;
use leptos::server_fn::error::FromServerFnError;
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
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let user = match signed_in(&session, "/icps/new").await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let pairs = match posted(form) {
        Ok(pairs) => pairs,
        Err((status, message)) => return problem(status, message),
    };
    submit(&state, &user, None, (headers, session), pairs).await
}

async fn update_from_form(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<Pairs>, FormRejection>,
) -> Response {
    let user = match signed_in(&session, &format!("/icps/{id}/edit")).await {
        Ok(user) => user,
        Err(redirect) => return redirect,
    };
    let pairs = match posted(form) {
        Ok(pairs) => pairs,
        Err((status, message)) => return problem(status, message),
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
    let init = |pairs: Pairs, errors| BuilderInit {
        pairs,
        errors,
        creator: user.to_string(),
        editing: id.map(|id| id.to_string()),
    };

    // The API's row limits first: past them nothing else is done with the rows, and the form comes
    // back with only as many as can be saved.
    let (fields, too_many) = within_limits(fields);
    if !too_many.is_empty() {
        return render(
            state,
            from,
            &page,
            init(fields, too_many),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }

    if let Some(action) = action {
        let Some(change) = RowAction::parse(&action, kind.as_deref()) else {
            return problem(StatusCode::BAD_REQUEST, "That form button is not known.");
        };
        return match change.apply(fields) {
            (fields, None) => {
                render(state, from, &page, init(fields, Vec::new()), StatusCode::OK).await
            }
            (fields, Some(full)) => {
                render(
                    state,
                    from,
                    &page,
                    init(fields, vec![full]),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
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

/// Form posts may be as large as the API's bodies.
pub const MAX_FORM_BYTES: usize = MAX_BODY_BYTES;
/// A server-function call carries the builder's JSON url-encoded, which at worst triples it; the
/// JSON itself is held to the API's limit by the save function.
pub const MAX_SERVER_FN_BYTES: usize = 3 * MAX_BODY_BYTES;

/// Middleware: form posts (`/forms/…`) and server-function calls (`/fn/…`) are read whole, up to
/// their limit, before anything else looks at them (the server functions' own reader has no limit).
/// A larger body is refused with 413 in the caller's terms: a page for a form, the builder's error
/// type for a server function.
pub async fn bounded_body(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let (limit, for_form) = if path.starts_with("/forms/") {
        (MAX_FORM_BYTES, true)
    } else if path.starts_with("/fn/") {
        (MAX_SERVER_FN_BYTES, false)
    } else {
        return next.run(request).await;
    };
    let too_large = || {
        if for_form {
            form_too_large()
        } else {
            server_fn_too_large()
        }
    };
    match read_limited(request, limit).await {
        Ok((parts, bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(Unread::TooLarge) => too_large(),
        Err(Unread::Broken) => problem(StatusCode::BAD_REQUEST, "The form could not be read."),
    }
}

fn form_too_large() -> Response {
    page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "This form is too large",
        "It was larger than 256 KiB, so it was not saved. Go back, shorten the longest texts or \
         lists, and save again.",
    )
}

fn server_fn_too_large() -> Response {
    let error = PageError::Invalid(vec![FieldError::new(
        Vec::<PathSegment>::new(),
        "The ICP is larger than 256 KiB; shorten the longest texts or lists and save again.",
    )]);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        error.ser(),
    )
        .into_response()
}

/// The posted fields, or the status and words for a page saying why they could not be read (axum's
/// own answer is plain text).
fn posted(form: Result<Form<Pairs>, FormRejection>) -> Result<Pairs, (StatusCode, &'static str)> {
    match form {
        Ok(Form(pairs)) => Ok(pairs),
        Err(FormRejection::InvalidFormContentType(_)) => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The form was not sent as a form.",
        )),
        Err(_) => Err((StatusCode::BAD_REQUEST, "The form could not be read.")),
    }
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let text = if text.is_empty() {
        String::new()
    } else {
        format!("<p>{text}</p>")
    };
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{text}<p><a href=\"/icps\">Back to your ICPs</a></p>\
         </main></body></html>"
    );
    (status, [("content-type", "text/html; charset=utf-8")], page).into_response()
}

fn problem(status: StatusCode, message: &'static str) -> Response {
    page(status, message, "")
}
