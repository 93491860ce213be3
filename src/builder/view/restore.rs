//! Back to a builder brings back what was typed, rows and tags included. The browser restores the
//! fields the server rendered, but not rows and tags added on the page: so the form's fields are
//! kept in the page's own history entry (`history.state`) each time the form is checked, and a
//! builder opened again from that entry (Back, or a reload) draws its rows from them. A save
//! forgets them, so the saved builder opens afresh.

use crate::builder::form::Pairs;

/// Keeps `pairs` in the current history entry, as an array of `[name, value]` arrays (the
/// browser's own structured clone: no JSON code in the bundle for it).
pub(super) fn remember(pairs: &Pairs) {
    #[cfg(feature = "hydrate")]
    if let Ok(history) = window().history() {
        let kept: js_sys::Array = pairs
            .iter()
            .map(|(name, value)| js_sys::Array::of2(&name.into(), &value.into()))
            .collect();
        let _ = history.replace_state(&kept, "");
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = pairs;
}

/// Forgets what `remember` kept.
pub(super) fn forget() {
    #[cfg(feature = "hydrate")]
    if let Ok(history) = window().history() {
        let _ = history.replace_state(&wasm_bindgen::JsValue::NULL, "");
    }
}

/// What the history entry kept, when it is not what the server rendered.
#[cfg(feature = "hydrate")]
pub(super) fn remembered(rendered: &Pairs) -> Option<Pairs> {
    use wasm_bindgen::JsCast;
    let kept: js_sys::Array = window().history().ok()?.state().ok()?.dyn_into().ok()?;
    let pairs = kept
        .iter()
        .map(|pair| {
            let pair: js_sys::Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect::<Option<Pairs>>()?;
    (pairs != *rendered).then_some(pairs)
}

#[cfg(feature = "hydrate")]
fn window() -> web_sys::Window {
    leptos::prelude::window()
}
