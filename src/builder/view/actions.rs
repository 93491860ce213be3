//! How the builder's form is saved: its Save buttons; Enter in a single-line field, which never
//! saves; and "This ICP targets everyone", what a save says once before it stores an ICP whose
//! lead sources have no filter at all: save anyway, or go back to the first lead source.

use super::summary::FocusAlert;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

/// The Save button; the form has one above and one below its sections.
#[component]
pub(super) fn SaveButton(saving: RwSignal<bool>, label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="button button-primary" disabled=move || saving.get()>
            {move || if saving.get() { "Saving…" } else { label }}
        </button>
    }
}

/// Enter in a single-line field never saves (the browser's implicit submission): a slip while
/// typing a name or a number must not create the ICP; saving is its buttons' job.
pub(super) fn enter_never_saves(ev: KeyboardEvent) {
    if ev.key() == "Enter" && event_target::<web_sys::Element>(&ev).tag_name() == "INPUT" {
        ev.prevent_default();
    }
}

/// The warning, hidden until a save finds the ICP targets everyone.
#[component]
pub(super) fn EveryoneWarning(
    warned: RwSignal<bool>,
    warning_ref: NodeRef<html::Div>,
) -> impl IntoView {
    let hidden = Signal::derive(move || !warned.get());
    view! {
        <FocusAlert class="alert alert-warning" focus=warning_ref hidden>
            <p>
                "No lead source has a filter: this ICP targets everyone, everywhere. Add job titles, countries or a company size, or save it as it is."
            </p>
            <button type="submit" class="button">
                "Save anyway"
            </button>
            " "
            <button
                type="button"
                class="button button-quiet"
                on:click=move |_| {
                    warned.set(false);
                    if let Some(field) = document()
                        .query_selector("li.row input[type=text]")
                        .ok()
                        .flatten()
                        .and_then(|e| {
                            leptos::wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()
                        })
                    {
                        let _ = field.focus();
                    }
                }
            >
                "Go back and add filters"
            </button>
        </FocusAlert>
    }
}

/// Once anything was changed (`dirty`), leaving the page asks first (the browser's own "Leave
/// site?"), unless a save is under way. The returned function removes the question: a save calls
/// it before it leaves for the saved ICP, so nothing can stop that navigation. In the browser only:
/// the listener's handle may not leave its thread, and a server render has no window.
#[cfg(not(feature = "hydrate"))]
pub(super) fn ask_before_leaving(
    _dirty: StoredValue<bool>,
    _saving: RwSignal<bool>,
) -> impl Fn() + Copy + 'static {
    || {}
}

#[cfg(feature = "hydrate")]
pub(super) fn ask_before_leaving(
    dirty: StoredValue<bool>,
    saving: RwSignal<bool>,
) -> impl Fn() + Copy + 'static {
    let asks = StoredValue::new_local(Some(window_event_listener(
        leptos::ev::beforeunload,
        move |ev| {
            if dirty.try_get_value() == Some(true) && saving.try_get_untracked() == Some(false) {
                ev.prevent_default();
                ev.set_return_value("");
            }
        },
    )));
    let stop_asking = move || {
        if let Some(Some(handle)) = asks.try_update_value(Option::take) {
            handle.remove();
        }
    };
    on_cleanup(stop_asking);
    stop_asking
}
