//! Where errors are shown beyond their field: the summary above the form, and a section's own
//! errors (those without a field, e.g. too many rows).

use super::use_builder;
use crate::builder::form::{FormError, Section};
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use std::time::Duration;

/// Moves focus to the error summary once it is shown (it is hidden until the DOM catches up).
pub(super) fn focus_summary(summary_ref: NodeRef<html::Div>) {
    set_timeout(
        move || {
            if let Some(summary) = summary_ref.try_get_untracked().flatten() {
                let _ = summary.focus();
            }
        },
        Duration::ZERO,
    );
}

/// Focuses the field a summary link points at (the router would only scroll to it).
/// The link still updates the address (the router handles it); focus follows right after.
fn focus_field(field: String) {
    set_timeout(
        move || {
            if let Some(element) = document().get_element_by_id(&field) {
                element.scroll_into_view();
                if let Ok(input) = element.dyn_into::<web_sys::HtmlElement>() {
                    let _ = input.focus();
                }
            }
        },
        Duration::ZERO,
    );
}

fn problems(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => "1 problem to fix".to_owned(),
        n => format!("{n} problems to fix"),
    }
}

/// One line of the summary: a link to the error's field when it has one.
fn summary_item(error: FormError) -> AnyView {
    let text = format!("{}: {}", error.place, error.message);
    match error.field {
        Some(field) => {
            let href = format!("#{field}");
            let on_click = move |_| focus_field(field.clone());
            view! {
                <li>
                    <a href=href on:click=on_click>
                        {text}
                    </a>
                </li>
            }
            .into_any()
        }
        None => view! { <li>{text}</li> }.into_any(),
    }
}

#[component]
pub(super) fn ErrorSummary(
    errors: RwSignal<Vec<FormError>>,
    summary_ref: NodeRef<html::Div>,
) -> impl IntoView {
    let hidden = Signal::derive(move || errors.with(Vec::is_empty));
    view! {
        <FocusAlert class="alert alert-error error-summary" focus=summary_ref hidden>
            <h2>{move || problems(errors.with(Vec::len))}</h2>
            <ul>{move || errors.get().into_iter().map(summary_item).collect_view()}</ul>
        </FocusAlert>
    }
}

/// An alert the builder moves the focus to (`focus`) when it shows it, hidden while `hidden`.
#[component]
pub(super) fn FocusAlert(
    class: &'static str,
    focus: NodeRef<html::Div>,
    hidden: Signal<bool>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class=class tabindex="-1" node_ref=focus role="alert" hidden=hidden>
            {children()}
        </div>
    }
}

/// The errors that belong to a whole section rather than a field (e.g. too many rows).
#[component]
pub(super) fn SectionError(section: Section) -> impl IntoView {
    let errors = use_builder().errors;
    let message = move || {
        errors.with(|all| {
            all.iter()
                .filter(|e| e.field.is_none() && e.section == Some(section))
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! {
        <p class="field-error" hidden=move || message().is_empty()>
            {message}
        </p>
    }
}

/// An error at a row's hidden `type` (e.g. a second limit filter of one kind).
#[component]
pub(super) fn SectionErrorFor(field: String) -> impl IntoView {
    let error = use_builder().error(&field);
    view! {
        <p
            class="field-error"
            id=format!("{field}-error")
            hidden=move || error.with(Option::is_none)
        >
            {move || error.get()}
        </p>
    }
}
