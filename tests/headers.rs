//! Security headers through the real router: pages carry a CSP whose nonce is the one on their
//! inline scripts; everything else is locked down; every response says nosniff and same-origin.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{minimal, text, Database, Reply, TestApp};

on_both_databases!(
    a_page_allows_only_its_own_nonce_marked_scripts,
    json_and_error_answers_load_nothing_and_cannot_be_framed,
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
