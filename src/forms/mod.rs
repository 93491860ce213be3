//! Plain HTML form posts, which work without JavaScript: the builder's (`icps`) and the account
//! forms' (`account`), and the body limit every form post and server-function call is read under.
#![cfg(feature = "ssr")]

pub mod account;
pub mod history;
pub mod icps;
pub mod recovery;
pub mod team;
pub mod transfer;
pub mod webhooks;

use crate::api::ApiError;
use crate::auth::session::session_user;
use crate::domain::{FieldError, PathSegment};
use crate::page_error::PageError;
use crate::request_body::{read_limited, Unread};
use crate::state::AppState;
use axum::body::{Body, HttpBody};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Router};
use leptos::server_fn::error::FromServerFnError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_sessions::Session;

/// Every form post's route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(icps::router())
        .merge(history::router())
        .merge(account::router())
        .merge(recovery::router())
        .merge(team::router())
        .merge(transfer::router())
        .merge(webhooks::router())
}

/// Form posts may be as large as the API's bodies.
pub const MAX_FORM_BYTES: usize = MAX_BODY_BYTES;
/// An API body's limit (`Limits::BODY_BYTES`).
const MAX_BODY_BYTES: usize = crate::domain::Limits::BODY_BYTES;
/// The builder's save call carries its JSON as a JSON string, whose escaping (`\\`, `\"`) at worst
/// doubles it; the JSON itself is held to the API's limit by the save function.
pub const MAX_SERVER_FN_BYTES: usize = 2 * MAX_BODY_BYTES;

/// Bytes of request bodies the whole server holds at once (reserved as each body's declared
/// length, or its limit when undeclared, from before it is read until it is answered): slow
/// uploads cannot add up past it.
pub const BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;
/// What a signed-out caller may post to a form or server function (sign-in, sign-up: a few
/// hundred bytes): a stranger cannot make the server wait for, or hold, an import-sized body.
pub const SIGNED_OUT_BYTES: usize = 16 * 1024;
/// How long a body waits for room in the budget before it is refused with 503.
const BODY_WAIT: Duration = Duration::from_secs(5);

/// The bytes of request bodies held at once, shared by every request of one server.
#[derive(Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    wait: Duration,
}

impl Default for BodyBudget {
    fn default() -> Self {
        Self::new(BODY_BUDGET_BYTES, BODY_WAIT)
    }
}

impl BodyBudget {
    pub fn new(bytes: usize, wait: Duration) -> Self {
        Self {
            bytes: Arc::new(Semaphore::new(bytes)),
            wait,
        }
    }

    /// Room for `bytes` more, once there is some within the wait; `None` past it.
    async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let bytes = u32::try_from(bytes).ok()?;
        tokio::time::timeout(self.wait, self.bytes.clone().acquire_many_owned(bytes))
            .await
            .ok()?
            .ok()
    }
}

/// Fields a form post may hold: a full builder (50 lead sources, 50 filters, 50 conditions) has
/// about 1,300. Each parsed field costs ~50 bytes more than its text, whose `a=&` may be 3 bytes.
pub const MAX_FORM_FIELDS: usize = 4_000;

/// Whether a form body (`a=1&b=2`, or a multipart upload, whose fields are not counted here) holds
/// more than `MAX_FORM_FIELDS` fields.
fn too_many_fields(body: &[u8]) -> bool {
    body.iter().filter(|b| **b == b'&').count() >= MAX_FORM_FIELDS
}

/// Whose terms a refused body is answered in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The JSON API: its handlers read the body themselves, after checking the token.
    Api,
    Form,
    ServerFn,
}

/// Middleware, after the same-origin check and with the session: every request body is held to
/// its limit and to the server's `BodyBudget` before it is read. Form posts (`/forms/…`) and
/// server-function calls (`/fn/…`) are read whole here (the server functions' own reader has no
/// limit), and from someone signed out only up to `SIGNED_OUT_BYTES`: a larger declared length is
/// answered at once, unread. A larger body is refused with 413 in the caller's terms: a page for a
/// form, the builder's error type for a server function, the API's JSON.
pub async fn bounded_body(
    State(budget): State<BodyBudget>,
    session: Session,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let (mut limit, reader) = if path == "/forms/icps/import" {
        (crate::icps::transfer::MAX_IMPORT_BYTES, Reader::Form)
    } else if path.starts_with("/forms/") {
        (MAX_FORM_BYTES, Reader::Form)
    } else if path.starts_with("/fn/") {
        (MAX_SERVER_FN_BYTES, Reader::ServerFn)
    } else if path.starts_with("/api/") {
        (MAX_BODY_BYTES, Reader::Api)
    } else {
        return next.run(request).await;
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Known to be empty (no length and no chunks announced): nothing to hold.
    let has_body = declared != Some(0) && request.body().size_hint().exact() != Some(0);
    if !has_body {
        return next.run(request).await;
    }
    if reader != Reader::Api && session_user(&session).await.is_none() {
        limit = limit.min(SIGNED_OUT_BYTES);
    }
    if declared.is_some_and(|length| length > limit) {
        return too_large(reader, limit);
    }
    let Some(_held) = budget.reserve(declared.unwrap_or(limit)).await else {
        tracing::warn!(limit, "request bodies fill their budget; refused with 503");
        return match reader {
            Reader::Api => ApiError::Busy.into_response(),
            _ => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy; try again in a moment.",
            ),
        };
    };
    if reader == Reader::Api {
        return next.run(request).await;
    }
    match read_limited(request, limit).await {
        Ok((_, bytes)) if reader == Reader::Form && too_many_fields(&bytes) => page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form has too many fields",
            &format!(
                "It had more than {MAX_FORM_FIELDS} fields, so it was not read. Go back, remove \
                 rows or tags, and save again."
            ),
        ),
        Ok((parts, bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(Unread::TooLarge) => too_large(reader, limit),
        Err(Unread::Malformed) => problem(StatusCode::BAD_REQUEST, "The form could not be read."),
    }
}

fn too_large(reader: Reader, limit: usize) -> Response {
    match reader {
        Reader::Api => ApiError::PayloadTooLarge.into_response(),
        Reader::Form if limit == SIGNED_OUT_BYTES => page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Sign in first",
            "Only signed-in users can send forms this large. Sign in and try again.",
        ),
        Reader::Form => form_too_large(),
        Reader::ServerFn => server_fn_too_large(),
    }
}

fn form_too_large() -> Response {
    page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "This form is too large",
        &format!(
            "It was larger than {}, so it was not saved. Go back, shorten the longest texts or \
             lists, and save again.",
            crate::domain::size_in_words(MAX_FORM_BYTES)
        ),
    )
}

fn server_fn_too_large() -> Response {
    let error = PageError::Invalid(vec![FieldError::new(
        Vec::<PathSegment>::new(),
        crate::builder::save::too_large_message(),
    )]);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        error.ser(),
    )
        .into_response()
}

/// How long a refused attempt must wait, as the form's `retry` field says it: whole minutes,
/// rounded up, at least one.
fn retry_minutes(wait: Duration) -> String {
    wait.as_secs().div_ceil(60).max(1).to_string()
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

/// The app's stylesheet, for the pages made here (set once at start: `set_stylesheet`).
static STYLESHEET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the app's stylesheet (`app::stylesheet_path`) for the answer pages made here.
pub fn set_stylesheet(path: String) {
    let _ = STYLESHEET.set(path);
}

/// A small HTML page around `body_html` (markup: escape what it quotes), in the app's style with
/// its top bar; `title` is escaped.
fn page_html(status: StatusCode, title: &str, body_html: &str) -> Response {
    let title = escaped(title);
    let style = STYLESHEET
        .get()
        .map(|path| format!("<link rel=\"stylesheet\" href=\"{}\">", escaped(path)))
        .unwrap_or_default();
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · ICP Builder</title>{style}</head><body>\
         <header class=\"topbar\"><a class=\"brand\" href=\"/icps\">ICP Builder</a></header>\
         <main id=\"main\"><h1>{title}</h1>{body_html}\
         <p><a href=\"/icps\">Back to your ICPs</a></p></main></body></html>"
    );
    let headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-security-policy", crate::headers::STYLED_POLICY),
    ];
    (status, headers, page).into_response()
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn problem(status: StatusCode, message: &'static str) -> Response {
    page(status, message, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use futures_util::stream;
    use tower::ServiceExt;

    /// A router with only the body rule, a budget of `bytes`, and routes that read their body.
    fn guarded(bytes: usize) -> Router {
        Router::new()
            .route(
                "/forms/icps/import",
                post(|body: String| async move { body }),
            )
            .route("/api/v1/things", post(|body: String| async move { body }))
            .layer(axum::middleware::from_fn_with_state(
                BodyBudget::new(bytes, Duration::from_millis(50)),
                bounded_body,
            ))
            .layer(tower_sessions::SessionManagerLayer::new(
                tower_sessions::MemoryStore::default(),
            ))
    }

    /// A request whose body never arrives: answered only if nobody waits for it.
    fn never_sent(path: &str, length: usize) -> Request<Body> {
        let body = stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
        Request::post(path)
            .header(header::CONTENT_LENGTH, length)
            .body(Body::from_stream(body))
            .unwrap()
    }

    async fn within_a_second(router: &Router, request: Request<Body>) -> Response {
        tokio::time::timeout(Duration::from_secs(1), router.clone().oneshot(request))
            .await
            .expect("answered without the body")
            .unwrap()
    }

    #[tokio::test]
    async fn a_signed_out_upload_is_answered_before_its_body_is_read() {
        let router = guarded(BODY_BUDGET_BYTES);
        let import = within_a_second(&router, never_sent("/forms/icps/import", 4 << 20)).await;
        assert_eq!(import.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let small = Request::post("/forms/icps/import")
            .body(Body::from("name=x"))
            .unwrap();
        let small = within_a_second(&router, small).await;
        assert_eq!(small.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn bodies_held_at_once_stay_within_the_budget() {
        let router = guarded(1_000);
        // One body of 800 bytes is being sent (slowly: it never ends) and holds its room.
        let slow = tokio::spawn(router.clone().oneshot(never_sent("/api/v1/things", 800)));
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = within_a_second(&router, never_sent("/api/v1/things", 800)).await;
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_slice(
            &axum::body::to_bytes(refused.into_body(), 1 << 20)
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["error"]["code"], "SERVICE_UNAVAILABLE");
        // A small one still fits; once the slow one is gone, its room is free again.
        let small = Request::post("/api/v1/things")
            .header(header::CONTENT_LENGTH, 5)
            .body(Body::from("hello"))
            .unwrap();
        assert_eq!(
            within_a_second(&router, small).await.status(),
            StatusCode::OK
        );
        slow.abort();
        let _ = slow.await;
        let again = Request::post("/api/v1/things")
            .header(header::CONTENT_LENGTH, 900)
            .body(Body::from("x".repeat(900)))
            .unwrap();
        assert_eq!(
            within_a_second(&router, again).await.status(),
            StatusCode::OK
        );
    }
}
