//! Buttons that ask before or help after: a destructive action behind a second, deliberate click,
//! without JavaScript (a disclosure that says what will happen, and only its "Yes, …" button
//! posts); and a Copy button beside a secret shown once.

use leptos::prelude::*;

/// `summary` opens a box saying what happens; only `yes` posts to `action`. `about` names what it
/// acts on, for screen readers (the visible words are short). What happens is `ask` around
/// `about` (the question that names it: "Remove " Ana " from the workspace?"), or `children`.
#[component]
pub fn Confirm(
    summary: &'static str,
    yes: &'static str,
    action: String,
    about: String,
    /// The words before and after `about`.
    #[prop(optional)]
    ask: Option<(&'static str, &'static str)>,
    /// A value the form sends with it (name, value).
    #[prop(optional)]
    field: Option<(&'static str, &'static str)>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let question = ask.map(|(before, after)| format!("{before}{about}{after}"));
    view! {
        <details class="confirm">
            <summary class="button button-danger">
                {summary} <span class="visually-hidden">" " {about.clone()}</span>
            </summary>
            <form method="post" action=action class="confirm-box">
                <p>{question}{children.map(|children| children())}</p>
                {field.map(|(name, value)| view! { <input type="hidden" name=name value=value /> })}
                <button type="submit" class="button button-danger">
                    {yes}
                    <span class="visually-hidden">" " {about}</span>
                </button>
            </form>
        </details>
    }
}

/// A button that copies `text`, hidden until the page's script shows it (`copy_buttons` in
/// `lib.rs`): without JavaScript the text beside it is there to select. `label` says what it copies.
#[component]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    view! {
        <button type="button" class="button" data-copy=text aria-label=label hidden>
            "Copy"
        </button>
        <span class="copy-status" role="status"></span>
    }
}
