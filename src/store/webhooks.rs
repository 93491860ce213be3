//! Webhook endpoints and their deliveries as stored (the rules are `crate::webhooks`'s).
//!
//! Deliveries are rows: the events after `webhook_cursor` are turned into one row per endpoint
//! that may see each (`fan_out`), a worker claims due rows for a lease (`claim_deliveries`), sends,
//! and records the outcome (`record_delivery`). Nothing is held only in memory, so a crash loses
//! nothing: a claimed row whose lease ran out is due again.

use super::StoreResult;
pub use crate::domain::{Delivery, DeliveryState, Webhook};

use crate::domain::{Timestamp, UserId};
use async_trait::async_trait;
use uuid::Uuid;

/// One of a user's endpoints: every read or change of an endpoint names its user too.
#[derive(Debug, Clone, Copy)]
pub struct HookRef<'a> {
    pub user: &'a UserId,
    pub id: Uuid,
}

/// A change to an endpoint.
#[derive(Debug, Clone, Copy)]
pub enum HookChange<'a> {
    /// A new secret; the old one keeps signing until `old_until`.
    Rotate {
        secret: &'a str,
        old_until: Timestamp,
    },
    /// Disabled at a time for a reason, or (`None`) enabled again, its failures forgotten.
    Disable(Option<(Timestamp, &'a str)>),
}

/// An endpoint to store.
#[derive(Debug, Clone, Copy)]
pub struct NewWebhook<'a> {
    pub id: Uuid,
    pub user: &'a UserId,
    pub url: &'a str,
    /// The event types as a JSON array.
    pub events: &'a str,
    pub description: &'a str,
    pub secret: &'a str,
    pub created_at: Timestamp,
}

/// A delivery a worker holds until its lease ends: what it needs to send it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub url: String,
    /// The secrets that sign it: the current one, and a rotated one still in its grace period.
    pub secrets: Vec<String>,
    /// The event's JSON; None when the event is no longer kept.
    pub body: Option<String>,
}

/// An attempt as made, for `record_delivery`: which delivery, what it came to and when.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub claimed: &'a Claimed,
    pub outcome: &'a Outcome,
    pub at: Timestamp,
    /// An endpoint failing since before this is disabled.
    pub give_up_before: Timestamp,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered {
        status: u16,
    },
    Failed {
        /// The answer's status, when there was one.
        status: Option<u16>,
        error: String,
        /// When to try again; None: the schedule is spent.
        retry_at: Option<Timestamp>,
    },
}

#[async_trait]
pub trait Webhooks {
    /// Stores an endpoint unless its user has `most` already; whether it was stored.
    async fn create_webhook(&self, hook: &NewWebhook<'_>, most: u32) -> StoreResult<bool>;
    /// `user`'s endpoints, oldest first.
    async fn webhooks(&self, user: &UserId) -> StoreResult<Vec<Webhook>>;
    async fn webhook(&self, hook: HookRef<'_>) -> StoreResult<Option<Webhook>>;
    /// The secrets that sign the endpoint's deliveries at `now` (the current one first).
    async fn webhook_secrets(
        &self,
        hook: HookRef<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>>;
    /// Deletes an endpoint and its deliveries; false when there is none.
    async fn delete_webhook(&self, hook: HookRef<'_>) -> StoreResult<bool>;
    /// Changes an endpoint; false when there is none.
    async fn change_webhook(&self, hook: HookRef<'_>, change: HookChange<'_>) -> StoreResult<bool>;
    /// The endpoint's most recent deliveries, newest first.
    async fn deliveries(&self, webhook: Uuid, limit: u32) -> StoreResult<Vec<Delivery>>;
    /// Makes a delivery due now again (whatever its state); false when there is none.
    async fn redeliver(&self, webhook: Uuid, event: Uuid, now: Timestamp) -> StoreResult<bool>;

    /// Turns up to `limit` events after the cursor into deliveries (due at `now`) for each enabled
    /// endpoint whose user may see them and that asked for their type; how many events it passed
    /// (none while no endpoint is enabled: the cursor then waits). Reads a range of events after
    /// the cursor (Postgres: `events_by_position`; SQLite: rowids), never every kept event.
    async fn fan_out(&self, now: Timestamp, limit: u32) -> StoreResult<u32>;
    /// Claims up to `limit` deliveries due at `now` (not claimed, or their lease ended) until
    /// `lease_until`, counting an attempt for each.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>>;
    /// Records an attempt's outcome. A failure marks the endpoint failing (from the attempt's
    /// time, unless it already was) and disables it when it has been failing since before
    /// `give_up_before`.
    async fn record_delivery(&self, attempt: Attempt<'_>) -> StoreResult<()>;
    /// The deliveries still to make (the queue's depth).
    async fn pending_deliveries(&self) -> StoreResult<u64>;
}
