//! The pages through the real router: the builder, its plain-form path, the list and the detail.

use crate::common;
use crate::common::{browser, minimal, on_both_databases, Database, TestApp, SITE};
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use icp_builder::builder::form::draft_to_pairs;
use icp_builder::builder::save::SaveIcp;
use icp_builder::domain::validate_draft;
use icp_builder::page_error::PageError;
use icp_builder::pages::invitation::InvitationData;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

on_both_databases!(
    builder_renders_on_the_server_with_a_first_lead_row,
    a_plain_form_post_creates_the_icp,
    a_plain_form_post_with_errors_comes_back_with_values_and_errors,
    plain_row_buttons_add_and_remove_rows_keeping_values,
    editing_through_the_plain_form_keeps_what_the_form_does_not_show,
    list_and_detail_show_the_users_icps_only,
    delete_form_removes_the_icp,
    a_plain_post_with_too_many_rows_comes_back_with_the_first_rows_and_a_message,
    add_buttons_past_the_row_limits_are_refused_with_values_kept,
    a_tag_list_past_its_limit_comes_back_cut_with_a_message,
    form_posts_past_the_size_limit_are_refused_with_a_page,
    server_function_calls_past_the_size_limit_are_refused,
    server_function_calls_that_cannot_be_read_are_refused_with_400,
    an_edit_through_the_plain_form_stores_exactly_what_was_cleared,
    the_list_pages_by_fifty_with_a_count_and_plain_links,
    a_bad_page_link_shows_the_first_page,
    the_list_sorts_by_name_and_by_update_through_every_page,
    the_regions_of_a_rows_countries_come_as_options,
);

fn html(reply: &common::Reply) -> &str {
    reply.body.as_str().unwrap_or_default()
}

/// The builder's start in `html`: the JSON of its `<script type="application/json"
/// id="builder-start">`.
fn builder_start(html: &str) -> Value {
    let script = html
        .split("<script type=\"application/json\" id=\"builder-start\"")
        .nth(1)
        .and_then(|script| script.split_once('>'))
        .and_then(|(_, text)| text.split("</script>").next())
        .expect("the builder's start");
    serde_json::from_str(script).expect("the start is JSON as written")
}

async fn builder_renders_on_the_server_with_a_first_lead_row(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let page = app.browser(&cookie, Method::GET, "/icps/new", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = html(&page);
    for needle in [
        "method=\"post\" action=\"/forms/icps\"",
        "id=\"name\"",
        "name=\"lead.1.type\"",
        "id=\"lead.1.job_title.new\"",
        "Add filter",
        "Copy as curl",
        me.id.as_str(),
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    // The preview shows the body the API would get for the empty form.
    assert!(
        html.contains("&quot;leadProviderCriteria&quot;")
            || html.contains("\"leadProviderCriteria\"")
    );
    // The form is the page's one island: the part the browser hydrates, started from the JSON
    // the server wrote before it (the user is in it); the page around it is HTML only.
    assert_eq!(html.matches("<leptos-island").count(), 1, "{html}");
    let (before, island) = html.split_once("<leptos-island").unwrap();
    assert!(!island.contains("data-props"), "an island without props");
    let start = builder_start(before);
    assert_eq!(start["creator"]["id"], me.id.as_str(), "{start}");
    // "Shared with" names the builder, who is always among the ICP's users.
    let chip = html
        .split(&format!("data-user-id=\"{}\"", me.id))
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_default();
    assert!(chip.contains(">ana") && chip.contains(" (you)"), "{chip}");

    // Whatever a name holds, the start stays one script of JSON that reads back as typed.
    let name = "</title></script><script>alert(1)</script> <!-- </SCRIPT";
    let icp = app.create(&me, &minimal(name)).await;
    let id = icp["id"].as_str().unwrap();
    let edit = app
        .browser(&cookie, Method::GET, &format!("/icps/{id}/edit"), None)
        .await;
    let html = self::html(&edit);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    // The title too (leptos_meta writes it as given).
    assert!(
        html.contains("<title>Edit “&lt;/title&gt;&lt;/script&gt;"),
        "{html}"
    );
    let start = builder_start(html);
    let pairs = start["pairs"].as_array().unwrap();
    assert!(pairs.contains(&json!(["name", name])), "{start}");
}

async fn the_regions_of_a_rows_countries_come_as_options(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    // The builder's page holds an empty list for them (5,000+ regions are not sent to everyone).
    let page = app.browser(&cookie, Method::GET, "/icps/new", None).await;
    let list = html(&page)
        .split("<datalist id=\"vocabulary-regions\">")
        .nth(1)
        .and_then(|list| list.split("</datalist>").next())
        .expect("the regions list");
    assert!(!list.contains("<option"), "{list}");
    let options = |query: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let reply = app
                .browser(
                    &cookie,
                    Method::GET,
                    &format!("/vocabularies/regions?{query}"),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}");
            html(&reply).matches("<option ").count()
        }
    };
    // A country by name, alias or code, each once: Switzerland's 26 cantons, Germany's 16 Länder.
    assert_eq!(
        options("country=Schweiz&country=CH&country=switzerland").await,
        26
    );
    assert_eq!(
        options("country=Switzerland&country=Deutschland&country=Atlantis").await,
        42
    );
    assert_eq!(options("").await, 0);
    let reply = app
        .browser(
            &cookie,
            Method::GET,
            "/vocabularies/regions?country=CH",
            None,
        )
        .await;
    assert!(
        html(&reply).contains("<option value=\"Zürich\" label=\"CH-ZH"),
        "{}",
        html(&reply)
    );
    // At most five countries an answer.
    let six = "country=FR&country=IT&country=ES&country=PT&country=AT&country=CH";
    let five = options("country=FR&country=IT&country=ES&country=PT&country=AT").await;
    assert_eq!(options(six).await, five);
    // Only for signed-in people, like the builder.
    let anonymous = app
        .send(Method::GET, "/vocabularies/regions?country=CH", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

async fn a_plain_form_post_creates_the_icp(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let form = [
        ("name", "  DACH Tech Leaders "),
        ("description", "Technology leaders"),
        ("leadsPerList", "20"),
        ("activeUntil", ""),
        ("userIds", ""),
        ("userIds.new", "user_teammate123"),
        ("lead.1.type", "person"),
        ("lead.1.job_title.new", "CTO, VP Engineering"),
        ("lead.1.country.new", "Germany"),
        ("lead.1.employee_min", "100"),
        ("lead.1.employee_max", "5000"),
        ("filter.2.type", "maxPeoplePerCompany"),
        ("filter.2.value", "2"),
        ("_filter_kind", "website"),
    ];
    let posted = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&form))
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let location = posted.headers["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/icps/")
        .expect("lands on the ICP page");
    let icp = app
        .get(&me, &format!("/api/v1/entities/icps/{id}"))
        .await
        .body;
    assert_eq!(icp["name"], "DACH Tech Leaders");
    assert_eq!(icp["leadsPerList"], 20);
    assert_eq!(icp["userIds"], json!(["user_teammate123", me.id.as_str()]));
    assert_eq!(
        icp["leadProviderCriteria"],
        json!([{"provider": "baseProvider", "type": "person", "filters": {
            "job_title": ["CTO", "VP Engineering"],
            "location": {"country": ["Germany"]},
            "company": {"employee_size": {"min": 100, "max": 5000}}
        }}])
    );
    assert_eq!(
        icp["customFilterCriteria"],
        json!([{"type": "maxPeoplePerCompany", "value": 2}])
    );
    assert_eq!(icp["crmFilters"], json!(null));
}

async fn a_plain_form_post_with_errors_comes_back_with_values_and_errors(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let form = [
        ("name", ""),
        ("description", "Kept description"),
        ("lead.1.type", "person"),
        ("lead.1.job_title.new", "Head of Sales"),
        ("filter.2.type", "matchFieldWithRegex"),
        ("filter.2.field", "company.name"),
        ("filter.2.regex", "(unclosed"),
    ];
    let page = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&form))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = html(&page);
    assert!(html.contains("2 problems to fix"), "{html}");
    assert!(
        html.contains("id=\"name-error\" class=\"field-error\">Must not be empty"),
        "{html}"
    );
    assert!(html.contains("Invalid regular expression"));
    assert!(html.contains("href=\"#filter.2.regex\""));
    assert!(html.contains("Kept description"));
    assert!(html.contains("value=\"(unclosed\""));
    assert!(html.contains("value=\"Head of Sales\""));
    assert_eq!(
        app.get(&me, "/api/v1/entities/icps").await.body,
        json!([]),
        "nothing was stored"
    );
}

async fn plain_row_buttons_add_and_remove_rows_keeping_values(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let form = [
        ("name", "Rows"),
        ("lead.1.type", "company"),
        ("lead.1.industry.new", "Fintech"),
        ("_filter_kind", "ai"),
        ("_action", "add-filter"),
    ];
    let page = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&form))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let text = html(&page);
    assert!(
        text.contains("name=\"filter.2.type\" value=\"ai\""),
        "{text}"
    );
    assert!(text.contains("id=\"filter.2.prompt\""));
    assert!(text.contains("value=\"Rows\""));
    assert!(text.contains("value=\"Fintech\""));
    assert!(!text.contains("problems to fix"));
    // The page sent back is the signed-in user's own: the header still offers to sign out.
    assert!(text.contains("Sign out"), "{text}");

    let removed = app
        .browser(
            &cookie,
            Method::POST,
            "/forms/icps",
            Some(&[
                ("name", "Rows"),
                ("lead.1.type", "person"),
                ("_action", "remove:lead.1"),
            ]),
        )
        .await;
    assert!(!html(&removed).contains("name=\"lead.1.type\""));
    assert!(html(&removed).contains("value=\"Rows\""));
    assert_eq!(app.get(&me, "/api/v1/entities/icps").await.body, json!([]));
}

async fn editing_through_the_plain_form_keeps_what_the_form_does_not_show(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let mut body = minimal("Before");
    body["leadProviderCriteria"] = json!([{"provider": "baseProvider", "filters": {"funding_stage": ["Seed"], "job_title": ["CTO"]}}]);
    let created = app.create(&me, &body).await;
    let id = created["id"].as_str().unwrap();

    let edit = app
        .browser(&cookie, Method::GET, &format!("/icps/{id}/edit"), None)
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(html(&edit).contains("value=\"Before\""));
    assert!(html(&edit).contains(&format!("action=\"/forms/icps/{id}\"")));

    let form = [
        ("name", "After"),
        ("leadsPerList", "10"),
        ("lead.1.type", "person"),
        ("lead.1.other", "{\"funding_stage\":[\"Seed\"]}"),
        ("lead.1.job_title", "CTO"),
    ];
    let saved = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&form),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let icp = app
        .get(&me, &format!("/api/v1/entities/icps/{id}"))
        .await
        .body;
    assert_eq!(icp["name"], "After");
    assert_eq!(icp["createdAt"], created["createdAt"]);
    assert_eq!(
        icp["leadProviderCriteria"][0]["filters"],
        json!({"funding_stage": ["Seed"], "job_title": ["CTO"]})
    );
}

async fn list_and_detail_show_the_users_icps_only(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let other = app.caller("bo").await;
    let mine = app.create(&me, &common::example("basic-icp")).await;
    let theirs = app.create(&other, &minimal("Not for Ana")).await;
    let cookie = app.session_cookie(&me).await;

    let list = app.browser(&cookie, Method::GET, "/icps", None).await;
    assert_eq!(list.status, StatusCode::OK);
    // Pages without a builder are HTML only: nothing of theirs runs in the browser.
    assert!(!html(&list).contains("<leptos-island"));
    assert!(html(&list).contains("DACH Tech Leaders"));
    // Whom each ICP targets, in a line.
    assert!(html(&list).contains(
        "data-label=\"Targets\">CTO, VP Engineering, Head of Technology · Germany, Austria, Switzerland · 100–5000 employees"
    ));
    assert!(!html(&list).contains("Not for Ana"));

    let detail = app
        .browser(
            &cookie,
            Method::GET,
            &format!("/icps/{}", mine["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!html(&detail).contains("<leptos-island"));
    assert!(html(&detail).contains("At most 2 people per company"));
    assert!(html(&detail).contains("Job titles: CTO, VP Engineering, Head of Technology"));

    let forbidden = app
        .browser(
            &cookie,
            Method::GET,
            &format!("/icps/{}", theirs["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(html(&forbidden).contains("have access to this ICP"));
    assert!(!html(&forbidden).contains("Not for Ana"));

    let missing = app
        .browser(
            &cookie,
            Method::GET,
            "/icps/550e8400-e29b-41d4-a716-446655440000",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(html(&missing).contains("This ICP doesn’t exist"));

    let empty_cookie = app.session_cookie(&app.caller("cy").await).await;
    let empty = app.browser(&empty_cookie, Method::GET, "/icps", None).await;
    assert!(html(&empty).contains("Build your first ICP"));
}

async fn delete_form_removes_the_icp(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let other = app.caller("bo").await;
    let cookie = app.session_cookie(&me).await;
    let mine = app.create(&me, &minimal("Doomed")).await;
    let theirs = app.create(&other, &minimal("Safe")).await;
    let id = mine["id"].as_str().unwrap();
    let deleted = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}/delete"),
            Some(&[]),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(deleted.headers["location"], "/icps");
    assert_eq!(
        app.get(&me, &format!("/api/v1/entities/icps/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let refused = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{}/delete", theirs["id"].as_str().unwrap()),
            Some(&[]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(
            &other,
            &format!("/api/v1/entities/icps/{}", theirs["id"].as_str().unwrap())
        )
        .await
        .status,
        StatusCode::OK
    );
}

/// `count` lead-source rows after a name; the first 60 with a job title.
fn many_leads(count: usize) -> Vec<(String, String)> {
    let mut form = vec![("name".to_owned(), "Many rows".to_owned())];
    for key in 1..=count {
        form.push((format!("lead.{key}.type"), "company".into()));
        if key <= 60 {
            form.push((format!("lead.{key}.job_title.new"), format!("Title {key}")));
        }
    }
    form
}

fn borrowed(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

async fn a_plain_post_with_too_many_rows_comes_back_with_the_first_rows_and_a_message(
    db: Database,
) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    // The issue's post: thousands of rows, well inside the size limit (and within the 4,000 fields
    // a post may hold). Saving and a row button alike are refused before the rows are worked on.
    for action in [None, Some("add-condition")] {
        let mut form = many_leads(3_000);
        if let Some(action) = action {
            form.push(("_action".into(), action.into()));
        }
        let page = app
            .browser(&cookie, Method::POST, "/forms/icps", Some(&borrowed(&form)))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{action:?}");
        let text = html(&page);
        assert!(text.contains("1 problem to fix"), "{text}");
        assert!(text.contains(
            "Lead sources: At most 50 lead sources are allowed; the form sent had 3000, so only the \
             first 50 are kept. Nothing was saved."
        ));
        assert!(text.contains("value=\"Many rows\""));
        assert!(text.contains("value=\"Title 50\""));
        assert!(!text.contains("name=\"lead.51.type\""));
        assert!(!text.contains("Title 51"));
    }
    assert_eq!(app.get(&me, "/api/v1/entities/icps").await.body, json!([]));
}

async fn add_buttons_past_the_row_limits_are_refused_with_values_kept(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let mut form = vec![("name".to_owned(), "Full".to_owned())];
    for key in 1..=50 {
        form.push((format!("filter.{key}.type"), "ai".into()));
        form.push((format!("filter.{key}.prompt"), format!("Prompt {key}")));
    }
    form.push(("_filter_kind".into(), "website".into()));
    form.push(("_action".into(), "add-filter".into()));
    let page = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&borrowed(&form)))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = html(&page);
    assert!(text.contains(
        "Custom filters: At most 50 custom filters are allowed; remove one before adding another."
    ));
    assert!(text.contains("value=\"Full\""));
    assert!(text.contains("Prompt 50"));
    assert!(!text.contains("name=\"filter.51.type\""));

    // One row fewer, and the button works.
    form.retain(|(name, _)| !name.starts_with("filter.1."));
    let page = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&borrowed(&form)))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(html(&page).contains("name=\"filter.51.type\" value=\"website\""));
}

async fn form_posts_past_the_size_limit_are_refused_with_a_page(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("name", "Big"), ("description", &"x".repeat(256 * 1024))])
        .finish();
    // Announced by Content-Length, and streamed without it.
    for declared in [true, false] {
        let mut request = browser(Method::POST, "/forms/icps", Some(&cookie))
            .header(header::ORIGIN, SITE)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let body = if declared {
            request = request.header(header::CONTENT_LENGTH, encoded.len());
            Body::from(encoded.clone())
        } else {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = encoded
                .as_bytes()
                .chunks(8 * 1024)
                .map(|chunk| Ok(chunk.to_vec()))
                .collect();
            Body::from_stream(futures_util::stream::iter(chunks))
        };
        let reply = app.raw(request.body(body).expect("request")).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{declared}");
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(html(&reply).contains("This form is too large"));
        assert!(html(&reply).contains("larger than 256 KiB"));
    }
    // Just under the limit is read and handled as any form (here: a description that is too long).
    let under = "x".repeat(200 * 1024);
    let page = app
        .browser(
            &cookie,
            Method::POST,
            "/forms/icps",
            Some(&[("name", "Big"), ("description", &under)]),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("Must be at most 2000 characters"));
    assert_eq!(app.get(&me, "/api/v1/entities/icps").await.body, json!([]));
}

async fn server_function_calls_past_the_size_limit_are_refused(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let save = |body: String| {
        browser(Method::POST, SaveIcp::PATH, Some(&cookie))
            .header(header::ORIGIN, SITE)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(json!({ "body": body }).to_string()))
            .expect("request")
    };
    let invalid =
        |reply: &common::Reply| match serde_json::from_value::<PageError>(reply.body.clone()) {
            Ok(PageError::Invalid(details)) => details[0].message.clone(),
            other => panic!("not an Invalid error: {other:?}"),
        };

    // A call whose body passes 512 KiB is not read.
    let huge = json!({"name": "x", "description": "\"".repeat(300 * 1024)}).to_string();
    let reply = app.raw(save(huge)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(invalid(&reply).contains("larger than 256 KiB"));

    // A smaller call whose JSON passes the API's 256 KiB is refused by the save function itself.
    let big = json!({"name": "x", "description": "y".repeat(300 * 1024)}).to_string();
    let reply = app.raw(save(big)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(invalid(&reply).contains("larger than 256 KiB"));

    // The builder's ordinary call still works.
    let reply = app.raw(save(minimal("Small").to_string())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        app.get(&me, "/api/v1/entities/icps").await.body[0]["name"],
        "Small"
    );
}

/// A save call whose arguments do not decode is the caller's mistake: 400 with the builder's
/// error type saying why, never a 500, and nothing stored.
async fn server_function_calls_that_cannot_be_read_are_refused_with_400(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    for (content_type, body) in [
        ("application/json", "not json"),
        ("application/json", "{}"),
        ("application/json", r#"{"body": 5}"#),
        ("application/json", r#"{"body": "{}", "everyone": "yes"}"#),
        ("application/x-www-form-urlencoded", "body=%7B%7D"),
    ] {
        let request = browser(Method::POST, SaveIcp::PATH, Some(&cookie))
            .header(header::ORIGIN, SITE)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "application/json")
            .body(Body::from(body))
            .expect("request");
        let reply = app.raw(request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        match serde_json::from_value::<PageError>(reply.body.clone()) {
            Ok(PageError::BadRequest(why)) => assert!(!why.is_empty(), "{body}"),
            other => panic!("{body}: not a BadRequest error: {other:?}"),
        }
    }
    assert_eq!(app.get(&me, "/api/v1/entities/icps").await.body, json!([]));

    // The same for the invitation page's call, without its `token`.
    let request = browser(Method::POST, InvitationData::PATH, Some(&cookie))
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from("zz=1"))
        .expect("request");
    let reply = app.raw(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        matches!(
            serde_json::from_value::<PageError>(reply.body.clone()),
            Ok(PageError::BadRequest(_))
        ),
        "{}",
        reply.body
    );
}

async fn an_edit_through_the_plain_form_stores_exactly_what_was_cleared(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let mut body = common::example("crm-integration");
    body["activeUntil"] = json!("2031-06-30T12:00:00.000Z");
    body["leadProviderCriteria"] =
        json!([{"provider": "baseProvider", "type": "person", "filters": {"job_title": ["CTO"]}}]);
    body["customFilterCriteria"] = json!([
        {"type": "maxPeoplePerCompany", "value": 2},
        {"type": "minDaysUntilReuse", "value": 90}
    ]);
    let created = app.create(&me, &body).await;
    let id = created["id"].as_str().unwrap();

    // The edit page shows the ICP as these fields: lead 1, filters 2 and 3, conditions 4 and 5.
    let mut form = draft_to_pairs(&validate_draft(&body).expect("valid"));
    let edit = app
        .browser(&cookie, Method::GET, &format!("/icps/{id}/edit"), None)
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    for (name, value) in [
        (
            "description",
            "Re-engage existing CRM contacts in specific regions",
        ),
        ("activeUntil", "2031-06-30T12:00"),
        ("filter.2.type", "maxPeoplePerCompany"),
        ("crm.4.path", "address.countryName"),
        ("crm.5.value", "Active"),
    ] {
        assert!(form.contains(&(name.into(), value.into())), "{name}");
        assert!(
            html(&edit).contains(&format!("name=\"{name}\"")),
            "the edit page has no {name}"
        );
    }

    // The "Remove" buttons send the form back without the row, everything else kept.
    let mut removing: Vec<(String, String)> = form.clone();
    removing.push(("_action".into(), "remove:filter.2".into()));
    let page = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&borrowed(&removing)),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!html(&page).contains("name=\"filter.2.type\""));
    assert!(html(&page).contains("name=\"filter.3.type\""));

    // Save with the description and end date emptied, filter 2 and condition 4 removed.
    form.retain(|(name, _)| !name.starts_with("filter.2.") && !name.starts_with("crm.4."));
    for (name, value) in form.iter_mut() {
        if name == "description" || name == "activeUntil" {
            value.clear();
        }
    }
    let saved = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&borrowed(&form)),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = app
        .get(&me, &format!("/api/v1/entities/icps/{id}"))
        .await
        .body;
    let mut expected = created.clone();
    expected["description"] = Value::Null;
    expected["activeUntil"] = Value::Null;
    expected["customFilterCriteria"] = json!([{"type": "minDaysUntilReuse", "value": 90}]);
    expected["crmFilters"]["filters"] =
        json!([{"path": "status", "mode": "equals", "value": "Active", "exclude": false}]);
    expected["updatedAt"] = stored["updatedAt"].clone();
    assert_eq!(stored, expected);
    assert_ne!(stored["updatedAt"], created["updatedAt"]);

    // Unticking the CRM box clears the whole CRM section, conditions and all.
    form.retain(|(name, _)| name != "crm.enabled");
    let saved = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&borrowed(&form)),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = app
        .get(&me, &format!("/api/v1/entities/icps/{id}"))
        .await
        .body;
    expected["crmFilters"] = Value::Null;
    expected["updatedAt"] = stored["updatedAt"].clone();
    assert_eq!(stored, expected);
}

async fn a_tag_list_past_its_limit_comes_back_cut_with_a_message(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    // 60,000 one-letter tags fit in the size limit; shown again, they were megabytes of HTML.
    let tags = "a\n".repeat(60_000);
    let form = [
        ("name", "Tags"),
        ("lead.1.type", "person"),
        ("lead.1.job_title", tags.as_str()),
        ("lead.1.country", "Germany"),
    ];
    let page = app
        .browser(&cookie, Method::POST, "/forms/icps", Some(&form))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = html(&page);
    assert!(text.contains(
        "Lead source 1 › Job titles: At most 100 entries are allowed; the form sent had 60000, so \
         only the first 100 are kept. Nothing was saved."
    ));
    assert!(text.contains("value=\"Germany\""));
    assert!(text.len() < 200_000, "{} bytes", text.len());
    assert_eq!(app.get(&me, "/api/v1/entities/icps").await.body, json!([]));
}

/// The ICPs on a list page, by name, in order (each row's heading cell).
fn card_names(html: &str) -> Vec<String> {
    html.split("<th scope=\"row\" data-label=\"Name\">")
        .skip(1)
        .filter_map(|row| {
            let name = row.split("<a href=\"/icps/").nth(1)?;
            let name = name.split_once('>')?.1;
            Some(name.split('<').next()?.to_owned())
        })
        .collect()
}

/// The `after` of the page's "Next page →" link.
fn next_link(html: &str) -> Option<String> {
    let after = html.split("href=\"/icps?after=").nth(1)?;
    Some(after.split('"').next()?.to_owned())
}

/// 73 ICPs for the caller ("ICP 01" oldest … "ICP 73" newest) and one for someone else.
async fn seventy_three_icps(app: &TestApp) -> String {
    let me = app.caller("ana").await;
    let other = app.caller("bo").await;
    for n in 1..=73 {
        app.create(&me, &minimal(&format!("ICP {n:02}"))).await;
    }
    app.create(&other, &minimal("Not for Ana")).await;
    app.session_cookie(&me).await
}

async fn the_list_pages_by_fifty_with_a_count_and_plain_links(db: Database) {
    let app = TestApp::start(db).await;
    let cookie = seventy_three_icps(&app).await;
    let newest_first: Vec<String> = (1..=73).rev().map(|n| format!("ICP {n:02}")).collect();

    let first = app.browser(&cookie, Method::GET, "/icps", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let page = html(&first);
    assert!(page.contains("73 ICPs"), "the count is shown");
    assert_eq!(card_names(page), newest_first[..50]);
    assert!(!page.contains("← Newest"), "the first page has no way back");
    let after = next_link(page).expect("a next page link");
    assert!(page.contains("Next page →"));

    let second = app
        .browser(&cookie, Method::GET, &format!("/icps?after={after}"), None)
        .await;
    assert_eq!(second.status, StatusCode::OK);
    let page = html(&second);
    assert!(page.contains("73 ICPs"), "the count is on every page");
    assert_eq!(card_names(page), newest_first[50..]);
    assert!(!page.contains("Not for Ana"));
    assert_eq!(next_link(page), None, "the last page has no next link");
    assert!(
        page.contains("<a href=\"/icps\">← Newest"),
        "a link back to the first page"
    );
}

/// The ICP names of every page from `start` on, following each page's "Next page →" link.
async fn every_page(app: &TestApp, cookie: &str, start: &str) -> Vec<String> {
    let (mut names, mut next) = (Vec::new(), Some(start.to_owned()));
    while let Some(uri) = next.take() {
        let reply = app.browser(cookie, Method::GET, &uri, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let page = html(&reply);
        names.extend(card_names(page));
        next = page
            .split("rel=\"next\"")
            .next()
            .filter(|before| before.len() < page.len())
            .and_then(|before| before.rsplit("<a href=\"").next())
            .map(|href| href.split('"').next().unwrap().replace("&amp;", "&"));
    }
    names
}

async fn the_list_sorts_by_name_and_by_update_through_every_page(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    // Names whose order differs by case, accents and a prefix; created in another order.
    let words = ["delta", "Alpha", "Écho", "beta", "alpha team"];
    let mut ids = Vec::new();
    for n in 1..=60 {
        let name = format!("{} {:02}", words[n % words.len()], 61 - n);
        let icp = app.create(&me, &minimal(&name)).await;
        ids.push((name, icp["id"].as_str().unwrap().to_owned()));
    }
    let cookie = app.session_cookie(&me).await;
    let folded = |name: &str| name.to_lowercase().replace('é', "e");
    let mut by_name: Vec<String> = ids.iter().map(|(name, _)| name.clone()).collect();
    by_name.sort_by_key(|name| folded(name));
    assert_eq!(every_page(&app, &cookie, "/icps?sort=name").await, by_name);
    let page = app
        .browser(&cookie, Method::GET, "/icps?sort=name", None)
        .await;
    assert!(
        html(&page).contains("aria-sort=\"ascending\""),
        "the Name column says so"
    );

    // Three changed, oldest change first: they lead the list by update, the rest newest first.
    for (name, id) in [&ids[40], &ids[3], &ids[17]] {
        let reply = app.patch(&me, id, &json!({ "description": name })).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let mut by_update: Vec<String> = [&ids[17], &ids[3], &ids[40]]
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let rest: Vec<String> = ids
        .iter()
        .rev()
        .filter(|(name, _)| !by_update.contains(name))
        .map(|(name, _)| name.clone())
        .collect();
    by_update.extend(rest);
    assert_eq!(
        every_page(&app, &cookie, "/icps?sort=updated").await,
        by_update
    );
    // The order travels with the search and the tabs; a cursor of another order is refused.
    let reply = app
        .browser(&cookie, Method::GET, "/icps?sort=name&q=alpha", None)
        .await;
    let page = html(&reply);
    let alphas: Vec<String> = by_name
        .iter()
        .filter(|n| n.contains("lpha"))
        .cloned()
        .collect();
    assert_eq!(card_names(page), alphas);
    assert!(
        page.contains("href=\"/icps?q=alpha&amp;active=true&amp;sort=name\""),
        "{page}"
    );
    let newest_cursor = every_page_link(&app, &cookie, "/icps").await;
    let reply = app
        .browser(
            &cookie,
            Method::GET,
            &format!("/icps?sort=name&after={newest_cursor}"),
            None,
        )
        .await;
    assert!(html(&reply).contains("That page link is no longer valid"));
    assert_eq!(card_names(html(&reply))[..3], by_name[..3]);
}

/// The `after` of the first page's "Next page →" link.
async fn every_page_link(app: &TestApp, cookie: &str, uri: &str) -> String {
    let reply = app.browser(cookie, Method::GET, uri, None).await;
    next_link(html(&reply)).expect("a next page")
}

async fn a_bad_page_link_shows_the_first_page(db: Database) {
    let app = TestApp::start(db).await;
    let cookie = seventy_three_icps(&app).await;
    for after in [
        "nonsense",
        "12-notauuid",
        "99999999999999999999-0",
        "%00%FF",
        "-",
    ] {
        let reply = app
            .browser(&cookie, Method::GET, &format!("/icps?after={after}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "after={after}");
        let page = html(&reply);
        assert_eq!(card_names(page).len(), 50, "after={after}");
        assert!(card_names(page)[0] == "ICP 73", "after={after}");
        assert!(
            page.contains("That page link is no longer valid"),
            "after={after}"
        );
        assert!(page.contains("73 ICPs"));
    }
    // An empty `after` is just the first page.
    let reply = app
        .browser(&cookie, Method::GET, "/icps?after=", None)
        .await;
    assert_eq!(card_names(html(&reply)).len(), 50);
    assert!(!html(&reply).contains("That page link is no longer valid"));
}

/// Routers built on another runtime while pages render (each test builds its own router, several
/// run at once): every page answers. Making a route list suppresses resource loads process-wide
/// in Leptos, and a page whose resource first polls meanwhile never finishes
/// (leptos-rs/leptos#4773); the app lists its routes once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_while_other_routers_are_built() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    let app = TestApp::start(Database::sqlite()).await;
    let me = app.caller("ana").await;
    let icp = app.create(&me, &minimal("Rendered")).await;
    let page = format!("/icps/{}", icp["id"].as_str().expect("id"));
    let cookie = app.session_cookie(&me).await;
    let building = Arc::new(AtomicBool::new(true));
    let store = app.store.clone();
    let builder = std::thread::spawn({
        let building = building.clone();
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let options = leptos::prelude::get_configuration(Some("Cargo.toml"))
                    .expect("leptos config")
                    .leptos_options;
                let state = icp_builder::state::AppState::new(options, store, Default::default())
                    .await
                    .expect("state");
                let mut built = 0_u32;
                while building.load(Ordering::Relaxed) {
                    drop(icp_builder::server::app(state.clone()));
                    built += 1;
                    tokio::task::yield_now().await;
                }
                built
            })
        }
    });
    for _ in 0..200 {
        let shown = tokio::time::timeout(
            Duration::from_secs(10),
            app.browser(&cookie, Method::GET, &page, None),
        )
        .await
        .expect("the page answers while routers are built elsewhere");
        assert_eq!(shown.status, StatusCode::OK);
        assert!(html(&shown).contains("Rendered"));
    }
    building.store(false, Ordering::Relaxed);
    let built = builder.join().expect("builder thread");
    assert!(built > 10, "routers were built meanwhile: {built}");
}
