//! Accounts and sessions in the browser through the real router, on SQLite and on Postgres: the
//! sign-up, sign-in and sign-out forms, the sign-in rule for pages, the same-origin check, the
//! sign-in and sign-up limits (also under parallel guessing) and API tokens on the settings page
//! (never stored in clear).

use crate::common::{
    browser, form_body, location, minimal, on_both_databases, session_cookie, text, Database,
    Reply, TestApp, SITE,
};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use tower::ServiceExt;

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
    parallel_wrong_sign_ins_are_evaluated_at_most_five_times,
    sign_ups_are_limited_per_address,
    an_authorization_header_does_not_skip_the_origin_check_off_the_api,
    a_new_token_is_never_stored_in_clear,
    account_inputs_with_nul_get_the_form_error,
    a_failed_session_update_keeps_a_committed_answer,
    a_user_holds_at_most_fifty_sessions,
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
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

/// The `icp_new_token=…` pair a token's creation sets, as a `Cookie` header value.
fn pad_cookie(reply: &Reply) -> Option<String> {
    let name = icp_builder::auth::session::NEW_TOKEN_COOKIE;
    let set = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))?;
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Max-Age=600"), "{set}");
    set.split(';').next().map(str::to_owned)
}

/// The raw `data` of every row of the sessions table.
async fn session_rows(app: &TestApp) -> Vec<Vec<u8>> {
    match &app.database {
        Database::Sqlite { .. } => {
            let url = app.database.sqlite_url().unwrap();
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM sessions")
                .fetch_all(&pool)
                .await
                .unwrap();
            rows.into_iter().map(|(data,)| data).collect()
        }
        Database::Postgres { options } => {
            let pool = sqlx::PgPool::connect_with(options.as_ref().clone())
                .await
                .unwrap();
            let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM sessions")
                .fetch_all(&pool)
                .await
                .unwrap();
            rows.into_iter().map(|(data,)| data).collect()
        }
    }
}

/// The error code a sign-in or sign-up redirect carries (`credentials`, `locked`, …).
fn error_code(reply: &Reply) -> String {
    let query = location(reply)
        .split_once('?')
        .map_or("", |(_, query)| query);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "error")
        .map(|(_, code)| code.into_owned())
        .unwrap_or_default()
}

/// `count` wrong sign-ins for `email`, all sent at once; the address of the n-th is `address(n)`.
async fn parallel_sign_ins(
    app: &TestApp,
    email: &str,
    count: usize,
    address: impl Fn(usize) -> Option<[u8; 4]>,
) -> Vec<String> {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let mut request = browser(Method::POST, "/sign-in", None)
                .header(header::ORIGIN, SITE)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&[("email", email), ("password", "wrong guess")]))
                .expect("request");
            if let Some(address) = address(n) {
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
            }
            tokio::spawn(app.router.clone().oneshot(request))
        })
        .collect();
    let mut codes = Vec::new();
    for task in tasks {
        let response = task.await.expect("task").expect("router answers");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let reply = Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: Value::Null,
        };
        codes.push(error_code(&reply));
    }
    codes
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
    let (_, token) =
        icp_builder::auth::create_token(app.store.as_ref(), &email, "ci", Default::default())
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
    let pad = pad_cookie(&created).expect("the browser gets the pad");

    let shown = app
        .visit("/settings", Some(&format!("{cookie}; {pad}")))
        .await;
    assert_eq!(
        shown.headers[header::CACHE_CONTROL],
        "no-store",
        "no copy of the token is kept"
    );
    let token = shown_token(text(&shown)).expect("the new token is shown");
    assert!(text(&shown).contains(r#"class="token""#));
    assert!(text(&shown).contains("CRM sync"));
    assert!(text(&shown).contains("Active"));
    let again = app
        .visit("/settings", Some(&format!("{cookie}; {pad}")))
        .await;
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

async fn parallel_wrong_sign_ins_are_evaluated_at_most_five_times(db: Database) {
    let app = TestApp::start(db).await;
    let email = cli_user(&app, "ana").await;
    let codes = parallel_sign_ins(&app, &email, 40, |_| None).await;
    let evaluated = codes.iter().filter(|code| *code == "credentials").count();
    let locked = codes.iter().filter(|code| *code == "locked").count();
    assert_eq!((evaluated, locked), (5, 35), "{codes:?}");
    // The right password is refused too, for now.
    let refused = sign_in_from(&app, random_address(), &email, PASSWORD).await;
    assert_eq!(error_code(&refused), "locked");

    // Spread over 40 addresses, the email's limit still holds.
    let bo = cli_user(&app, "bo").await;
    let codes = parallel_sign_ins(&app, &bo, 40, |_| Some(random_address())).await;
    let evaluated = codes.iter().filter(|code| *code == "credentials").count();
    assert_eq!(evaluated, 5, "{codes:?}");

    // From one address to 40 emails, the address's limit of 20 holds.
    let address = random_address();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let mut request = browser(Method::POST, "/sign-in", None)
                .header(header::ORIGIN, SITE)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&[
                    ("email", format!("guess{n}@example.com").as_str()),
                    ("password", "x"),
                ]))
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
            tokio::spawn(app.router.clone().oneshot(request))
        })
        .collect();
    let mut evaluated = 0;
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        let to = response.headers()[header::LOCATION].to_str().unwrap();
        evaluated += usize::from(to.starts_with("/sign-in?error=credentials"));
    }
    assert_eq!(evaluated, 20);
}

/// A sign-up form post from `address`.
async fn sign_up_from(app: &TestApp, address: [u8; 4], email: &str, password: &str) -> Reply {
    let mut request = browser(Method::POST, "/sign-up", None)
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("name", "Team member"),
            ("email", email),
            ("password", password),
        ]))
        .expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((address, 40_000))));
    app.raw(request).await
}

async fn sign_ups_are_limited_per_address(db: Database) {
    let app = TestApp::start(db).await;
    let office = random_address();
    let email = |n: usize| format!("member{n}-{}@example.com", uuid::Uuid::new_v4().simple());
    // Refused before any hashing: not counted.
    for n in 0..5 {
        let short = sign_up_from(&app, office, &email(n), "short").await;
        assert_eq!(error_code(&short), "password");
    }
    for n in 0..10 {
        let made = sign_up_from(&app, office, &email(n), PASSWORD).await;
        assert_eq!(location(&made), "/icps", "sign-up {n}");
        assert!(session_cookie(&made).is_some());
    }
    let eleventh = email(11);
    let refused = sign_up_from(&app, office, &eleventh, PASSWORD).await;
    assert_eq!(error_code(&refused), "sign-ups", "{}", location(&refused));
    assert!(
        location(&refused).contains("&retry=15"),
        "{}",
        location(&refused)
    );
    assert!(session_cookie(&refused).is_none());
    assert!(app.store.user_by_email(&eleventh).await.unwrap().is_none());
    let page = app.visit(location(&refused), None).await;
    assert!(
        text(&page)
            .contains("Too many accounts were created from your network. Try again in 15 minutes."),
        "{}",
        text(&page)
    );
    assert!(text(&page).contains(&format!(r#"value="{eleventh}""#)));

    let elsewhere = sign_up_from(&app, random_address(), &eleventh, PASSWORD).await;
    assert_eq!(location(&elsewhere), "/icps");
}

async fn an_authorization_header_does_not_skip_the_origin_check_off_the_api(db: Database) {
    let app = TestApp::start(db).await;
    let (email, cookie) = app.signed_up("Ana").await;
    let user = app.store.user_by_email(&email).await.unwrap().unwrap().user;
    let icp = api_call(
        &app,
        Method::POST,
        Some(&cookie),
        Some(SITE),
        Some(&minimal("Kept")),
    )
    .await;
    assert_eq!(icp.status, StatusCode::CREATED);
    let id = icp.body["id"].as_str().unwrap().to_owned();

    let delete = format!("/forms/icps/{id}/delete");
    for path in [
        "/settings/tokens",
        "/sign-out",
        delete.as_str(),
        "/forms/icps",
        "/fn/delete_icp",
        "/sign-in",
    ] {
        for authorization in ["Bearer nonsense", "Basic YTpi", ""] {
            let request = browser(Method::POST, path, Some(&cookie))
                .header(header::ORIGIN, "https://evil.example")
                .header(header::AUTHORIZATION, authorization)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&[("label", "stolen"), ("name", "Changed")]))
                .unwrap();
            let reply = app.raw(request).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path} {authorization:?}"
            );
            assert!(text(&reply).contains("Cross-site request refused"));
        }
    }
    assert!(app.store.tokens(&user.id).await.unwrap().is_empty());
    assert_eq!(
        app.visit("/icps", Some(&cookie)).await.status,
        StatusCode::OK,
        "still signed in"
    );
    let kept = api_call(&app, Method::GET, Some(&cookie), None, None).await;
    assert_eq!(kept.body.as_array().map(Vec::len), Some(1), "{}", kept.body);

    // The API authenticates such calls by the header alone, so they stay exempt (and a bad
    // header is a 401, the cookie notwithstanding).
    let api = browser(Method::DELETE, &format!("{ICPS}/{id}"), Some(&cookie))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::AUTHORIZATION, "Bearer nonsense")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(api).await.status, StatusCode::UNAUTHORIZED);
    assert!(app.store.icp(id.parse().unwrap()).await.unwrap().is_some());
}

async fn a_new_token_is_never_stored_in_clear(db: Database) {
    let app = TestApp::start(db).await;
    let (_, cookie) = app.signed_up("Ana").await;
    let created = app
        .submit("/settings/tokens", Some(&cookie), &[("label", "CRM sync")])
        .await;
    assert_eq!(location(&created), "/settings");
    let pad = pad_cookie(&created).unwrap();
    let rows_before_shown = session_rows(&app).await;
    assert!(!rows_before_shown.is_empty());

    // Without the browser's pad (another browser, a stolen session id) the token is not shown.
    let elsewhere = app.visit("/settings", Some(&cookie)).await;
    assert_eq!(shown_token(text(&elsewhere)), None);
    let created = app
        .submit("/settings/tokens", Some(&cookie), &[("label", "Second")])
        .await;
    let pad = pad_cookie(&created).unwrap_or(pad);
    let rows_before_second_shown = session_rows(&app).await;
    let shown = app
        .visit("/settings", Some(&format!("{cookie}; {pad}")))
        .await;
    let token = shown_token(text(&shown)).expect("shown with the pad");
    assert!(text(&shown).contains("Second"));

    let secret = token.strip_prefix("icp_").unwrap().as_bytes();
    for row in rows_before_shown
        .iter()
        .chain(&rows_before_second_shown)
        .chain(&session_rows(&app).await)
    {
        assert!(
            !row.windows(secret.len()).any(|window| window == secret),
            "the token is in a sessions row"
        );
    }
    assert_eq!(
        app.send(Method::GET, ICPS, Some(&token), None).await.status,
        StatusCode::OK
    );
}

async fn account_inputs_with_nul_get_the_form_error(db: Database) {
    let app = TestApp::start(db).await;
    let email = format!("ana-{}@example.com", uuid::Uuid::new_v4().simple());
    let nul_email = format!("nul\0{email}");
    for (name, email, code) in [
        ("Ana\0Lopez", email.as_str(), "name"),
        ("Ana", nul_email.as_str(), "email"),
    ] {
        let reply = app
            .submit(
                "/sign-up",
                None,
                &[("name", name), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(error_code(&reply), code, "{}", location(&reply));
        assert!(!location(&reply).contains("%00"), "{}", location(&reply));
        let page = app.visit(location(&reply), None).await;
        assert_eq!(page.status, StatusCode::OK);
    }

    let known = cli_user(&app, "bo").await;
    let nul_sign_in = app
        .submit(
            "/sign-in",
            None,
            &[("email", &format!("{known}\0")), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(error_code(&nul_sign_in), "credentials");
    assert!(session_cookie(&nul_sign_in).is_none());

    let (owner, cookie) = app.signed_up("Cy").await;
    let label = app
        .submit("/settings/tokens", Some(&cookie), &[("label", "CRM\0sync")])
        .await;
    assert_eq!(error_code(&label), "label", "{}", location(&label));
    let user = app.store.user_by_email(&owner).await.unwrap().unwrap().user;
    assert!(app.store.tokens(&user.id).await.unwrap().is_empty());
}

/// Makes every later write to the sessions table fail, as a full disk or a lost connection would.
async fn break_session_writes(app: &TestApp) {
    match &app.database {
        Database::Sqlite { .. } => {
            let url = app.database.sqlite_url().unwrap();
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            for event in ["INSERT", "UPDATE"] {
                sqlx::query(&format!(
                    "CREATE TRIGGER sessions_refuse_{event} BEFORE {event} ON sessions \
                     BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                ))
                .execute(&pool)
                .await
                .unwrap();
            }
        }
        Database::Postgres { options } => {
            let pool = sqlx::PgPool::connect_with(options.as_ref().clone())
                .await
                .unwrap();
            sqlx::query(
                "CREATE FUNCTION sessions_refuse() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
            )
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER sessions_refuse BEFORE INSERT OR UPDATE ON sessions \
                 FOR EACH ROW EXECUTE FUNCTION sessions_refuse()",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
    }
}

async fn a_failed_session_update_keeps_a_committed_answer(db: Database) {
    let app = TestApp::start(db).await;
    let caller = app.caller("ana").await;
    // A session not yet marked as used today: the first request marks it, which is an update the
    // session layer saves after the handler.
    let cookie = app.session_cookie(&caller).await;
    break_session_writes(&app).await;

    let created = api_call(
        &app,
        Method::POST,
        Some(&cookie),
        Some(SITE),
        Some(&minimal("Saved once")),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert!(app.store.icp(id.parse().unwrap()).await.unwrap().is_some());
    let listed = app.get(&caller, ICPS).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "no duplicate"
    );
    assert_eq!(
        app.visit("/icps", Some(&cookie)).await.status,
        StatusCode::OK,
        "pages still open"
    );

    // A new session cannot be stored: signing in says so, on the form, not as a bare 500.
    let email = cli_user(&app, "bo").await;
    let sign_in = app
        .submit(
            "/sign-in",
            None,
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(sign_in.status, StatusCode::SEE_OTHER);
    assert_eq!(error_code(&sign_in), "server");
    assert!(session_cookie(&sign_in).is_none());

    // Signing up commits the account before the session: the answer says the account exists.
    let email = format!("cy-{}@example.com", uuid::Uuid::new_v4().simple());
    let sign_up = app
        .submit(
            "/sign-up",
            None,
            &[("name", "Cy"), ("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(sign_up.status, StatusCode::SEE_OTHER);
    assert!(
        location(&sign_up).starts_with("/sign-in?error=created&"),
        "{}",
        location(&sign_up)
    );
    assert!(app.store.user_by_email(&email).await.unwrap().is_some());
    let page = app.visit(location(&sign_up), None).await;
    assert!(text(&page).contains("Your account was created, but you could not be signed in."));
    assert!(text(&page).contains(&format!(r#"value="{email}""#)));
}

/// Every successful sign-in makes a session: past `MAX_SESSIONS` (50) for one user, each new one
/// ends that user's oldest, so sign-ins cannot fill the session store.
async fn a_user_holds_at_most_fifty_sessions(db: Database) {
    let app = TestApp::start(db).await;
    let email = cli_user(&app, "Many").await;
    let max = icp_builder::auth::session::MAX_SESSIONS as usize;
    let mut cookies = Vec::new();
    for _ in 0..max + 2 {
        let signed_in = sign_in_from(&app, [10, 0, 0, 1], &email, PASSWORD).await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        cookies.push(session_cookie(&signed_in).expect("a session cookie"));
    }
    let opens = |cookie: String| {
        let app = &app;
        async move { app.visit("/icps", Some(&cookie)).await.status == StatusCode::OK }
    };
    assert!(!opens(cookies[0].clone()).await, "the oldest session ended");
    assert!(!opens(cookies[1].clone()).await, "the second oldest ended");
    assert!(opens(cookies[2].clone()).await, "the 50 newest stay");
    assert!(opens(cookies[max + 1].clone()).await);
    // Another user's sessions are their own.
    let (_, other) = app.signed_up("Other").await;
    assert!(opens(other).await);
    assert!(opens(cookies[2].clone()).await);
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(db: Database) {
    let app = TestApp::start(db).await;
    let email = cli_user(&app, "Changer").await;
    let sign_in = |password: &'static str| {
        let (app, email) = (&app, email.clone());
        async move { sign_in_from(app, random_address(), &email, password).await }
    };
    let here = session_cookie(&sign_in(PASSWORD).await).expect("a session");
    let elsewhere = session_cookie(&sign_in(PASSWORD).await).expect("another session");
    let change = |cookie: Option<String>, current: &'static str, new: &'static str| {
        let app = &app;
        async move {
            let fields = [("current-password", current), ("password", new)];
            app.submit("/settings/password", cookie.as_deref(), &fields)
                .await
        }
    };

    // A wrong current password, or a short new one, changes nothing and says why at the field.
    let wrong = change(Some(here.clone()), "not my password", "a new passphrase").await;
    assert_eq!(location(&wrong), "/settings?error=current-password");
    let short = change(Some(here.clone()), PASSWORD, "short").await;
    assert_eq!(location(&short), "/settings?error=password");
    let page = app.visit(location(&wrong), Some(&here)).await;
    assert!(text(&page).contains("Your current password is wrong."));
    assert_eq!(sign_in(PASSWORD).await.status, StatusCode::SEE_OTHER);

    // Changed: the session it was made in goes on (under a new id), every other one ends, and
    // only the new password signs in.
    let changed = change(Some(here.clone()), PASSWORD, "a new passphrase").await;
    assert_eq!(location(&changed), "/settings?notice=password");
    let renewed = session_cookie(&changed).expect("the session is renewed");
    assert_ne!(renewed, here, "a new session id");
    let page = app.visit("/settings?notice=password", Some(&renewed)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("Your password was changed."));
    for old in [here, elsewhere] {
        let page = app.visit("/icps", Some(&old)).await;
        assert_eq!(
            location(&page),
            "/sign-in?next=%2Ficps",
            "an old session ended"
        );
    }
    let old = sign_in(PASSWORD).await;
    assert!(location(&old).starts_with("/sign-in?error=credentials"));
    let new = sign_in("a new passphrase").await;
    assert_eq!(
        (new.status, location(&new)),
        (StatusCode::SEE_OTHER, "/icps")
    );

    // Signed out, the form leads to the sign-in page.
    let out = change(None, "a new passphrase", "another passphrase").await;
    assert_eq!(location(&out), "/sign-in?next=%2Fsettings");
}
