//! The webhooks page (`/settings/webhooks`): the user's endpoints, a form to add one (its secret
//! shown once), and per endpoint a test event, a new secret, disable or enable, delete, and its
//! recent deliveries to send again. Its forms post to `crate::forms::webhooks`.
//!
//! What a post has to say that a code in the query cannot (the API's words about a refused URL, a
//! test delivery's answer) comes back through the session, for the next page only (`Flash`).
//!
//! Size: one page with its loader and its views (an endpoint, its deliveries, the add form); each
//! part is a small component, kept with the page's data types they share.

#[cfg(feature = "ssr")]
use super::account::ssr;
use super::account::{Field, FormAlert, Notice, Query};
use super::confirm::{Confirm, CopyButton};
use super::describe::{Day, When};
use super::layout::{ActionTable, ButtonForm, Fact, Panel, PostForm};
use super::loaded::SecretPage;
use crate::domain::{Delivery, DeliveryState, EventType, Webhook};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The page's path, where each of its forms comes back to.
pub const PAGE: &str = "/settings/webhooks";
/// The value of the "All events" box (`crate::webhooks::ALL_EVENTS`).
pub const ALL_EVENTS: &str = "*";

/// An endpoint as the page lists it, with its recent deliveries (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRow {
    pub webhook: Webhook,
    pub deliveries: Vec<Delivery>,
}

/// The add form as it was posted, when it was refused: what was typed and each field's problem
/// (`url`, `events`, `description`; `""` for the form as a whole), in the API's words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddForm {
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub problems: Vec<(String, String)>,
}

impl AddForm {
    fn problem(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .problems
            .iter()
            .filter(|(at, _)| at == field)
            .map(|(_, message)| message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }
}

/// What the last post of the page left to say, for the next page only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    pub form: Option<AddForm>,
    /// Words about what a post came to (a test delivery, a refusal): whether it went well, and
    /// what happened.
    pub said: Option<(bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub endpoints: Vec<EndpointRow>,
    /// The endpoint whose secret was just made or rotated, and the secret (shown only now).
    pub new_secret: Option<(Uuid, String)>,
    pub flash: Flash,
}

#[cfg(feature = "ssr")]
pub mod flash {
    //! The `Flash` a post keeps in the session, and the page takes.
    use super::Flash;
    use tower_sessions::Session;

    const KEY: &str = "webhooks_flash";

    /// Keeps `flash` for the next page; saved at once, so a failure is the handler's to report.
    pub async fn hold(
        session: &Session,
        flash: &Flash,
    ) -> Result<(), tower_sessions::session::Error> {
        session.insert(KEY, flash).await?;
        session.save().await
    }

    /// Takes what `hold` kept, so it is said once (saved at once: the page may still be rendering
    /// when the session layer saves).
    pub async fn take(session: &Session) -> Flash {
        let Ok(Some(flash)) = session.get::<Flash>(KEY).await else {
            return Flash::default();
        };
        let removed = session.remove_value(KEY).await;
        if let Err(error) = removed.and(session.save().await) {
            tracing::error!(error = %crate::error_chain(&error), "could not forget a shown message");
        }
        flash
    }
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn webhooks_data() -> Result<WebhooksView, crate::page_error::PageError> {
    use crate::auth::session::{pad_cookie, take_secret, Secret};
    let (state, session, user) = ssr::session_account().await?;
    let user = user.ok_or(crate::page_error::PageError::Unauthorized)?;
    let store = state.store.as_ref();
    let hooks = store.webhooks(&user.id).await.map_err(ssr::failed)?;
    let mut endpoints = Vec::with_capacity(hooks.len());
    for hook in hooks {
        let deliveries = store
            .deliveries(hook.id, crate::webhooks::RECENT_DELIVERIES)
            .await
            .map_err(ssr::failed)?;
        endpoints.push(EndpointRow {
            webhook: hook,
            deliveries,
        });
    }
    // A secret just made: its pad is in the browser's cookie, the sealed secret in the session.
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.map_err(ssr::failed)?;
    let pad = pad_cookie(&headers, Secret::WebhookSecret);
    let new_secret = take_secret(&session, Secret::WebhookSecret, pad.as_deref())
        .await
        .and_then(|new| Some((Uuid::try_parse(&new.label).ok()?, new.token)));
    let flash = flash::take(&session).await;
    Ok(WebhooksView {
        endpoints,
        new_secret,
        flash,
    })
}

#[component]
pub fn WebhookSettings() -> impl IntoView {
    view! {
        <SecretPage title="Webhooks" load=webhooks_data body=|data| view! { <WebhooksBody data /> }>
            <p>
                "A webhook endpoint receives the events of the ICPs you can see as they happen: each is POSTed to it as JSON, signed with the endpoint’s secret (Standard Webhooks), and sent again until it is answered with a 2xx status."
            </p>
        </SecretPage>
    }
}

/// What each `?notice=` a post comes back with says.
const NOTICES: [(&str, &str); 4] = [
    (
        "disabled",
        "The endpoint was disabled: it receives nothing until you enable it.",
    ),
    ("enabled", "The endpoint was enabled."),
    ("deleted", "The endpoint was deleted."),
    (
        "redelivered",
        "The delivery will be sent again in a moment.",
    ),
];

#[component]
fn WebhooksBody(data: WebhooksView) -> impl IntoView {
    let query = Query::read();
    let problem = query.form_problem_text();
    let notice = query.value("notice");
    let notice = NOTICES
        .iter()
        .find(|(code, _)| *code == notice)
        .map(|(_, text)| *text);
    let WebhooksView {
        endpoints,
        new_secret,
        flash,
    } = data;
    let form = flash.form.unwrap_or_else(|| AddForm {
        events: vec![ALL_EVENTS.to_owned()],
        ..AddForm::default()
    });
    let secret = new_secret.map(|(id, secret)| {
        let url = endpoints
            .iter()
            .find(|endpoint| endpoint.webhook.id == id)
            .map(|endpoint| endpoint.webhook.url.clone())
            .unwrap_or_default();
        view! { <NewSecret url secret /> }
    });
    view! {
        <Notice text=notice />
        <FormAlert id="webhooks-error" message=problem />
        {flash
            .said
            .map(|(ok, message)| {
                if ok {
                    view! {
                        <p class="alert alert-success" role="status">
                            {message}
                        </p>
                    }
                        .into_any()
                } else {
                    view! { <FormAlert id="webhook-error" message /> }.into_any()
                }
            })}
        {secret}
        <Panel id="add-title" title="Add an endpoint">
            <AddEndpoint form />
        </Panel>
        <Panel id="endpoints-title" title="Your endpoints">
            {if endpoints.is_empty() {
                view! { <p>"You have no webhook endpoints yet."</p> }.into_any()
            } else {
                endpoints
                    .into_iter()
                    .map(|endpoint| view! { <Endpoint endpoint /> })
                    .collect_view()
                    .into_any()
            }}
        </Panel>
    }
}

/// A secret just made, for the endpoint at `url`.
#[component]
fn NewSecret(url: String, secret: String) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            <p>
                "The signing secret of " {url}
                ". Copy it now: it will not be shown again. Your receiver checks each delivery’s webhook-signature with it."
            </p>
            <code class="token">{secret.clone()}</code>
            <CopyButton text=secret label="Copy the secret".to_owned() />
        </div>
    }
}

/// The form that adds an endpoint, with what was typed and its problems when it was refused.
#[component]
fn AddEndpoint(form: AddForm) -> impl IntoView {
    let whole = form.problem("");
    let (url_error, events_error, description_error) = (
        form.problem("url"),
        form.problem("events"),
        form.problem("description"),
    );
    let events_described = match events_error {
        Some(_) => "events-hint events-error",
        None => "events-hint",
    };
    let events = form.events.clone();
    let checked = move |kind: &str| events.iter().any(|event| event == kind);
    let choices: Vec<(String, &'static str, String)> =
        std::iter::once(("events-all".to_owned(), ALL_EVENTS, "All events".to_owned()))
            .chain(EventType::ALL.iter().map(|kind| {
                let name = kind.as_str();
                (
                    format!("events-{}", name.replace(['.', '_'], "-")),
                    name,
                    name.to_owned(),
                )
            }))
            .collect();
    view! {
        <FormAlert id="add-error" message=whole />
        <PostForm action=PAGE submit="Add endpoint" class="button button-primary">
            <Field
                id="url"
                label="URL"
                kind="url"
                autocomplete="url"
                value=form.url.clone()
                hint=Some("Where each event is POSTed: an https:// address on the public internet.")
                problem=url_error
                maxlength=Some("2000")
            />
            <fieldset class="form-field" aria-describedby=events_described>
                <legend class="label">"Events"</legend>
                <p class="hint" id="events-hint">
                    "Which events it receives. “All events” includes kinds added later."
                </p>
                {choices
                    .into_iter()
                    .map(|(id, value, text)| {
                        view! {
                            <div class="toggle">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    name="events"
                                    value=value
                                    checked=checked(value)
                                />
                                <label for=id>{text}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                {events_error
                    .map(|error| {
                        view! {
                            <p class="field-error" id="events-error">
                                {error}
                            </p>
                        }
                    })}
            </fieldset>
            <Field
                id="description"
                label="Description (optional)"
                kind="text"
                autocomplete="off"
                value=form.description.clone()
                problem=description_error
                maxlength=Some("500")
                required=false
            />
        </PostForm>
    }
}

/// A button that posts to `action`; `about` names what it acts on, for screen readers.
#[component]
fn PostButton(
    action: String,
    text: &'static str,
    about: String,
    #[prop(default = "button")] class: &'static str,
) -> impl IntoView {
    view! {
        <ButtonForm action class inline=true>
            {text}
            <span class="visually-hidden">" " {about}</span>
        </ButtonForm>
    }
}

/// "All events", or the event types listed.
fn events_text(events: &[String]) -> String {
    if events.iter().any(|kind| kind == ALL_EVENTS) {
        "All events".to_owned()
    } else {
        events.join(", ")
    }
}

/// One endpoint: what it is, where it stands, what can be done with it, and its recent deliveries.
#[component]
fn Endpoint(endpoint: EndpointRow) -> impl IntoView {
    let EndpointRow {
        webhook,
        deliveries,
    } = endpoint;
    let id = webhook.id;
    let url = webhook.url;
    let (heading, labelled_by) = (format!("webhook-{id}"), format!("webhook-{id}"));
    let base = format!("{PAGE}/{id}");
    let enabled = webhook.disabled_at.is_none();
    let status = match webhook.disabled_at {
        None => view! { "Enabled" }.into_any(),
        Some(at) => {
            let reason = webhook.disabled_reason.unwrap_or_default();
            view! {
                "Disabled since "
                <When at />
                {(!reason.is_empty()).then(|| format!(": {reason}"))}
            }
            .into_any()
        }
    };
    let deliveries_view = {
        let url = url.clone();
        view! {
            <ActionTable
                caption="Recent deliveries"
                columns=&["Event", "State", "Attempts", "Last answer", "Time"]
                empty=deliveries.is_empty().then_some("No deliveries yet.")
            >
                {deliveries
                    .into_iter()
                    .map(|delivery| {
                        let redeliver = format!(
                            "{PAGE}/{id}/deliveries/{}/redeliver",
                            delivery.event_id,
                        );
                        view! { <DeliveryLine delivery redeliver url=url.clone() /> }
                    })
                    .collect_view()}
            </ActionTable>
        }
    };
    view! {
        <section class="webhook" aria-labelledby=labelled_by>
            <h3 id=heading>{url.clone()}</h3>
            <dl class="facts">
                <Fact label="Events">{events_text(&webhook.events)}</Fact>
                {(!webhook.description.is_empty())
                    .then(|| {
                        view! { <Fact label="Description">{webhook.description}</Fact> }
                    })}
                <Fact label="Status">{status}</Fact>
                {webhook
                    .failing_since
                    .map(|at| {
                        view! {
                            <Fact label="Failing since">
                                <When at />
                            </Fact>
                        }
                    })}
                <Fact label="Added">
                    <Day at=webhook.created_at />
                </Fact>
            </dl>
            <div class="actions">
                <PostButton
                    action=format!("{base}/test")
                    text="Send test event"
                    about=format!("to {url}")
                />
                <PostButton
                    action=format!("{base}/rotate")
                    text="Rotate secret"
                    about=format!("of {url}")
                />
                {if enabled {
                    view! {
                        <PostButton
                            action=format!("{base}/disable")
                            text="Disable"
                            about=url.clone()
                        />
                    }
                } else {
                    view! {
                        <PostButton
                            action=format!("{base}/enable")
                            text="Enable"
                            about=url.clone()
                        />
                    }
                }}
                <Confirm
                    summary="Delete…"
                    yes="Yes, delete"
                    action=format!("{base}/delete")
                    about=url.clone()
                    ask=(
                        "Delete the endpoint ",
                        "? It receives nothing more, and its deliveries are forgotten. This cannot be undone.",
                    )
                />
            </div>
            <h4>"Recent deliveries"</h4>
            {deliveries_view}
        </section>
    }
}

#[component]
fn DeliveryLine(delivery: Delivery, redeliver: String, url: String) -> impl IntoView {
    let state = match delivery.state {
        DeliveryState::Pending => "Pending",
        DeliveryState::Delivered => "Delivered",
        DeliveryState::Failed => "Failed",
    };
    // The last attempt's time, or when the delivery was made if none was tried yet.
    let at = delivery.last_attempt_at.unwrap_or(delivery.created_at);
    let answer = match (delivery.last_status, delivery.last_error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error,
        (None, None) => "—".to_owned(),
    };
    let about = format!("{} to {url}", delivery.event_type);
    view! {
        <tr>
            <td data-label="Event">{delivery.event_type}</td>
            <td data-label="State">{state}</td>
            <td data-label="Attempts">{delivery.attempts}</td>
            <td data-label="Last answer">{answer}</td>
            <td data-label="Time">
                <When at />
            </td>
            <td>
                <PostButton action=redeliver text="Redeliver" about />
            </td>
        </tr>
    }
}
