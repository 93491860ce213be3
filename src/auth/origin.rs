//! The same-origin check: a cookie-authenticated write must come from one of our own pages.
//!
//! The session cookie is `SameSite=Lax`, which already keeps it off most cross-site posts; this check
//! is the second lock. Bearer calls to the JSON API are exempt (a browser never adds an
//! `Authorization` header on its own, and `AuthUser` ignores the cookie when that header is
//! present); everywhere else (forms, server functions, settings, sign-in) only the cookie
//! authenticates, so an `Authorization` header there exempts nothing. Requests without the cookie
//! pass, so an anonymous API call still gets its 401 — unless their `Origin` is foreign, which stops
//! a foreign page from signing a visitor in to the attacker's account (login CSRF).

use super::session::COOKIE_NAME;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

/// What a refused request is told.
pub const REFUSED: &str = "Cross-site request refused";

/// Whether `request` may go on: false for an unsafe cross-site request that carries the session
/// cookie (or, without it, names a foreign `Origin`). `public_url` is `PUBLIC_URL`, if set.
pub fn allows(request: &Request, public_url: Option<&Url>) -> bool {
    let method = request.method();
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || is_bearer_call(request) {
        return true;
    }
    let site = our_origin(public_url, request);
    let headers = request.headers();
    let origin = header_text(headers, header::ORIGIN);
    let allowed = if has_session_cookie(headers) {
        origin
            .or_else(|| header_text(headers, header::REFERER))
            .is_some_and(|source| same_site(source, site.as_ref()))
    } else {
        origin.is_none_or(|source| same_site(source, site.as_ref()))
    };
    if !allowed {
        tracing::warn!(
            origin = origin.unwrap_or("-"),
            path = %without_secrets(request.uri().path()),
            "cross-site request refused"
        );
    }
    allowed
}

/// A path fit for the log: an invitation link's token (`/invite/inv_…`) is left out.
fn without_secrets(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with("inv_") {
                "inv_…"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A call to the JSON API with an `Authorization` header: `AuthUser` authenticates it by that
/// header alone (a bad one is a 401), never by the cookie.
fn is_bearer_call(request: &Request) -> bool {
    request.uri().path().starts_with("/api/")
        && request.headers().contains_key(header::AUTHORIZATION)
}

/// Where this site is: `PUBLIC_URL` when set, else the host the request was sent to, over http.
fn our_origin(public_url: Option<&Url>, request: &Request) -> Option<Url> {
    if let Some(url) = public_url {
        return Some(url.clone());
    }
    let host = header_text(request.headers(), header::HOST).or_else(|| {
        request
            .uri()
            .authority()
            .map(|authority| authority.as_str())
    })?;
    Url::parse(&format!("http://{host}")).ok()
}

/// Same scheme, host and port. `Origin: null` (sandboxed frames, cross-site redirects) is foreign.
fn same_site(source: &str, site: Option<&Url>) -> bool {
    match (Url::parse(source), site) {
        (Ok(source), Some(site)) => source.origin() == site.origin() && source.origin().is_tuple(),
        _ => false,
    }
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|pair| pair.trim().split('=').next() == Some(COOKIE_NAME))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The page a refused form post gets (the JSON API answers with its own error body).
pub fn refusal_page() -> Response {
    const MESSAGE: &str = REFUSED;
    let page = Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{MESSAGE}</title></head>\
         <body><main><h1>{MESSAGE}</h1><p>This form was sent from another site, so it was not \
         accepted. <a href=\"/icps\">Go back to ICP Builder</a> and try again from there.</p>\
         </main></body></html>"
    ));
    (StatusCode::FORBIDDEN, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_on_scheme_host_and_port() {
        let site = Url::parse("https://icp.example.com").ok();
        assert!(same_site("https://icp.example.com", site.as_ref()));
        assert!(same_site("https://icp.example.com:443", site.as_ref()));
        assert!(same_site(
            "https://icp.example.com/settings?x=1",
            site.as_ref()
        ));
        assert!(!same_site("http://icp.example.com", site.as_ref()));
        assert!(!same_site("https://icp.example.com:8443", site.as_ref()));
        assert!(!same_site("https://evil.example.com", site.as_ref()));
        assert!(!same_site("null", site.as_ref()));
        assert!(!same_site("https://icp.example.com", None));
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; icp_session=xyz".parse().unwrap());
        assert!(has_session_cookie(&headers));
        headers.insert(header::COOKIE, "icp_session_old=1".parse().unwrap());
        assert!(!has_session_cookie(&headers));
    }

    #[test]
    fn invitation_tokens_stay_out_of_the_log() {
        assert_eq!(
            without_secrets("/invite/inv_Secret123/accept"),
            "/invite/inv_…/accept"
        );
        assert_eq!(without_secrets("/forms/icps"), "/forms/icps");
    }
}
