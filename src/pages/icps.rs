//! ICP pages: the list, one ICP, and the builder for new and existing ICPs.

use leptos::prelude::*;

#[component]
pub fn IcpList() -> impl IntoView {
    view! { <h1>"Your ICPs"</h1> }
}

#[component]
pub fn NewIcp() -> impl IntoView {
    view! { <h1>"New ICP"</h1> }
}

#[component]
pub fn IcpDetail() -> impl IntoView {
    view! { <h1>"ICP"</h1> }
}

#[component]
pub fn EditIcp() -> impl IntoView {
    view! { <h1>"Edit ICP"</h1> }
}
