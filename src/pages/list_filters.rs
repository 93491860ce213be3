//! The list's filters (`/icps`): the search box, the All/Active/Expired and Everyone's/Mine/Shared
//! with me (and, for the owner and admins, Workspace) tabs, the owner picker, the order, and the
//! links that keep them in the URL.

use super::layout::FilterChoice;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whose ICPs the list shows (`view` in the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    #[default]
    All,
    Mine,
    Shared,
    /// Every ICP whose owner is in the caller's workspace (the owner's and admins').
    Workspace,
}

impl View {
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    pub(super) fn parse(text: Option<&str>) -> Self {
        match text {
            Some("mine") => View::Mine,
            Some("shared") => View::Shared,
            Some("workspace") => View::Workspace,
            _ => View::All,
        }
    }

    fn param(self) -> Option<&'static str> {
        match self {
            View::All => None,
            View::Mine => Some("mine"),
            View::Shared => Some("shared"),
            View::Workspace => Some("workspace"),
        }
    }
}

/// The list's order (`sort` in the URL): newest first (the default), last updated first, or by
/// name A→Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    Created,
    Updated,
    Name,
}

impl Sort {
    const ALL: [(Sort, &'static str); 3] = [
        (Sort::Created, "Newest"),
        (Sort::Updated, "Recently updated"),
        (Sort::Name, "Name A–Z"),
    ];

    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    pub(super) fn parse(text: Option<&str>) -> Self {
        match text {
            Some("updated") => Sort::Updated,
            Some("name") => Sort::Name,
            _ => Sort::Created,
        }
    }

    fn param(self) -> Option<&'static str> {
        match self {
            Sort::Created => None,
            Sort::Updated => Some("updated"),
            Sort::Name => Some("name"),
        }
    }

    /// The store's order of the same name.
    #[cfg(feature = "ssr")]
    pub(super) fn order(self) -> crate::store::ListOrder {
        use crate::store::ListOrder;
        match self {
            Sort::Created => ListOrder::Created,
            Sort::Updated => ListOrder::Updated,
            Sort::Name => ListOrder::Name,
        }
    }
}

/// What the list's URL asks for, besides the page: everything a link to another page, tab or
/// order keeps.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListQuery {
    /// The search as applied (the `q` of the URL, at most `MAX_SEARCH_CHARS`).
    pub q: String,
    /// The tab: `Some(true)` active, `Some(false)` expired, `None` all.
    pub active: Option<bool>,
    /// Whose ICPs: everyone's, the caller's own, or those others shared with them.
    pub view: View,
    /// Only the ICPs this member of the workspace owns (`owner` in the URL).
    pub owner: Option<String>,
    pub sort: Sort,
}

impl ListQuery {
    /// The link to a page of `/icps` with this query, starting after `after` (the first page when
    /// `None`).
    pub(super) fn href(&self, after: Option<&str>) -> String {
        let mut params = Vec::new();
        if !self.q.is_empty() {
            params.push(format!("q={}", query_value(&self.q)));
        }
        if let Some(active) = self.active {
            params.push(format!("active={active}"));
        }
        if let Some(view) = self.view.param() {
            params.push(format!("view={view}"));
        }
        if let Some(owner) = &self.owner {
            params.push(format!("owner={}", query_value(owner)));
        }
        if let Some(sort) = self.sort.param() {
            params.push(format!("sort={sort}"));
        }
        if let Some(after) = after {
            params.push(format!("after={}", query_value(after)));
        }
        if params.is_empty() {
            "/icps".to_owned()
        } else {
            format!("/icps?{}", params.join("&"))
        }
    }

    /// The hidden fields that carry this query through a GET form, but for `q` and `owner` when
    /// the form has its own.
    fn kept(&self, own_q: bool, own_owner: bool) -> impl IntoView {
        let hidden = |name: &'static str, value: String| {
            view! { <input type="hidden" name=name value=value /> }
        };
        let q = (!own_q && !self.q.is_empty()).then(|| hidden("q", self.q.clone()));
        let active = self
            .active
            .map(|active| hidden("active", active.to_string()));
        let view = self
            .view
            .param()
            .map(|view| hidden("view", view.to_owned()));
        let owner = (!own_owner)
            .then(|| self.owner.clone().map(|owner| hidden("owner", owner)))
            .flatten();
        let sort = self
            .sort
            .param()
            .map(|sort| hidden("sort", sort.to_owned()));
        view! {
            {q}
            {active}
            {view}
            {owner}
            {sort}
        }
    }
}

/// The tab an `active` parameter names; anything else is "All".
#[cfg(feature = "ssr")]
pub(super) fn tab_of(active: Option<&str>) -> Option<bool> {
    match active {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

/// `text` as a URL query value (everything but unreserved characters percent-encoded).
fn query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// A tab: a link to the list as `tab` asks, marked as the current page when it is.
fn tab_link(tab: &ListQuery, label: &'static str, current: bool) -> impl IntoView {
    view! {
        <a href=tab.href(None) aria-current=current.then_some("page")>
            {label}
        </a>
    }
}

/// The search box, the All/Active/Expired and All/Mine/Shared with me (and Workspace, when the
/// caller `manages` the workspace) tabs, the owner picker (`people`: the workspace's members, id
/// and name) and the order; plain GET forms and links, so they work without JavaScript and the URL
/// says what is shown.
#[component]
pub(super) fn ListFilters(
    query: ListQuery,
    people: Vec<(String, String)>,
    manages: bool,
) -> impl IntoView {
    let tabs = [
        ("All", None),
        ("Active", Some(true)),
        ("Expired", Some(false)),
    ]
    .map(|(label, active)| {
        let tab = ListQuery {
            active,
            ..query.clone()
        };
        tab_link(&tab, label, active == query.active)
    });
    let whose = [
        ("Everyone's", View::All),
        ("Mine", View::Mine),
        ("Shared with me", View::Shared),
    ]
    .map(|(label, view)| {
        let tab = ListQuery {
            view,
            owner: None,
            ..query.clone()
        };
        tab_link(&tab, label, view == query.view && query.owner.is_none())
    });
    let workspace = manages.then(|| {
        let tab = ListQuery {
            view: View::Workspace,
            owner: None,
            ..query.clone()
        };
        tab_link(
            &tab,
            "Workspace",
            query.view == View::Workspace && query.owner.is_none(),
        )
    });
    let orders = Sort::ALL.map(|(sort, label)| {
        let tab = ListQuery {
            sort,
            ..query.clone()
        };
        tab_link(&tab, label, sort == query.sort)
    });
    let owner = query.owner.clone();
    view! {
        <div class="list-filters">
            <form class="list-search" method="get" action="/icps" role="search">
                <input
                    type="search"
                    name="q"
                    value=query.q.clone()
                    aria-label="Search your ICPs"
                    placeholder="Search names, titles, places…"
                    maxlength="200"
                />
                {query.kept(true, false)}
                <button type="submit" class="button">
                    "Search"
                </button>
            </form>
            <nav class="tabs" aria-label="Show">
                {tabs}
            </nav>
            <nav class="tabs" aria-label="Whose">
                {whose}
                {workspace}
            </nav>
            <form class="owner-filter" method="get" action="/icps">
                // A picked owner narrows the workspace view, or else replaces the tabs.
                {ListQuery {
                    view: if query.view == View::Workspace { View::Workspace } else { View::All },
                    ..query.clone()
                }
                    .kept(false, true)}
                <FilterChoice
                    id="owner"
                    name="owner"
                    label="Owner"
                    none="Anyone"
                    options=people
                    chosen=owner
                />
                <button type="submit" class="button">
                    "Show"
                </button>
            </form>
            <nav class="tabs" aria-labelledby="sort-label">
                <span id="sort-label" class="tabs-label">
                    "Sort by"
                </span>
                {orders}
            </nav>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_search_tabs_and_order() {
        assert_eq!(ListQuery::default().href(None), "/icps");
        let query = ListQuery {
            q: "München & co".into(),
            active: Some(false),
            view: View::Shared,
            owner: None,
            sort: Sort::Name,
        };
        assert_eq!(
            query.href(Some("n12-ab")),
            "/icps?q=M%C3%BCnchen%20%26%20co&active=false&view=shared&sort=name&after=n12-ab"
        );
        let owned = ListQuery {
            owner: Some("user_Ab1".into()),
            ..ListQuery::default()
        };
        assert_eq!(owned.href(None), "/icps?owner=user_Ab1");
        assert_eq!(Sort::parse(Some("updated")), Sort::Updated);
        assert_eq!(Sort::parse(Some("size")), Sort::Created);
        assert_eq!(View::parse(Some("mine")), View::Mine);
        assert_eq!(View::parse(Some("workspace")), View::Workspace);
        assert_eq!(View::parse(Some("theirs")), View::All);
        assert_eq!(tab_of(Some("true")), Some(true));
        assert_eq!(tab_of(Some("yes")), None);
    }
}
