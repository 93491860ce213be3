//! Scoped, expiring API tokens: a read token reads and cannot change anything, an expired token
//! is refused like an unknown one, and the settings page shows each token's access, expiry and
//! last use.

use crate::common::{example, location, on_both_databases, text, Caller, Database, TestApp};
use axum::http::{Method, StatusCode};
use icp_builder::account::TokenScope;
use icp_builder::auth::{create_token_for, TokenTerms};
use icp_builder::domain::Timestamp;
use icp_builder::store::NewToken;
use serde_json::json;

on_both_databases!(
    a_read_token_reads_and_cannot_write,
    every_change_the_api_documents_is_refused_to_a_read_token,
    an_expired_token_is_refused_like_an_unknown_one,
    settings_show_access_expiry_and_last_use,
    the_settings_form_makes_scoped_expiring_tokens,
);

const ICPS: &str = "/api/v1/entities/icps";

/// Whole days from `from` to `to`, rounded (a token's row is stamped a moment after its expiry is
/// reckoned).
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.millis() - from.millis() + 43_200_000).div_euclid(86_400_000)
}

/// A read token of `caller`'s.
async fn read_token(app: &TestApp, caller: &Caller) -> String {
    let terms = TokenTerms {
        scope: TokenScope::Read,
        expires_in_days: None,
    };
    create_token_for(app.store.as_ref(), &caller.id, "reader", terms)
        .await
        .expect("create a read token")
        .1
}

/// `reply` is the 403 a read token gets for a change.
fn assert_forbidden(reply: &crate::common::Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.body["error"]["code"], "FORBIDDEN", "{what}");
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("only read"), "{what}: {message}");
}

async fn a_read_token_reads_and_cannot_write(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let icp = app.create(&ana, &example("basic-icp")).await;
    let id = icp["id"].as_str().expect("id");
    let one = format!("{ICPS}/{id}");
    let token = read_token(&app, &ana).await;
    let read = Some(token.as_str());

    let listed = app.send(Method::GET, ICPS, read, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body[0]["id"], icp["id"], "{}", listed.body);
    let got = app.send(Method::GET, &one, read, None).await;
    assert_eq!(
        (got.status, &got.body["name"]),
        (StatusCode::OK, &icp["name"])
    );
    let events = app.send(Method::GET, "/api/v1/events", read, None).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    assert!(events.body.is_array(), "{}", events.body);
    let hooks = app.send(Method::GET, "/api/v1/webhooks", read, None).await;
    assert_eq!(hooks.status, StatusCode::OK, "{}", hooks.body);
    // A dry run changes nothing: a read token may validate.
    let validate = format!("{ICPS}/validate");
    let checked = app
        .send(Method::POST, &validate, read, Some(&example("basic-icp")))
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);

    let body = example("crm-integration");
    let patch = json!({"name": "Renamed"});
    let hook = json!({"url": "https://hooks.example.com/icp"});
    for (method, uri, body, what) in [
        (Method::POST, ICPS, Some(&body), "create"),
        (Method::PATCH, one.as_str(), Some(&patch), "update"),
        (Method::DELETE, one.as_str(), None, "delete"),
        (
            Method::POST,
            "/api/v1/webhooks",
            Some(&hook),
            "webhook create",
        ),
    ] {
        assert_forbidden(&app.send(method, uri, read, body).await, what);
    }

    // Nothing changed: the ICP is as it was, alone, and no webhook was made.
    let after = app.get(&ana, &one).await;
    assert_eq!(after.body, got.body);
    assert_eq!(app.get(&ana, ICPS).await.body, listed.body);
    let hooks = app.get(&ana, "/api/v1/webhooks").await;
    assert_eq!(
        hooks.body,
        app.send(Method::GET, "/api/v1/webhooks", read, None)
            .await
            .body
    );
    // The same owner's write token still writes.
    assert_eq!(app.patch(&ana, id, &patch).await.status, StatusCode::OK);
}

/// `path` with its parameters filled in: `{id}` by `id`, any other by a made-up value that parses.
fn filled(path: &str, id: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{id}" => id.to_owned(),
            "{version}" => "1".to_owned(),
            s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_change_the_api_documents_is_refused_to_a_read_token(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let icp = app.create(&ana, &example("basic-icp")).await;
    let id = icp["id"].as_str().expect("id");
    let token = read_token(&app, &ana).await;
    let document = app.send(Method::GET, "/api/openapi.json", None, None).await;
    let paths = document.body["paths"].as_object().expect("paths");
    let mut changes = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            if method == "get" {
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let what = format!("{method} {path}");
            let reply = app
                .send(
                    method.clone(),
                    &filled(path, id),
                    Some(&token),
                    Some(&json!({})),
                )
                .await;
            let forbidden = &operation["responses"]["403"];
            if icp_builder::api::caller::READ_ONLY_POSTS.contains(&path.as_str()) {
                assert_ne!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{what}: {}",
                    reply.body
                );
                assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                continue;
            }
            changes += 1;
            assert_forbidden(&reply, &what);
            assert_eq!(
                forbidden["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{what} documents its 403"
            );
            let said = forbidden["description"].as_str().unwrap_or_default();
            assert!(said.contains("may only read"), "{what}: {said}");
        }
    }
    // ICPs (create, update, delete, restores, owner) and webhooks (create, update, delete,
    // rotate, test, redeliver) at least.
    assert!(changes >= 12, "{changes} changes documented");
    assert!(document.body["info"]["description"]
        .as_str()
        .is_some_and(|about| about.contains("read token")));
    assert_eq!(app.get(&ana, &format!("{ICPS}/{id}")).await.body, icp);
}

async fn an_expired_token_is_refused_like_an_unknown_one(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let unknown = app
        .send(Method::GET, ICPS, Some("icp_not-a-token"), None)
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    // Made past its expiry: refused from the start.
    let (token, hash) = icp_builder::auth::new_token();
    let past = Timestamp::from_millis(Timestamp::now().millis() - 1_000).unwrap();
    let expired = NewToken {
        id: uuid::Uuid::now_v7(),
        user: &ana.id,
        label: "old",
        scope: TokenScope::Write,
        expires_at: Some(past),
        token_hash: &hash,
    };
    app.store.create_token(expired).await.unwrap();
    let refused = app.send(Method::GET, ICPS, Some(&token), None).await;
    assert_eq!(
        (refused.status, &refused.body),
        (unknown.status, &unknown.body)
    );

    // Working until its expiry, also while remembered, and refused from then on.
    let (token, hash) = icp_builder::auth::new_token();
    let soon = Timestamp::from_millis(Timestamp::now().millis() + 1_500).unwrap();
    let expiring = NewToken {
        expires_at: Some(soon),
        token_hash: &hash,
        id: uuid::Uuid::now_v7(),
        ..expired
    };
    app.store.create_token(expiring).await.unwrap();
    for _ in 0..2 {
        let reply = app.send(Method::GET, ICPS, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let wait = u64::try_from(soon.millis() - Timestamp::now().millis()).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(wait + 10)).await;
    let late = app.send(Method::GET, ICPS, Some(&token), None).await;
    assert_eq!((late.status, &late.body), (unknown.status, &unknown.body));
    let listed = app.store.tokens(&ana.id).await.unwrap();
    assert!(
        listed.iter().all(|token| !token.revoked),
        "expired, not revoked"
    );
}

async fn settings_show_access_expiry_and_last_use(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let terms = TokenTerms {
        scope: TokenScope::Read,
        expires_in_days: Some(30),
    };
    let (id, token) = create_token_for(app.store.as_ref(), &ana.id, "Dashboard", terms)
        .await
        .unwrap();
    let dashboard = |tokens: Vec<icp_builder::store::ApiToken>| {
        tokens
            .into_iter()
            .find(|token| token.id == id)
            .expect("listed")
    };
    let fresh = dashboard(app.store.tokens(&ana.id).await.unwrap());
    assert_eq!(fresh.scope, TokenScope::Read);
    assert_eq!(fresh.last_used_at, None);
    let expires = fresh.expires_at.expect("expires");
    assert_eq!(days_between(fresh.created_at, expires), 30);

    let cookie = app.session_cookie(&ana).await;
    let before = app.visit("/settings", Some(&cookie)).await;
    for said in [
        "Access",
        "Expires",
        "Last used",
        "Read only",
        "Read and write",
    ] {
        assert!(text(&before).contains(said), "{said}");
    }

    // A use is noted once, and not again within the minute.
    for _ in 0..3 {
        let reply = app.send(Method::GET, ICPS, Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let used = dashboard(app.store.tokens(&ana.id).await.unwrap());
    let last_use = used.last_used_at.expect("its use is noted");
    assert!(last_use.millis() <= Timestamp::now().millis());
    assert!(last_use.millis() > Timestamp::now().millis() - 60_000);
    app.send(Method::GET, ICPS, Some(&token), None).await;
    let again = dashboard(app.store.tokens(&ana.id).await.unwrap());
    assert_eq!(
        again.last_used_at,
        Some(last_use),
        "not noted again within the minute"
    );

    let page = app.visit("/settings", Some(&cookie)).await;
    let row = text(&page)
        .split("<tr")
        .find(|row| row.contains("Dashboard"))
        .expect("the token's row");
    let date = |at: Timestamp| at.to_string()[..10].to_owned();
    assert!(row.contains("Read only"), "{row}");
    assert!(row.contains(&date(expires)), "{row}");
    assert!(row.contains(&date(last_use)), "{row}");
    assert!(row.contains("Active"), "{row}");
    // The caller's own token: write, never expiring, never used.
    let other = text(&page)
        .split("<tr")
        .find(|row| row.contains(">tests<"))
        .expect("the write token's row");
    assert!(other.contains("Read and write"), "{other}");
    assert!(other.contains("Never"), "{other}");
}

async fn the_settings_form_makes_scoped_expiring_tokens(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let cookie = app.session_cookie(&ana).await;
    let form = [("label", "Reporting"), ("scope", "read"), ("expires", "90")];
    let created = app.submit("/settings/tokens", Some(&cookie), &form).await;
    assert_eq!(
        (created.status, location(&created)),
        (StatusCode::SEE_OTHER, "/settings")
    );
    let made = app.store.tokens(&ana.id).await.unwrap();
    let made = made.iter().find(|t| t.label == "Reporting").expect("made");
    assert_eq!(made.scope, TokenScope::Read);
    let expires = made.expires_at.expect("expires");
    assert_eq!(days_between(made.created_at, expires), 90);

    // Defaults: write, never expires.
    app.submit("/settings/tokens", Some(&cookie), &[("label", "Plain")])
        .await;
    let plain = app.store.tokens(&ana.id).await.unwrap();
    let plain = plain.iter().find(|t| t.label == "Plain").expect("made");
    assert_eq!((plain.scope, plain.expires_at), (TokenScope::Write, None));

    // Choices the form does not offer are sent back, keeping the label.
    for (scope, expires) in [("admin", "never"), ("read", "7")] {
        let fields = [("label", "Odd"), ("scope", scope), ("expires", expires)];
        let refused = app.submit("/settings/tokens", Some(&cookie), &fields).await;
        assert_eq!(
            location(&refused),
            "/settings?error=token-choice&label=Odd",
            "{scope} {expires}"
        );
        let page = app.visit(location(&refused), Some(&cookie)).await;
        assert!(text(&page).contains("Choose the token"));
    }
    assert_eq!(app.store.tokens(&ana.id).await.unwrap().len(), 3);
}
