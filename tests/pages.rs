//! The pages through the real router: the builder, its plain-form path, the list and the detail.

mod common;

use axum::http::{Method, StatusCode};
use common::{minimal, Database, TestApp};
use serde_json::json;

on_both_databases!(
    builder_renders_on_the_server_with_a_first_lead_row,
    a_plain_form_post_creates_the_icp,
    a_plain_form_post_with_errors_comes_back_with_values_and_errors,
    plain_row_buttons_add_and_remove_rows_keeping_values,
    editing_through_the_plain_form_keeps_what_the_form_does_not_show,
    list_and_detail_show_the_users_icps_only,
    delete_form_removes_the_icp,
);

fn html(reply: &common::Reply) -> &str {
    reply.body.as_str().unwrap_or_default()
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
    assert!(html(&list).contains("DACH Tech Leaders"));
    assert!(html(&list).contains("1 lead source · 1 filter · 20 leads per list"));
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
