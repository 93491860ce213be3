//! `/api/v1/webhooks`: the caller's webhook endpoints, their secrets (shown once), and their
//! deliveries. The rules are `crate::webhooks`'s.

use super::caller::{AuthUser, Caller};
use super::error::{ApiError, BodyRejections, ErrorBody};
use super::icps::parse_uuid;
use super::json::ApiJson;
use crate::auth::limiter::{Key, Limiter, Reservation, WEBHOOK_TEST_LIMIT, WINDOW};
use crate::domain::{Timestamp, UserId};
use crate::state::AppState;
use crate::store::{Delivery, DynStore, Webhook};
use crate::webhooks::send::{Answer, Sender};
use crate::webhooks::{self, WebhookError};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(send_test))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Invalid(details) => ApiError::invalid_body(details),
            WebhookError::NotFound | WebhookError::NoDelivery => {
                ApiError::NotFound(error.to_string())
            }
            WebhookError::TooMany => ApiError::Conflict(error.to_string()),
            WebhookError::Unresolved(message) => ApiError::Unprocessable(message),
            WebhookError::Store(cause) => ApiError::internal(cause),
        }
    }
}

/// A new endpoint, with its secret: keep it, it is not shown again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// The body of a create.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequestBody {
    /// Where to POST each event: https (plain http and private addresses only with
    /// `ALLOW_PRIVATE_WEBHOOKS`).
    #[schema(example = "https://hooks.example.com/icp", max_length = 2000)]
    url: String,
    /// The event types to receive, or `["*"]` (the default) for all.
    #[schema(example = json!(["icp.created", "icp.updated"]))]
    events: Option<Vec<String>>,
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// An endpoint enabled or disabled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdate {
    enabled: bool,
}

/// A rotated secret: the new one, and until when the old one also signs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    pub secret: String,
    pub previous_secret_expires_at: Timestamp,
}

/// What a test delivery came to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    /// Whether the endpoint answered 2xx.
    pub delivered: bool,
    /// Its answer's status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// The `{id}` of an endpoint's path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookId {
    /// The endpoint's id
    pub id: Uuid,
}

/// The caller and the endpoint `{id}` of the path (400 when it is not a UUID); whether it is one
/// of the caller's is for the use case to say (404).
pub struct HookPath {
    user: UserId,
    id: Uuid,
}

impl FromRequestParts<AppState> for HookPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("No such webhook endpoint".into()))?;
        let raw = params.get("id").map_or("", String::as_str);
        let id = parse_uuid(raw, "id", "Invalid webhook id")?;
        Ok(Self { user, id })
    }
}

/// What every operation on one endpoint may also answer.
#[derive(utoipa::IntoResponses)]
pub enum HookErrors {
    /// The id is not a UUID
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// Not one of the caller's endpoints
    #[response(status = 404)]
    NotFound(#[to_schema] ErrorBody),
}

/// Lists the caller's webhook endpoints, oldest first (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    responses((status = 200, body = Vec<Webhook>)),
)]
async fn list_webhooks(Caller { user, store }: Caller) -> Result<Json<Vec<Webhook>>, ApiError> {
    let hooks = store.webhooks(&user).await?;
    Ok(Json(hooks))
}

/// Makes a webhook endpoint: it receives the events the caller may see, of the types it asks for,
/// each POSTed as the event's JSON and signed as Standard Webhooks 1.0 (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    request_body = WebhookRequestBody,
    responses(
        (status = 201, description = "Made; the secret is shown only now", body = CreatedWebhook),
        (status = 400, description = "Every problem at its JSON path: a URL that is not https, or that resolves to a non-public address, an unknown event type", body = ErrorBody),
        (status = 409, description = "The caller has 10 endpoints already", body = ErrorBody),
        (status = 422, description = "The URL's host cannot be resolved now", body = ErrorBody),
        BodyRejections,
    ),
)]
async fn create_webhook(
    Caller { user, store }: Caller,
    State(config): State<Arc<crate::state::Config>>,
    ApiJson(body, _): ApiJson,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let request = webhooks::check_request(&body, config.allow_private_webhooks).await?;
    let (webhook, secret) = webhooks::create(store.as_ref(), &user, &request).await?;
    let created = CreatedWebhook { webhook, secret };
    Ok((StatusCode::CREATED, Json(created)))
}

/// One of the caller's endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", params(WebhookId),
    responses((status = 200, body = Webhook), HookErrors))]
async fn get_webhook(
    hook: HookPath,
    State(store): State<DynStore>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(
        webhooks::one(store.as_ref(), &hook.user, hook.id).await?,
    ))
}

/// Enables or disables an endpoint (`{"enabled": false}`): a disabled one receives nothing, and
/// enabling it again forgets its failures.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", params(WebhookId),
    request_body = WebhookUpdate,
    responses(
        (status = 200, body = Webhook),
        HookErrors,
        BodyRejections,
    ),
)]
async fn update_webhook(
    hook: HookPath,
    State(store): State<DynStore>,
    ApiJson(body, _): ApiJson,
) -> Result<Json<Webhook>, ApiError> {
    let update: WebhookUpdate = match body.as_object() {
        Some(object) if object.len() == 1 => serde_json::from_value(body.clone()).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid_body(vec![crate::domain::FieldError::new(
            vec!["enabled".into()],
            "Expected {\"enabled\": true} or {\"enabled\": false}",
        )])
    })?;
    let changed = webhooks::set_enabled(store.as_ref(), &hook.user, hook.id, update.enabled);
    Ok(Json(changed.await?))
}

/// Deletes an endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", params(WebhookId),
    responses((status = 204, description = "Deleted"), HookErrors))]
async fn delete_webhook(
    hook: HookPath,
    State(store): State<DynStore>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(store.as_ref(), &hook.user, hook.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the endpoint a new secret (shown only now). The old one keeps signing beside it for 24
/// hours, so a receiver can switch without losing a delivery.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret",
    params(WebhookId), responses((status = 200, body = RotatedSecret), HookErrors))]
async fn rotate_secret(
    hook: HookPath,
    State(store): State<DynStore>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let secret = webhooks::rotate(store.as_ref(), &hook.user, hook.id).await?;
    Ok(Json(RotatedSecret {
        secret,
        previous_secret_expires_at: Timestamp(Timestamp::now().0 + webhooks::ROTATION_GRACE),
    }))
}

/// The 429 of `send_test`, said from the limiter's own figures.
fn too_many_test_sends() -> String {
    format!(
        "The caller asked for {WEBHOOK_TEST_LIMIT} test sends in the last {} minutes; \
         `Retry-After` says how many seconds until the next may go",
        WINDOW.as_secs() / 60
    )
}

/// Sends a `webhook.test` event to the endpoint now, signed like every delivery, and says what
/// came of it (it is not retried, and not listed with the deliveries). Each user may ask for a
/// limited number of test sends within a while, whatever came of them (the 429 says how many).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", params(WebhookId),
    responses(
        (status = 200, body = TestResult),
        HookErrors,
        (status = 429, description = too_many_test_sends(), body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
async fn send_test(
    hook: HookPath,
    State(store): State<DynStore>,
    State(limiter): State<Limiter>,
    State(sender): State<Sender>,
) -> Result<Json<TestResult>, ApiError> {
    // Counted before the endpoint is looked up, and kept whatever it answers.
    let key = Key::webhook_test(&hook.user);
    if let Reservation::Refused(retry_after) = limiter.reserve(&[key]).await? {
        tracing::warn!(user = %hook.user, "webhook test send refused: too many from this user");
        let what = "test sends for this user";
        return Err(ApiError::TooManyRequests { what, retry_after });
    }
    let sent = webhooks::send_test(store.as_ref(), &sender, &hook.user, hook.id);
    Ok(Json(match sent.await? {
        Answer::Status(status) => TestResult {
            delivered: (200..300).contains(&status),
            status: Some(status),
            error: None,
        },
        Answer::Failed(error) => TestResult {
            delivered: false,
            status: None,
            error: Some(error),
        },
    }))
}

/// The endpoint's 50 most recent deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries",
    params(WebhookId), responses((status = 200, body = Vec<Delivery>), HookErrors))]
async fn list_deliveries(
    hook: HookPath,
    State(store): State<DynStore>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(
        webhooks::deliveries(store.as_ref(), &hook.user, hook.id).await?,
    ))
}

/// Makes a delivery due again now (another attempt, with the same `webhook-id`).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{eventId}/redeliver",
    params(WebhookId, ("eventId" = Uuid, Path, description = "The delivered event's id")),
    responses((status = 202, description = "Due now; the next attempt follows shortly"), HookErrors),
)]
async fn redeliver(
    hook: HookPath,
    State(store): State<DynStore>,
    Path((_, event)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let event = parse_uuid(&event, "eventId", "Invalid event id")?;
    webhooks::redeliver(store.as_ref(), &hook.user, hook.id, event).await?;
    Ok(StatusCode::ACCEPTED)
}
