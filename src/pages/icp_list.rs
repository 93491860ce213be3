//! The list of a user's ICPs (`/icps`): 50 a page, newest first, with their count and plain
//! links to the next page and back to the newest (the API's cursor), so it works without JavaScript.

use super::describe::{day_month_year, plural};
use super::icps::{Problem, StatusBadge};
use crate::domain::Icp;
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// ICPs on one page of `/icps`.
pub const LIST_PAGE_SIZE: u32 = 50;

/// One page of `/icps`: up to `LIST_PAGE_SIZE` ICPs, newest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcpListPage {
    pub icps: Vec<Icp>,
    /// Who owns each ICP of `icps`, by name ("you" for the signed-in user).
    pub owners: Vec<String>,
    /// The `after` of the "Next page" link (the API's cursor); `None` on the last page.
    pub next: Option<String>,
    /// How many ICPs the user has, on every page.
    pub total: u64,
    /// A page after the first, so "← Newest" leads back.
    pub later: bool,
    /// The link's `after` could not be read: this is the first page instead.
    pub bad_link: bool,
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn my_icps(after: Option<String>) -> Result<IcpListPage, PageError> {
    use crate::store::ListCursor;
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    let raw = after.filter(|raw| !raw.is_empty());
    // A mangled or stale link shows the first page, saying so, rather than failing.
    let cursor = raw.as_deref().and_then(ListCursor::decode);
    let page = crate::icps::list(store, &user, cursor, LIST_PAGE_SIZE).await?;
    let names = super::history::ssr::teammate_names(store, &user).await?;
    let owners = page
        .icps
        .iter()
        .map(|icp| match &icp.owner {
            Some(owner) if *owner == user => "you".to_owned(),
            Some(owner) => super::history::ssr::name(&names, owner),
            None => "nobody".to_owned(),
        })
        .collect();
    Ok(IcpListPage {
        owners,
        icps: page.icps,
        next: page.next.map(|next| next.encode()),
        total: crate::icps::count(store, &user).await?,
        later: cursor.is_some(),
        bad_link: raw.is_some() && cursor.is_none(),
    })
}

#[component]
pub fn IcpList() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new(move || query.with(|q| q.get("after")), my_icps);
    view! {
        <Title text="Your ICPs" />
        <div class="page-head">
            <h1>"Your ICPs"</h1>
            <div class="actions">
                <a class="button" href="/icps/deleted">
                    "Recently deleted"
                </a>
                <a class="button button-primary" href="/icps/new">
                    "New ICP"
                </a>
            </div>
        </div>
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading your ICPs…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.total == 0 && page.icps.is_empty() => {
                        view! {
                            <div class="empty panel">
                                <h2>"No ICPs yet"</h2>
                                <p>
                                    "An Ideal Customer Profile says who to find leads for: job titles, places, company size and the checks every lead must pass."
                                </p>
                                <a class="button button-primary" href="/icps/new">
                                    "Build your first ICP"
                                </a>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(page) => view! { <IcpPageView page=page /> }.into_any(),
                    Err(error) => view! { <Problem error=error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "1 ICP", "42 ICPs".
fn icp_count(total: u64) -> String {
    format!("{total} {}", if total == 1 { "ICP" } else { "ICPs" })
}

/// One page of the list with its count and plain links to the next page and back to the newest.
#[component]
fn IcpPageView(page: IcpListPage) -> impl IntoView {
    let IcpListPage {
        icps,
        owners,
        next,
        total,
        later,
        bad_link,
    } = page;
    let nothing_here = icps.is_empty();
    view! {
        <p class="meta list-count">{icp_count(total)}</p>
        {bad_link
            .then(|| {
                view! {
                    <p class="notice" role="status">
                        "That page link is no longer valid, so here are your newest ICPs."
                    </p>
                }
            })}
        {if nothing_here {
            view! { <p class="meta">"No more ICPs after this point."</p> }.into_any()
        } else {
            view! {
                <ul class="icp-list">
                    {icps
                        .into_iter()
                        .zip(owners)
                        .map(|(icp, owner)| view! { <IcpCard icp owner /> })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        {(later || next.is_some())
            .then(|| {
                view! {
                    <nav class="pager" aria-label="More ICPs">
                        {later.then(|| view! { <a href="/icps">"← Newest"</a> })}
                        {next
                            .map(|after| {
                                view! {
                                    <a href=format!("/icps?after={after}") rel="next">
                                        "Next page →"
                                    </a>
                                }
                            })}
                    </nav>
                }
            })}
    }
}

#[component]
fn IcpCard(icp: Icp, owner: String) -> impl IntoView {
    let href = format!("/icps/{}", icp.id);
    let shared = icp
        .user_ids
        .iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let counts = format!(
        "{} · {} · {} leads per list",
        plural(
            icp.lead_provider_criteria.len(),
            "lead source",
            "lead sources"
        ),
        plural(icp.custom_filter_criteria.len(), "filter", "filters"),
        icp.leads_per_list
    );
    let created = day_month_year(icp.created_at);
    view! {
        <li class="icp-card panel">
            <div class="row-head">
                <h2>
                    <a href=href>{icp.name.clone()}</a>
                </h2>
                <StatusBadge icp=icp.clone() />
            </div>
            {icp.description.clone().map(|d| view! { <p class="description">{d}</p> })}
            <p class="meta">{counts}</p>
            <p class="meta">
                "Owned by " {owner} " · shared with " {shared} " · created " {created}
            </p>
        </li>
    }
}
