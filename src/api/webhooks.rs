//! `/api/v1/webhooks`: the caller's webhook endpoints, their secrets (shown once), and their
//! deliveries. The rules are `crate::webhooks`'s.

use super::caller::AuthUser;
use super::error::{ApiError, ErrorBody};
use super::icps::parse_uuid;
use super::json::ApiJson;
use crate::domain::Timestamp;
use crate::state::AppState;
use crate::store::{Delivery, DynStore, Webhook};
use crate::webhooks::send::{Answer, Sender};
use crate::webhooks::{self, WebhookError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
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
            WebhookError::Store(cause) => ApiError::internal(cause),
        }
    }
}

/// A webhook endpoint (its secret is shown only when it is made or rotated).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: Uuid,
    #[schema(example = "https://hooks.example.com/icp")]
    pub url: String,
    /// The event types it receives, or `["*"]` for all.
    #[schema(example = json!(["icp.created", "icp.updated"]))]
    pub events: Vec<String>,
    pub description: String,
    pub created_at: Timestamp,
    /// False once disabled (by its owner, or after failing every delivery for 5 days).
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Failing since then without a success.
    pub failing_since: Option<Timestamp>,
}

impl From<Webhook> for WebhookView {
    fn from(hook: Webhook) -> Self {
        Self {
            id: hook.id,
            url: hook.url,
            events: hook.events,
            description: hook.description,
            created_at: hook.created_at,
            enabled: hook.disabled_at.is_none(),
            disabled_reason: hook.disabled_reason,
            failing_since: hook.failing_since,
        }
    }
}

/// A new endpoint, with its secret: keep it, it is not shown again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// The body of a create.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
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

/// One event's delivery to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub event_id: Uuid,
    #[schema(example = "icp.created")]
    pub event_type: String,
    /// `pending` (due at `nextAttemptAt`), `delivered` or `failed` (every attempt failed).
    #[schema(example = "delivered")]
    pub state: &'static str,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        Self {
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            state: delivery.state.as_str(),
            attempts: delivery.attempts,
            next_attempt_at: delivery.due_at,
            last_status: delivery.last_status,
            last_error: delivery.last_error,
            last_attempt_at: delivery.last_attempt_at,
            created_at: delivery.created_at,
        }
    }
}

/// The `{id}` of an endpoint's path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookId {
    /// The endpoint's id
    pub id: Uuid,
}

fn webhook_id(raw: &str) -> Result<Uuid, ApiError> {
    parse_uuid(raw, "id", "Invalid webhook id")
}

/// Lists the caller's webhook endpoints, oldest first (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    responses((status = 200, body = Vec<WebhookView>)),
)]
async fn list_webhooks(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let hooks = store.webhooks(&user).await?;
    Ok(Json(hooks.into_iter().map(WebhookView::from).collect()))
}

/// Makes a webhook endpoint: it receives the events the caller may see, of the types it asks for,
/// each POSTed as the event's JSON and signed as Standard Webhooks 1.0 (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    request_body = WebhookRequestBody,
    responses(
        (status = 201, description = "Made; the secret is shown only now", body = CreatedWebhook),
        (status = 400, description = "Every problem at its JSON path: a URL that is not https, or that resolves to a non-public address, an unknown event type", body = ErrorBody),
        (status = 409, description = "The caller has 10 endpoints already", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ),
)]
async fn create_webhook(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    State(config): State<Arc<crate::state::Config>>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let request = webhooks::check_request(&body, config.allow_private_webhooks).await?;
    let (webhook, secret) = webhooks::create(store.as_ref(), &user, &request).await?;
    let created = CreatedWebhook {
        webhook: webhook.into(),
        secret,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// One of the caller's endpoints.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "Webhooks",
    params(WebhookId),
    responses(
        (status = 200, body = WebhookView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn get_webhook(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let hook = webhooks::one(store.as_ref(), &user, webhook_id(&id)?).await?;
    Ok(Json(hook.into()))
}

/// Enables or disables an endpoint (`{"enabled": false}`): a disabled one receives nothing, and
/// enabling it again forgets its failures.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "Webhooks",
    params(WebhookId),
    request_body = WebhookUpdate,
    responses(
        (status = 200, body = WebhookView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ),
)]
async fn update_webhook(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> Result<Json<WebhookView>, ApiError> {
    let id = webhook_id(&id)?;
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
    let hook = webhooks::set_enabled(store.as_ref(), &user, id, update.enabled).await?;
    Ok(Json(hook.into()))
}

/// Deletes an endpoint and its deliveries.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "Webhooks",
    params(WebhookId),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn delete_webhook(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(store.as_ref(), &user, webhook_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the endpoint a new secret (shown only now). The old one keeps signing beside it for 24
/// hours, so a receiver can switch without losing a delivery.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/rotate-secret",
    tag = "Webhooks",
    params(WebhookId),
    responses(
        (status = 200, body = RotatedSecret),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn rotate_secret(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let secret = webhooks::rotate(store.as_ref(), &user, webhook_id(&id)?).await?;
    Ok(Json(RotatedSecret {
        secret,
        previous_secret_expires_at: Timestamp(Timestamp::now().0 + webhooks::ROTATION_GRACE),
    }))
}

/// Sends a `webhook.test` event to the endpoint now, signed like every delivery, and says what
/// came of it (it is not retried, and not listed with the deliveries).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    tag = "Webhooks",
    params(WebhookId),
    responses(
        (status = 200, body = TestResult),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn send_test(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    State(sender): State<Sender>,
    Path(id): Path<String>,
) -> Result<Json<TestResult>, ApiError> {
    let answer = webhooks::send_test(store.as_ref(), &sender, &user, webhook_id(&id)?).await?;
    Ok(Json(match answer {
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
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "Webhooks",
    params(WebhookId),
    responses(
        (status = 200, body = Vec<DeliveryView>),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn list_deliveries(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let deliveries = webhooks::deliveries(store.as_ref(), &user, webhook_id(&id)?).await?;
    Ok(Json(
        deliveries.into_iter().map(DeliveryView::from).collect(),
    ))
}

/// Makes a delivery due again now (another attempt, with the same `webhook-id`).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{eventId}/redeliver",
    tag = "Webhooks",
    params(
        WebhookId,
        ("eventId" = Uuid, Path, description = "The delivered event's id"),
    ),
    responses(
        (status = 202, description = "Due now; the next attempt follows shortly"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn redeliver(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path((id, event)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = webhook_id(&id)?;
    let event = parse_uuid(&event, "eventId", "Invalid event id")?;
    webhooks::redeliver(store.as_ref(), &user, id, event).await?;
    Ok(StatusCode::ACCEPTED)
}
