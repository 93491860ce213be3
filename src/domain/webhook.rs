//! Webhook endpoints and their deliveries as the API answers them and the webhooks page lists them
//! (the store keeps them: `store::webhooks`).

use super::{closed_set, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An endpoint as its owner sees it (never its secret), as the API answers it.
// Read from its row by column name (`store::sql::webhooks`'s `WEBHOOK`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: Uuid,
    #[cfg_attr(feature = "ssr", schema(example = "https://hooks.example.com/icp"))]
    pub url: String,
    /// The event types it receives, or `["*"]` for all.
    #[cfg_attr(feature = "ssr", schema(example = json!(["icp.created", "icp.updated"])))]
    #[cfg_attr(feature = "ssr", sqlx(json))]
    pub events: Vec<String>,
    pub description: String,
    pub created_at: Timestamp,
    /// False once disabled (by its owner, or after failing every delivery for 5 days).
    pub enabled: bool,
    pub disabled_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
    /// Failing since then, without a success.
    pub failing_since: Option<Timestamp>,
}

closed_set! {
    /// Where a delivery stands.
    #[derive(Serialize, Deserialize)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    #[serde(rename_all = "lowercase")]
    pub enum DeliveryState {
        /// Due (again) at `nextAttemptAt`, or being attempted.
        Pending = "pending",
        Delivered = "delivered",
        /// Every attempt of the schedule failed.
        Failed = "failed",
    }
}

/// One event's delivery to one endpoint, as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub event_id: Uuid,
    #[cfg_attr(feature = "ssr", schema(example = "icp.created"))]
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    /// The HTTP status of the last attempt (None: no answer).
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
}
