//! A search (a list narrowed by words: a `LIKE` scan), or a list page sorted other than newest
//! first, stops at the request's time limit on both
//! databases, answered 503 rather than running on, and leaves no connection that stops the next.
//! Its own test binary: the limit is the process's.

mod common;

use axum::http::{Method, StatusCode};
use common::{minimal, Database, TestApp};
use icp_builder::store::set_search_limit;
use std::time::Duration;

on_both_databases!(a_search_past_its_limit_is_stopped_and_answered_503);

const ICPS: &str = "/api/v1/entities/icps";

async fn a_search_past_its_limit_is_stopped_and_answered_503(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    // The limit is the process's: one test at a time changes it.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    // ~4.7 MB of folded text to scan for a word that is nowhere.
    let long = "lorem ipsum dolor sit amet ".repeat(70);
    for n in 0..2_500 {
        let mut body = minimal(&format!("ICP {n}"));
        body["description"] = long.clone().into();
        app.create(&me, &body).await;
    }
    let search = format!("{ICPS}?q=nowhere-to-be-found");

    set_search_limit(Duration::ZERO);
    let stopped = app.get(&me, &search).await;
    set_search_limit(Duration::from_secs(30));
    assert_eq!(
        stopped.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        stopped.body
    );
    assert_eq!(stopped.body["error"]["code"], "SERVICE_UNAVAILABLE");

    // Every reader connection still searches (the stopped one was closed, not reused).
    for _ in 0..10 {
        let found = app.get(&me, &format!("{search}&limit=10")).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert_eq!(found.body, serde_json::json!([]));
        let found = app.get(&me, &format!("{ICPS}?q=lorem&limit=3")).await;
        assert_eq!(found.body.as_array().map(Vec::len), Some(3));
    }

    // The list page sorted by name or update reads the member's ICPs beyond the index's order:
    // held to the same limit.
    let cookie = app.session_cookie(&me).await;
    for sort in ["name", "updated"] {
        let uri = format!("/icps?sort={sort}");
        set_search_limit(Duration::ZERO);
        let stopped = app.browser(&cookie, Method::GET, &uri, None).await;
        set_search_limit(Duration::from_secs(30));
        assert_eq!(stopped.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        let sorted = app.browser(&cookie, Method::GET, &uri, None).await;
        assert_eq!(sorted.status, StatusCode::OK, "{uri}");
    }
}
