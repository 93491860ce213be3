//! The webhooks page's forms without JavaScript: add an endpoint (its secret shown once on the next
//! page), send it a test event, rotate its secret, disable, enable or delete it, and send a delivery
//! again. Each answers with a redirect back to the page (Post/Redirect/Get); what the page cannot
//! say from a code in the query (the API's words, a test's answer) goes there through the session
//! (`pages::webhooks::flash`). The rules and the words are `crate::webhooks`'s, as the API's are.

use super::account::server_problem;
use super::icps::signed_in_or_redirect;
use super::{posted, problem, retry_minutes};
use crate::auth::limiter::{Key, Reservation};
use crate::auth::session::{self, Secret};
use crate::domain::{PathSegment, UserId};
use crate::pages::webhooks::{flash, AddForm, Flash, PAGE};
use crate::state::AppState;
use crate::webhooks::send::Answer;
use crate::webhooks::{self, WebhookError};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, post(add))
        .route("/settings/webhooks/{id}/test", post(send_test))
        .route("/settings/webhooks/{id}/rotate", post(rotate))
        .route("/settings/webhooks/{id}/disable", post(switch::<false>))
        .route("/settings/webhooks/{id}/enable", post(switch::<true>))
        .route("/settings/webhooks/{id}/delete", post(delete))
        .route(
            "/settings/webhooks/{id}/deliveries/{event}/redeliver",
            post(redeliver),
        )
}

type Answered = Result<Response, Response>;

/// Back to the page, to say `flash` there.
async fn say(session: &Session, flash: Flash) -> Response {
    match flash::hold(session, &flash).await {
        Ok(()) => Redirect::to(PAGE).into_response(),
        Err(error) => server_problem(PAGE, error).into_response(),
    }
}

/// Back to the page saying why `error` refused the post, in the API's words.
async fn refused(session: &Session, error: WebhookError) -> Response {
    match error {
        WebhookError::Store(cause) => server_problem(PAGE, cause).into_response(),
        other => {
            let said = Some((false, other.to_string()));
            say(session, Flash { form: None, said }).await
        }
    }
}

/// Back to the page showing the endpoint's new `secret` once, sealed in the session with a pad in
/// a short-lived cookie (as a new API token is).
async fn show_secret(state: &AppState, session: &Session, id: Uuid, secret: &str) -> Response {
    let label = id.to_string();
    match session::hold_secret(session, Secret::WebhookSecret, &label, secret).await {
        Ok(pad) => {
            let secure = state.config.secure_cookies();
            let cookie = session::pad_set_cookie(Secret::WebhookSecret, &pad, secure);
            (
                AppendHeaders([(header::SET_COOKIE, cookie)]),
                Redirect::to(PAGE),
            )
                .into_response()
        }
        // The endpoint has a secret that cannot be shown: rotating it again shows a new one.
        Err(error) => server_problem(PAGE, error).into_response(),
    }
}

/// The add form's fields (`events` once per ticked box).
fn add_form(pairs: Vec<(String, String)>) -> AddForm {
    let mut form = AddForm::default();
    for (name, value) in pairs {
        match name.as_str() {
            "url" => form.url = value.trim().to_owned(),
            "events" => form.events.push(value),
            "description" => form.description = value,
            _ => {}
        }
    }
    form
}

/// Which field of the add form a problem at `path` is about (`""`: the form as a whole).
fn field(path: &[PathSegment]) -> String {
    match path.first() {
        Some(PathSegment::Key(key)) if ["url", "events", "description"].contains(&key.as_str()) => {
            key.clone()
        }
        _ => String::new(),
    }
}

/// Adds an endpoint, checked as the API checks one; refused, the form comes back with what was
/// typed and each problem at its field.
async fn add(
    State(state): State<AppState>,
    session: Session,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Answered {
    let user = signed_in_or_redirect(&session, PAGE).await?;
    let typed = add_form(posted(form).map_err(|(status, message)| problem(status, message))?);
    let body = serde_json::json!({
        "url": typed.url,
        "events": typed.events,
        "description": typed.description,
    });
    let allow_private = state.config.allow_private_webhooks;
    let made = match webhooks::check_request(&body, allow_private).await {
        Ok(request) => webhooks::create(state.store.as_ref(), &user, &request).await,
        Err(error) => Err(error),
    };
    let problems = match made {
        Ok((hook, secret)) => {
            tracing::info!(%user, webhook = %hook.id, "webhook endpoint added");
            return Ok(show_secret(&state, &session, hook.id, &secret).await);
        }
        Err(WebhookError::Invalid(problems)) => problems
            .into_iter()
            .map(|problem| (field(&problem.path), problem.message))
            .collect(),
        Err(WebhookError::Store(cause)) => {
            return Ok(server_problem(PAGE, cause).into_response());
        }
        Err(WebhookError::Unresolved(message)) => vec![("url".to_owned(), message)],
        Err(other) => vec![(String::new(), other.to_string())],
    };
    let form = AddForm { problems, ..typed };
    Ok(say(
        &session,
        Flash {
            form: Some(form),
            said: None,
        },
    )
    .await)
}

/// A post about one of the signed-in user's endpoints (the path's `{id}`); anyone else is sent
/// to sign in, and a malformed id is one that does not exist.
struct EndpointPost {
    user: UserId,
    id: Uuid,
    session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for EndpointPost {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let user = signed_in_or_redirect(&session, PAGE).await?;
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state).await;
        let id = params.ok().and_then(|Path(params)| {
            let id = params.get("id")?;
            Uuid::try_parse(id).ok()
        });
        match id {
            Some(id) => Ok(EndpointPost { user, id, session }),
            None => Err(refused(&session, WebhookError::NotFound).await),
        }
    }
}

/// Back to the page with `notice` once `outcome` is done, or saying why it was refused.
async fn answer<T>(session: &Session, outcome: Result<T, WebhookError>, notice: &str) -> Response {
    match outcome {
        Ok(_) => Redirect::to(&format!("{PAGE}?notice={notice}")).into_response(),
        Err(error) => refused(session, error).await,
    }
}

/// Sends a test event now and says what the endpoint answered.
async fn send_test(State(state): State<AppState>, post: EndpointPost) -> Response {
    let EndpointPost { user, id, session } = post;
    let store = state.store.as_ref();
    // Counted before the endpoint is looked up, and kept whatever it answers.
    match state.limiter.reserve(&[Key::webhook_test(&user)]).await {
        Ok(Reservation::Granted(_)) => {}
        Ok(Reservation::Refused(wait)) => {
            tracing::warn!(%user, "webhook test send refused: too many from this user");
            let minutes = retry_minutes(wait);
            let plural = if minutes == "1" { "" } else { "s" };
            let said = format!(
                "Too many test sends for this user; try again in {minutes} minute{plural}."
            );
            return say(
                &session,
                Flash {
                    form: None,
                    said: Some((false, said)),
                },
            )
            .await;
        }
        Err(error) => return server_problem(PAGE, error).into_response(),
    }
    let sent = webhooks::send_test(store, &state.webhook_sender, &user, id).await;
    let (answer, url) = match sent {
        Ok(answer) => (answer, webhooks::one(store, &user, id).await),
        Err(error) => return refused(&session, error).await,
    };
    let url = url.map(|hook| hook.url).unwrap_or_default();
    let said = match answer {
        Answer::Status(status) if (200..300).contains(&status) => (
            true,
            format!("The test event was delivered to {url}: it answered {status}."),
        ),
        Answer::Status(status) => (
            false,
            format!("The test event was not delivered to {url}: it answered {status}."),
        ),
        Answer::Failed(error) => (
            false,
            format!("The test event was not delivered to {url}: {error}"),
        ),
    };
    let said = Some(said);
    say(&session, Flash { form: None, said }).await
}

async fn rotate(State(state): State<AppState>, post: EndpointPost) -> Response {
    let EndpointPost { user, id, session } = post;
    match webhooks::rotate(state.store.as_ref(), &user, id).await {
        Ok(secret) => show_secret(&state, &session, id, &secret).await,
        Err(error) => refused(&session, error).await,
    }
}

/// Enables (`ENABLED`) or disables the endpoint.
async fn switch<const ENABLED: bool>(
    State(state): State<AppState>,
    post: EndpointPost,
) -> Response {
    let set = webhooks::set_enabled(state.store.as_ref(), &post.user, post.id, ENABLED).await;
    let notice = if ENABLED { "enabled" } else { "disabled" };
    answer(&post.session, set, notice).await
}

async fn delete(State(state): State<AppState>, post: EndpointPost) -> Response {
    let deleted = webhooks::delete(state.store.as_ref(), &post.user, post.id).await;
    answer(&post.session, deleted, "deleted").await
}

async fn redeliver(
    State(state): State<AppState>,
    post: EndpointPost,
    Path((_, event)): Path<(String, String)>,
) -> Response {
    let Ok(event) = Uuid::try_parse(&event) else {
        return refused(&post.session, WebhookError::NoDelivery).await;
    };
    let again = webhooks::redeliver(state.store.as_ref(), &post.user, post.id, event).await;
    answer(&post.session, again, "redelivered").await
}
