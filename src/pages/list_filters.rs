//! The list's filters (`/icps`): the search box, the All/Active/Expired and Everyone's/Mine/Shared
//! with me tabs, and the links that keep them in the URL.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whose ICPs the list shows (`view` in the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    #[default]
    All,
    Mine,
    Shared,
}

impl View {
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    pub(super) fn parse(text: Option<&str>) -> Self {
        match text {
            Some("mine") => View::Mine,
            Some("shared") => View::Shared,
            _ => View::All,
        }
    }

    fn param(self) -> Option<&'static str> {
        match self {
            View::All => None,
            View::Mine => Some("mine"),
            View::Shared => Some("shared"),
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

/// The link to a page of `/icps` with this search, tabs, owner and start.
pub(super) fn list_href(
    q: &str,
    active: Option<bool>,
    view: View,
    owner: Option<&str>,
    after: Option<&str>,
) -> String {
    let mut params = Vec::new();
    if !q.is_empty() {
        params.push(format!("q={}", query_value(q)));
    }
    if let Some(active) = active {
        params.push(format!("active={active}"));
    }
    if let Some(view) = view.param() {
        params.push(format!("view={view}"));
    }
    if let Some(owner) = owner {
        params.push(format!("owner={}", query_value(owner)));
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

/// The search box, the All/Active/Expired and All/Mine/Shared with me tabs, and the owner picker
/// (`people`: the workspace's members, id and name); plain GET forms and links, so they work
/// without JavaScript and the URL says what is shown.
#[component]
pub(super) fn ListFilters(
    q: String,
    active: Option<bool>,
    view: View,
    owner: Option<String>,
    people: Vec<(String, String)>,
) -> impl IntoView {
    let tabs = [
        ("All", None),
        ("Active", Some(true)),
        ("Expired", Some(false)),
    ]
    .map(|(label, tab)| {
        let href = list_href(&q, tab, view, owner.as_deref(), None);
        view! {
            <a href=href aria-current=(tab == active).then_some("page")>
                {label}
            </a>
        }
    });
    let whose = [
        ("Everyone's", View::All),
        ("Mine", View::Mine),
        ("Shared with me", View::Shared),
    ]
    .map(|(label, tab)| {
        let href = list_href(&q, active, tab, None, None);
        let current = tab == view && owner.is_none();
        view! {
            <a href=href aria-current=current.then_some("page")>
                {label}
            </a>
        }
    });
    view! {
        <div class="list-filters">
            <form class="list-search" method="get" action="/icps" role="search">
                <input
                    type="search"
                    name="q"
                    value=q.clone()
                    aria-label="Search your ICPs"
                    placeholder="Search names, titles, places…"
                    maxlength="200"
                />
                {active
                    .map(|active| {
                        view! { <input type="hidden" name="active" value=active.to_string() /> }
                    })}
                {view.param().map(|view| view! { <input type="hidden" name="view" value=view /> })}
                {owner
                    .clone()
                    .map(|owner| view! { <input type="hidden" name="owner" value=owner /> })}
                <button type="submit" class="button">
                    "Search"
                </button>
            </form>
            <nav class="tabs" aria-label="Show">
                {tabs}
            </nav>
            <nav class="tabs" aria-label="Whose">
                {whose}
            </nav>
            <form class="owner-filter" method="get" action="/icps">
                {(!q.is_empty())
                    .then(|| view! { <input type="hidden" name="q" value=q.clone() /> })}
                {active
                    .map(|active| {
                        view! { <input type="hidden" name="active" value=active.to_string() /> }
                    })}
                <label for="owner">"Owner"</label>
                <select id="owner" name="owner">
                    <option value="" selected=owner.is_none()>
                        "Anyone"
                    </option>
                    {people
                        .into_iter()
                        .map(|(id, name)| {
                            let chosen = owner.as_deref() == Some(id.as_str());
                            view! {
                                <option value=id selected=chosen>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="button">
                    "Show"
                </button>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_search_and_tab() {
        assert_eq!(list_href("", None, View::All, None, None), "/icps");
        assert_eq!(
            list_href(
                "München & co",
                Some(false),
                View::Shared,
                None,
                Some("12-ab")
            ),
            "/icps?q=M%C3%BCnchen%20%26%20co&active=false&view=shared&after=12-ab"
        );
        assert_eq!(
            list_href("", None, View::All, Some("user_Ab1"), None),
            "/icps?owner=user_Ab1"
        );
        assert_eq!(View::parse(Some("mine")), View::Mine);
        assert_eq!(View::parse(Some("theirs")), View::All);
        assert_eq!(tab_of(Some("true")), Some(true));
        assert_eq!(tab_of(Some("yes")), None);
    }
}
