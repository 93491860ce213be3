//! Two app instances on one Postgres, as behind a load balancer: what one instance does, the other
//! honours — sessions (and a new token waiting to be shown) and the sign-in and sign-up limits.
//!
//! Postgres only. Without `ICP_TEST_POSTGRES_URL` these tests fail, unless `ICP_TEST_SKIP_POSTGRES=1`.

use crate::common::{
    browser, form_body, location, minimal, session_cookie, text, Caller, Database, Reply, TestApp,
    SITE,
};
use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

/// Two apps (separate states, pools and routers) on one fresh Postgres schema; `None` when
/// Postgres tests are explicitly skipped.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let first = Database::postgres().await?;
    let Database::Postgres { options } = &first else {
        unreachable!("Database::postgres gives a Postgres database")
    };
    let second = Database::Postgres {
        options: options.clone(),
    };
    Some((TestApp::start(first).await, TestApp::start(second).await))
}

fn random_address() -> [u8; 4] {
    let id = uuid::Uuid::new_v4();
    let bytes = id.as_bytes();
    [10, bytes[0], bytes[1], bytes[2]]
}

/// A form post to `uri` from `address` (`None`: address unknown).
fn post_from(
    uri: &str,
    address: Option<[u8; 4]>,
    fields: &[(&str, &str)],
) -> axum::http::Request<axum::body::Body> {
    let mut request = browser(Method::POST, uri, None)
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(fields))
        .expect("request");
    if let Some(address) = address {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
    }
    request
}

/// The `error` code a redirect to a form carries (empty when it went on).
fn error_code(reply: &Reply) -> String {
    let query = location(reply)
        .split_once('?')
        .map_or("", |(_, query)| query);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "error")
        .map(|(_, code)| code.into_owned())
        .unwrap_or_default()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Reply {
    app.raw(post_from(
        "/sign-in",
        Some(random_address()),
        &[("email", email), ("password", password)],
    ))
    .await
}

async fn cli_user(app: &TestApp, name: &str) -> String {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    icp_builder::auth::create_user(app.store.as_ref(), &email, name, PASSWORD)
        .await
        .expect("create user");
    email
}

#[tokio::test]
async fn instances_started_together_on_a_new_database_both_start() {
    // Found by running two servers at once on an empty database: one failed to start
    // ("duplicate key value violates unique constraint pg_type_typname_nsp_index").
    for _ in 0..5 {
        let Some(first) = Database::postgres().await else {
            return;
        };
        let Database::Postgres { options } = &first else {
            unreachable!("Database::postgres gives a Postgres database")
        };
        let second = Database::Postgres {
            options: options.clone(),
        };
        let (a, b) = tokio::join!(TestApp::start(first), TestApp::start(second));
        let (_, cookie) = a.signed_up("Ana").await;
        assert_eq!(b.visit("/icps", Some(&cookie)).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_session_made_on_one_instance_works_on_the_other() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let (_, cookie) = a.signed_up("Ana").await;
    assert_eq!(b.visit("/icps", Some(&cookie)).await.status, StatusCode::OK);
    assert!(text(&b.visit("/icps", Some(&cookie)).await).contains("Ana"));

    // A token created on A is shown once on B: it waits, sealed, in the shared session.
    let created = a
        .submit("/settings/tokens", Some(&cookie), &[("label", "CRM sync")])
        .await;
    assert_eq!(location(&created), "/settings");
    let pad = created
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("icp_new_token="))
        .and_then(|value| value.split(';').next())
        .expect("the pad cookie")
        .to_owned();
    let shown = b
        .visit("/settings", Some(&format!("{cookie}; {pad}")))
        .await;
    assert!(
        text(&shown).contains(r#"class="token""#),
        "{}",
        text(&shown)
    );
    let again = a
        .visit("/settings", Some(&format!("{cookie}; {pad}")))
        .await;
    assert!(
        !text(&again).contains(r#"class="token""#),
        "shown once across instances"
    );

    // Signing in on B and out on A: both see it.
    let email = cli_user(&a, "bo").await;
    let signed_in = sign_in(&b, &email, PASSWORD).await;
    let bo = session_cookie(&signed_in).expect("signed in on B");
    assert_eq!(a.visit("/icps", Some(&bo)).await.status, StatusCode::OK);
    let out = a.submit("/sign-out", Some(&bo), &[]).await;
    assert_eq!(location(&out), "/sign-in");
    assert_eq!(
        location(&b.visit("/icps", Some(&bo)).await),
        "/sign-in?next=%2Ficps"
    );
}

#[tokio::test]
async fn failures_on_one_instance_count_on_the_other() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let email = cli_user(&a, "ana").await;
    for app in [&a, &a, &a, &b, &b] {
        assert_eq!(
            error_code(&sign_in(app, &email, "wrong guess").await),
            "credentials"
        );
    }
    for app in [&a, &b] {
        let refused = sign_in(app, &email, PASSWORD).await;
        assert_eq!(error_code(&refused), "locked", "{}", location(&refused));
        assert!(session_cookie(&refused).is_none());
    }

    // 40 guesses at once, half to each instance: five are evaluated in all.
    let bo = cli_user(&a, "bo").await;
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let app = if n % 2 == 0 { &a } else { &b };
            let request = post_from(
                "/sign-in",
                None,
                &[("email", &bo), ("password", "wrong guess")],
            );
            tokio::spawn(app.router.clone().oneshot(request))
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        let response = task.await.expect("task").expect("router answers");
        let reply = Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: serde_json::Value::Null,
        };
        codes.push(error_code(&reply));
    }
    let evaluated = codes.iter().filter(|code| *code == "credentials").count();
    let locked = codes.iter().filter(|code| *code == "locked").count();
    assert_eq!((evaluated, locked), (5, 35), "{codes:?}");

    // A success on B forgives the email on A too.
    let cy = cli_user(&a, "cy").await;
    for _ in 0..4 {
        assert_eq!(error_code(&sign_in(&a, &cy, "wrong").await), "credentials");
    }
    assert_eq!(location(&sign_in(&b, &cy, PASSWORD).await), "/icps");
    for _ in 0..4 {
        assert_eq!(error_code(&sign_in(&a, &cy, "wrong").await), "credentials");
    }
}

#[tokio::test]
async fn sign_ups_from_one_address_count_on_both_instances() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let office = random_address();
    let sign_up = |app: &TestApp, n: usize| {
        let email = format!("member{n}-{}@example.com", uuid::Uuid::new_v4().simple());
        let request = post_from(
            "/sign-up",
            Some(office),
            &[
                ("name", "Member"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        );
        let router = app.router.clone();
        async move {
            let response = router.oneshot(request).await.expect("router answers");
            Reply {
                status: response.status(),
                headers: response.headers().clone(),
                body: serde_json::Value::Null,
            }
        }
    };
    for n in 0..10 {
        let app = if n < 6 { &a } else { &b };
        assert_eq!(location(&sign_up(app, n).await), "/icps", "sign-up {n}");
    }
    for app in [&a, &b] {
        let refused = sign_up(app, 99).await;
        assert_eq!(error_code(&refused), "sign-ups", "{}", location(&refused));
    }
}

/// `GET uri` on `app` until `seen` holds for the reply (a change made on another instance arrives
/// as a notification); fails after 10 s with the last reply.
async fn read_until(app: &TestApp, caller: &Caller, uri: &str, seen: impl Fn(&Reply) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = app.get(caller, uri).await;
        if seen(&reply) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{uri} still answers {} {}",
            reply.status,
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_change_on_one_instance_is_read_on_the_other() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    // B remembers what it reads once it hears the database's change notifications.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.store.reads().is_live() {
        assert!(Instant::now() < deadline, "B never started listening");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ana = a.caller("Ana").await;
    let created = a.create(&ana, &minimal("Before")).await;
    let id = created["id"].as_str().expect("id");
    let one = format!("/api/v1/entities/icps/{id}");
    let page = "/api/v1/entities/icps?limit=20";
    let named = |name: &'static str| move |reply: &Reply| reply.body["name"] == name;
    let first_named = |name: &'static str| move |reply: &Reply| reply.body[0]["name"] == name;
    // B reads (and remembers) the ICP and the page.
    read_until(&b, &ana, &one, named("Before")).await;
    read_until(&b, &ana, page, first_named("Before")).await;

    let patched = a
        .patch(&ana, id, &serde_json::json!({"name": "After"}))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    // A answers the change at once; B as soon as the notification arrives.
    assert_eq!(a.get(&ana, &one).await.body["name"], "After");
    read_until(&b, &ana, &one, named("After")).await;
    read_until(&b, &ana, page, first_named("After")).await;

    let second = a.create(&ana, &minimal("Second")).await;
    read_until(&b, &ana, page, first_named("Second")).await;
    assert_eq!(
        b.get(&ana, page).await.body.as_array().map(Vec::len),
        Some(2)
    );

    assert_eq!(a.delete(&ana, id).await.status, StatusCode::NO_CONTENT);
    read_until(&b, &ana, &one, |reply| {
        reply.status == StatusCode::NOT_FOUND
    })
    .await;
    read_until(&b, &ana, page, |reply| {
        reply.body.as_array().map(Vec::len) == Some(1) && reply.body[0]["id"] == second["id"]
    })
    .await;
}
