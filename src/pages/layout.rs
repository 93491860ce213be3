//! Blocks the ICP and settings pages are built of: a titled panel, and a table of things listed
//! with an action each (tokens, members, invitations).

use leptos::prelude::*;

/// A table with a hidden `caption`, a header per name in `columns` and a last column of actions
/// (named for screen readers only); `children` are its rows.
#[component]
pub fn ActionTable(
    caption: &'static str,
    columns: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <table class="table">
            <caption class="visually-hidden">{caption}</caption>
            <thead>
                <tr>
                    {columns
                        .iter()
                        .map(|column| view! { <th scope="col">{*column}</th> })
                        .collect_view()} <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{children()}</tbody>
        </table>
    }
}

/// A panel of the page: a section titled `title`, named by its heading (`id`).
#[component]
pub fn Panel(id: &'static str, #[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {children()}
        </section>
    }
}
