//! Accounts and sessions in the browser through the real router, on SQLite and on Postgres: the
//! sign-up, sign-in and sign-out forms, the sign-in rule for pages, the same-origin check, the
//! sign-in limiter and API tokens on the settings page.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use common::{
    browser, form_body, location, minimal, session_cookie, text, Database, Reply, TestApp, SITE,
};
use serde_json::{json, Value};
use std::net::SocketAddr;

on_both_databases!(
    sign_up_starts_a_session_that_opens_the_pages,
    sign_up_problems_come_back_to_the_form,
    wrong_password_is_refused_without_saying_which,
    cli_users_sign_in_and_the_session_id_changes,
    signed_in_users_skip_the_account_pages,
    sign_out_ends_the_session,
    repeated_failures_are_refused_for_a_while,
    api_takes_the_cookie_only_from_our_own_pages,
    cross_site_forms_are_refused,
    settings_create_list_and_revoke_tokens,
    session_survives_a_restart,
);

const ICPS: &str = "/api/v1/entities/icps";
const PASSWORD: &str = "correct horse battery";

/// A JSON API call as a browser page's script makes it: the session cookie, and `origin` if any.
async fn api_call(
    app: &TestApp,
    method: Method,
    cookie: Option<&str>,
    origin: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut request = browser(method, ICPS, cookie);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    app.raw(request.expect("request")).await
}

/// A sign-in form post from `address`.
async fn sign_in_from(app: &TestApp, address: [u8; 4], email: &str, password: &str) -> Reply {
    let mut request = browser(Method::POST, "/sign-in", None)
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[("email", email), ("password", password)]))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
    app.raw(request).await
}

/// A user made the way the CLI makes them; returns their email.
async fn cli_user(app: &TestApp, name: &str) -> String {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    icp_builder::auth::create_user(app.store.as_ref(), &email, name, PASSWORD)
        .await
        .expect("create user");
    email
}

fn random_address() -> [u8; 4] {
    let id = uuid::Uuid::new_v4();
    let bytes = id.as_bytes();
    [10, bytes[0], bytes[1], bytes[2]]
}

/// The `icp_…` token shown on a settings page, if any.
fn shown_token(page: &str) -> Option<String> {
    let start = page.find("icp_")?;
    let token: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (token.len() == 44).then_some(token)
}

async fn sign_up_starts_a_session_that_opens_the_pages(db: Database) {
    let app = TestApp::start(db).await;

    let anonymous = app.visit("/icps", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&anonymous), "/sign-in?next=%2Ficps");
    let deep = app.visit("/icps/new?from=abc", None).await;
    assert_eq!(location(&deep), "/sign-in?next=%2Ficps%2Fnew%3Ffrom%3Dabc");

    let form = app.visit("/sign-up", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let page = text(&form);
    assert!(
        page.contains(r#"<form method="post" action="/sign-up">"#),
        "{page}"
    );
    assert!(page.contains(r#"<label for="password">"#));
    assert!(page.contains(r#"autocomplete="new-password""#));
    assert!(page.contains("<title>Create your account"));
    assert!(
        page.contains(r#"href="/sign-in""#),
        "only “Sign in” in the menu"
    );
    assert!(!page.contains("Sign out"));

    let email = format!("ana-{}@example.com", uuid::Uuid::new_v4().simple());
    let reply = app
        .submit(
            "/sign-up",
            None,
            &[
                ("name", "Ana Lopez"),
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/icps/new"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&reply), "/icps/new");
    let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.starts_with("icp_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http here: {set_cookie}"
    );
    let cookie = session_cookie(&reply).unwrap();

    let record = app.store.user_by_email(&email).await.unwrap().unwrap();
    assert!(record.user.id.as_str().starts_with("user_"));
    assert_eq!(record.user.name, "Ana Lopez");
    assert!(record.password_hash.starts_with("$argon2id$"));

    let list = app.visit("/icps", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    let page = text(&list);
    assert!(page.contains("Ana Lopez"), "the menu names the user");
    assert!(page.contains(r#"<form method="post" action="/sign-out">"#));
    assert!(page.contains(r#"href="/settings""#));
    assert!(page.contains(r#"href="/icps/new""#));
    assert_eq!(
        app.visit("/settings", Some(&cookie)).await.status,
        StatusCode::OK
    );
}

async fn sign_up_problems_come_back_to_the_form(db: Database) {
    let app = TestApp::start(db).await;
    let short = app
        .submit(
            "/sign-up",
            None,
            &[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("password", "short"),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::SEE_OTHER);
    assert!(session_cookie(&short).is_none());
    let back = location(&short);
    assert_eq!(
        back,
        "/sign-up?error=password&name=Ana&email=ana%40example.com&next=%2Fsettings"
    );
    let page = app.visit(back, None).await;
    let page = text(&page);
    assert!(page.contains("Use at least 8 characters."), "{page}");
    assert!(
        page.contains(r#"aria-describedby="password-hint password-error""#),
        "{page}"
    );
    assert!(page.contains(r#"value="ana@example.com""#));
    assert!(page.contains(r#"href="/sign-in?next=%2Fsettings""#));

    let bad_email = app
        .submit(
            "/sign-up",
            None,
            &[("name", "Ana"), ("email", "nobody"), ("password", PASSWORD)],
        )
        .await;
    assert!(location(&bad_email).starts_with("/sign-up?error=email&"));

    let (email, _) = app.signed_up("Bo").await;
    let taken = app
        .submit(
            "/sign-up",
            None,
            &[("name", "Other"), ("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert!(location(&taken).starts_with("/sign-up?error=taken&"));
    assert!(
        !location(&taken).contains("horse"),
        "the password is never sent back"
    );
    let page = app.visit(location(&taken), None).await;
    assert!(text(&page).contains("An account with this email already exists."));
}

async fn wrong_password_is_refused_without_saying_which(db: Database) {
    let app = TestApp::start(db).await;
    let email = cli_user(&app, "ana").await;

    let wrong = app
        .submit(
            "/sign-in",
            None,
            &[
                ("email", &email),
                ("password", "not it"),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    assert!(session_cookie(&wrong).is_none(), "no session");
    let encoded: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
    assert_eq!(
        location(&wrong),
        format!("/sign-in?error=credentials&email={encoded}&next=%2Fsettings")
    );
    let unknown = app
        .submit(
            "/sign-in",
            None,
            &[("email", "nobody@example.com"), ("password", "not it")],
        )
        .await;
    assert_eq!(
        location(&unknown),
        "/sign-in?error=credentials&email=nobody%40example.com"
    );

    let page = app.visit(location(&wrong), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = text(&page);
    assert!(page.contains("The email or password is wrong."), "{page}");
    assert!(page.contains(r#"role="alert""#));
    assert!(page.contains(r#"aria-describedby="sign-in-error""#));
    assert!(page.contains(&format!(r#"value="{email}""#)));
    assert!(page.contains(r#"name="next" value="/settings""#));
    assert!(page.contains(r#"autocomplete="current-password""#));
    assert!(page.contains("<title>Sign in"));

    // A foreign `next` is not followed.
    let right = app
        .submit(
            "/sign-in",
            None,
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&right), "/icps");
}

async fn cli_users_sign_in_and_the_session_id_changes(db: Database) {
    let app = TestApp::start(db).await;
    let email = cli_user(&app, "ana").await;
    let typed = format!("  {}  ", email.to_uppercase());

    let first = app
        .submit(
            "/sign-in",
            None,
            &[
                ("email", &typed),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(location(&first), "/settings");
    let first_cookie = session_cookie(&first).expect("signed in");

    let again = app
        .submit(
            "/sign-in",
            Some(&first_cookie),
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&again), "/icps");
    let second_cookie = session_cookie(&again).expect("a new session cookie");
    assert_ne!(
        first_cookie, second_cookie,
        "signing in gives a new session id"
    );

    assert_eq!(
        app.visit("/icps", Some(&second_cookie)).await.status,
        StatusCode::OK
    );
    let old = app.visit("/icps", Some(&first_cookie)).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "the old id is gone");
}

async fn signed_in_users_skip_the_account_pages(db: Database) {
    let app = TestApp::start(db).await;
    let (_, cookie) = app.signed_up("Ana").await;
    let sign_in = app.visit("/sign-in", Some(&cookie)).await;
    assert_eq!(
        (sign_in.status, location(&sign_in)),
        (StatusCode::SEE_OTHER, "/icps")
    );
    let sign_up = app.visit("/sign-up?next=%2Fsettings", Some(&cookie)).await;
    assert_eq!(location(&sign_up), "/settings");
    let foreign = app
        .visit("/sign-in?next=%2F%2Fevil.example", Some(&cookie))
        .await;
    assert_eq!(location(&foreign), "/icps");

    // What is not a page answers for itself.
    let api = app.visit(ICPS, None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    for asset in ["/pkg/icp-builder.js", "/favicon.ico", "/robots.txt"] {
        let reply = app.visit(asset, None).await;
        assert!(!location(&reply).starts_with("/sign-in"), "{asset}");
    }
    assert_eq!(app.visit("/sign-in", None).await.status, StatusCode::OK);
}

async fn sign_out_ends_the_session(db: Database) {
    let app = TestApp::start(db).await;
    let (_, cookie) = app.signed_up("Ana").await;
    assert_eq!(
        api_call(&app, Method::GET, Some(&cookie), None, None)
            .await
            .status,
        StatusCode::OK
    );

    let out = app.submit("/sign-out", Some(&cookie), &[]).await;
    assert_eq!(
        (out.status, location(&out)),
        (StatusCode::SEE_OTHER, "/sign-in")
    );
    assert!(session_cookie(&out).is_none(), "the cookie is cleared");

    let page = app.visit("/icps", Some(&cookie)).await;
    assert_eq!(location(&page), "/sign-in?next=%2Ficps");
    let api = api_call(&app, Method::GET, Some(&cookie), None, None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

async fn repeated_failures_are_refused_for_a_while(db: Database) {
    let app = TestApp::start(db).await;

    // Five failures for one email, each from a different address: the sixth try is refused, even
    // with the right password.
    let email = cli_user(&app, "ana").await;
    for _ in 0..5 {
        let reply = sign_in_from(&app, random_address(), &email, "wrong guess").await;
        assert!(location(&reply).starts_with("/sign-in?error=credentials&"));
    }
    let refused = sign_in_from(&app, random_address(), &email, PASSWORD).await;
    assert!(session_cookie(&refused).is_none());
    assert!(
        location(&refused).starts_with("/sign-in?error=locked&"),
        "{}",
        location(&refused)
    );
    assert!(
        location(&refused).contains("&retry=15"),
        "{}",
        location(&refused)
    );
    let page = app.visit(location(&refused), None).await;
    assert!(
        text(&page).contains("Too many failed sign-in attempts. Try again in 15 minutes."),
        "{}",
        text(&page)
    );

    // Twenty failures from one address, each for a different email: that address is refused,
    // another is not.
    let address = random_address();
    for n in 0..20 {
        let reply = sign_in_from(&app, address, &format!("guess{n}@example.com"), "x").await;
        assert!(location(&reply).starts_with("/sign-in?error=credentials&"));
    }
    let bo = cli_user(&app, "bo").await;
    let refused = sign_in_from(&app, address, &bo, PASSWORD).await;
    assert!(location(&refused).starts_with("/sign-in?error=locked&"));
    let elsewhere = sign_in_from(&app, random_address(), &bo, PASSWORD).await;
    assert_eq!(location(&elsewhere), "/icps");
    assert!(session_cookie(&elsewhere).is_some());
}

async fn api_takes_the_cookie_only_from_our_own_pages(db: Database) {
    let app = TestApp::start(db).await;
    let (email, cookie) = app.signed_up("Ana").await;
    let body = minimal("From the browser");

    let list = api_call(&app, Method::GET, Some(&cookie), None, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let ours = api_call(&app, Method::POST, Some(&cookie), Some(SITE), Some(&body)).await;
    assert_eq!(ours.status, StatusCode::CREATED, "{}", ours.body);

    let refused = json!({"error": {"code": "FORBIDDEN", "message": "Cross-site request refused"}});
    let foreign = api_call(
        &app,
        Method::POST,
        Some(&cookie),
        Some("https://evil.example"),
        Some(&body),
    )
    .await;
    assert_eq!(
        (foreign.status, &foreign.body),
        (StatusCode::FORBIDDEN, &refused)
    );
    let other_port = api_call(
        &app,
        Method::POST,
        Some(&cookie),
        Some("http://localhost:8080"),
        Some(&body),
    )
    .await;
    assert_eq!(other_port.status, StatusCode::FORBIDDEN);
    let unsourced = api_call(&app, Method::POST, Some(&cookie), None, Some(&body)).await;
    assert_eq!(
        (unsourced.status, &unsourced.body),
        (StatusCode::FORBIDDEN, &refused)
    );

    // Without an Origin, a same-site Referer will do.
    let referred = browser(Method::POST, ICPS, Some(&cookie))
        .header(header::REFERER, format!("{SITE}/icps/new"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    assert_eq!(app.raw(referred).await.status, StatusCode::CREATED);

    // Bearer calls need no Origin, and a foreign one does not matter.
    let (_, token) = icp_builder::auth::create_token(app.store.as_ref(), &email, "ci")
        .await
        .unwrap();
    assert_eq!(
        app.send(Method::POST, ICPS, Some(&token), Some(&body))
            .await
            .status,
        StatusCode::CREATED
    );
    let bearer = browser(Method::POST, ICPS, None)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    assert_eq!(app.raw(bearer).await.status, StatusCode::CREATED);

    // No credentials: 401 as before, but a foreign page gets 403.
    let anonymous = api_call(&app, Method::POST, None, None, Some(&body)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let anonymous_foreign = api_call(
        &app,
        Method::POST,
        None,
        Some("https://evil.example"),
        Some(&body),
    )
    .await;
    assert_eq!(anonymous_foreign.status, StatusCode::FORBIDDEN);
}

async fn cross_site_forms_are_refused(db: Database) {
    let app = TestApp::start(db).await;
    let (email, cookie) = app.signed_up("Ana").await;
    let user = app.store.user_by_email(&email).await.unwrap().unwrap().user;
    let evil = Some("https://evil.example");

    let out = app.submit_from(evil, "/sign-out", Some(&cookie), &[]).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert!(out.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(text(&out).contains("Cross-site request refused"));
    assert_eq!(
        app.visit("/icps", Some(&cookie)).await.status,
        StatusCode::OK,
        "still signed in"
    );

    for origin in [evil, Some("null"), None] {
        let token = app
            .submit_from(
                origin,
                "/settings/tokens",
                Some(&cookie),
                &[("label", "stolen")],
            )
            .await;
        assert_eq!(token.status, StatusCode::FORBIDDEN, "{origin:?}");
    }
    assert!(app.store.tokens(&user.id).await.unwrap().is_empty());

    // Login CSRF: a foreign page cannot sign the visitor in, even without a cookie.
    let login = app
        .submit_from(
            evil,
            "/sign-in",
            None,
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert!(session_cookie(&login).is_none());
}

async fn settings_create_list_and_revoke_tokens(db: Database) {
    let app = TestApp::start(db).await;
    let (email, cookie) = app.signed_up("Ana").await;
    let user = app.store.user_by_email(&email).await.unwrap().unwrap().user;

    let empty = app.visit("/settings", Some(&cookie)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        text(&empty).contains("You have no API tokens yet."),
        "{}",
        text(&empty)
    );
    assert!(
        text(&empty).contains(user.id.as_str()),
        "the page shows the user id"
    );

    let created = app
        .submit("/settings/tokens", Some(&cookie), &[("label", "CRM sync")])
        .await;
    assert_eq!(
        (created.status, location(&created)),
        (StatusCode::SEE_OTHER, "/settings")
    );

    let shown = app.visit("/settings", Some(&cookie)).await;
    assert_eq!(
        shown.headers[header::CACHE_CONTROL],
        "no-store",
        "no copy of the token is kept"
    );
    let token = shown_token(text(&shown)).expect("the new token is shown");
    assert!(text(&shown).contains(r#"class="token""#));
    assert!(text(&shown).contains("CRM sync"));
    assert!(text(&shown).contains("Active"));
    let again = app.visit("/settings", Some(&cookie)).await;
    assert_eq!(shown_token(text(&again)), None, "shown only once");
    assert!(text(&again).contains("CRM sync"), "still listed");

    assert_eq!(
        app.send(Method::GET, ICPS, Some(&token), None).await.status,
        StatusCode::OK
    );

    let listed = app.store.tokens(&user.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].label, "CRM sync");
    assert!(!listed[0].revoked);
    let revoke = format!("/settings/tokens/{}/revoke", listed[0].id);
    assert!(text(&again).contains(&format!(r#"action="{revoke}""#)));

    // Someone else cannot revoke it.
    let (_, other) = app.signed_up("Bo").await;
    let theirs = app.submit(&revoke, Some(&other), &[]).await;
    assert_eq!(location(&theirs), "/settings?error=token");
    assert_eq!(
        app.send(Method::GET, ICPS, Some(&token), None).await.status,
        StatusCode::OK
    );

    let revoked = app.submit(&revoke, Some(&cookie), &[]).await;
    assert_eq!(location(&revoked), "/settings?notice=revoked");
    let api = app.send(Method::GET, ICPS, Some(&token), None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    let page = app.visit(location(&revoked), Some(&cookie)).await;
    assert!(text(&page).contains("The token was revoked."));
    assert!(text(&page).contains("Revoked"));
    assert!(!text(&page).contains(&format!(r#"action="{revoke}""#)));
    assert!(app.store.tokens(&user.id).await.unwrap()[0].revoked);

    let twice = app.submit(&revoke, Some(&cookie), &[]).await;
    assert_eq!(location(&twice), "/settings?error=token");
    let blank = app
        .submit("/settings/tokens", Some(&cookie), &[("label", "   ")])
        .await;
    assert!(location(&blank).starts_with("/settings?error=label"));
    let page = app.visit(location(&blank), Some(&cookie)).await;
    assert!(text(&page).contains("Enter a label of up to 100 characters."));
}

async fn session_survives_a_restart(db: Database) {
    let app = TestApp::start(db).await;
    let (_, cookie) = app.signed_up("Ana").await;
    let app = app.restart().await;
    assert_eq!(
        app.visit("/icps", Some(&cookie)).await.status,
        StatusCode::OK
    );
    let api = api_call(&app, Method::GET, Some(&cookie), None, None).await;
    assert_eq!(api.status, StatusCode::OK);
}
