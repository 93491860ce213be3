//! Safe changes through the API, on SQLite and Postgres: a strong ETag on reads and writes,
//! `If-None-Match` → 304, `If-Match` on PATCH and DELETE → 412 with the error body when stale, and
//! the dry run (`POST …/icps/validate`) that answers what a create would store and stores nothing.

use crate::common::{details, example, minimal, on_both_databases, text, Database, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

on_both_databases!(
    etags_make_reads_cheap_and_writes_safe,
    the_dry_run_answers_what_create_would_store_and_stores_nothing,
    a_stale_edit_page_is_told_and_keeps_what_was_typed,
);

const ICPS: &str = "/api/v1/entities/icps";

async fn etags_make_reads_cheap_and_writes_safe(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let created = app.post(&me, &minimal("Tagged")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let uri = format!("{ICPS}/{id}");
    let first = created.headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(first.starts_with('"') && first.ends_with('"'), "{first}");

    let read = app.get(&me, &uri).await;
    assert_eq!(read.headers[header::ETAG], first.as_str());
    let request = |method: Method,
                   condition: (header::HeaderName, &str),
                   body: Option<&serde_json::Value>| {
        let mut builder = Request::builder()
            .method(method)
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", me.token))
            .header(condition.0, condition.1);
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        builder.body(body).unwrap()
    };

    // If-None-Match: 304 while current (also weak and listed forms), 200 otherwise.
    for tag in [
        first.clone(),
        format!("W/{first}"),
        format!("\"1\", {first}"),
        "*".into(),
    ] {
        let reply = app
            .raw(request(Method::GET, (header::IF_NONE_MATCH, &tag), None))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(reply.headers[header::ETAG], first.as_str());
    }
    let other = app
        .raw(request(Method::GET, (header::IF_NONE_MATCH, "\"1\""), None))
        .await;
    assert_eq!(other.status, StatusCode::OK);

    // If-Match on PATCH: the current tag changes it and gives the new tag; the old one is 412.
    let patched = app
        .raw(request(
            Method::PATCH,
            (header::IF_MATCH, &first),
            Some(&json!({"name": "Renamed"})),
        ))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    let second = patched.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(second, first);
    let stale = app
        .raw(request(
            Method::PATCH,
            (header::IF_MATCH, &first),
            Some(&json!({"name": "Lost update"})),
        ))
        .await;
    assert_eq!(
        (stale.status, stale.body.clone()),
        (
            StatusCode::PRECONDITION_FAILED,
            json!({"error": {"code": "PRECONDITION_FAILED",
                "message": format!("ICP {id} has changed since you read it; read it again and retry")}})
        )
    );
    for weak_or_bad in [format!("W/{second}"), "\"nonsense\"".to_owned()] {
        let reply = app
            .raw(request(
                Method::PATCH,
                (header::IF_MATCH, &weak_or_bad),
                Some(&json!({"name": "x"})),
            ))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::PRECONDITION_FAILED,
            "{weak_or_bad}"
        );
    }
    assert_eq!(app.get(&me, &uri).await.body["name"], "Renamed");

    // If-Match on DELETE.
    let stale = app
        .raw(request(Method::DELETE, (header::IF_MATCH, &first), None))
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get(&me, &uri).await.status, StatusCode::OK);
    let deleted = app
        .raw(request(Method::DELETE, (header::IF_MATCH, &second), None))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&me, &uri).await.status, StatusCode::NOT_FOUND);
}

async fn the_dry_run_answers_what_create_would_store_and_stores_nothing(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let body = example("ai-filtering");
    let dry = app
        .send(
            Method::POST,
            &format!("{ICPS}/validate"),
            Some(&me.token),
            Some(&body),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    let created = app.create(&me, &body).await;
    let mut stored = created.clone();
    for key in ["id", "createdAt", "updatedAt"] {
        stored.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(
        dry.body, stored,
        "what create stores, without id and timestamps"
    );
    assert_eq!(app.get(&me, ICPS).await.body.as_array().unwrap().len(), 1);

    let invalid = app
        .send(
            Method::POST,
            &format!("{ICPS}/validate"),
            Some(&me.token),
            Some(&json!({"name": ""})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.body["error"]["code"], "BAD_REQUEST");
    assert!(!details(&invalid).is_empty());
    assert_eq!(
        app.send(Method::POST, &format!("{ICPS}/validate"), None, Some(&body))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&me, ICPS).await.body.as_array().unwrap().len(),
        1,
        "nothing stored"
    );
}

async fn a_stale_edit_page_is_told_and_keeps_what_was_typed(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let cookie = app.session_cookie(&me).await;
    let id = app.create(&me, &minimal("Opened")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The edit page carries the version it opened.
    let page = app.visit(&format!("/icps/{id}/edit"), Some(&cookie)).await;
    let html = text(&page);
    let start = html
        .find("name=\"version\" value=\"")
        .expect("the version field")
        + 22;
    let version: String = html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(!version.is_empty(), "{html}");

    // Someone else saves first.
    let other = app.patch(&me, &id, &json!({"leadsPerList": 77})).await;
    assert_eq!(other.status, StatusCode::OK);

    // The stale page's save is refused, shown again with what was typed and why.
    let form = [
        ("name", "Typed on the stale page"),
        ("leadsPerList", "20"),
        ("userIds", ""),
        ("version", version.as_str()),
        ("filter.1.type", "maxPeoplePerCompany"),
        ("filter.1.value", "2"),
    ];
    let refused = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&form),
        )
        .await;
    assert_eq!(refused.status, StatusCode::PRECONDITION_FAILED);
    let html = text(&refused);
    assert!(
        html.contains("This ICP changed since you opened it."),
        "{html}"
    );
    assert!(html.contains("Typed on the stale page"));
    let stored = app.get(&me, &format!("{ICPS}/{id}")).await.body;
    assert_eq!(
        (stored["name"].as_str(), stored["leadsPerList"].as_i64()),
        (Some("Opened"), Some(77))
    );

    // A page opened after that change saves.
    let page = app.visit(&format!("/icps/{id}/edit"), Some(&cookie)).await;
    let html = text(&page);
    let start = html.find("name=\"version\" value=\"").unwrap() + 22;
    let fresh: String = html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let mut form = form.to_vec();
    form[3] = ("version", fresh.as_str());
    let saved = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}"),
            Some(&form),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        app.get(&me, &format!("{ICPS}/{id}")).await.body["name"],
        "Typed on the stale page"
    );
}
