//! Security headers through the real router: pages carry a CSP whose nonce is the one on their
//! inline scripts; everything else is locked down; every response says nosniff and same-origin.

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::{browser, minimal, text, Database, Reply, TestApp};

on_both_databases!(
    a_page_allows_only_its_own_nonce_marked_scripts,
    json_and_error_answers_load_nothing_and_cannot_be_framed,
    pages_are_compressed_for_browsers_that_accept_it_api_answers_are_not,
);

fn header_text(reply: &Reply, name: header::HeaderName) -> &str {
    reply
        .headers
        .get(&name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn assert_common_headers(reply: &Reply) {
    assert_eq!(
        header_text(reply, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    assert_eq!(header_text(reply, header::REFERRER_POLICY), "same-origin");
    assert_eq!(header_text(reply, header::X_FRAME_OPTIONS), "DENY");
    assert!(header_text(reply, header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"));
    // Only when PUBLIC_URL is https.
    assert!(!reply
        .headers
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
}

async fn a_page_allows_only_its_own_nonce_marked_scripts(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let mut nonces = Vec::new();
    for page in ["/icps/new", "/icps", "/settings", "/no-such-page"] {
        let reply = app.browser(&cookie, Method::GET, page, None).await;
        assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::NOT_FOUND,
            "{page}: {}",
            reply.status
        );
        assert_common_headers(&reply);
        let policy = header_text(&reply, header::CONTENT_SECURITY_POLICY);
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{page}: no nonce in {policy}"));
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        // Every inline script of the page carries the header's nonce; none goes without.
        let html = text(&reply);
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{page}: the hydration script is missing");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{page}: a script without this response's nonce"
        );
        nonces.push(nonce.to_owned());
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "each response gets a fresh nonce");
}

async fn json_and_error_answers_load_nothing_and_cannot_be_framed(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.post(&me, &minimal("Headers")).await;
    let unauthorised = app
        .send(Method::GET, "/api/v1/entities/icps", None, None)
        .await;
    let invalid = app.post(&me, &serde_json::json!({})).await;
    for reply in [created, unauthorised, invalid] {
        assert_common_headers(&reply);
        assert!(
            header_text(&reply, header::CONTENT_SECURITY_POLICY).starts_with("default-src 'none'")
        );
    }
}

async fn pages_are_compressed_for_browsers_that_accept_it_api_answers_are_not(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let page = |encodings: Option<&str>| {
        let request = browser(Method::GET, "/sign-in", None);
        let request = match encodings {
            Some(accepted) => request.header(header::ACCEPT_ENCODING, accepted),
            None => request,
        };
        app.raw(request.body(Body::empty()).unwrap())
    };

    let compressed = page(Some("gzip, br")).await;
    assert_eq!(compressed.status, StatusCode::OK);
    let encoding = header_text(&compressed, header::CONTENT_ENCODING);
    assert!(encoding == "br" || encoding == "gzip", "{encoding}");
    assert!(header_text(&compressed, header::VARY).contains("accept-encoding"));
    assert!(
        !text(&compressed).contains("<html"),
        "the body is compressed"
    );
    let gzipped = page(Some("gzip")).await;
    assert_eq!(header_text(&gzipped, header::CONTENT_ENCODING), "gzip");

    let plain = page(None).await;
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
    assert!(text(&plain).contains("<html"));

    // JSON answers stay as they are, whatever the client accepts (integrations read them raw).
    let api = app
        .raw(
            axum::http::Request::get("/api/v1/entities/icps")
                .header(header::AUTHORIZATION, format!("Bearer {}", me.token))
                .header(header::ACCEPT_ENCODING, "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(!api.headers.contains_key(header::CONTENT_ENCODING));
    assert!(api.body.is_array());
}
