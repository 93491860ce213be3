//! A webhook delivery as the API answers it and the webhooks page lists it (the store keeps them:
//! `store::webhooks`).

use super::{closed_set, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

closed_set! {
    /// Where a delivery stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
