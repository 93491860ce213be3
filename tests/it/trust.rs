//! What integrations rely on to run unattended, on SQLite and Postgres: `Idempotency-Key` on
//! creates (replay, a retry while the first runs, another body → 422, expiry, a crashed first
//! request) and the list's filters (`q`, `active`, `sharedWith`) with the cursor.

use crate::common::{details, minimal, on_both_databases, Caller, Database, Reply, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use icp_builder::domain::Timestamp;
use icp_builder::icps::idempotent::{request_hash, IN_FLIGHT_WAIT};
use icp_builder::store::{Claim, KeyUse, UserKey};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

on_both_databases!(
    a_retried_create_answers_the_first_response_and_creates_once,
    concurrent_retries_with_one_key_create_one_icp,
    a_retry_waits_for_the_request_holding_its_key,
    keys_expire_and_a_crashed_first_request_is_recovered,
    the_list_is_filtered_by_words_status_and_member_across_pages,
);

const ICPS: &str = "/api/v1/entities/icps";

impl TestApp {
    async fn post_with_key(&self, caller: &Caller, key: &str, body: &Value) -> Reply {
        self.raw(
            Request::builder()
                .method(Method::POST)
                .uri(ICPS)
                .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", key)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn count(&self, caller: &Caller) -> usize {
        let reply = self.get(caller, &format!("{ICPS}?limit=100")).await;
        reply.body.as_array().unwrap().len()
    }
}

fn replayed(reply: &Reply) -> bool {
    reply.headers.get("idempotent-replayed").is_some()
}

async fn a_retried_create_answers_the_first_response_and_creates_once(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let body = minimal("Retried");
    let first = app.post_with_key(&ana, "order-42", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!replayed(&first));
    let again = app.post_with_key(&ana, "order-42", &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(replayed(&again));
    assert_eq!(
        again.body, first.body,
        "the same body, byte for byte as JSON"
    );
    for name in [header::LOCATION, header::ETAG] {
        assert_eq!(again.headers[&name], first.headers[&name], "{name}");
    }
    assert_eq!(app.count(&ana).await, 1, "created once");

    // Another body under the same key is refused, with the error body.
    let other = app.post_with_key(&ana, "order-42", &minimal("Other")).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        other.body,
        json!({"error": {"code": "UNPROCESSABLE_ENTITY", "message": "Idempotency-Key 'order-42' was already used with a different request body; use a new key for a different request"}})
    );

    // Keys are per user: another user's same key creates their own.
    let ben = app.caller("ben").await;
    let bens = app.post_with_key(&ben, "order-42", &body).await;
    assert_eq!(bens.status, StatusCode::CREATED);
    assert!(!replayed(&bens));
    assert_ne!(bens.body["id"], first.body["id"]);

    // A refused create frees its key: the corrected body may use it.
    let invalid = app
        .post_with_key(&ana, "fix-me", &json!({"name": ""}))
        .await;
    assert!(!details(&invalid).is_empty());
    let fixed = app.post_with_key(&ana, "fix-me", &minimal("Fixed")).await;
    assert_eq!(fixed.status, StatusCode::CREATED);
    assert!(!replayed(&fixed));

    // A malformed key is a 400 and creates nothing.
    let long = "k".repeat(256);
    let bad = app.post_with_key(&ana, &long, &body).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "BAD_REQUEST");
    assert_eq!(app.count(&ana).await, 2);
}

async fn concurrent_retries_with_one_key_create_one_icp(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let body = minimal("Raced");
    let replies =
        futures_util::future::join_all((0..8).map(|_| app.post_with_key(&ana, "sync-7", &body)))
            .await;
    let ids: Vec<&Value> = replies.iter().map(|reply| &reply.body["id"]).collect();
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(replies.iter().filter(|reply| !replayed(reply)).count(), 1);
    assert_eq!(app.count(&ana).await, 1);
}

/// Holds `key` for `caller` as a request with `body` would, claimed at `at`.
async fn hold(app: &TestApp, caller: &Caller, key: &str, body: &Value, at: Timestamp, id: Uuid) {
    let held = KeyUse {
        request_hash: request_hash(body),
        icp_id: id,
        claimed_at: at,
        response: None,
    };
    let long_ago = Timestamp(at.0 - chrono::Duration::days(2));
    let claim = app
        .store
        .claim_key(
            UserKey {
                user: &caller.id,
                key,
            },
            &held,
            long_ago,
        )
        .await
        .unwrap();
    assert_eq!(claim, Claim::Claimed);
}

async fn a_retry_waits_for_the_request_holding_its_key(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let body = minimal("Slow");
    let now = Timestamp::now();
    hold(&app, &ana, "slow-1", &body, now, Uuid::now_v7()).await;

    // The holder never finishes within the wait: 409, nothing created.
    let started = std::time::Instant::now();
    let busy = app.post_with_key(&ana, "slow-1", &body).await;
    assert!(started.elapsed() >= IN_FLIGHT_WAIT);
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(busy.body["error"]["code"], "CONFLICT");
    assert_eq!(app.count(&ana).await, 0);

    // The holder finishes while the retry waits: the retry answers its response.
    let made = app.create(&ana, &minimal("Made by the holder")).await;
    let retry = app.post_with_key(&ana, "slow-1", &body);
    let finish = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.store
            .complete_key(
                UserKey {
                    user: &ana.id,
                    key: "slow-1",
                },
                now,
                &made.to_string(),
            )
            .await
            .unwrap();
    };
    let (retry, ()) = tokio::join!(retry, finish);
    assert_eq!(retry.status, StatusCode::CREATED);
    assert!(replayed(&retry));
    assert_eq!(retry.body, made);
    assert_eq!(app.count(&ana).await, 1);
}

async fn keys_expire_and_a_crashed_first_request_is_recovered(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let day_ago = Timestamp(Timestamp::now().0 - chrono::Duration::hours(25));

    // A key used over 24 hours ago is free again, even for another body.
    hold(&app, &ana, "old", &minimal("Then"), day_ago, Uuid::now_v7()).await;
    let reused = app.post_with_key(&ana, "old", &minimal("Now")).await;
    assert_eq!(reused.status, StatusCode::CREATED);
    assert!(!replayed(&reused));

    // A first request that died before creating: the retry creates.
    let minutes_ago = Timestamp(Timestamp::now().0 - chrono::Duration::minutes(2));
    let body = minimal("Crashed early");
    hold(&app, &ana, "died-early", &body, minutes_ago, Uuid::now_v7()).await;
    let retried = app.post_with_key(&ana, "died-early", &body).await;
    assert_eq!(retried.status, StatusCode::CREATED);
    assert_eq!(retried.body["name"], "Crashed early");

    // A first request that died after creating but before answering: the retry finds its ICP.
    let created = app.create(&ana, &minimal("Crashed late")).await;
    let id = Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();
    let body = minimal("Crashed late");
    hold(&app, &ana, "died-late", &body, minutes_ago, id).await;
    let recovered = app.post_with_key(&ana, "died-late", &body).await;
    assert_eq!(recovered.status, StatusCode::CREATED);
    assert!(replayed(&recovered));
    assert_eq!(recovered.body, created);
    assert_eq!(app.count(&ana).await, 3);
}

fn names(reply: &Reply) -> Vec<&str> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|icp| icp["name"].as_str().unwrap())
        .collect()
}

async fn the_list_is_filtered_by_words_status_and_member_across_pages(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let tim = app.caller("tim").await;
    app.join(&ana, &tim).await;
    let mut body = minimal("DACH Tech Leaders");
    body["description"] = json!("CTOs in Germany, Austria and Switzerland");
    app.create(&ana, &body).await;
    let mut body = minimal("München SaaS");
    body["description"] = json!("Käufer für Gründer");
    body["activeUntil"] = json!("2999-01-01T00:00:00.000Z");
    body["userIds"] = json!([tim.id.as_str()]);
    app.create(&ana, &body).await;
    let mut body = minimal("Nordics 2020 (dach-free)");
    body["activeUntil"] = json!("2020-06-30T00:00:00.000Z");
    app.create(&ana, &body).await;

    let (app, ana) = (&app, &ana);
    let list = |query: &str| {
        let uri = format!("{ICPS}?{query}");
        async move { app.get(ana, &uri).await }
    };
    assert_eq!(
        names(&list("q=dach").await),
        ["Nordics 2020 (dach-free)", "DACH Tech Leaders"]
    );
    assert_eq!(names(&list("q=dach+tech").await), ["DACH Tech Leaders"]);
    // Case and accents are ignored on both sides; the description counts.
    assert_eq!(names(&list("q=MUNCHEN").await), ["München SaaS"]);
    assert_eq!(names(&list("q=gr%C3%BCnder").await), ["München SaaS"]);
    assert_eq!(names(&list("q=grunder").await), ["München SaaS"]);
    assert_eq!(names(&list("q=100%25").await), Vec::<&str>::new());
    assert_eq!(
        names(&list("active=true").await),
        ["München SaaS", "DACH Tech Leaders"]
    );
    assert_eq!(
        names(&list("active=false").await),
        ["Nordics 2020 (dach-free)"]
    );
    assert_eq!(
        names(&list(&format!("sharedWith={}", tim.id.as_str())).await),
        ["München SaaS"]
    );
    assert_eq!(
        names(&list("q=dach&active=true").await),
        ["DACH Tech Leaders"]
    );

    // Filters and the cursor: every page keeps the filter, in the Link header too.
    for n in 1..=5 {
        app.create(ana, &minimal(&format!("Batch {n}"))).await;
    }
    let mut seen = Vec::new();
    let mut uri = format!("{ICPS}?q=batch&limit=2");
    loop {
        let page = app.get(ana, &uri).await;
        seen.extend(names(&page).iter().map(|name| name.to_string()));
        let Some(link) = page.headers.get("link") else {
            break;
        };
        let link = link.to_str().unwrap();
        assert!(link.contains("q=batch"), "{link}");
        uri = link
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned();
    }
    assert_eq!(
        seen,
        ["Batch 5", "Batch 4", "Batch 3", "Batch 2", "Batch 1"]
    );

    for bad in ["active=maybe", "sharedWith=tim", "q=a&q=b", "sort=name"] {
        let reply = list(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body["error"]["code"], "BAD_REQUEST");
    }
}
