//! The list of a user's ICPs (`/icps`): a table of 50 a page — each ICP's name, whom it targets,
//! owner and members by name, when it changed and its status — with their count and plain links
//! to the next page and back to the first (a cursor), so it works without JavaScript. A search
//! box (`q`), All/Active/Expired tabs (`active`), All/Mine/Shared with me tabs (`view`; the owner
//! and admins also have Workspace: every ICP whose owner is in it) and an owner picker (`owner`)
//! narrow it; it is sorted newest first, by last update or by name (`sort`); all of
//! it is in the URL, so a filtered list can be bookmarked.
//!
//! Size: the list page's one server function (the page, its names, counts and what the caller's
//! role offers) and its components (actions, welcome, table, rows, pager) belong together.

use super::describe::{targets, When};
use super::icps::StatusBadge;
use super::layout::{Pager, Table};
#[cfg(feature = "ssr")]
use super::list_filters::tab_of;
use super::list_filters::{ListFilters, ListQuery, Sort, View};
use super::loaded::{Loaded, Unloaded};
use crate::domain::Icp;
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// ICPs on one page of `/icps`.
pub const LIST_PAGE_SIZE: u32 = 50;

/// One page of `/icps`: up to `LIST_PAGE_SIZE` ICPs in the asked order, and where the next page
/// starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IcpListPage {
    pub icps: Vec<Icp>,
    /// Who owns each ICP of `icps`, by name ("you" for the signed-in user).
    pub owners: Vec<String>,
    /// Whom else each ICP of `icps` is shared with, by name.
    pub members: Vec<String>,
    /// The `after` of the "Next page" link (the API's cursor); `None` on the last page.
    pub next: Option<String>,
    /// How many ICPs the user has, on every page.
    pub total: u64,
    /// The search, tabs, owner and order as applied.
    pub query: ListQuery,
    /// The workspace's members (id, name), for the owner picker, by name.
    pub people: Vec<(String, String)>,
    /// How many of `total` the search and tab let through, when either narrows the list.
    pub matching: Option<u64>,
    /// A page after the first, so a link leads back to the first.
    pub later: bool,
    /// The link's `after` could not be read: this is the first page instead.
    pub bad_link: bool,
    /// The caller may create and change ICPs (not a viewer).
    pub writes: bool,
    /// The caller is the workspace's owner or an admin: the Workspace view is theirs.
    pub manages: bool,
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn my_icps(
    after: Option<String>,
    q: Option<String>,
    active: Option<String>,
    view: Option<String>,
    owner: Option<String>,
    sort: Option<String>,
) -> Result<IcpListPage, PageError> {
    use crate::domain::Limits;
    const MAX_SEARCH_CHARS: usize = Limits::SEARCH_CHARS;
    use crate::store::{ListCursor, ListFilter, Owned};
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    let raw = after.filter(|raw| !raw.is_empty());
    let sort = Sort::parse(sort.as_deref());
    // A mangled or stale link (or one of another order) shows the first page, saying so, rather
    // than failing.
    let cursor = raw
        .as_deref()
        .and_then(|raw| ListCursor::decode(raw, sort.order()));
    let q: String = q
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != '\0')
        .take(MAX_SEARCH_CHARS)
        .collect();
    // At most 200 characters once folded, as the API holds `q` to (the words past it are left out).
    let mut folded = 0;
    let words: Vec<String> = ListFilter::words_of(&q)
        .into_iter()
        .take_while(|word| {
            folded += word.chars().count();
            folded <= MAX_SEARCH_CHARS
        })
        .collect();
    let names = super::history::ssr::teammate_names(store, &user).await?;
    let role = super::history::ssr::role_of(store, &user).await?;
    let words_people = crate::store::people_named(&words, &names);
    // The Workspace view is the owner's and admins'; anyone else gets their own list.
    let view = match View::parse(view.as_deref()) {
        View::Workspace if !role.manages() => View::All,
        view => view,
    };
    // An owner picked from the list takes the place of the Mine / Shared with me tabs.
    let owner = owner.as_deref().and_then(crate::domain::UserId::parse);
    let filter = ListFilter {
        words,
        active: tab_of(active.as_deref()),
        shared_with: None,
        // Each word also finds the ICPs of teammates whose name holds it ("Tim").
        people: words_people,
        owned: match (&owner, view) {
            (Some(owner), _) => Some(Owned::By(owner.clone())),
            (None, View::All | View::Workspace) => None,
            (None, View::Mine) => Some(Owned::By(user.clone())),
            (None, View::Shared) => Some(Owned::NotBy(user.clone())),
        },
        order: sort.order(),
        workspace: view == View::Workspace,
    };
    // What the count is of: the caller's ICPs, or the workspace's in its view.
    let everything = ListFilter {
        workspace: filter.workspace,
        ..ListFilter::default()
    };
    let page = crate::icps::list(store, &user, &filter, cursor.clone(), LIST_PAGE_SIZE).await?;
    let owners = page
        .icps()
        .iter()
        .map(|icp| match &icp.owner {
            Some(owner) if *owner == user => "you".to_owned(),
            Some(owner) => super::history::ssr::name(&names, owner),
            None => "nobody".to_owned(),
        })
        .collect();
    let members = page
        .icps()
        .iter()
        .map(|icp| {
            let others: Vec<String> = icp
                .user_ids
                .iter()
                .filter(|id| icp.owner.as_ref() != Some(*id))
                .map(|id| match id {
                    id if *id == user => "you".to_owned(),
                    id => super::history::ssr::name(&names, id),
                })
                .collect();
            match (icp.everyone, others.is_empty()) {
                (true, _) => "Everyone in the workspace".to_owned(),
                (false, true) => "Only the owner".to_owned(),
                (false, false) => others.join(", "),
            }
        })
        .collect();
    let mut people: Vec<(String, String)> = names
        .iter()
        .map(|(id, name)| match id {
            id if *id == user => (id.to_string(), format!("{name} (you)")),
            id => (id.to_string(), name.clone()),
        })
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(IcpListPage {
        owners,
        members,
        query: ListQuery {
            q: q.trim().to_owned(),
            active: filter.active,
            view,
            owner: owner.map(|owner| owner.to_string()),
            sort,
        },
        people,
        icps: page.icps().to_vec(),
        next: page.next().map(|next| next.encode()),
        total: crate::icps::count(store, &user, &everything).await?,
        // One scan of the search text per view: a first page that holds every match has counted
        // them; only when more follow is the count a second, full scan (the page's stopped early).
        matching: if (ListFilter {
            order: everything.order,
            ..filter.clone()
        }) == everything
        {
            None
        } else if cursor.is_none() && page.next().is_none() {
            Some(page.icps().len() as u64)
        } else {
            Some(crate::icps::count(store, &user, &filter).await?)
        },
        later: cursor.is_some(),
        bad_link: raw.is_some() && cursor.is_none(),
        writes: role.writes(),
        manages: role.manages(),
    })
}

#[component]
pub fn IcpList() -> impl IntoView {
    let query = use_query_map();
    let imported = move || {
        let imported = query
            .with(|q| q.get("imported"))
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| format!("Imported {}.", icp_count(n)));
        let joined = (query.with(|q| q.get("notice")).as_deref() == Some("joined")).then(|| {
            "Welcome to the team. These are the ICPs your teammates share with you.".to_owned()
        });
        imported.or(joined).map(|text| {
            view! {
                <p class="notice" role="status">
                    {text}
                </p>
            }
        })
    };
    let page = Resource::new(
        move || {
            query.with(|q| {
                let get = |name: &str| q.get(name);
                (
                    get("after"),
                    get("q"),
                    get("active"),
                    get("view"),
                    get("owner"),
                    get("sort"),
                )
            })
        },
        |(after, q, active, view, owner, sort)| my_icps(after, q, active, view, owner, sort),
    );
    view! {
        <Title text="Your ICPs" />
        <div class="page-head">
            <h1>"Your ICPs"</h1>
            // What the caller may do: known once the page is (viewers create and import nothing).
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    page.await.ok().map(|page| list_actions(page.writes))
                })}
            </Suspense>
        </div>
        {imported}
        <Loaded
            data=page
            loading="Loading your ICPs…"
            failed=Unloaded::Problem
            body=page_or_welcome
        />
    }
}

/// The list's buttons: a viewer's only read and export.
fn list_actions(writes: bool) -> impl IntoView {
    view! {
        <div class="actions">
            <a class="button" href="/icps/deleted">
                "Recently deleted"
            </a>
            {writes
                .then(|| {
                    view! {
                        <a class="button" href="/icps/import">
                            "Import"
                        </a>
                    }
                })}
            // `download`: a file, not a page of the app (the router leaves it alone).
            <a class="button" href="/icps/export" download rel="external">
                "Export all"
            </a>
            {writes
                .then(|| {
                    view! {
                        <a class="button button-primary" href="/icps/new">
                            "New ICP"
                        </a>
                    }
                })}
        </div>
    }
}

/// The page of the list, or a welcome to build the first ICP when there is none.
fn page_or_welcome(page: IcpListPage) -> AnyView {
    if page.total > 0 {
        return view! { <IcpPageView page=page /> }.into_any();
    }
    if !page.writes {
        return view! {
            <div class="empty panel">
                <h2>"No ICPs yet"</h2>
                <p>
                    "Nobody has shared an ICP with you yet. As a viewer you read the ICPs your teammates share with you."
                </p>
            </div>
        }
        .into_any();
    }
    // The owner and admins may see the workspace's ICPs without any of their own.
    let workspace = (page.manages && page.query.view != View::Workspace).then(|| {
        view! {
            <a class="button" href="/icps?view=workspace">
                "See the workspace’s ICPs"
            </a>
        }
    });
    view! {
        <div class="empty panel">
            <h2>"No ICPs yet"</h2>
            <p>
                "An Ideal Customer Profile says who to find leads for: job titles, places, company size and the checks every lead must pass."
            </p>
            <a class="button button-primary" href="/icps/new">
                "Build your first ICP"
            </a>
            {workspace}
        </div>
    }
    .into_any()
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
        members,
        query,
        people,
        next,
        total,
        matching,
        later,
        bad_link,
        writes: _,
        manages,
    } = page;
    let nothing_here = icps.is_empty();
    let count = match matching {
        Some(matching) => format!("{matching} of {} match", icp_count(total)),
        None => icp_count(total),
    };
    let empty = match (matching, query.active) {
        (Some(0), _) if !query.q.is_empty() => format!("No ICPs match “{}”.", query.q),
        (Some(0), None) if query.owner.is_some() => {
            "Nobody shared an ICP of that owner with you.".to_owned()
        }
        (Some(0), None) if query.view == View::Mine => "You own none of your ICPs.".to_owned(),
        (Some(0), None) if query.view == View::Shared => {
            "Nobody has shared an ICP with you.".to_owned()
        }
        (Some(0), None) if query.view == View::Workspace => {
            "Nobody in the workspace owns an ICP.".to_owned()
        }
        (Some(0), Some(true)) => "None of your ICPs is active.".to_owned(),
        (Some(0), _) => "None of your ICPs has expired.".to_owned(),
        _ => "No more ICPs after this point.".to_owned(),
    };
    let first = query.href(None);
    let next = next.map(|after| query.href(Some(&after)));
    let first_label = match query.sort {
        Sort::Created => "← Newest",
        Sort::Updated | Sort::Name => "← First page",
    };
    // The column the list is sorted by, for screen readers.
    let sorted = move |sort: Sort| {
        (query.sort == sort).then_some(if sort == Sort::Name {
            "ascending"
        } else {
            "descending"
        })
    };
    view! {
        <ListFilters query=query.clone() people manages />
        <p class="meta list-count" role="status">
            {count}
        </p>
        {bad_link
            .then(|| {
                view! {
                    <p class="notice" role="status">
                        "That page link is no longer valid, so here is the first page."
                    </p>
                }
            })}
        <Table
            class="table icp-table"
            caption="Your ICPs"
            head=view! {
                <th scope="col" aria-sort=sorted(Sort::Name)>
                    "Name"
                </th>
                <th scope="col">"Targets"</th>
                <th scope="col">"Owner"</th>
                <th scope="col">"Shared with"</th>
                <th scope="col" aria-sort=sorted(Sort::Updated)>
                    "Updated"
                </th>
                <th scope="col">"Status"</th>
            }
            empty=nothing_here
                .then(|| {
                    view! {
                        {empty}
                        " "
                        {matching.is_some().then(|| view! { <a href="/icps">"Show all ICPs"</a> })}
                    }
                        .into_any()
                })
        >
            {icps
                .into_iter()
                .zip(owners)
                .zip(members)
                .map(|((icp, owner), members)| view! { <IcpRow icp owner members /> })
                .collect_view()}
        </Table>
        <Pager
            label="More ICPs"
            back=later.then_some((first, first_label))
            next=next.map(|href| (href, "Next page →"))
        />
    }
}

/// One ICP of the list: its name (and description), whom it targets, who owns and shares it,
/// when it last changed, and whether it is active.
#[component]
fn IcpRow(icp: Icp, owner: String, members: String) -> impl IntoView {
    let href = format!("/icps/{}", icp.id);
    view! {
        <tr>
            <th scope="row" data-label="Name">
                <a href=href title=icp.description.clone()>
                    {icp.name.clone()}
                </a>
            </th>
            <td data-label="Targets">{targets(&icp)}</td>
            <td data-label="Owner">{owner}</td>
            <td data-label="Shared with">{members}</td>
            <td data-label="Updated">
                <When at=icp.updated_at />
            </td>
            <td data-label="Status">
                <StatusBadge icp=icp.clone() />
            </td>
        </tr>
    }
}
