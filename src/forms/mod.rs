//! Plain HTML form posts, which work without JavaScript: the builder's (`icps`) and the account
//! forms' (`account`), and the body limit every form post and server-function call is read under.

pub mod account;
pub mod history;
pub mod icps;
pub mod team;
pub mod transfer;

use crate::api::error::MAX_BODY_BYTES;
use crate::api::json::{read_limited, Unread};
use crate::domain::{FieldError, PathSegment};
use crate::page_error::PageError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Router};
use leptos::server_fn::error::FromServerFnError;

/// Every form post's route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(icps::router())
        .merge(history::router())
        .merge(account::router())
        .merge(team::router())
        .merge(transfer::router())
}

/// Form posts may be as large as the API's bodies.
pub const MAX_FORM_BYTES: usize = MAX_BODY_BYTES;
/// The builder's save call carries its JSON as a JSON string, whose escaping (`\\`, `\"`) at worst
/// doubles it; the JSON itself is held to the API's limit by the save function.
pub const MAX_SERVER_FN_BYTES: usize = 2 * MAX_BODY_BYTES;

/// Middleware: form posts (`/forms/…`) and server-function calls (`/fn/…`) are read whole, up to
/// their limit, before anything else looks at them (the server functions' own reader has no limit).
/// A larger body is refused with 413 in the caller's terms: a page for a form, the builder's error
/// type for a server function.
pub async fn bounded_body(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let (limit, for_form) = if path == "/forms/icps/import" {
        (crate::icps::transfer::MAX_IMPORT_BYTES, true)
    } else if path.starts_with("/forms/") {
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
fn posted<T>(form: Result<Form<T>, FormRejection>) -> Result<T, (StatusCode, &'static str)> {
    match form {
        Ok(Form(pairs)) => Ok(pairs),
        Err(FormRejection::InvalidFormContentType(_)) => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The form was not sent as a form.",
        )),
        Err(_) => Err((StatusCode::BAD_REQUEST, "The form could not be read.")),
    }
}

/// A small HTML page; `title` and `text` are escaped (they may quote what a user typed).
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let text = if text.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escaped(text))
    };
    page_html(status, title, &text)
}

/// A small HTML page around `body_html` (markup: escape what it quotes); `title` is escaped.
fn page_html(status: StatusCode, title: &str, body_html: &str) -> Response {
    let title = escaped(title);
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body_html}<p><a href=\"/icps\">Back to your ICPs</a></p>\
         </main></body></html>"
    );
    (status, [("content-type", "text/html; charset=utf-8")], page).into_response()
}

fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn problem(status: StatusCode, message: &'static str) -> Response {
    page(status, message, "")
}
