//! icp-builder: define Ideal Customer Profiles in the browser and through a JSON API.
//!
//! Modules import one way, down this list (`tests/it/module_graph.rs` keeps it so):
//! `main`/`server` → `serve`, `forms` → `app` → `pages` → `builder` → `page_error` → `api`… see
//! README "Layout".
#![recursion_limit = "256"]

pub mod account;
pub mod app;
pub mod builder;
pub mod domain;
pub mod page_error;
pub mod pages;

// Server-only modules: each says so itself (`#![cfg(feature = "ssr")]`), so the WASM build sees
// them empty. The store is gated here.
pub mod api;
pub mod auth;
pub mod forms;
pub mod headers;
pub mod icps;
pub mod mail;
pub mod request_body;
pub mod request_labels;
pub mod server;
pub mod sign_ups;
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod vocabularies;
pub mod webhooks;
pub mod workspaces;

/// Entry point of the WASM bundle. Pages are HTML from the server; the islands in them (the
/// builder) are hydrated next by Leptos's island script, and mark the page interactive themselves.
/// A page without one is marked here: it is as interactive as it will be.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    local_times();
    copy_buttons();
    if let Ok(None) = leptos::prelude::document().query_selector("leptos-island") {
        mark_hydrated();
    }
}

/// Copy buttons (`<button data-copy="…" hidden>` then a `role="status"` element): shown once the
/// script runs, and each copies its text, saying so in the status beside it.
#[cfg(feature = "hydrate")]
fn copy_buttons() {
    use wasm_bindgen::{closure::Closure, JsCast};
    for button in elements::<web_sys::HtmlElement>("button[data-copy]") {
        button.set_hidden(false);
        let text = button.get_attribute("data-copy").unwrap_or_default();
        let status = button.next_element_sibling();
        let on_click = Closure::<dyn Fn()>::new(move || {
            let promise = leptos::prelude::window()
                .navigator()
                .clipboard()
                .write_text(&text);
            let status = status.clone();
            leptos::task::spawn_local(async move {
                let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                if let Some(status) = status {
                    status.set_text_content(Some(if done {
                        "Copied"
                    } else {
                        "Copy failed: select the text and copy it"
                    }));
                }
            });
        });
        let _ = button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        on_click.forget();
    }
}

/// Each `<time>`'s exact instant on hover in the viewer's time zone and language (the server
/// writes it in UTC: it knows neither).
#[cfg(feature = "hydrate")]
fn local_times() {
    use wasm_bindgen::JsValue;
    let language = leptos::prelude::window()
        .navigator()
        .language()
        .unwrap_or_else(|| "en".to_owned());
    for time in elements::<web_sys::Element>("time[datetime][title]") {
        if let Some(at) = time.get_attribute("datetime") {
            let date = js_sys::Date::new(&JsValue::from(at));
            if !date.get_time().is_nan() {
                let local = date.to_locale_string(&language, &JsValue::UNDEFINED);
                let _ = time.set_attribute("title", &String::from(local));
            }
        }
    }
}

/// The page's elements that `selector` matches (none when it is not a valid selector).
#[cfg(feature = "hydrate")]
fn elements<T: wasm_bindgen::JsCast>(selector: &str) -> impl Iterator<Item = T> {
    use wasm_bindgen::JsCast;
    let found = leptos::prelude::document()
        .query_selector_all(selector)
        .ok();
    let count = found.as_ref().map_or(0, web_sys::NodeList::length);
    (0..count).filter_map(move |i| found.as_ref()?.item(i)?.dyn_into::<T>().ok())
}

/// Marks the page as interactive (`body[data-hydrated]`), so tests (and people) know when clicks
/// will be handled.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

/// An error and its causes, for the log: `outer: inner: innermost` (a cause that its error's text
/// already ends with is said once).
#[cfg(feature = "ssr")]
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}
