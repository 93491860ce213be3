//! The audit log page (`/settings/audit`, the workspace's owner and admins): who did what to the
//! workspace and its access, newest first, 50 a page, narrowed to a person or a kind by a plain
//! GET form; others get a 403 page.

use super::describe::When;
use super::layout::{FilterChoice, Pager, Table};
use super::loaded::{no_store, Loaded, Unloaded};
use crate::domain::Timestamp;
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Records on one page.
pub const AUDIT_PAGE: u32 = 50;

/// Who did what no signed-in person did (a sign-up refused through an invitation's link).
pub const NO_ACTOR: &str = "Someone signing up";

/// One record as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: Timestamp,
    /// The actor's email, their id when the account is gone, or `NO_ACTOR`.
    pub who: String,
    /// The kind in words (`AuditKind::describe`).
    pub what: String,
    pub target: String,
    /// "before → after" in words.
    pub change: String,
}

/// A page of the audit log with what its filters offer and apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub lines: Vec<AuditLine>,
    /// The workspace's members (id, email), for the person filter.
    pub people: Vec<(String, String)>,
    /// Every kind (value, words), for the kind filter.
    pub kinds: Vec<(String, String)>,
    /// The filters as applied (an unreadable one is left out).
    pub actor: Option<String>,
    pub kind: Option<String>,
    /// The `before` of the "Older" link: the last record's id, when more follow.
    pub older: Option<String>,
    /// This page starts below the newest record.
    pub later: bool,
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn audit_data(
    actor: Option<String>,
    kind: Option<String>,
    before: Option<String>,
) -> Result<AuditView, PageError> {
    use crate::domain::UserId;
    use crate::store::{AuditKind, AuditQuery};
    use crate::workspaces::{self, WorkspaceError};
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    let failed = |error: WorkspaceError| match error {
        WorkspaceError::NotManager => PageError::Forbidden(super::loaded::MANAGERS_ONLY.to_owned()),
        other => {
            tracing::error!(error = %crate::error_chain(&other), "could not read the audit log");
            PageError::Server
        }
    };
    let membership = workspaces::membership(store, &user)
        .await
        .map_err(|error| failed(error.into()))?;
    if !membership.role.manages() {
        return Err(failed(WorkspaceError::NotManager));
    }
    let query = AuditQuery {
        actor: actor.as_deref().and_then(UserId::parse),
        kind: kind.as_deref().and_then(AuditKind::parse),
        before: before
            .as_deref()
            .and_then(|id| uuid::Uuid::try_parse(id).ok()),
    };
    let page = workspaces::audit(store, &user, &query, AUDIT_PAGE)
        .await
        .map_err(failed)?;
    let mut people: Vec<(String, String)> = store
        .members(&membership.workspace.id)
        .await
        .map_err(|error| failed(error.into()))?
        .into_iter()
        .map(|member| (member.user.id.to_string(), member.user.email))
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    let older = page
        .more
        .then(|| page.entries.last().map(|last| last.id.to_string()))
        .flatten();
    Ok(AuditView {
        lines: page
            .entries
            .into_iter()
            .map(|entry| AuditLine {
                at: entry.at,
                who: match (entry.actor_email, entry.actor_id) {
                    (Some(email), _) => email,
                    (None, Some(gone)) => gone.to_string(),
                    (None, None) => NO_ACTOR.to_owned(),
                },
                what: entry.kind.describe().to_owned(),
                target: entry.target,
                change: change_in_words(&entry.before, &entry.after),
            })
            .collect(),
        people,
        kinds: AuditKind::ALL
            .iter()
            .map(|kind| (kind.as_str().to_owned(), kind.describe().to_owned()))
            .collect(),
        actor: query.actor.map(|actor| actor.to_string()),
        kind: query.kind.map(|kind| kind.as_str().to_owned()),
        older,
        later: query.before.is_some(),
    })
}

/// "role: member → role: viewer": each side's fields as `key: value` (strings unquoted, the rest
/// compact JSON); a side that is nothing reads "—", and one alone is shown alone.
#[cfg(feature = "ssr")]
fn change_in_words(before: &serde_json::Value, after: &serde_json::Value) -> String {
    use serde_json::Value;
    fn side(value: &Value) -> Option<String> {
        let scalar = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        match value {
            Value::Null => None,
            Value::Object(fields) if fields.is_empty() => None,
            Value::Object(fields) => Some(
                fields
                    .iter()
                    .map(|(key, value)| format!("{key}: {}", scalar(value)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            other => Some(scalar(other)),
        }
    }
    match (side(before), side(after)) {
        (None, None) => String::new(),
        (Some(before), None) => format!("{before} → —"),
        (None, Some(after)) => after,
        (Some(before), Some(after)) => format!("{before} → {after}"),
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    // Who did what to the team is for its managers only: no shared cache keeps it.
    no_store();
    let query = use_query_map();
    let data = Resource::new(
        move || query.with(|q| (q.get("actor"), q.get("kind"), q.get("before"))),
        |(actor, kind, before)| audit_data(actor, kind, before),
    );
    view! {
        <Loaded
            data
            loading="Loading the audit log…"
            failed=Unloaded::Problem
            body=|data| view! { <AuditBody data /> }
        />
    }
}

/// `/settings/audit` with these filters, below `before`.
fn audit_href(actor: Option<&str>, kind: Option<&str>, before: Option<&str>) -> String {
    let params: Vec<String> = [("actor", actor), ("kind", kind), ("before", before)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name}={value}")))
        .collect();
    if params.is_empty() {
        "/settings/audit".to_owned()
    } else {
        format!("/settings/audit?{}", params.join("&"))
    }
}

#[component]
fn AuditBody(data: AuditView) -> impl IntoView {
    let AuditView {
        lines,
        people,
        kinds,
        actor,
        kind,
        older,
        later,
    } = data;
    let newest = audit_href(actor.as_deref(), kind.as_deref(), None);
    let older = older.map(|before| audit_href(actor.as_deref(), kind.as_deref(), Some(&before)));
    let filtered = actor.is_some() || kind.is_some();
    view! {
        <Title text="Audit log" />
        <div class="page-head">
            <h1>"Audit log"</h1>
            <div class="actions">
                <a class="button" href="/settings/team">
                    "Back to the team"
                </a>
            </div>
        </div>
        <p>
            "Who changed the workspace and its access: invitations, joins, departures, roles, ownership, renames, API tokens and webhooks, and sign-ups refused through its invitation links. Newest first."
        </p>
        <form class="list-filters" method="get" action="/settings/audit">
            <div class="owner-filter">
                <FilterChoice
                    id="audit-actor"
                    name="actor"
                    label="Person"
                    none="Anyone"
                    options=people
                    chosen=actor
                />
            </div>
            <div class="owner-filter">
                <FilterChoice
                    id="audit-kind"
                    name="kind"
                    label="What"
                    none="Anything"
                    options=kinds
                    chosen=kind
                />
            </div>
            <button type="submit" class="button">
                "Show"
            </button>
        </form>
        <Table
            class="table audit-table"
            caption="Audit records, newest first"
            head=view! {
                <th scope="col">"When"</th>
                <th scope="col">"Who"</th>
                <th scope="col">"What"</th>
                <th scope="col">"Target"</th>
                <th scope="col">"Change"</th>
            }
            empty=lines
                .is_empty()
                .then(|| {
                    if filtered { "No records match." } else { "Nothing recorded yet." }.into_any()
                })
        >
            {lines
                .into_iter()
                .map(|line| {
                    view! {
                        <tr>
                            <td data-label="When">
                                <When at=line.at />
                            </td>
                            <td data-label="Who">{line.who}</td>
                            <td data-label="What">{line.what}</td>
                            <td data-label="Target">{line.target}</td>
                            <td data-label="Change">{line.change}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
        <Pager
            label="More records"
            back=later.then_some((newest, "← Newest"))
            next=older.map(|href| (href, "Older →"))
        />
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_change_reads_as_its_fields_before_and_after() {
        assert_eq!(
            change_in_words(&json!({"role": "member"}), &json!({"role": "viewer"})),
            "role: member → role: viewer"
        );
        assert_eq!(
            change_in_words(&json!(null), &json!({"role": "viewer", "days": 7})),
            "role: viewer, days: 7"
        );
        assert_eq!(
            change_in_words(&json!({"role": "admin"}), &json!(null)),
            "role: admin → —"
        );
        assert_eq!(change_in_words(&json!(null), &json!({})), "");
        assert_eq!(
            audit_href(Some("user_a"), None, Some("0190")),
            "/settings/audit?actor=user_a&before=0190"
        );
    }
}
