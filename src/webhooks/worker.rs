//! The delivery worker: turns new events into deliveries, claims the due ones for a lease, sends
//! them (a few at a time) and records each outcome. Every step is a row in the database, so
//! several instances share the work (a claimed row is theirs until its lease ends) and a crash
//! loses nothing: a row whose lease ran out is due again.

use super::send::{Answer, Sender, TIMEOUT};
use super::{retry_at, GIVE_UP_AFTER};
use crate::domain::Timestamp;
use crate::store::{Attempt, Claimed, DynStore, Outcome, StoreResult};
use std::time::Duration;

/// How often the worker looks for new events and due deliveries when it found none.
pub const POLL: Duration = Duration::from_millis(500);
/// Events turned into deliveries per step.
const FAN_OUT_BATCH: u32 = 500;
/// Deliveries sent at once, per instance.
const CLAIM_BATCH: u32 = 16;
/// How long a claim holds a delivery: longer than an attempt may take, so no two instances send
/// one delivery at once.
const LEASE: Duration = Duration::from_secs(6 * TIMEOUT.as_secs());

/// Runs the worker for ever (abort its task to stop it).
pub async fn run(store: DynStore, sender: Sender) {
    loop {
        match step(&store, &sender).await {
            Ok(true) => {}
            Ok(false) => tokio::time::sleep(POLL).await,
            Err(error) => {
                tracing::error!(error = %crate::error_chain(&error), "webhook deliveries failed; trying again");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// One round: fan out, claim, send, record. Whether there was work (then go again at once).
pub async fn step(store: &DynStore, sender: &Sender) -> StoreResult<bool> {
    let now = Timestamp::now();
    let passed = store.fan_out(now, FAN_OUT_BATCH).await?;
    let lease_until = Timestamp(now.0 + chrono::TimeDelta::from_std(LEASE).unwrap_or_default());
    let claimed = store
        .claim_deliveries(now, lease_until, CLAIM_BATCH)
        .await?;
    let sent = claimed.len();
    let attempts = claimed
        .into_iter()
        .map(|delivery| attempt(store, sender, delivery));
    for recorded in futures_util::future::join_all(attempts).await {
        recorded?;
    }
    Ok(passed == FAN_OUT_BATCH || sent > 0)
}

/// Sends one claimed delivery and records what came of it.
async fn attempt(store: &DynStore, sender: &Sender, delivery: Claimed) -> StoreResult<()> {
    let id = delivery.event_id.to_string();
    let secrets: Vec<&str> = delivery.secrets.iter().map(String::as_str).collect();
    let answer = match &delivery.body {
        Some(body) => sender.send(&delivery.url, &secrets, &id, body).await,
        None => Answer::Failed("The event is no longer kept (30 days)".into()),
    };
    let now = Timestamp::now();
    let outcome = match answer {
        Answer::Status(status @ 200..=299) => Outcome::Delivered { status },
        Answer::Status(status) => Outcome::Failed {
            status: Some(status),
            error: format!("Answered {status}"),
            retry_at: retry_at(now, delivery.attempt),
        },
        Answer::Failed(error) => Outcome::Failed {
            status: None,
            retry_at: delivery
                .body
                .as_ref()
                .and_then(|_| retry_at(now, delivery.attempt)),
            error,
        },
    };
    let delivered = matches!(outcome, Outcome::Delivered { .. });
    // A no-op without `METRICS_ADDR`; the label is one of two.
    let label = if delivered { "delivered" } else { "failed" };
    metrics::counter!("webhook_delivery_attempts_total", "outcome" => label).increment(1);
    tracing::info!(
        webhook = %delivery.webhook_id,
        event = %delivery.event_id,
        attempt = delivery.attempt,
        delivered,
        "webhook delivery attempted"
    );
    let give_up_before = Timestamp(now.0 - GIVE_UP_AFTER);
    store
        .record_delivery(Attempt {
            claimed: &delivery,
            outcome: &outcome,
            at: now,
            give_up_before,
        })
        .await
}
