//! The JSON API through the real router, on SQLite and on Postgres.

use crate::common::{details, example, minimal, on_both_databases, Database, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    search_finds_targeting_values,
    vocabularies_offer_what_is_typed_and_fold_its_variants,
    pages_of_large_icps_stop_at_their_byte_budget,
    reference_examples_are_created_as_documented,
    defaults_fill_what_was_left_out,
    creator_is_added_once_keeping_order,
    created_icp_reads_back_identically,
    every_validation_rule_reports_its_path,
    all_problems_of_a_body_are_reported_at_once,
    missing_unknown_or_revoked_credentials_are_401,
    another_users_icp_is_forbidden,
    missing_icp_is_404_and_malformed_id_400,
    patch_changes_only_given_fields,
    patch_validates_and_keeps_the_caller,
    concurrent_patches_are_not_lost,
    delete_removes_the_icp,
    list_pages_through_newest_first,
    list_without_a_limit_answers_every_icp,
    body_size_type_and_syntax_are_checked,
    data_survives_a_restart,
    unknown_routes_answer_in_json,
    edge_instants_and_refusals_read_back,
);

const ICPS: &str = "/api/v1/entities/icps";

fn is_millis_utc(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 24
        && text.ends_with('Z')
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
        && text.as_bytes()[19] == b'.'
}

async fn reference_examples_are_created_as_documented(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    for name in ["basic-icp", "crm-integration", "ai-filtering"] {
        let request = example(name);
        let created = app.create(&me, &request).await;

        let id = created["id"].as_str().expect("id");
        assert!(uuid::Uuid::parse_str(id).is_ok());
        assert!(
            is_millis_utc(&created["createdAt"]),
            "{}",
            created["createdAt"]
        );
        assert_eq!(created["createdAt"], created["updatedAt"]);

        // Everything given comes back as given; the caller is appended to userIds.
        let mut expected = request.clone();
        let mut users = request["userIds"].as_array().unwrap().clone();
        users.push(json!(me.id.as_str()));
        expected["userIds"] = Value::Array(users);
        for key in ["id", "createdAt", "updatedAt"] {
            expected[key] = created[key].clone();
        }
        assert_eq!(created, expected, "{name}");
    }

    // The reference 201 body, field for field (except what is generated).
    let created = app.create(&me, &example("basic-icp")).await;
    let mut reference = example("created-201");
    for key in ["id", "createdAt", "updatedAt"] {
        reference[key] = created[key].clone();
    }
    reference["userIds"] = json!([me.id.as_str()]);
    assert_eq!(created, reference);
    let keys: Vec<_> = created.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 11);
}

async fn defaults_fill_what_was_left_out(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let mut body = minimal("Defaults");
    body["leadProviderCriteria"] = json!([{"provider": "baseProvider", "filters": {}}]);
    body["crmFilters"] = json!({"provider": "bullhorn", "filters": [{"path": "status", "mode": "equals", "value": "Active"}]});
    let created = app.create(&me, &body).await;
    assert_eq!(created["leadsPerList"], 10);
    assert_eq!(created["description"], Value::Null);
    assert_eq!(created["activeUntil"], Value::Null);
    assert_eq!(created["leadProviderCriteria"][0]["type"], "person");
    assert_eq!(created["crmFilters"]["filters"][0]["exclude"], false);

    let without_crm = app.create(&me, &minimal("No CRM")).await;
    assert_eq!(without_crm["crmFilters"], Value::Null);
    assert!(without_crm.as_object().unwrap().contains_key("crmFilters"));

    let mut timed = minimal("Timed");
    timed["activeUntil"] = json!("2030-06-01T12:00:00+02:00");
    assert_eq!(
        app.create(&me, &timed).await["activeUntil"],
        "2030-06-01T10:00:00.000Z"
    );
}

async fn creator_is_added_once_keeping_order(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let mut body = minimal("Shared");
    body["userIds"] = json!(["user_b", me.id.as_str(), "user_a", "user_b", me.id.as_str()]);
    let created = app.create(&me, &body).await;
    assert_eq!(
        created["userIds"],
        json!(["user_b", me.id.as_str(), "user_a"])
    );
}

async fn created_icp_reads_back_identically(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let mut body = example("ai-filtering");
    body["leadProviderCriteria"][0]["filters"]["funding_stage"] =
        json!({"rounds": ["Seed", "A"], "min": 1});
    body["customFilterCriteria"] = json!([
        {"type": "website", "provider": "browserUse", "prompt": "B2B SaaS?"},
        {"type": "webscraping", "provider": "firecrawl", "extractionPrompt": "Pricing", "pageFindingPrompt": "Find pricing",
         "includeSearchStrings": ["enterprise"], "excludeSearchStrings": ["free trial only"]},
        {"type": "ai", "entityType": "person", "prompt": "Hiring authority?"},
        {"type": "maxPeoplePerCompany", "value": 2},
        {"type": "maxPercentFromCRM", "value": 12.5},
        {"type": "minDaysUntilReuse", "value": 180},
        {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^(?!.*Test).*$"}
    ]);
    body["crmFilters"] = json!({"provider": "bullhorn", "textSearch": null, "query": "legacy", "filters": [
        {"path": "address.zip", "mode": "startsWith", "value": "10", "exclude": true}]});
    let created = app.create(&me, &body).await;
    let id = created["id"].as_str().unwrap();
    let fetched = app.get(&me, &format!("{ICPS}/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, created);
    assert_eq!(
        fetched.body["customFilterCriteria"],
        body["customFilterCriteria"]
    );
    assert_eq!(fetched.body["crmFilters"], body["crmFilters"]);
    assert_eq!(
        fetched.body["leadProviderCriteria"],
        body["leadProviderCriteria"]
    );
}

/// Each case: a change to a valid body, and the one path it must be reported at.
fn validation_cases() -> Vec<(Value, Value)> {
    let lead = |filters: Value| json!({"leadProviderCriteria": [{"provider": "baseProvider", "filters": filters}]});
    let filter = |f: Value| json!({"customFilterCriteria": [f]});
    let crm = |c: Value| json!({"crmFilters": c});
    let condition = |c: Value| json!({"crmFilters": {"provider": "bullhorn", "filters": [c]}});
    let long = |n: usize| Value::String("x".repeat(n));
    vec![
        (json!({"name": "   "}), json!(["name"])),
        (json!({"name": long(201)}), json!(["name"])),
        (json!({"name": 5}), json!(["name"])),
        (json!({"description": long(2001)}), json!(["description"])),
        (json!({"description": ["x"]}), json!(["description"])),
        (
            json!({"leadProviderCriteria": {}}),
            json!(["leadProviderCriteria"]),
        ),
        (
            json!({"leadProviderCriteria": vec![json!({"provider": "baseProvider", "filters": {}}); 51]}),
            json!(["leadProviderCriteria"]),
        ),
        (
            json!({"leadProviderCriteria": [{"provider": "apollo", "filters": {}}]}),
            json!(["leadProviderCriteria", 0, "provider"]),
        ),
        (
            json!({"leadProviderCriteria": [{"provider": "baseProvider", "type": "team", "filters": {}}]}),
            json!(["leadProviderCriteria", 0, "type"]),
        ),
        (
            json!({"leadProviderCriteria": [{"provider": "baseProvider"}]}),
            json!(["leadProviderCriteria", 0, "filters"]),
        ),
        (
            json!({"leadProviderCriteria": [{"provider": "baseProvider", "filters": []}]}),
            json!(["leadProviderCriteria", 0, "filters"]),
        ),
        (
            lead(json!({"job_title": "CTO"})),
            json!(["leadProviderCriteria", 0, "filters", "job_title"]),
        ),
        (
            lead(json!({"job_title": ["CTO", ""]})),
            json!(["leadProviderCriteria", 0, "filters", "job_title", 1]),
        ),
        (
            lead(json!({"skills": [1]})),
            json!(["leadProviderCriteria", 0, "filters", "skills", 0]),
        ),
        (
            lead(json!({"seniority": [" "]})),
            json!(["leadProviderCriteria", 0, "filters", "seniority", 0]),
        ),
        (
            lead(json!({"location": {"country": "DE"}})),
            json!(["leadProviderCriteria", 0, "filters", "location", "country"]),
        ),
        (
            lead(json!({"location": {"city": [null]}})),
            json!(["leadProviderCriteria", 0, "filters", "location", "city", 0]),
        ),
        (
            lead(json!({"location": {"planet": ["Mars"]}})),
            json!(["leadProviderCriteria", 0, "filters", "location", "planet"]),
        ),
        (
            lead(json!({"company": {"employee_size": {"min": -1}}})),
            json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "employee_size",
                "min"
            ]),
        ),
        (
            lead(json!({"company": {"employee_size": {"max": 1.5}}})),
            json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "employee_size",
                "max"
            ]),
        ),
        (
            lead(json!({"company": {"employee_size": {"min": 10, "max": 5}}})),
            json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "employee_size",
                "min"
            ]),
        ),
        (
            lead(json!({"company": {"industry": "Tech"}})),
            json!(["leadProviderCriteria", 0, "filters", "company", "industry"]),
        ),
        (
            lead(json!({"company": {"keywords": [""]}})),
            json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "keywords",
                0
            ]),
        ),
        (
            json!({"customFilterCriteria": vec![json!({"type": "ai", "entityType": "person", "prompt": "x"}); 51]}),
            json!(["customFilterCriteria"]),
        ),
        (
            filter(json!({"type": "magic"})),
            json!(["customFilterCriteria", 0, "type"]),
        ),
        (
            filter(json!({"value": 2})),
            json!(["customFilterCriteria", 0, "type"]),
        ),
        (
            filter(json!({"type": "website", "provider": "selenium", "prompt": "x"})),
            json!(["customFilterCriteria", 0, "provider"]),
        ),
        (
            filter(json!({"type": "website", "provider": "browserUse", "prompt": ""})),
            json!(["customFilterCriteria", 0, "prompt"]),
        ),
        (
            filter(json!({"type": "website", "provider": "browserUse", "prompt": long(4001)})),
            json!(["customFilterCriteria", 0, "prompt"]),
        ),
        (
            filter(json!({"type": "webscraping", "provider": "scrapy", "extractionPrompt": "x"})),
            json!(["customFilterCriteria", 0, "provider"]),
        ),
        (
            filter(json!({"type": "webscraping", "provider": "firecrawl"})),
            json!(["customFilterCriteria", 0, "extractionPrompt"]),
        ),
        (
            filter(
                json!({"type": "webscraping", "provider": "firecrawl", "extractionPrompt": "x", "pageFindingPrompt": 3}),
            ),
            json!(["customFilterCriteria", 0, "pageFindingPrompt"]),
        ),
        (
            filter(
                json!({"type": "webscraping", "provider": "firecrawl", "extractionPrompt": "x", "includeSearchStrings": "a"}),
            ),
            json!(["customFilterCriteria", 0, "includeSearchStrings"]),
        ),
        (
            filter(
                json!({"type": "webscraping", "provider": "firecrawl", "extractionPrompt": "x", "excludeSearchStrings": [""]}),
            ),
            json!(["customFilterCriteria", 0, "excludeSearchStrings", 0]),
        ),
        (
            filter(json!({"type": "ai", "entityType": "robot", "prompt": "x"})),
            json!(["customFilterCriteria", 0, "entityType"]),
        ),
        (
            filter(json!({"type": "ai", "entityType": "person", "prompt": " "})),
            json!(["customFilterCriteria", 0, "prompt"]),
        ),
        (
            filter(json!({"type": "maxPeoplePerCompany", "value": 0})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "maxPeoplePerCompany", "value": 1.5})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "maxPeoplePerCompany"})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "maxPercentFromCRM", "value": 100.5})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "maxPercentFromCRM", "value": -1})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "minDaysUntilReuse", "value": -1})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "minDaysUntilReuse", "value": "90"})),
            json!(["customFilterCriteria", 0, "value"]),
        ),
        (
            filter(json!({"type": "matchFieldWithRegex", "field": "company name", "regex": "x"})),
            json!(["customFilterCriteria", 0, "field"]),
        ),
        (
            filter(json!({"type": "matchFieldWithRegex", "field": "company.name", "regex": "(?<"})),
            json!(["customFilterCriteria", 0, "regex"]),
        ),
        (
            filter(json!({"type": "maxPeoplePerCompany", "value": 2, "extra": true})),
            json!(["customFilterCriteria", 0, "extra"]),
        ),
        (
            json!({"customFilterCriteria": [{"type": "minDaysUntilReuse", "value": 1}, {"type": "minDaysUntilReuse", "value": 2}]}),
            json!(["customFilterCriteria", 1, "type"]),
        ),
        (
            json!({"customFilterCriteria": [{"type": "maxPercentFromCRM", "value": 1}, {"type": "maxPercentFromCRM", "value": 2}]}),
            json!(["customFilterCriteria", 1, "type"]),
        ),
        (
            crm(json!({"provider": "salesforce"})),
            json!(["crmFilters", "provider"]),
        ),
        (crm(json!({})), json!(["crmFilters", "provider"])),
        (crm(json!("bullhorn")), json!(["crmFilters"])),
        (
            crm(json!({"provider": "bullhorn", "textSearch": 1})),
            json!(["crmFilters", "textSearch"]),
        ),
        (
            crm(json!({"provider": "bullhorn", "query": long(1001)})),
            json!(["crmFilters", "query"]),
        ),
        (
            crm(json!({"provider": "bullhorn", "filters": {}})),
            json!(["crmFilters", "filters"]),
        ),
        (
            condition(json!({"path": "address..zip", "mode": "equals", "value": "1"})),
            json!(["crmFilters", "filters", 0, "path"]),
        ),
        (
            condition(json!({"mode": "equals", "value": "1"})),
            json!(["crmFilters", "filters", 0, "path"]),
        ),
        (
            condition(json!({"path": "status", "mode": "contains", "value": "1"})),
            json!(["crmFilters", "filters", 0, "mode"]),
        ),
        (
            condition(json!({"path": "status", "mode": "equals", "value": ["a"]})),
            json!(["crmFilters", "filters", 0, "value"]),
        ),
        (
            condition(json!({"path": "status", "mode": "startsWith", "value": 3})),
            json!(["crmFilters", "filters", 0, "value"]),
        ),
        (
            condition(json!({"path": "status", "mode": "in", "value": []})),
            json!(["crmFilters", "filters", 0, "value"]),
        ),
        (
            condition(json!({"path": "status", "mode": "in", "value": "a"})),
            json!(["crmFilters", "filters", 0, "value"]),
        ),
        (
            condition(json!({"path": "status", "mode": "in", "value": ["a", 1]})),
            json!(["crmFilters", "filters", 0, "value", 1]),
        ),
        (
            condition(json!({"path": "status", "mode": "equals"})),
            json!(["crmFilters", "filters", 0, "value"]),
        ),
        (
            condition(json!({"path": "status", "mode": "equals", "value": "a", "exclude": "yes"})),
            json!(["crmFilters", "filters", 0, "exclude"]),
        ),
        (json!({"userIds": "user_a"}), json!(["userIds"])),
        (
            json!({"userIds": ["user_ok", "alice"]}),
            json!(["userIds", 1]),
        ),
        (json!({"userIds": ["user_a-b"]}), json!(["userIds", 0])),
        (json!({"userIds": [42]}), json!(["userIds", 0])),
        (json!({"leadsPerList": 0}), json!(["leadsPerList"])),
        (json!({"leadsPerList": 1001}), json!(["leadsPerList"])),
        (json!({"leadsPerList": 10.5}), json!(["leadsPerList"])),
        (json!({"leadsPerList": "10"}), json!(["leadsPerList"])),
        (json!({"activeUntil": "next year"}), json!(["activeUntil"])),
        (json!({"activeUntil": "2024-12-31"}), json!(["activeUntil"])),
        (json!({"activeUntil": 1735689599}), json!(["activeUntil"])),
        // Years 0001–9999 once in UTC: these two would be stored as years 10000 and -1.
        (
            json!({"activeUntil": "9999-12-31T23:30:00-01:00"}),
            json!(["activeUntil"]),
        ),
        (
            json!({"activeUntil": "0000-01-01T00:30:00+01:00"}),
            json!(["activeUntil"]),
        ),
        // Nested counted repeats: 71 characters that took seconds and a gigabyte to compile.
        (
            filter(
                json!({"type": "matchFieldWithRegex", "field": "company.name",
                "regex": format!("{}a{}", "(?:".repeat(10), "){5}".repeat(10))}),
            ),
            json!(["customFilterCriteria", 0, "regex"]),
        ),
        (
            filter(
                json!({"type": "matchFieldWithRegex", "field": "company.name",
                "regex": format!("{}a{}", "(".repeat(40), ")".repeat(40))}),
            ),
            json!(["customFilterCriteria", 0, "regex"]),
        ),
        // NUL cannot be stored in Postgres text, so neither database is given one.
        (json!({"name": "Ana\u{0}"}), json!(["name"])),
        (
            lead(json!({"funding_stage": ["Seed", "Series\u{0}A"]})),
            json!(["leadProviderCriteria", 0, "filters", "funding_stage", 1]),
        ),
        (
            lead(json!({"funding\u{0}stage": ["Seed"]})),
            json!(["leadProviderCriteria", 0, "filters", "funding\u{0}stage"]),
        ),
        (json!({"unexpected": 1}), json!(["unexpected"])),
    ]
}

async fn every_validation_rule_reports_its_path(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let valid = example("basic-icp");
    for (change, path) in validation_cases() {
        let mut body = valid.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = app.post(&me, &body).await;
        assert_eq!(
            reply.body["error"]["message"], "Invalid request body",
            "{change}"
        );
        let found = details(&reply);
        assert_eq!(found.len(), 1, "{change} gave {found:?}");
        assert_eq!(found[0].0, path, "{change} gave {found:?}");
        assert!(!found[0].1.is_empty());
    }

    // Each required field, left out, is "Required" at its own path.
    for field in [
        "name",
        "leadProviderCriteria",
        "customFilterCriteria",
        "userIds",
    ] {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        assert_eq!(
            details(&app.post(&me, &body).await),
            vec![(json!([field]), "Required".to_owned())]
        );
    }

    // Nothing refused was stored.
    assert_eq!(app.get(&me, ICPS).await.body, json!([]));

    // The edges that must pass: a past activeUntil, a past-free regex with lookahead, 1000 leads.
    let mut edge = valid.clone();
    edge["activeUntil"] = json!("2020-01-01T00:00:00Z");
    edge["leadsPerList"] = json!(1000);
    edge["name"] = json!("x".repeat(200));
    edge["customFilterCriteria"] = json!([{"type": "maxPercentFromCRM", "value": 0}, {"type": "minDaysUntilReuse", "value": 0}]);
    app.create(&me, &edge).await;
}

async fn all_problems_of_a_body_are_reported_at_once(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let body = json!({
        "description": 7,
        "leadProviderCriteria": [{"provider": "nope", "filters": {}}],
        "customFilterCriteria": [
            {"type": "maxPeoplePerCompany", "value": 2},
            {"type": "website", "provider": "browserUse"},
            {"type": "matchFieldWithRegex", "field": "company.name", "regex": "[unclosed"}
        ],
        "userIds": [],
        "leadsPerList": 0
    });
    let found = details(&app.post(&me, &body).await);
    let paths: Vec<Value> = found.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        paths,
        vec![
            json!(["name"]),
            json!(["description"]),
            json!(["leadProviderCriteria", 0, "provider"]),
            json!(["customFilterCriteria", 1, "prompt"]),
            json!(["customFilterCriteria", 2, "regex"]),
            json!(["leadsPerList"]),
        ]
    );
    assert_eq!(found[0].1, "Required");
    assert_eq!(found[3].1, "Required");
}

async fn missing_unknown_or_revoked_credentials_are_401(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let unauthorized =
        json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}});
    let body = example("basic-icp");

    let anonymous = app.send(Method::POST, ICPS, None, Some(&body)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body, unauthorized);

    let unknown = app
        .send(Method::POST, ICPS, Some("icp_notarealtoken"), Some(&body))
        .await;
    assert_eq!(
        (unknown.status, &unknown.body),
        (StatusCode::UNAUTHORIZED, &unauthorized)
    );

    // Credentials are checked before the body is even read.
    let request = Request::post(ICPS)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(app.raw(request).await.status, StatusCode::UNAUTHORIZED);

    let basic = Request::get(ICPS)
        .header(header::AUTHORIZATION, format!("Basic {}", me.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(basic).await.status, StatusCode::UNAUTHORIZED);

    // A revoked token stops working at once.
    let email = format!("rev-{}@example.com", uuid::Uuid::new_v4().simple());
    let user =
        icp_builder::auth::create_user(app.store.as_ref(), &email, "Rev", "long enough password")
            .await
            .unwrap();
    let (token_id, token) =
        icp_builder::auth::create_token(app.store.as_ref(), &email, "ci", Default::default())
            .await
            .unwrap();
    assert_eq!(
        app.send(Method::GET, ICPS, Some(&token), None).await.status,
        StatusCode::OK
    );
    assert!(app.store.revoke_token(&user.id, token_id).await.unwrap());
    let revoked = app.send(Method::GET, ICPS, Some(&token), None).await;
    assert_eq!(
        (revoked.status, &revoked.body),
        (StatusCode::UNAUTHORIZED, &unauthorized)
    );
    assert_eq!(
        app.store.user_by_id(&user.id).await.unwrap().unwrap().email,
        email
    );
}

async fn another_users_icp_is_forbidden(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let teammate = app.caller("teammate").await;
    let stranger = app.caller("stranger").await;
    app.join(&owner, &teammate).await;
    let mut body = minimal("Shared with a teammate");
    body["userIds"] = json!([teammate.id.as_str()]);
    let icp = app.create(&owner, &body).await;
    let id = icp["id"].as_str().unwrap();
    let uri = format!("{ICPS}/{id}");

    assert_eq!(app.get(&teammate, &uri).await.body, icp);
    let forbidden = json!({"error": {"code": "FORBIDDEN", "message": format!("You do not have access to ICP {id}")}});
    let get = app.get(&stranger, &uri).await;
    assert_eq!((get.status, &get.body), (StatusCode::FORBIDDEN, &forbidden));
    assert_eq!(
        app.patch(&stranger, id, &json!({"name": "Mine now"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&stranger, id).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&stranger, ICPS).await.body, json!([]));
    assert_eq!(
        app.get(&owner, &uri).await.body["name"],
        "Shared with a teammate"
    );
}

async fn missing_icp_is_404_and_malformed_id_400(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let id = "550e8400-e29b-41d4-a716-446655440000";
    let not_found =
        json!({"error": {"code": "NOT_FOUND", "message": format!("ICP not found: {id}")}});
    let get = app.get(&me, &format!("{ICPS}/{id}")).await;
    assert_eq!((get.status, &get.body), (StatusCode::NOT_FOUND, &not_found));
    let patch = app.patch(&me, id, &json!({"name": "x"})).await;
    assert_eq!(
        (patch.status, &patch.body),
        (StatusCode::NOT_FOUND, &not_found)
    );
    let delete = app.delete(&me, id).await;
    assert_eq!(
        (delete.status, &delete.body),
        (StatusCode::NOT_FOUND, &not_found)
    );

    let malformed = app.get(&me, &format!("{ICPS}/not-a-uuid")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["error"]["code"], "BAD_REQUEST");
    assert_eq!(malformed.body["error"]["details"][0]["path"], json!(["id"]));
    assert_eq!(app.delete(&me, "123").await.status, StatusCode::BAD_REQUEST);
}

async fn patch_changes_only_given_fields(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.create(&me, &example("crm-integration")).await;
    let id = created["id"].as_str().unwrap();

    let renamed = app
        .patch(
            &me,
            id,
            &json!({"name": "  Refresh Q3  ", "leadsPerList": 75}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let mut expected = created.clone();
    expected["name"] = json!("Refresh Q3");
    expected["leadsPerList"] = json!(75);
    expected["updatedAt"] = renamed.body["updatedAt"].clone();
    assert_eq!(renamed.body, expected);
    assert_eq!(renamed.body["createdAt"], created["createdAt"]);
    assert!(renamed.body["updatedAt"].as_str() > created["updatedAt"].as_str());
    assert!(is_millis_utc(&renamed.body["updatedAt"]));

    let cleared = app
        .patch(
            &me,
            id,
            &json!({"description": null, "activeUntil": null, "crmFilters": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    for key in ["description", "activeUntil", "crmFilters"] {
        assert_eq!(cleared.body[key], Value::Null, "{key}");
    }
    assert_eq!(
        cleared.body["customFilterCriteria"],
        created["customFilterCriteria"]
    );
    assert!(cleared.body["updatedAt"].as_str() > renamed.body["updatedAt"].as_str());

    let untouched = app.patch(&me, id, &json!({})).await;
    assert_eq!(untouched.body["name"], "Refresh Q3");
    assert_eq!(
        app.get(&me, &format!("{ICPS}/{id}")).await.body,
        untouched.body
    );
}

async fn patch_validates_and_keeps_the_caller(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.create(&me, &example("basic-icp")).await;
    let id = created["id"].as_str().unwrap();

    let invalid = app
        .patch(&me, id, &json!({"name": null, "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": 0}], "id": "x"}))
        .await;
    let paths: Vec<Value> = details(&invalid).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec![
            json!(["name"]),
            json!(["customFilterCriteria", 0, "value"]),
            json!(["id"])
        ]
    );
    assert_eq!(
        app.get(&me, &format!("{ICPS}/{id}")).await.body,
        created,
        "a refused update changes nothing"
    );

    let shared = app
        .patch(&me, id, &json!({"userIds": ["user_teammate123"]}))
        .await;
    assert_eq!(
        shared.body["userIds"],
        json!(["user_teammate123", me.id.as_str()])
    );

    let array = app
        .send(
            Method::PATCH,
            &format!("{ICPS}/{id}"),
            Some(&me.token),
            Some(&json!([])),
        )
        .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
}

async fn concurrent_patches_are_not_lost(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.create(&me, &example("basic-icp")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let changes = [
        json!({"name": "Renamed"}),
        json!({"description": "New description"}),
        json!({"leadsPerList": 33}),
        json!({"activeUntil": "2031-01-01T00:00:00.000Z"}),
        json!({"userIds": ["user_extra1"]}),
    ];
    let replies =
        futures_util::future::join_all(changes.iter().map(|change| app.patch(&me, &id, change)))
            .await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    let after = app.get(&me, &format!("{ICPS}/{id}")).await.body;
    assert_eq!(after["name"], "Renamed");
    assert_eq!(after["description"], "New description");
    assert_eq!(after["leadsPerList"], 33);
    assert_eq!(after["activeUntil"], "2031-01-01T00:00:00.000Z");
    assert_eq!(after["userIds"], json!(["user_extra1", me.id.as_str()]));
}

async fn delete_removes_the_icp(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let keep = app.create(&me, &minimal("Keep")).await;
    let gone = app.create(&me, &minimal("Gone")).await;
    let id = gone["id"].as_str().unwrap();
    let deleted = app.delete(&me, id).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    assert_eq!(
        app.get(&me, &format!("{ICPS}/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&me, id).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&me, ICPS).await.body, json!([keep]));
}

async fn list_pages_through_newest_first(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let other = app.caller("other").await;
    app.create(&other, &minimal("Not mine")).await;
    let mut names = Vec::new();
    for n in 1..=5 {
        let name = format!("ICP {n}");
        app.create(&me, &minimal(&name)).await;
        names.push(name);
    }
    names.reverse();

    let mut seen = Vec::new();
    let mut uri = format!("{ICPS}?limit=2");
    let mut pages = 0;
    loop {
        let page = app.get(&me, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let items = page.body.as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["name"].as_str().unwrap().to_owned()));
        match page.headers.get("x-next-cursor") {
            Some(cursor) => {
                let link = page.headers.get("link").unwrap().to_str().unwrap();
                assert!(link.contains("rel=\"next\""));
                uri = format!("{ICPS}?limit=2&cursor={}", cursor.to_str().unwrap());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names);

    let all = app.get(&me, ICPS).await;
    assert_eq!(all.body.as_array().unwrap().len(), 5);
    assert!(all.headers.get("x-next-cursor").is_none());

    for bad in ["limit=0", "limit=101", "limit=ten", "cursor=abc"] {
        let reply = app.get(&me, &format!("{ICPS}?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body["error"]["code"], "BAD_REQUEST");
    }
}

/// The reference's List ICPs "retrieves all ICPs" the caller can access: an integration that
/// sends neither `limit` nor `cursor` gets every one (read and sent a page at a time), while a
/// filter or `limit` pages as before.
async fn list_without_a_limit_answers_every_icp(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let other = app.caller("other").await;
    app.create(&other, &minimal("Not mine")).await;
    let mut names: Vec<String> = (1..=137).map(|n| format!("ICP {n}")).collect();
    for name in &names {
        app.create(&me, &minimal(name)).await;
    }
    names.reverse();

    let all = app.get(&me, ICPS).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.headers.get("x-next-cursor").is_none());
    let listed: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|icp| icp["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);

    let filtered = app.get(&me, &format!("{ICPS}?q=icp")).await;
    assert_eq!(filtered.body.as_array().unwrap().len(), 50);
    assert!(filtered.headers.get("x-next-cursor").is_some());
    let limited = app.get(&me, &format!("{ICPS}?limit=100")).await;
    assert_eq!(limited.body.as_array().unwrap().len(), 100);

    let none = app.caller("nobody").await;
    assert_eq!(app.get(&none, ICPS).await.body, json!([]));
}

/// `q` finds an ICP by whom it targets: a job title, a country, an industry.
async fn search_finds_targeting_values(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let mut body = minimal("DACH");
    body["leadProviderCriteria"] = json!([{"provider": "baseProvider", "filters": {
        "job_title": ["IT-Leiter"], "location": {"country": ["Schweiz"]},
        "company": {"industry": ["Information"]}}}]);
    app.create(&me, &body).await;
    app.create(&me, &minimal("Other")).await;
    for q in ["it-leiter", "SCHWEIZ", "information", "dach"] {
        let found = app.get(&me, &format!("{ICPS}?q={q}")).await;
        let names: Vec<&str> = found
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["DACH"], "{q}");
    }
}

/// Typing "schw" offers Switzerland; "Schweiz", "CH" and "switzerland" name it exactly; regions
/// narrow to a country; bands carry `employee_size`'s bounds; bad queries are 400s.
async fn vocabularies_offer_what_is_typed_and_fold_its_variants(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let countries = "/api/v1/vocabularies/countries";
    let typed = app.get(&me, &format!("{countries}?q=schw")).await;
    assert_eq!(typed.status, StatusCode::OK);
    assert_eq!(typed.body["terms"][0]["value"], "Switzerland");
    assert_eq!(typed.body["terms"][0]["exact"], false);
    assert!(typed.body["source"]
        .as_str()
        .unwrap()
        .contains("ISO 3166-1"));
    for variant in ["Schweiz", "CH", "switzerland"] {
        let found = app.get(&me, &format!("{countries}?q={variant}")).await;
        assert_eq!(found.body["terms"][0]["value"], "Switzerland", "{variant}");
        assert_eq!(found.body["terms"][0]["exact"], true, "{variant}");
    }
    let cantons = app
        .get(&me, "/api/v1/vocabularies/regions?country=CH&limit=50")
        .await;
    assert_eq!(cantons.body["terms"].as_array().unwrap().len(), 26);
    let bands = app.get(&me, "/api/v1/vocabularies/employee-sizes").await;
    assert_eq!(
        bands.body["terms"][2],
        json!({"value": "51–200", "min": 51, "max": 200, "exact": false})
    );
    let industries = app.get(&me, "/api/v1/vocabularies/industries?q=513").await;
    assert_eq!(
        industries.body["terms"][0]["value"],
        "Publishing Industries"
    );

    for (uri, status) in [
        ("/api/v1/vocabularies/planets", StatusCode::NOT_FOUND),
        (
            "/api/v1/vocabularies/countries?limit=500",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/vocabularies/countries?country=CH",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/vocabularies/countries?fields=all",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let reply = app.get(&me, uri).await;
        assert_eq!(reply.status, status, "{uri}");
        assert!(reply.body["error"]["message"].is_string(), "{uri}");
    }
    let anonymous = app.send(Method::GET, countries, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// An ICP of about 200 KB (50 AI filters of 4,000 characters).
fn large(name: &str) -> Value {
    let mut icp = minimal(name);
    let prompt = "p".repeat(4_000);
    icp["customFilterCriteria"] = (0..50)
        .map(|_| json!({"type": "ai", "entityType": "company", "prompt": prompt}))
        .collect();
    icp
}

/// 100 ICPs of 200 KB would be a 20 MB page: pages stop at `PAGE_BYTES` (4 MiB) with the ICP that
/// crossed it, and their cursors go on; every ICP is listed once, in order, paged or not.
async fn pages_of_large_icps_stop_at_their_byte_budget(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let mut names: Vec<String> = (1..=45).map(|n| format!("Large {n}")).collect();
    for name in &names {
        app.create(&me, &large(name)).await;
    }
    names.reverse();
    let size = serde_json::to_vec(&large("Large 1")).unwrap().len();
    assert!((200_000..210_000).contains(&size), "{size}");

    let mut paged = Vec::new();
    let mut uri = format!("{ICPS}?limit=100");
    let mut pages = 0;
    loop {
        let page = app.get(&me, &uri).await;
        assert_eq!(page.status, StatusCode::OK);
        let icps = page.body.as_array().unwrap();
        let bytes = serde_json::to_vec(&page.body).unwrap().len();
        assert!(bytes <= (4 << 20) + 2 * size, "a page of {bytes} B");
        assert!(!icps.is_empty());
        paged.extend(
            icps.iter()
                .map(|icp| icp["name"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match page.headers.get("x-next-cursor") {
            Some(cursor) => uri = format!("{ICPS}?limit=100&cursor={}", cursor.to_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(paged, names);
    assert_eq!(pages, 3, "21, 21 and 3 ICPs");

    // A limit under the budget still ends the page; the list of every ICP reads the same pages.
    let five = app.get(&me, &format!("{ICPS}?limit=5")).await;
    assert_eq!(five.body.as_array().unwrap().len(), 5);
    assert!(five.headers.get("x-next-cursor").is_some());
    let all = app.get(&me, ICPS).await;
    let listed: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|icp| icp["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names);
}

async fn body_size_type_and_syntax_are_checked(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let post = |content_type: &str, body: Vec<u8>| {
        Request::post(ICPS)
            .header(header::AUTHORIZATION, format!("Bearer {}", me.token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };

    let mut huge = example("basic-icp");
    huge["description"] = json!("x".repeat(300 * 1024));
    let too_large = app
        .raw(post("application/json", huge.to_string().into_bytes()))
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.body["error"]["code"], "PAYLOAD_TOO_LARGE");

    // Without a Content-Length (streamed), the limit still holds.
    let chunks = vec![
        Ok::<_, std::io::Error>(vec![b' '; 200 * 1024]),
        Ok(vec![b' '; 100 * 1024]),
    ];
    let streamed = Request::post(ICPS)
        .header(header::AUTHORIZATION, format!("Bearer {}", me.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    assert_eq!(
        app.raw(streamed).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let form = app
        .raw(post(
            "application/x-www-form-urlencoded",
            b"name=x".to_vec(),
        ))
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");

    let broken = app
        .raw(post(
            "application/json; charset=utf-8",
            b"{\n  \"name\": \"x\",\n}".to_vec(),
        ))
        .await;
    let found = details(&broken);
    assert_eq!(found[0].0, json!([]));
    assert!(
        found[0].1.starts_with("Malformed JSON at line 3, column 1"),
        "{}",
        found[0].1
    );

    let empty = app.raw(post("application/json", Vec::new())).await;
    assert_eq!(details(&empty)[0].1, "Malformed JSON: the body is empty");

    let array = app.raw(post("application/json", b"[]".to_vec())).await;
    assert_eq!(
        details(&array),
        vec![(json!([]), "Expected object, received array".to_owned())]
    );
}

async fn data_survives_a_restart(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.create(&me, &example("crm-integration")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let app = app.restart().await;
    let fetched = app.get(&me, &format!("{ICPS}/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, created);
    assert_eq!(app.get(&me, ICPS).await.body, json!([created]));
}

async fn unknown_routes_answer_in_json(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let missing = app.get(&me, "/api/v2/things").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "NOT_FOUND");
    let wrong_method = app.send(Method::PUT, ICPS, Some(&me.token), None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["error"]["code"], "METHOD_NOT_ALLOWED");

    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc.body["paths"]["/api/v1/entities/icps/{id}"]["patch"].is_object());
    assert!(doc.headers.get("x-request-id").is_some());
    // Every error code an answer can carry is listed, as an enum the error body refers to.
    let codes = &doc.body["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "BAD_REQUEST",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "TOO_MANY_REQUESTS",
        "SERVICE_UNAVAILABLE",
        "INTERNAL_ERROR",
    ] {
        assert!(codes.as_array().unwrap().contains(&json!(code)), "{codes}");
    }
    assert_eq!(codes.as_array().unwrap().len(), 13, "{codes}");
    let code = &doc.body["components"]["schemas"]["ErrorDetail"]["properties"]["code"];
    assert_eq!(code["$ref"], "#/components/schemas/ErrorCode", "{code}");
}

async fn edge_instants_and_refusals_read_back(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    // The last and first milliseconds of four-digit years, given with offsets, stay editable.
    for (given, stored) in [
        ("9999-12-31T22:59:59.999-01:00", "9999-12-31T23:59:59.999Z"),
        ("0001-01-01T01:00:00.000+01:00", "0001-01-01T00:00:00.000Z"),
    ] {
        let mut body = minimal("Edge");
        body["activeUntil"] = json!(given);
        let created = app.create(&me, &body).await;
        assert_eq!(created["activeUntil"], stored);
        let id = created["id"].as_str().unwrap();
        let read = app.get(&me, &format!("{ICPS}/{id}")).await;
        assert_eq!(read.body["activeUntil"], stored);
        let patched = app.patch(&me, id, &json!({"name": "Renamed"})).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(patched.body["activeUntil"], stored);
        // A NUL in a PATCH is refused the same way, and the ICP is left as it was.
        let refused = app.patch(&me, id, &json!({"description": "a\u{0}b"})).await;
        assert_eq!(details(&refused)[0].0, json!(["description"]));
        let after = app.get(&me, &format!("{ICPS}/{id}")).await;
        assert_eq!(after.body, patched.body);
    }
}
