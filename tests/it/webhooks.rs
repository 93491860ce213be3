//! Webhook endpoints through the API, on SQLite and Postgres: made with a secret shown once,
//! listed without it, disabled, rotated and deleted; destinations inside our own network refused;
//! each user's own; and events turned into deliveries for the endpoints that may see them.
//! (Sending them to a real receiver: `webhook_delivery`.)

use crate::common::{details, minimal, on_both_databases, Caller, Database, TestApp};
use axum::http::{header, Method, StatusCode};
use icp_builder::auth::limiter::WEBHOOK_TEST_LIMIT;
use icp_builder::domain::Timestamp;
use serde_json::{json, Value};

on_both_databases!(
    an_endpoint_is_made_listed_disabled_rotated_and_deleted,
    destinations_inside_our_network_are_refused,
    endpoints_are_their_users_own_and_bounded,
    events_become_deliveries_for_the_endpoints_that_may_see_them,
    an_endpoint_failing_for_five_days_is_disabled,
    test_sends_are_limited_per_user,
);

const HOOKS: &str = "/api/v1/webhooks";
/// A public address given as such (no DNS needed); nothing is sent to it in these tests.
const PUBLIC_URL: &str = "https://93.184.216.34/hooks/icp";

async fn make(app: &TestApp, caller: &Caller, body: &Value) -> Value {
    let reply = app
        .send(Method::POST, HOOKS, Some(&caller.token), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

async fn an_endpoint_is_made_listed_disabled_rotated_and_deleted(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let made = make(
        &app,
        &ana,
        &json!({"url": PUBLIC_URL, "events": ["icp.created", "icp.updated"], "description": "CRM sync"}),
    )
    .await;
    let secret = made["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(made["url"], PUBLIC_URL);
    assert_eq!(made["events"], json!(["icp.created", "icp.updated"]));
    assert_eq!(made["enabled"], true);
    let id = made["id"].as_str().unwrap();
    let one = format!("{HOOKS}/{id}");

    // Listed and read without the secret.
    let listed = app.get(&ana, HOOKS).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert!(listed.body[0].get("secret").is_none());
    assert!(!listed.body.to_string().contains(secret));
    let read = app.get(&ana, &one).await;
    assert_eq!(read.body["description"], "CRM sync");
    assert!(read.body.get("secret").is_none());

    // Disabled and enabled again.
    let off = app
        .send(
            Method::PATCH,
            &one,
            Some(&ana.token),
            Some(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.body["enabled"], false);
    assert_eq!(off.body["disabledReason"], "Disabled by its owner");
    let on = app
        .send(
            Method::PATCH,
            &one,
            Some(&ana.token),
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.body["enabled"], true);
    assert_eq!(on.body["disabledReason"], Value::Null);
    let bad = app
        .send(
            Method::PATCH,
            &one,
            Some(&ana.token),
            Some(&json!({"enabled": "no"})),
        )
        .await;
    assert_eq!(details(&bad)[0].0, json!(["enabled"]));

    // A new secret; the old one signs beside it for a day.
    let rotated = app
        .send(
            Method::POST,
            &format!("{one}/rotate-secret"),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new = rotated.body["secret"].as_str().unwrap();
    assert!(new.starts_with("whsec_") && new != secret);
    let until =
        Timestamp::parse(rotated.body["previousSecretExpiresAt"].as_str().unwrap()).unwrap();
    let hours = (until.0 - Timestamp::now().0).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    let secrets = app
        .store
        .webhook_secrets(
            icp_builder::store::HookRef {
                user: &ana.id,
                id: uuid::Uuid::parse_str(id).unwrap(),
            },
            Timestamp::now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secrets, [new, secret]);

    // Deleted: gone.
    let deleted = app.send(Method::DELETE, &one, Some(&ana.token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&ana, &one).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&ana, HOOKS).await.body, json!([]));
    let malformed = app.get(&ana, &format!("{HOOKS}/not-an-id")).await;
    assert_eq!(details(&malformed)[0].0, json!(["id"]));

    // Each change is in the workspace's audit log, newest first, and no secret is.
    let audit = app.get(&ana, "/api/v1/audit?limit=5").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let records: Vec<(&str, &Value)> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|record| (record["kind"].as_str().unwrap(), &record["after"]))
        .collect();
    assert_eq!(
        records,
        [
            ("webhook.deleted", &Value::Null),
            ("webhook.changed", &json!({"secretRotated": true})),
            ("webhook.changed", &json!({"enabled": true, "reason": null})),
            (
                "webhook.changed",
                &json!({"enabled": false, "reason": "Disabled by its owner"})
            ),
            (
                "webhook.created",
                &json!({"id": id, "events": ["icp.created", "icp.updated"], "description": "CRM sync"})
            ),
        ]
    );
    assert!(audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|record| record["target"] == PUBLIC_URL));
    assert!(!audit.body.to_string().contains("whsec_"));
}

async fn destinations_inside_our_network_are_refused(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    for (url, message) in [
        ("http://93.184.216.34/hook", "Must use https://"),
        ("https://127.0.0.1/hook", "not a public internet address"),
        ("https://[::1]:8443/hook", "not a public internet address"),
        ("https://10.0.0.7/hook", "not a public internet address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "not a public internet address",
        ),
        ("https://localhost/hook", "not a public internet address"),
        ("https://user:pw@93.184.216.34/", "user name or password"),
        ("not a url", "absolute https:// URL"),
    ] {
        let reply = app
            .send(
                Method::POST,
                HOOKS,
                Some(&ana.token),
                Some(&json!({"url": url})),
            )
            .await;
        let problems = details(&reply);
        assert_eq!(problems.len(), 1, "{url}: {problems:?}");
        assert_eq!(problems[0].0, json!(["url"]), "{url}");
        assert!(problems[0].1.contains(message), "{url}: {}", problems[0].1);
    }
    // A host that does not resolve now is the state of the world, not a malformed body: 422.
    let unknown = app
        .send(
            Method::POST,
            HOOKS,
            Some(&ana.token),
            Some(&json!({"url": "https://no-such-host.invalid/hook"})),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    assert!(unknown.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("could not be resolved"));
    // Every problem of a body at once, each at its path.
    let reply = app
        .send(
            Method::POST,
            HOOKS,
            Some(&ana.token),
            Some(&json!({"events": ["icp.created", "icp.exploded"], "colour": "red"})),
        )
        .await;
    let mut paths: Vec<Value> = details(&reply).into_iter().map(|(path, _)| path).collect();
    paths.sort_by_key(|path| path.to_string());
    assert_eq!(
        paths,
        [json!(["colour"]), json!(["events", 1]), json!(["url"])]
    );
    assert_eq!(app.get(&ana, HOOKS).await.body, json!([]));
}

async fn endpoints_are_their_users_own_and_bounded(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let bo = app.caller("bo").await;
    let made = make(&app, &ana, &json!({"url": PUBLIC_URL})).await;
    assert_eq!(made["events"], json!(["*"]));
    let one = format!("{HOOKS}/{}", made["id"].as_str().unwrap());
    assert_eq!(app.get(&bo, &one).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.send(Method::DELETE, &one, Some(&bo.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&bo, HOOKS).await.body, json!([]));
    assert_eq!(
        app.send(Method::GET, HOOKS, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Ten each at most.
    for _ in 1..10 {
        make(&app, &ana, &json!({"url": PUBLIC_URL})).await;
    }
    let eleventh = app
        .send(
            Method::POST,
            HOOKS,
            Some(&ana.token),
            Some(&json!({"url": PUBLIC_URL})),
        )
        .await;
    assert_eq!(eleventh.status, StatusCode::CONFLICT);
    assert_eq!(eleventh.body["error"]["code"], "CONFLICT");
    assert_eq!(
        app.get(&ana, HOOKS).await.body.as_array().unwrap().len(),
        10
    );
}

async fn events_become_deliveries_for_the_endpoints_that_may_see_them(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let bo = app.caller("bo").await;
    let stranger = app.caller("stranger").await;
    app.join(&olga, &bo).await;
    let everything = make(&app, &bo, &json!({"url": PUBLIC_URL})).await;
    let deletions = make(
        &app,
        &bo,
        &json!({"url": PUBLIC_URL, "events": ["icp.deleted"]}),
    )
    .await;
    let strangers = make(&app, &stranger, &json!({"url": PUBLIC_URL})).await;

    let mut shared = minimal("Shared with Bo");
    shared["userIds"] = json!([bo.id.as_str()]);
    let icp = app.create(&olga, &shared).await;
    app.create(&olga, &minimal("Olga's own")).await;
    let id = icp["id"].as_str().unwrap();
    assert_eq!(app.delete(&olga, id).await.status, StatusCode::NO_CONTENT);

    // The worker's first step (not running in these tests): the events into deliveries. On
    // Postgres an event is passed once every older transaction has ended: step until both are.
    let deliveries = |hook: &Value| format!("{HOOKS}/{}/deliveries", hook["id"].as_str().unwrap());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        app.store.fan_out(Timestamp::now(), 500).await.unwrap();
        let made = app.get(&bo, &deliveries(&everything)).await.body;
        if made.as_array().unwrap().len() >= 2 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let all = app.get(&bo, &deliveries(&everything)).await.body;
    let types: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap())
        .collect();
    // Newest first; Olga's own ICP is not Bo's to see.
    assert_eq!(types, ["icp.deleted", "icp.created"]);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["state"] == "pending" && d["attempts"] == 0 && d["nextAttemptAt"].is_string()));
    let only_deleted = app.get(&bo, &deliveries(&deletions)).await.body;
    assert_eq!(only_deleted.as_array().unwrap().len(), 1);
    assert_eq!(only_deleted[0]["eventType"], "icp.deleted");
    assert_eq!(
        app.get(&stranger, &deliveries(&strangers)).await.body,
        json!([])
    );
    // Another user's endpoint's deliveries are not Bo's to read.
    assert_eq!(
        app.get(&bo, &deliveries(&strangers)).await.status,
        StatusCode::NOT_FOUND
    );

    // Passing the events again adds nothing.
    app.store.fan_out(Timestamp::now(), 500).await.unwrap();
    assert_eq!(app.get(&bo, &deliveries(&everything)).await.body, all);

    // A delivery made due again; an unknown one is 404.
    let event = all[0]["eventId"].as_str().unwrap();
    let redeliver = format!("{}/{event}/redeliver", deliveries(&everything));
    let again = app
        .send(Method::POST, &redeliver, Some(&bo.token), None)
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let unknown = format!(
        "{}/{}/redeliver",
        deliveries(&everything),
        uuid::Uuid::now_v7()
    );
    assert_eq!(
        app.send(Method::POST, &unknown, Some(&bo.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn an_endpoint_failing_for_five_days_is_disabled(db: Database) {
    use icp_builder::store::{Attempt, Outcome};
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let made = make(&app, &ana, &json!({"url": PUBLIC_URL})).await;
    let one = format!("{HOOKS}/{}", made["id"].as_str().unwrap());
    app.create(&ana, &minimal("Watched")).await;
    let at =
        |start: Timestamp, seconds: i64| Timestamp(start.0 + chrono::TimeDelta::seconds(seconds));
    let day = 24 * 3600;

    // The worker's steps, at chosen times: the event passed on, claimed, failed.
    let start = Timestamp::now();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.store.fan_out(start, 500).await.unwrap() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the event was never passed on"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let fail = |retry_at| Outcome::Failed {
        status: Some(500),
        error: "Answered 500".into(),
        retry_at: Some(retry_at),
    };
    let first = app
        .store
        .claim_deliveries(start, at(start, 60), 16)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempt, 1);
    // Claimed: not claimed again while its lease runs.
    assert!(app
        .store
        .claim_deliveries(at(start, 30), at(start, 90), 16)
        .await
        .unwrap()
        .is_empty());
    let give_up = |now: Timestamp| at(now, -5 * day);
    app.store
        .record_delivery(Attempt {
            claimed: &first[0],
            outcome: &fail(at(start, 5)),
            at: start,
            give_up_before: give_up(start),
        })
        .await
        .unwrap();
    let failing = app.get(&ana, &one).await.body;
    assert_eq!(failing["enabled"], true);
    assert!(failing["failingSince"].is_string());

    // Still failing five days and an hour later: disabled, and it says why.
    let later = at(start, 5 * day + 3600);
    let second = app
        .store
        .claim_deliveries(later, at(later, 60), 16)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2);
    app.store
        .record_delivery(Attempt {
            claimed: &second[0],
            outcome: &fail(at(later, 300)),
            at: later,
            give_up_before: give_up(later),
        })
        .await
        .unwrap();
    let disabled = app.get(&ana, &one).await.body;
    assert_eq!(disabled["enabled"], false);
    assert!(
        disabled["disabledReason"]
            .as_str()
            .unwrap()
            .contains("5 days"),
        "{disabled}"
    );
    // A disabled endpoint's deliveries wait: nothing is claimed for it.
    let much_later = at(later, day);
    assert!(app
        .store
        .claim_deliveries(much_later, at(much_later, 60), 16)
        .await
        .unwrap()
        .is_empty());

    // Enabled again by its owner: its failures forgotten, its delivery due again.
    let enabled = app
        .send(
            Method::PATCH,
            &one,
            Some(&ana.token),
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(enabled.body["enabled"], true);
    assert_eq!(enabled.body["failingSince"], Value::Null);
    let again = app
        .store
        .claim_deliveries(much_later, at(much_later, 60), 16)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 3);
}

async fn test_sends_are_limited_per_user(db: Database) {
    let app = TestApp::start_with_private_webhooks(db).await;
    let (base, seen) = crate::webhook_pages::receiver().await;
    let (ana, bo) = (app.caller("ana").await, app.caller("bo").await);
    let test_of = |hook: Value| format!("{HOOKS}/{}/test", hook["id"].as_str().unwrap());
    // One endpoint that takes the test event, one that fails it: both count.
    let working = test_of(make(&app, &ana, &json!({"url": format!("{base}/hook")})).await);
    let failing = test_of(make(&app, &ana, &json!({"url": format!("{base}/broken")})).await);
    let bos = test_of(make(&app, &bo, &json!({"url": format!("{base}/hook")})).await);
    for n in 0..WEBHOOK_TEST_LIMIT {
        let endpoint = if n % 2 == 0 { &working } else { &failing };
        let sent = app
            .send(Method::POST, endpoint, Some(&ana.token), None)
            .await;
        assert_eq!(sent.status, StatusCode::OK, "send {n}: {}", sent.body);
        assert_eq!(sent.body["delivered"], n % 2 == 0, "{}", sent.body);
    }
    assert_eq!(seen.lock().unwrap().len(), WEBHOOK_TEST_LIMIT);

    // The next is refused, says when to come back, and sends nothing.
    let refused = app
        .send(Method::POST, &working, Some(&ana.token), None)
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    let message = format!("Too many test sends for this user; try again in {retry} s");
    assert_eq!(
        refused.body,
        json!({"error": {"code": "TOO_MANY_REQUESTS", "message": message}})
    );
    assert_eq!(seen.lock().unwrap().len(), WEBHOOK_TEST_LIMIT);

    // Another user's test sends are their own.
    let theirs = app.send(Method::POST, &bos, Some(&bo.token), None).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert_eq!(theirs.body["delivered"], true);

    // The OpenAPI document lists the refusal, with the limit it has.
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await;
    let answer = &doc.body["paths"]["/api/v1/webhooks/{id}/test"]["post"]["responses"]["429"];
    let description = answer["description"].as_str().expect("a 429 is listed");
    assert!(
        description.contains(&format!("{WEBHOOK_TEST_LIMIT} test sends")),
        "{description}"
    );
    assert!(answer["headers"]["Retry-After"].is_object(), "{answer}");
}
