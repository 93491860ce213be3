//! Webhooks: endpoints a user registers to receive the events they may see (`domain::event`),
//! signed as Standard Webhooks 1.0 (`sign`), sent at least once by a worker that survives crashes
//! (`worker`), never into the server's own network unless allowed (`address`). Shared by the JSON
//! API and the settings page.
#![cfg(feature = "ssr")]

pub mod address;
pub mod send;
pub mod sign;
pub mod worker;

use crate::domain::{EventType, FieldError, Timestamp, UserId};
use crate::store::{Delivery, HookChange, HookRef, NewWebhook, Store, StoreError, Webhook};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// Endpoints one user may have.
pub const MAX_PER_USER: u32 = 10;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 500;
/// How long a rotated secret keeps signing beside the new one.
pub const ROTATION_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// An endpoint that has failed every delivery for this long is disabled.
pub const GIVE_UP_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(5);
/// After the first attempt, when each next one is due (the Standard Webhooks schedule).
pub const RETRIES: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];
/// Deliveries shown per endpoint.
pub const RECENT_DELIVERIES: u32 = 50;
/// The type of the event a test sends (never a change, so never in the event log).
pub const TEST_EVENT: &str = "webhook.test";
/// What subscribes an endpoint to every event type.
pub const ALL_EVENTS: &str = "*";

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body breaks the rules; every problem at its JSON path.
    #[error("Invalid request body")]
    Invalid(Vec<FieldError>),
    /// The URL's host cannot be resolved now: the state of the world, not a malformed request.
    #[error("{0}")]
    Unresolved(String),
    #[error("Webhook endpoint not found")]
    NotFound,
    #[error("No delivery of that event to this endpoint")]
    NoDelivery,
    #[error("You have {MAX_PER_USER} webhook endpoints already; delete one first")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type WebhookResult<T> = Result<T, WebhookError>;

/// A new endpoint as its maker asked for it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRequest {
    pub url: url::Url,
    pub events: Vec<String>,
    pub description: String,
}

/// Checks a create body `{"url", "events", "description"?}`: every problem at once. The URL's
/// host must resolve to public addresses only, unless `allow_private`.
pub async fn check_request(body: &Value, allow_private: bool) -> WebhookResult<WebhookRequest> {
    let mut problems = Vec::new();
    let mut unresolved = None;
    let at = |key: &str, message: String| FieldError::new(vec![key.into()], message);
    let Some(object) = body.as_object() else {
        return Err(WebhookError::Invalid(vec![FieldError::new(
            vec![],
            "Expected a JSON object",
        )]));
    };
    for key in object.keys() {
        if !["url", "events", "description"].contains(&key.as_str()) {
            problems.push(at(
                key,
                "Unknown field; use url, events and description".into(),
            ));
        }
    }
    let url = match object.get("url").and_then(Value::as_str) {
        None => {
            problems.push(at("url", "Required: the https:// URL to deliver to".into()));
            None
        }
        Some(raw) => match address::check_url(raw, allow_private) {
            Err(refused) => {
                problems.push(at("url", refused.to_string()));
                None
            }
            Ok(url) => {
                let host = url.host_str().unwrap_or_default().to_owned();
                let port = url.port_or_known_default().unwrap_or(443);
                match address::resolve(&host, port, allow_private).await {
                    Ok(_) => Some(url),
                    Err(refused @ address::Refused::Unresolved(_)) => {
                        unresolved = Some(refused.to_string());
                        None
                    }
                    Err(refused) => {
                        problems.push(at("url", refused.to_string()));
                        None
                    }
                }
            }
        },
    };
    let events = match object.get("events") {
        None => vec![ALL_EVENTS.to_owned()],
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut events: Vec<String> = Vec::new();
            for (index, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(kind) if kind == ALL_EVENTS || EventType::parse(kind).is_some() => {
                        if !events.iter().any(|known| known == kind) {
                            events.push(kind.to_owned());
                        }
                    }
                    _ => problems.push(FieldError::new(
                        vec!["events".into(), index.into()],
                        format!("Unknown event type; use {}", event_type_names()),
                    )),
                }
            }
            if events.iter().any(|kind| kind == ALL_EVENTS) {
                events = vec![ALL_EVENTS.to_owned()];
            }
            events
        }
        Some(_) => {
            problems.push(at(
                "events",
                format!(
                    "Must be a non-empty array of event types ({}) or [\"*\"]",
                    event_type_names()
                ),
            ));
            Vec::new()
        }
    };
    let description = match object.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) if text.chars().count() <= MAX_DESCRIPTION => text.trim().into(),
        Some(_) => {
            problems.push(at(
                "description",
                format!("Must be a string of at most {MAX_DESCRIPTION} characters"),
            ));
            String::new()
        }
    };
    match (url, unresolved) {
        (Some(url), _) if problems.is_empty() => Ok(WebhookRequest {
            url,
            events,
            description,
        }),
        (_, Some(unresolved)) if problems.is_empty() => Err(WebhookError::Unresolved(unresolved)),
        (_, unresolved) => {
            problems.extend(unresolved.map(|message| at("url", message)));
            Err(WebhookError::Invalid(problems))
        }
    }
}

/// The event types, for messages: `icp.created, icp.updated, …`.
fn event_type_names() -> String {
    let names: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
    names.join(", ")
}

/// Makes an endpoint for `user`; it and its secret (shown only now).
pub async fn create(
    store: &dyn Store,
    user: &UserId,
    request: &WebhookRequest,
) -> WebhookResult<(Webhook, String)> {
    let id = Uuid::now_v7();
    let secret = sign::new_secret();
    let events = serde_json::to_string(&request.events).map_err(StoreError::from)?;
    let hook = NewWebhook {
        id,
        user,
        url: request.url.as_str(),
        events: &events,
        description: &request.description,
        secret: &secret,
        created_at: Timestamp::now(),
    };
    if !store.create_webhook(&hook, MAX_PER_USER).await? {
        return Err(WebhookError::TooMany);
    }
    Ok((one(store, user, id).await?, secret))
}

/// `user`'s endpoint `id`.
pub async fn one(store: &dyn Store, user: &UserId, id: Uuid) -> WebhookResult<Webhook> {
    let hook = HookRef { user, id };
    store.webhook(hook).await?.ok_or(WebhookError::NotFound)
}

/// `Ok` when the endpoint was there (`done`), else `NotFound`.
fn found(done: bool) -> WebhookResult<()> {
    done.then_some(()).ok_or(WebhookError::NotFound)
}

pub async fn delete(store: &dyn Store, user: &UserId, id: Uuid) -> WebhookResult<()> {
    found(store.delete_webhook(HookRef { user, id }).await?)
}

/// A new secret for the endpoint (shown only now); the old one signs beside it for
/// `ROTATION_GRACE`.
pub async fn rotate(store: &dyn Store, user: &UserId, id: Uuid) -> WebhookResult<String> {
    let secret = sign::new_secret();
    let until = Timestamp(Timestamp::now().0 + ROTATION_GRACE);
    let rotate = HookChange::Rotate {
        secret: &secret,
        old_until: until,
    };
    found(store.change_webhook(HookRef { user, id }, rotate).await?)?;
    Ok(secret)
}

/// Disables or enables an endpoint by hand.
pub async fn set_enabled(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    enabled: bool,
) -> WebhookResult<Webhook> {
    let disabled = (!enabled).then(|| (Timestamp::now(), "Disabled by its owner"));
    let change = HookChange::Disable(disabled);
    found(store.change_webhook(HookRef { user, id }, change).await?)?;
    one(store, user, id).await
}

/// The endpoint's recent deliveries, newest first.
pub async fn deliveries(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
) -> WebhookResult<Vec<Delivery>> {
    one(store, user, id).await?;
    Ok(store.deliveries(id, RECENT_DELIVERIES).await?)
}

/// Sends a delivery again now (a new attempt, whatever came of the earlier ones).
pub async fn redeliver(
    store: &dyn Store,
    user: &UserId,
    id: Uuid,
    event: Uuid,
) -> WebhookResult<()> {
    one(store, user, id).await?;
    match store.redeliver(id, event, Timestamp::now()).await? {
        true => Ok(()),
        false => Err(WebhookError::NoDelivery),
    }
}

/// Sends a `webhook.test` event to the endpoint now, signed with its secrets; what it answered.
pub async fn send_test(
    store: &dyn Store,
    sender: &send::Sender,
    user: &UserId,
    id: Uuid,
) -> WebhookResult<send::Answer> {
    let hook = one(store, user, id).await?;
    let now = Timestamp::now();
    let secrets = store
        .webhook_secrets(HookRef { user, id }, now)
        .await?
        .ok_or(WebhookError::NotFound)?;
    let event_id = Uuid::now_v7();
    let body = serde_json::json!({
        "id": event_id,
        "type": TEST_EVENT,
        "timestamp": now,
        "data": {"webhookId": id},
    })
    .to_string();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    Ok(sender
        .send(&hook.url, &secrets, &event_id.to_string(), &body)
        .await)
}

/// When the attempt after attempt `attempt` (from 1) is due; None once the schedule is spent.
pub fn retry_at(now: Timestamp, attempt: u32) -> Option<Timestamp> {
    let wait = RETRIES.get(usize::try_from(attempt).ok()?.checked_sub(1)?)?;
    Some(Timestamp(now.0 + chrono::TimeDelta::from_std(*wait).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `body` accepted, private addresses allowed (its rules are tested, not where it points).
    async fn accepted(body: Value) -> WebhookRequest {
        check_request(&body, true).await.unwrap()
    }

    #[tokio::test]
    async fn a_request_is_checked_whole() {
        let ok = accepted(
            json!({"url": "http://127.0.0.1:9/hook", "events": ["icp.created", "icp.created"]}),
        )
        .await;
        assert_eq!(ok.events, ["icp.created"]);
        assert_eq!(ok.description, "");
        let all =
            accepted(json!({"url": "http://127.0.0.1:9/", "events": ["*", "icp.updated"]})).await;
        assert_eq!(all.events, ["*"]);

        let Err(WebhookError::Invalid(problems)) = check_request(
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["icp.exploded"], "colour": 1, "description": 5}),
            false,
        )
        .await
        else {
            panic!("accepted");
        };
        let paths: Vec<String> = problems.iter().map(|p| format!("{:?}", p.path)).collect();
        assert_eq!(problems.len(), 4, "{paths:?}");
        let Err(WebhookError::Invalid(loopback)) =
            check_request(&json!({"url": "https://127.0.0.1/hook"}), false).await
        else {
            panic!("accepted a loopback address");
        };
        assert!(loopback[0].message.contains("not a public"), "{loopback:?}");
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let now = Timestamp::now();
        assert_eq!(
            retry_at(now, 1),
            Some(Timestamp(now.0 + chrono::TimeDelta::seconds(5)))
        );
        assert_eq!(
            retry_at(now, 2),
            Some(Timestamp(now.0 + chrono::TimeDelta::minutes(5)))
        );
        assert_eq!(
            retry_at(now, 7),
            Some(Timestamp(now.0 + chrono::TimeDelta::hours(10)))
        );
        assert_eq!(retry_at(now, 8), None);
        assert_eq!(retry_at(now, 0), None);
    }
}
