//! Security headers through the real router: pages carry a CSP whose nonce is the one on their
//! inline scripts; everything else is locked down; every response says nosniff and same-origin.
//! And caching: the hashed bundle is immutable, served precompressed; the rest is revalidated.

use crate::common::{browser, minimal, on_both_databases, text, Database, Reply, TestApp};
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use std::fs;

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

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site as `cargo leptos build --release` leaves it with `hash-files` (names carrying the
/// content's hash), plus the compressed copies `scripts/serve.sh` makes and an unhashed file
/// (wasm-bindgen's snippets are never renamed).
fn hashed_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("site root");
    let pkg = site.path().join("pkg");
    fs::create_dir_all(pkg.join("snippets")).expect("pkg dir");
    let write = |name: &str, bytes: &[u8]| fs::write(pkg.join(name), bytes).expect("write");
    write("icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.wasm", b"\0asm raw");
    write(
        "icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.wasm.br",
        b"brotli bytes",
    );
    write("icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.wasm.gz", b"gzip bytes");
    write(
        "icp-builder.AbCdEfGhIjKlMnOpQrStUv.js",
        b"export default 1;",
    );
    write("icp-builder.AbCdEfGhIjKlMnOpQrStUv.js.gz", b"gzip bytes");
    write("snippets/inline0.js", b"export const x = 1;");
    site
}

fn cache_control(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn the_hashed_bundle_is_cached_immutably_and_served_precompressed_the_rest_revalidated() {
    let site = hashed_site();
    let app = TestApp::start_with_site(Database::sqlite(), site.path()).await;
    let get = |path: &str, encodings: Option<&str>| {
        let request = axum::http::Request::get(path);
        let request = match encodings {
            Some(accepted) => request.header(header::ACCEPT_ENCODING, accepted),
            None => request,
        };
        app.raw(request.body(Body::empty()).unwrap())
    };

    let wasm = get(
        "/pkg/icp-builder.Xq3_bT-9kLmNoPqRsTuVwA.wasm",
        Some("gzip, br"),
    )
    .await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(cache_control(&wasm), Some(IMMUTABLE));
    assert_eq!(header_text(&wasm, header::CONTENT_ENCODING), "br");
    assert_eq!(header_text(&wasm, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(text(&wasm), "brotli bytes");
    assert_common_headers(&wasm);

    let js = get("/pkg/icp-builder.AbCdEfGhIjKlMnOpQrStUv.js", Some("gzip")).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(cache_control(&js), Some(IMMUTABLE));
    assert_eq!(header_text(&js, header::CONTENT_ENCODING), "gzip");
    // Not recompressed on the fly (only pages are): the copy made ahead of time, as it is.
    assert_eq!(text(&js), "gzip bytes");
    let plain = get("/pkg/icp-builder.AbCdEfGhIjKlMnOpQrStUv.js", None).await;
    assert!(!plain.headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(text(&plain), "export default 1;");
    assert_eq!(cache_control(&plain), Some(IMMUTABLE));

    // An unchanged copy is still answered with a 304 by a browser that asks.
    let again = app
        .raw(
            axum::http::Request::get("/pkg/icp-builder.AbCdEfGhIjKlMnOpQrStUv.js")
                .header(
                    header::IF_MODIFIED_SINCE,
                    header_text(&js, header::LAST_MODIFIED),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(cache_control(&again), Some(IMMUTABLE));

    // Unhashed names can change content between builds: revalidated on every use.
    let snippet = get("/pkg/snippets/inline0.js", Some("gzip, br")).await;
    assert_eq!(snippet.status, StatusCode::OK);
    assert_eq!(cache_control(&snippet), Some("no-cache"));
    // A hashed name that is not there is not cached at all, so a later build can supply it.
    let missing = get("/pkg/icp-builder.ZZZZZZZZZZZZZZZZZZZZZZ.wasm", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(cache_control(&missing), Some("no-cache"));

    // Pages: compressed on the fly, never cached.
    let page = get("/sign-in", Some("gzip, br")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.contains_key(header::CONTENT_ENCODING));
    let page_cache = cache_control(&page).unwrap_or_default();
    assert!(
        !page_cache.contains("max-age") && !page_cache.contains("immutable"),
        "{page_cache}"
    );
}
