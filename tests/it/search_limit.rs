//! A search (a list narrowed by words: a `LIKE` scan), or a list page sorted other than newest
//! first, stops at the request's time limit on both
//! databases, answered 503 rather than running on, and leaves no connection that stops the next.
//! The limit is the store's: the test sets it only around the request to stop, and puts back the
//! one before even when it fails, so the searches after it run as usual.

use crate::common::{minimal, on_both_databases, Database, TestApp};
use axum::http::{Method, StatusCode};
use icp_builder::store::DynStore;
use std::time::Duration;

on_both_databases!(a_search_past_its_limit_is_stopped_and_answered_503);

const ICPS: &str = "/api/v1/entities/icps";

/// A store's search limit set to another until dropped, then back to the one before.
struct SearchLimit<'a>(&'a DynStore, Duration);

impl<'a> SearchLimit<'a> {
    fn set(store: &'a DynStore, limit: Duration) -> Self {
        let before = store.search_limit();
        store.set_search_limit(limit);
        SearchLimit(store, before)
    }
}

impl Drop for SearchLimit<'_> {
    fn drop(&mut self) {
        self.0.set_search_limit(self.1);
    }
}

async fn a_search_past_its_limit_is_stopped_and_answered_503(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    // ~4.7 MB of folded text to scan for a word that is nowhere.
    let long = "lorem ipsum dolor sit amet ".repeat(70);
    for n in 0..2_500 {
        let mut body = minimal(&format!("ICP {n}"));
        body["description"] = long.clone().into();
        app.create(&me, &body).await;
    }
    let search = format!("{ICPS}?q=nowhere-to-be-found");

    let stopped = {
        let _zero = SearchLimit::set(&app.store, Duration::ZERO);
        app.get(&me, &search).await
    };
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
        let stopped = {
            let _zero = SearchLimit::set(&app.store, Duration::ZERO);
            app.browser(&cookie, Method::GET, &uri, None).await
        };
        assert_eq!(stopped.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        let sorted = app.browser(&cookie, Method::GET, &uri, None).await;
        assert_eq!(sorted.status, StatusCode::OK, "{uri}");
    }
}
