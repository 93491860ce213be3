//! The webhooks page (`/settings/webhooks`) in a browser without JavaScript: its plain forms add
//! an endpoint (the secret shown once), send it a test event, rotate its secret, disable, enable
//! and delete it, and send a delivery again; a refused URL comes back with the API's words at the
//! field.

use crate::common::{location, minimal, on_both_databases, text, Database, Reply, TestApp};
use axum::http::{header, HeaderMap, StatusCode};
use icp_builder::auth::limiter::WEBHOOK_TEST_LIMIT;
use icp_builder::auth::session::Secret;
use icp_builder::domain::{Timestamp, UserId};
use std::sync::{Arc, Mutex};

on_both_databases!(
    a_refused_endpoint_comes_back_with_the_reasons_at_its_fields,
    an_endpoint_is_added_tested_rotated_disabled_and_deleted,
    deliveries_are_listed_and_sent_again,
    test_sends_past_the_limit_are_refused_with_a_notice,
);

const PAGE: &str = "/settings/webhooks";

/// The webhook secret's pad that `reply` gives the browser, as a `Cookie` pair.
fn pad(reply: &Reply) -> String {
    let name = format!("{}=", Secret::WebhookSecret.cookie());
    let set = reply.headers.get_all(header::SET_COOKIE);
    set.iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next())
        .find(|pair| pair.starts_with(&name))
        .expect("the browser gets the pad")
        .to_owned()
}

/// The `whsec_…` secret a page shows, if any.
fn shown_secret(page: &str) -> Option<String> {
    let start = page.find("whsec_")?;
    let secret: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c))
        .collect();
    Some(secret)
}

/// A receiver on loopback: `/hook` answers 200, anything else 500; the headers of each request.
pub(crate) async fn receiver() -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let record = record.clone();
        async move {
            record.lock().unwrap().push(headers);
            match uri.path() {
                "/hook" => StatusCode::OK,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), seen)
}

/// A signed-in user of `app`: their id and session cookie.
async fn signed_in(app: &TestApp, name: &str) -> (UserId, String) {
    let caller = app.caller(name).await;
    let cookie = app.session_cookie(&caller).await;
    (caller.id, cookie)
}

/// A page's HTML without the markers Leptos leaves between pieces of text (`<!>`).
fn html(reply: &Reply) -> String {
    text(reply).replace("<!>", "")
}

/// Posts `fields` to `uri` and follows the redirect back to the page; the page's HTML.
async fn post_and_see(app: &TestApp, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> String {
    let posted = app.submit(uri, Some(cookie), fields).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    assert!(location(&posted).starts_with(PAGE), "{}", location(&posted));
    let page = app.visit(location(&posted), Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    html(&page)
}

async fn a_refused_endpoint_comes_back_with_the_reasons_at_its_fields(db: Database) {
    let app = TestApp::start(db).await;
    let (user, cookie) = signed_in(&app, "Ana").await;

    let settings = app.visit("/settings", Some(&cookie)).await;
    assert!(html(&settings).contains(r#"href="/settings/webhooks""#));
    let empty = app.visit(PAGE, Some(&cookie)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.headers[header::CACHE_CONTROL], "no-store");
    let empty = html(&empty);
    assert!(
        empty.contains("You have no webhook endpoints yet."),
        "{empty}"
    );
    assert!(empty.contains(r#"<label for="url">URL</label>"#), "{empty}");
    assert!(empty.contains("All events"));

    // A loopback address is not the public internet (unless the server allows private ones).
    let refused = post_and_see(
        &app,
        &cookie,
        PAGE,
        &[
            ("url", "https://127.0.0.1/hook"),
            ("events", "icp.created"),
            ("description", "Our CRM"),
        ],
    )
    .await;
    assert!(
        refused.contains(
            r#"id="url-error" class="field-error">The host 127.0.0.1 resolves to 127.0.0.1, which"#
        ),
        "{refused}"
    );
    assert!(refused.contains(r#"aria-describedby="url-hint url-error""#));
    assert!(refused.contains(r#"aria-invalid="true""#));
    assert!(
        refused.contains(r#"value="https://127.0.0.1/hook""#),
        "typed URL kept"
    );
    assert!(refused.contains(r#"value="Our CRM""#), "description kept");
    assert!(
        refused.contains(r#"value="icp.created" checked"#),
        "{refused}"
    );
    // Said once: a reload shows the empty form.
    let again = app.visit(PAGE, Some(&cookie)).await;
    assert!(!html(&again).contains("url-error"));

    // The API's words for each field, at once.
    let refused = post_and_see(
        &app,
        &cookie,
        PAGE,
        &[("url", "http://hooks.example.com/"), ("description", "")],
    )
    .await;
    assert!(refused.contains("Must use https://"), "{refused}");
    assert!(
        refused.contains(
            r#"id="events-error" class="field-error">Must be a non-empty array of event types"#
        ),
        "{refused}"
    );
    assert!(app.store.webhooks(&user).await.unwrap().is_empty());
}

async fn an_endpoint_is_added_tested_rotated_disabled_and_deleted(db: Database) {
    let app = TestApp::start_with_private_webhooks(db).await;
    let (user, cookie) = signed_in(&app, "Ana").await;
    let (base, seen) = receiver().await;
    let url = format!("{base}/hook");

    let added = app
        .submit(
            PAGE,
            Some(&cookie),
            &[
                ("url", &url),
                ("events", "icp.created"),
                ("events", "icp.updated"),
                ("description", "CRM sync"),
            ],
        )
        .await;
    assert_eq!(
        (added.status, location(&added)),
        (StatusCode::SEE_OTHER, PAGE)
    );
    let with_pad = format!("{cookie}; {}", pad(&added));
    let shown = app.visit(PAGE, Some(&with_pad)).await;
    let shown = html(&shown);
    let secret = shown_secret(&shown).expect("the secret is shown");
    assert!(secret.len() > 20, "{secret}");
    assert!(shown.contains("it will not be shown again"));
    assert!(shown.contains(&format!(">{url}</h3>")), "{shown}");
    assert!(shown.contains("icp.created, icp.updated"));
    assert!(shown.contains("CRM sync"));
    assert!(shown.contains("Enabled"));
    assert!(shown.contains("No deliveries yet."));
    let again = app.visit(PAGE, Some(&with_pad)).await;
    assert_eq!(shown_secret(&html(&again)), None, "shown only once");

    let hooks = app.store.webhooks(&user).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].events, ["icp.created", "icp.updated"]);
    let endpoint = format!("{PAGE}/{}", hooks[0].id);
    assert!(shown.contains(&format!(r#"action="{endpoint}/test""#)));

    // A test event, signed, and what it came to.
    let tested = post_and_see(&app, &cookie, &format!("{endpoint}/test"), &[]).await;
    assert!(
        tested.contains(&format!(
            "The test event was delivered to {url}: it answered 200."
        )),
        "{tested}"
    );
    let headers = seen.lock().unwrap().last().cloned().expect("received");
    assert!(headers.contains_key("webhook-signature"));

    // A new secret, shown once.
    let rotated = app
        .submit(&format!("{endpoint}/rotate"), Some(&cookie), &[])
        .await;
    assert_eq!(location(&rotated), PAGE);
    let page = app
        .visit(PAGE, Some(&format!("{cookie}; {}", pad(&rotated))))
        .await;
    let new_secret = shown_secret(&html(&page)).expect("the new secret is shown");
    assert_ne!(new_secret, secret);

    let disabled = post_and_see(&app, &cookie, &format!("{endpoint}/disable"), &[]).await;
    assert!(disabled.contains("The endpoint was disabled"), "{disabled}");
    assert!(disabled.contains("Disabled since"));
    assert!(disabled.contains("Disabled by its owner"));
    assert!(disabled.contains(&format!(r#"action="{endpoint}/enable""#)));
    assert!(app.store.webhooks(&user).await.unwrap()[0]
        .disabled_at
        .is_some());
    let enabled = post_and_see(&app, &cookie, &format!("{endpoint}/enable"), &[]).await;
    assert!(enabled.contains("The endpoint was enabled."));
    assert!(enabled.contains(&format!(r#"action="{endpoint}/disable""#)));

    // Someone else cannot touch it; they are told it does not exist.
    let (_, other) = signed_in(&app, "Bo").await;
    let theirs = post_and_see(&app, &other, &format!("{endpoint}/delete"), &[]).await;
    assert!(theirs.contains("Webhook endpoint not found"), "{theirs}");
    let malformed = post_and_see(&app, &other, &format!("{PAGE}/nope/disable"), &[]).await;
    assert!(malformed.contains("Webhook endpoint not found"));

    // Deleting asks first (a disclosure), then the "Yes" posts.
    assert!(enabled.contains(&format!(r#"action="{endpoint}/delete""#)));
    assert!(enabled.contains("Yes, delete"));
    let deleted = post_and_see(&app, &cookie, &format!("{endpoint}/delete"), &[]).await;
    assert!(deleted.contains("The endpoint was deleted."));
    assert!(deleted.contains("You have no webhook endpoints yet."));
    assert!(app.store.webhooks(&user).await.unwrap().is_empty());
}

async fn deliveries_are_listed_and_sent_again(db: Database) {
    let app = TestApp::start_with_private_webhooks(db).await;
    let caller = app.caller("Ana").await;
    let cookie = app.session_cookie(&caller).await;
    let (base, _) = receiver().await;
    let url = format!("{base}/broken");
    let added = app
        .submit(PAGE, Some(&cookie), &[("url", &url), ("events", "*")])
        .await;
    assert_eq!(location(&added), PAGE);
    let hook = app.store.webhooks(&caller.id).await.unwrap()[0].id;

    // A failing test says what the endpoint answered.
    let endpoint = format!("{PAGE}/{hook}");
    let tested = post_and_see(&app, &cookie, &format!("{endpoint}/test"), &[]).await;
    assert!(
        tested.contains(&format!(
            "The test event was not delivered to {url}: it answered 500."
        )),
        "{tested}"
    );
    assert!(tested.contains(r#"role="alert""#));

    app.create(&caller, &minimal("Webhooked")).await;
    // On Postgres an event is passed on once every older transaction has ended: step until it is.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.store.deliveries(hook, 10).await.unwrap().is_empty()
        && tokio::time::Instant::now() < deadline
    {
        app.store.fan_out(Timestamp::now(), 100).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let listed = app.visit(PAGE, Some(&cookie)).await;
    let listed = html(&listed);
    let event = app.store.deliveries(hook, 10).await.unwrap()[0].event_id;
    let redeliver = format!("{endpoint}/deliveries/{event}/redeliver");
    assert!(
        listed.contains("<td data-label=\"Event\">icp.created</td>"),
        "{listed}"
    );
    assert!(listed.contains("<td data-label=\"State\">Pending</td>"));
    assert!(listed.contains(&format!(r#"action="{redeliver}""#)));

    let again = post_and_see(&app, &cookie, &redeliver, &[]).await;
    assert!(again.contains("The delivery will be sent again in a moment."));
    let unknown = format!("{endpoint}/deliveries/{hook}/redeliver");
    let unknown = post_and_see(&app, &cookie, &unknown, &[]).await;
    assert!(unknown.contains("No delivery of that event to this endpoint"));
}

async fn test_sends_past_the_limit_are_refused_with_a_notice(db: Database) {
    let app = TestApp::start_with_private_webhooks(db).await;
    let (user, cookie) = signed_in(&app, "Ana").await;
    let (base, seen) = receiver().await;
    let added = app
        .submit(
            PAGE,
            Some(&cookie),
            &[("url", &format!("{base}/hook")), ("events", "*")],
        )
        .await;
    assert_eq!(location(&added), PAGE);
    let test = format!(
        "{PAGE}/{}/test",
        app.store.webhooks(&user).await.unwrap()[0].id
    );
    for _ in 0..WEBHOOK_TEST_LIMIT {
        let tested = app.submit(&test, Some(&cookie), &[]).await;
        assert_eq!(tested.status, StatusCode::SEE_OTHER, "{}", tested.body);
    }
    assert_eq!(seen.lock().unwrap().len(), WEBHOOK_TEST_LIMIT);

    // One more: back to the page (no error page), which says why and when, and nothing is sent.
    let refused = post_and_see(&app, &cookie, &test, &[]).await;
    let said = "Too many test sends for this user; try again in ";
    let start = refused.find(said).expect(&refused) + said.len();
    let (minutes, rest) = refused[start..].split_once(' ').unwrap();
    assert!(
        (1..=15).contains(&minutes.parse::<u64>().unwrap()),
        "{minutes}"
    );
    assert!(rest.starts_with("minute"), "{rest}");
    assert!(refused.contains(r#"role="alert""#));
    assert_eq!(seen.lock().unwrap().len(), WEBHOOK_TEST_LIMIT);
}
