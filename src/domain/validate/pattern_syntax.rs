//! Whether a `matchFieldWithRegex` pattern is ECMAScript syntax: `regress` on the server, the
//! browser's own `RegExp` in the WASM bundle (compiling `regress` into the bundle cost ~60 KB of
//! code and its Unicode tables).
//!
//! Both take the pattern with no flags. They agree on everything the validator tests cover and on
//! Annex B syntax (`a{`, `]`, `\c`, `\8`, lookbehind, named groups); where they differ (quantified
//! `\b`/`\B`, an astral-character range without the `u` flag, duplicate group names in different
//! alternatives, and anything a browser is too old to know) the server's answer is the one that
//! counts: it validates again on save.

/// Why `pattern` is not an ECMAScript regular expression, or `None` when it is one.
#[cfg(feature = "ssr")]
pub(super) fn syntax_error(pattern: &str) -> Option<String> {
    regress::Regex::new(pattern)
        .err()
        .map(|error| format!("Invalid regular expression: {error}"))
}

/// Why `pattern` is not an ECMAScript regular expression, or `None` when it is one.
#[cfg(not(feature = "ssr"))]
pub(super) fn syntax_error(pattern: &str) -> Option<String> {
    browser::syntax_error(pattern)
}

#[cfg(not(feature = "ssr"))]
mod browser {
    use js_sys::wasm_bindgen::{prelude::*, JsCast};

    #[wasm_bindgen(wasm_bindgen = js_sys::wasm_bindgen)]
    extern "C" {
        #[wasm_bindgen(js_name = RegExp)]
        type Pattern;

        /// `new RegExp(pattern)`; its `SyntaxError` comes back as `Err` (`catch`) instead of
        /// unwinding through the WASM frames.
        #[wasm_bindgen(constructor, js_class = "RegExp", catch)]
        fn new(pattern: &str) -> Result<Pattern, JsValue>;
    }

    pub(super) fn syntax_error(pattern: &str) -> Option<String> {
        let thrown = Pattern::new(pattern).err()?;
        let message = thrown
            .dyn_ref::<js_sys::Error>()
            .map(|error| String::from(error.message()))
            .unwrap_or_default();
        // Chromium's message already starts with the prefix ("Invalid regular expression: /(/:
        // Unterminated group"); Firefox's and Safari's do not.
        Some(if message.starts_with("Invalid regular expression") {
            message
        } else if message.is_empty() {
            "Invalid regular expression".to_owned()
        } else {
            format!("Invalid regular expression: {message}")
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::syntax_error;

    /// Where `regress` and Chromium 156's `RegExp` (no flags) disagree, measured over ~100 patterns
    /// (Annex B escapes, braces, backreferences, lookarounds, named groups, classes, modifiers).
    /// Pinned so that a `regress` upgrade that moves one of them shows up here; the README names
    /// them too.
    #[test]
    fn the_known_disagreements_with_the_browser_hold() {
        // Chromium refuses these ("Nothing to repeat", "Range out of order in character class").
        for accepted_only_here in [r"\b*", r"\B+", "[😀-😂]"] {
            assert_eq!(
                syntax_error(accepted_only_here),
                None,
                "{accepted_only_here}"
            );
        }
        // Chromium accepts duplicate group names in different alternatives (ES2025).
        assert!(syntax_error("(?<a>x)|(?<a>y)").is_some());
        // And they agree on the rest, e.g. Annex B and modifiers.
        for both in ["a{", "]", r"\c", r"\8", "(?<=a)b", "(?i:a)", r"\k"] {
            assert_eq!(syntax_error(both), None, "{both}");
        }
        for neither in ["(", "[b-a]", "a**", r"\", "(?<a>x)(?<a>y)"] {
            assert!(syntax_error(neither).is_some(), "{neither}");
        }
    }
}
