//! Security headers: every response says `nosniff`, keeps its referrer to this site and may not be
//! framed; an app page carries a Content-Security-Policy that admits the app's own script and WASM
//! and, inline, only the scripts Leptos marks with that response's nonce.
#![cfg(feature = "ssr")]

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

/// The policy of a page whose inline scripts carry `nonce`. The WASM module needs
/// `'wasm-unsafe-eval'` to be compiled; nothing else is inline (no `style` attributes, no handlers).
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Plain pages made without Leptos (the no-JavaScript forms' answers): the app's stylesheet,
/// nothing else.
pub const STYLED_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Responses that are not app pages (JSON, static files, plain error pages) load nothing.
const LOCKED_POLICY: &str =
    "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A year, as browsers expect for HSTS.
const HSTS: &str = "max-age=31536000";

/// Called while rendering a page (inside its Leptos context): sets the page's policy with the nonce
/// leptos_axum made for this response.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Adds the headers every response carries; keeps a page's own policy. `https` adds HSTS.
pub fn add_security_headers(headers: &mut HeaderMap, https: bool) {
    let fixed: [(HeaderName, &'static str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_POLICY),
        );
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
}

/// The layer's body: `add_security_headers` on a finished response.
pub fn with_security_headers(mut response: Response, https: bool) -> Response {
    add_security_headers(response.headers_mut(), https);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_keep_their_policy_and_others_are_locked() {
        let mut page = HeaderMap::new();
        page.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&page_policy("abc")).unwrap(),
        );
        add_security_headers(&mut page, false);
        let policy = page[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!page.contains_key(header::STRICT_TRANSPORT_SECURITY));

        let mut json = HeaderMap::new();
        add_security_headers(&mut json, true);
        assert_eq!(json[header::CONTENT_SECURITY_POLICY], LOCKED_POLICY);
        assert_eq!(json[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(json[header::REFERRER_POLICY], "same-origin");
        assert_eq!(json[header::STRICT_TRANSPORT_SECURITY], HSTS);
    }
}
