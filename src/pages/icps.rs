//! ICP pages: one ICP in words, and the builder for new, duplicated and edited ICPs (the list is
//! in `icp_list`).

use super::account::Notice;
use super::describe::{
    day_month_year, day_month_year_time, describe_condition, describe_filter, describe_lead, When,
};
use super::layout::{Fact, Panel};
use super::loaded::{Loaded, Unloaded};
use crate::domain::{Icp, UserId};
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// An ICP with the people around it, by name: its owner, its members, and the teammates its
/// owner can hand it over to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcpWithPeople {
    pub icp: Icp,
    pub owner: Option<String>,
    /// The caller manages it as its owner does (its owner, or an owner or admin of the owner's
    /// workspace): they may delete it and hand it over.
    pub manages: bool,
    /// The caller may change ICPs (not a viewer).
    pub writes: bool,
    pub shared_with: Vec<String>,
    /// (id, name) of the workspace members other than its owner, for the hand-over.
    pub teammates: Vec<(UserId, String)>,
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn icp_page(id: String) -> Result<IcpWithPeople, PageError> {
    use super::history::ssr::{name, teammate_names};
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let parsed = uuid::Uuid::try_parse(&id)
        .map_err(|_| PageError::NotFound(format!("ICP not found: {id}")))?;
    let store = state.store.as_ref();
    let icp = crate::icps::get_for(store, &user, parsed).await?;
    let names = teammate_names(store, &user).await?;
    let writes = super::history::ssr::role_of(store, &user).await?.writes();
    let manages = writes && crate::icps::manages(store, &user, &icp).await?;
    let mut teammates: Vec<(UserId, String)> = names
        .iter()
        .filter(|(id, _)| icp.owner.as_ref() != Some(*id))
        .map(|(id, name)| (id.clone(), name.clone()))
        .collect();
    teammates.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(IcpWithPeople {
        owner: icp.owner.as_ref().map(|owner| name(&names, owner)),
        manages,
        writes,
        shared_with: icp.user_ids.iter().map(|id| name(&names, id)).collect(),
        teammates,
        icp,
    })
}

/// "Active" or "Expired", with the end date in its title.
#[component]
pub(super) fn StatusBadge(icp: Icp) -> impl IntoView {
    let expired = icp.is_expired_at(chrono::Utc::now());
    let until = icp.active_until.map(day_month_year);
    let title = match (&until, expired) {
        (Some(date), true) => format!("Expired on {date}"),
        (Some(date), false) => format!("Active until {date}"),
        (None, _) => "Active, no end date".to_owned(),
    };
    view! {
        <span class=if expired { "badge badge-expired" } else { "badge badge-active" } title=title>
            {if expired { "Expired" } else { "Active" }}
        </span>
    }
}

#[component]
pub fn IcpDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let icp = Resource::new(id, icp_page);
    view! { <Loaded data=icp loading="Loading the ICP…" failed=Unloaded::Problem body=icp_view /> }
}

/// The ICP page's body: the ICP, its people, and what the caller may do with it.
fn icp_view(
    IcpWithPeople {
        icp,
        owner,
        manages,
        writes,
        shared_with,
        teammates,
    }: IcpWithPeople,
) -> impl IntoView {
    let notice = match use_query_map().get_untracked().get("notice").as_deref() {
        Some("restored") => Some("The ICP was restored."),
        Some("handed") => Some("The ICP was handed over; its new owner can delete it."),
        _ => None,
    };
    let id = icp.id.to_string();
    let json = serde_json::to_string_pretty(&icp).unwrap_or_default();
    let until = icp
        .active_until
        .map(day_month_year_time)
        .unwrap_or_else(|| "No end date".into());
    let crm = icp.crm_filters.clone();
    view! {
        <Title text=icp.name.clone() />
        <div class="page-head">
            <div>
                <h1>{icp.name.clone()} " " <StatusBadge icp=icp.clone() /></h1>
                {icp.description.clone().map(|d| view! { <p class="description">{d}</p> })}
            </div>
            <div class="actions">
                {writes
                    .then(|| {
                        view! {
                            <a class="button button-primary" href=format!("/icps/{id}/edit")>
                                "Edit"
                            </a>
                            <a class="button" href=format!("/icps/new?from={id}")>
                                "Duplicate"
                            </a>
                        }
                    })} <a class="button" href=format!("/icps/{id}/history")>
                    "History"
                </a> <a class="button" href=format!("/icps/{id}/export") download rel="external">
                    "Export"
                </a>
                {manages
                    .then(|| {
                        view! {
                            <HandOver id=id.clone() teammates />
                            <details class="confirm">
                                <summary class="button button-danger">"Delete…"</summary>
                                <form
                                    method="post"
                                    action=format!("/forms/icps/{id}/delete")
                                    class="confirm-box"
                                >
                                    <p>
                                        "Delete “" {icp.name.clone()}
                                        "” for everyone it is shared with? You can restore it from Recently deleted for 30 days."
                                    </p>
                                    <button type="submit" class="button button-danger">
                                        "Yes, delete this ICP"
                                    </button>
                                </form>
                            </details>
                        }
                    })}
            </div>
        </div>
        <Notice text=notice />
        <div class="detail-grid">
            <Panel id="facts-heading" title="Basics">
                <dl class="facts">
                    <Fact label="Leads per list">{icp.leads_per_list}</Fact>
                    <Fact label="Active until">{until}</Fact>
                    <Fact label="Owner">{owner.unwrap_or_else(|| "Nobody".to_owned())}</Fact>
                    <Fact label="Shared with">{shared_with.join(", ")}</Fact>
                    <Fact label="Created">
                        <When at=icp.created_at />
                    </Fact>
                    <Fact label="Updated">
                        <When at=icp.updated_at />
                    </Fact>
                </dl>
            </Panel>
            <Panel id="sources-heading" title="Lead sources">
                <NumberedOr
                    none="None: leads come only from the CRM."
                    items=icp.lead_provider_criteria.iter().map(describe_lead).collect()
                />
            </Panel>
            <Panel id="filters-view-heading" title="Custom filters">
                <NumberedOr
                    none="None."
                    items=icp
                        .custom_filter_criteria
                        .iter()
                        .map(|f| {
                            view! {
                                <strong>{f.kind().label()}</strong>
                                ": "
                                {describe_filter(f)}
                            }
                        })
                        .collect()
                />
            </Panel>
            <Panel id="crm-view-heading" title="CRM">
                {match crm {
                    None => view! { <p class="meta">"Not used."</p> }.into_any(),
                    Some(crm) => {
                        view! {
                            <p>
                                "Bullhorn"
                                {crm
                                    .text_search
                                    .clone()
                                    .flatten()
                                    .map(|t| format!(" · text search “{t}”"))}
                                {crm
                                    .query
                                    .clone()
                                    .flatten()
                                    .map(|q| format!(" · legacy query “{q}”"))}
                            </p>
                            <ul class="words">
                                {crm
                                    .filters
                                    .clone()
                                    .unwrap_or_default()
                                    .iter()
                                    .map(|c| view! { <li>{describe_condition(c)}</li> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </Panel>
            <details class="panel json-panel">
                <summary>
                    <h2>"API body"</h2>
                    <span class="meta">"The ICP as the API returns it"</span>
                </summary>
                <pre class="json" tabindex="0" aria-label="The ICP as JSON">
                    <code>{json}</code>
                </pre>
            </details>
        </div>
    }
}

/// The owner's "Hand over…": choose a teammate to own the ICP.
#[component]
fn HandOver(id: String, teammates: Vec<(UserId, String)>) -> impl IntoView {
    (!teammates.is_empty()).then(|| {
        view! {
            <details class="confirm">
                <summary class="button">"Hand over…"</summary>
                <form method="post" action=format!("/forms/icps/{id}/owner") class="confirm-box">
                    <label for="new-owner">"New owner"</label>
                    <select id="new-owner" name="owner">
                        {teammates
                            .into_iter()
                            .map(|(id, name)| {
                                view! { <option value=id.to_string()>{name}</option> }
                            })
                            .collect_view()}
                    </select>
                    <p class="hint">"You stay a member; only the new owner can delete it."</p>
                    <button type="submit" class="button button-primary">
                        "Hand over"
                    </button>
                </form>
            </details>
        }
    })
}

/// `items` as a numbered list, or `none` (muted) when there are none.
#[component]
fn NumberedOr<I: IntoView + 'static>(none: &'static str, items: Vec<I>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="meta">{none}</p> }.into_any();
    }
    view! {
        <ol class="words">
            {items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}
        </ol>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate_draft;
    use serde_json::json;

    fn filters(body: serde_json::Value) -> Vec<String> {
        let body = json!({"name": "x", "leadProviderCriteria": [], "userIds": [], "customFilterCriteria": body});
        validate_draft(&body)
            .unwrap()
            .custom_filter_criteria
            .iter()
            .map(describe_filter)
            .collect()
    }

    #[test]
    fn filters_read_as_sentences() {
        assert_eq!(
            filters(json!([{"type": "maxPeoplePerCompany", "value": 2}])),
            vec!["At most 2 people per company"]
        );
        assert_eq!(
            filters(json!([
                {"type": "maxPercentFromCRM", "value": 50},
                {"type": "minDaysUntilReuse", "value": 1},
                {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^(?!.*Test).*$"}
            ])),
            vec![
                "At most 50% of leads from the CRM",
                "A lead is reused only after 1 day",
                "Company name does not contain “Test”"
            ]
        );
    }

    #[test]
    fn lead_sources_read_as_lists() {
        let body = json!({"name": "x", "customFilterCriteria": [], "userIds": [], "leadProviderCriteria": [
            {"provider": "baseProvider", "filters": {"job_title": ["CTO", "VP Engineering"],
             "location": {"country": ["Germany"]}, "company": {"employee_size": {"min": 100, "max": 5000}}}}]});
        let draft = validate_draft(&body).unwrap();
        assert_eq!(
            describe_lead(&draft.lead_provider_criteria[0]),
            "People · Job titles: CTO, VP Engineering · Countries: Germany · 100–5000 employees"
        );
    }
}
