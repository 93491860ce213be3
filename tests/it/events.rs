//! The event log through `GET /api/v1/events`, on SQLite and Postgres: an event for every change,
//! in order, with what an update changed; pages that follow `after` and `Link`; who sees what; a
//! refused change leaves none; old events are purged.

use crate::common::{details, minimal, on_both_databases, Caller, Database, Reply, TestApp};
use axum::http::{header, Method, StatusCode};
use icp_builder::domain::Timestamp;
use serde_json::{json, Value};

on_both_databases!(
    every_change_is_an_event_in_order,
    pages_follow_after_and_link,
    events_are_seen_by_members_in_the_workspace_only,
    a_refused_change_makes_no_event,
    old_events_are_purged,
);

const EVENTS: &str = "/api/v1/events";
const ICPS: &str = "/api/v1/entities/icps";

/// The `expected` events `caller` may see, read page by page through the `Link` headers. On
/// Postgres an event shows once every transaction older than its own has ended (see
/// `store::events`), so a read right after a change may come before it: read again until it shows.
async fn events(app: &TestApp, caller: &Caller, limit: u32, expected: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = all_events(app, caller, limit).await;
        if events.len() >= expected || tokio::time::Instant::now() > deadline {
            assert_eq!(events.len(), expected, "{events:#?}");
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Every event `caller` may see now, read page by page through the `Link` headers.
async fn all_events(app: &TestApp, caller: &Caller, limit: u32) -> Vec<Value> {
    let mut events = Vec::new();
    let mut uri = format!("{EVENTS}?limit={limit}");
    loop {
        let page = app.get(caller, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let items = page.body.as_array().expect("an array").clone();
        assert!(items.len() <= limit as usize);
        events.extend(items);
        match next_link(&page) {
            Some(next) => uri = next,
            None => return events,
        }
    }
}

/// The URL of a `Link: <…>; rel="next"` header.
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.headers.get(header::LINK)?.to_str().ok()?;
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(url.to_owned())
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn every_change_is_an_event_in_order(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let bo = app.caller("bo").await;
    app.join(&olga, &bo).await;
    let mut body = minimal("Team ICP");
    body["userIds"] = json!([bo.id.as_str()]);
    let icp = app.create(&olga, &body).await;
    let id = icp["id"].as_str().unwrap();

    let renamed = app.patch(&bo, id, &json!({"name": "DACH leaders"})).await;
    assert_eq!(renamed.status, StatusCode::OK);
    let handed = app
        .send(
            Method::PUT,
            &format!("{ICPS}/{id}/owner"),
            Some(&olga.token),
            Some(&json!({"userId": bo.id.as_str()})),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{}", handed.body);
    assert_eq!(app.delete(&bo, id).await.status, StatusCode::NO_CONTENT);
    let restored = app
        .send(
            Method::POST,
            &format!("{ICPS}/{id}/restore"),
            Some(&bo.token),
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);

    let events = events(&app, &olga, 100, 5).await;
    assert_eq!(
        types(&events),
        [
            "icp.created",
            "icp.updated",
            "icp.owner_changed",
            "icp.deleted",
            "icp.restored"
        ]
    );
    // Each event is one of its own, about this ICP as the API returns it.
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert!(events.iter().all(|e| e["data"]["icp"]["id"] == id));
    assert_eq!(events[0]["data"]["icp"], icp);
    assert_eq!(events[0]["data"]["ownerId"], olga.id.as_str());
    assert!(events[0]["data"].get("previous").is_none());
    assert!(Timestamp::parse(events[0]["timestamp"].as_str().unwrap()).is_ok());

    // An update says what it changed, as it was.
    assert_eq!(events[1]["data"]["icp"]["name"], "DACH leaders");
    let previous = events[1]["data"]["previous"].as_object().unwrap();
    assert_eq!(previous["name"], "Team ICP");
    assert!(previous.contains_key("updatedAt"));
    assert!(!previous.contains_key("userIds"));
    // A hand-over names both owners.
    assert_eq!(events[2]["data"]["ownerId"], bo.id.as_str());
    assert_eq!(events[2]["data"]["previous"]["ownerId"], olga.id.as_str());
    // A deletion carries the ICP as it was; the restore brings it back.
    assert_eq!(events[3]["data"]["icp"]["name"], "DACH leaders");
    assert_eq!(events[4]["data"]["icp"]["name"], "DACH leaders");

    // Bo, a member throughout, reads the same events.
    assert_eq!(all_events(&app, &bo, 2).await, events);
}

async fn pages_follow_after_and_link(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    for n in 0..7 {
        app.create(&ana, &minimal(&format!("ICP {n}"))).await;
    }
    let all = events(&app, &ana, 100, 7).await;
    let names: Vec<&str> = all
        .iter()
        .map(|e| e["data"]["icp"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ICP 0", "ICP 1", "ICP 2", "ICP 3", "ICP 4", "ICP 5", "ICP 6"]
    );
    // Pages of 3 through the Link headers: the same events, in the same order.
    assert_eq!(all_events(&app, &ana, 3).await, all);

    // `after` alone: what follows that event.
    let after_third = app
        .get(
            &ana,
            &format!("{EVENTS}?after={}", all[2]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(after_third.body.as_array().unwrap()[..], all[3..]);
    assert!(next_link(&after_third).is_none());
    let caught_up = app
        .get(
            &ana,
            &format!("{EVENTS}?after={}", all[6]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(caught_up.body, json!([]));

    // A change made later comes after the last event read.
    app.create(&ana, &minimal("ICP 7")).await;
    let later = events(&app, &ana, 100, 8).await;
    assert_eq!(later[..7], all[..]);
    assert_eq!(later[7]["data"]["icp"]["name"], "ICP 7");

    // Bad parameters: 400 with every problem at its parameter.
    for (query, at) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("after=yesterday", "after"),
        ("cursor=1", "cursor"),
    ] {
        let reply = app.get(&ana, &format!("{EVENTS}?{query}")).await;
        let problems = details(&reply);
        assert_eq!(problems.len(), 1, "{query}");
        assert_eq!(problems[0].0, json!([at]), "{query}");
    }
    // A well-formed id that names no event: 404 with the error body.
    let unknown = app
        .get(
            &ana,
            &format!("{EVENTS}?after=0194a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], "NOT_FOUND");
    // Without a token: 401 with the error body.
    let anonymous = app.send(Method::GET, EVENTS, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body["error"]["code"], "UNAUTHORIZED");
}

async fn events_are_seen_by_members_in_the_workspace_only(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let bo = app.caller("bo").await;
    let stranger = app.caller("stranger").await;
    app.join(&olga, &bo).await;
    let mut shared = minimal("Shared");
    shared["userIds"] = json!([bo.id.as_str()]);
    app.create(&olga, &shared).await;
    app.create(&olga, &minimal("Olga's own")).await;
    app.create(&stranger, &minimal("Elsewhere")).await;

    let names = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| e["data"]["icp"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(events(&app, &olga, 10, 2).await),
        ["Shared", "Olga's own"]
    );
    assert_eq!(names(events(&app, &bo, 10, 1).await), ["Shared"]);
    assert_eq!(names(events(&app, &stranger, 10, 1).await), ["Elsewhere"]);

    // Another user's event is no cursor for the stranger.
    let olgas = all_events(&app, &olga, 10).await;
    let borrowed = app
        .get(
            &stranger,
            &format!("{EVENTS}?after={}", olgas[1]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(borrowed.status, StatusCode::NOT_FOUND);

    // Once Bo has left the workspace, its events are no longer his to read.
    icp_builder::workspaces::leave(app.store.as_ref(), &bo.id)
        .await
        .expect("leave");
    let left = names(all_events(&app, &bo, 10).await);
    assert!(!left.contains(&"Shared".to_owned()), "{left:?}");
}

async fn a_refused_change_makes_no_event(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let icp = app.create(&ana, &minimal("Kept")).await;
    let id = icp["id"].as_str().unwrap();
    // Invalid, stale and forbidden changes all fail before anything is written.
    let invalid = app.patch(&ana, id, &json!({"leadsPerList": 0})).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let stale = axum::http::Request::builder()
        .method(Method::PATCH)
        .uri(format!("{ICPS}/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", ana.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"not-the-current-version\"")
        .body(axum::body::Body::from(r#"{"name":"Lost"}"#))
        .unwrap();
    assert_eq!(app.raw(stale).await.status, StatusCode::PRECONDITION_FAILED);
    let other = app.caller("other").await;
    assert_eq!(app.delete(&other, id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(types(&events(&app, &ana, 10, 1).await), ["icp.created"]);
}

async fn old_events_are_purged(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    // An endpoint, so the event also becomes a delivery (nothing is sent: no worker runs here).
    let hook = app
        .send(
            Method::POST,
            "/api/v1/webhooks",
            Some(&ana.token),
            Some(&json!({"url": "https://93.184.216.34/hook"})),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED);
    let deliveries = format!(
        "/api/v1/webhooks/{}/deliveries",
        hook.body["id"].as_str().unwrap()
    );
    app.create(&ana, &minimal("One")).await;
    let first = events(&app, &ana, 10, 1).await;
    app.store.fan_out(Timestamp::now(), 10).await.unwrap();
    assert_eq!(
        app.get(&ana, &deliveries)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Nothing younger than the limit goes.
    let month_ago = Timestamp(Timestamp::now().0 - icp_builder::store::EVENTS_KEPT);
    assert_eq!(app.store.purge_events(month_ago).await.unwrap(), 0);
    assert_eq!(all_events(&app, &ana, 10).await, first);
    assert_eq!(
        app.get(&ana, &deliveries)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Older events go, and their deliveries with them.
    let tomorrow = Timestamp(Timestamp::now().0 + chrono::TimeDelta::days(1));
    assert_eq!(app.store.purge_events(tomorrow).await.unwrap(), 1);
    assert_eq!(all_events(&app, &ana, 10).await, Vec::<Value>::new());
    assert_eq!(app.get(&ana, &deliveries).await.body, json!([]));
    // The purged event is no cursor any more; events made after still come.
    let gone = app
        .get(
            &ana,
            &format!("{EVENTS}?after={}", first[0]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    app.create(&ana, &minimal("Two")).await;
    assert_eq!(types(&events(&app, &ana, 10, 1).await), ["icp.created"]);
}
