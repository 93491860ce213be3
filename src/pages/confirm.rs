//! A destructive action behind a second, deliberate click, without JavaScript: a disclosure that
//! says what will happen, and only its "Yes, …" button posts.

use leptos::prelude::*;

/// `summary` opens a box saying what happens (`children`); only `yes` posts to `action`.
/// `about` names what it acts on, for screen readers (the visible words are short).
#[component]
pub fn Confirm(
    summary: &'static str,
    yes: &'static str,
    action: String,
    about: String,
    children: Children,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="button button-danger">
                {summary} <span class="visually-hidden">" " {about.clone()}</span>
            </summary>
            <form method="post" action=action class="confirm-box">
                <p>{children()}</p>
                <button type="submit" class="button button-danger">
                    {yes}
                    <span class="visually-hidden">" " {about}</span>
                </button>
            </form>
        </details>
    }
}
