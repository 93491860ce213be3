//! Every way to change an ICP, tried by someone it is not shared with (or from another site with
//! its owner's cookie): each is refused, and the ICP read back through its owner is unchanged.

use crate::common;
use crate::common::{browser, example, on_both_databases, Caller, Database, Reply, TestApp, SITE};
use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use icp_builder::builder::save::SaveIcp;
use icp_builder::page_error::PageError;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

on_both_databases!(
    plain_form_edits_of_a_foreign_icp_are_refused,
    plain_form_delete_of_a_foreign_icp_is_refused,
    the_save_function_with_a_foreign_id_is_refused,
    cookie_api_writes_from_another_site_are_refused,
    cookie_api_writes_to_a_foreign_icp_are_refused,
);

const ATTACKER_SITE: &str = "https://evil.example";

/// Ana's ICP (not shared with Bo), Bo's session cookie, and the ICP as stored.
struct Scene {
    app: TestApp,
    ana: Caller,
    id: String,
    stored: Value,
    bo_cookie: String,
}

async fn scene(db: Database) -> Scene {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let bo = app.caller("bo").await;
    let stored = app.create(&ana, &example("crm-integration")).await;
    let id = stored["id"].as_str().expect("id").to_owned();
    let bo_cookie = app.session_cookie(&bo).await;
    Scene {
        app,
        ana,
        id,
        stored,
        bo_cookie,
    }
}

impl Scene {
    /// The ICP as its owner reads it now must be exactly what was stored.
    async fn assert_unchanged(&self) {
        let now = self
            .app
            .get(&self.ana, &format!("/api/v1/entities/icps/{}", self.id))
            .await;
        assert_eq!(now.status, StatusCode::OK, "{}", now.body);
        assert_eq!(now.body, self.stored, "the ICP was changed");
    }

    /// Calls the builder's save function as the hydrated page does (url-encoded, same origin).
    async fn save(&self, cookie: &str, origin: &str, id: &str, body: &Value) -> Reply {
        let request = browser(Method::POST, SaveIcp::PATH, Some(cookie))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(
                json!({"id": id, "body": body.to_string()}).to_string(),
            ))
            .expect("request");
        self.app.raw(request).await
    }
}

fn page_error(reply: &Reply) -> PageError {
    serde_json::from_value(reply.body.clone()).expect("a PageError body")
}

async fn plain_form_edits_of_a_foreign_icp_are_refused(db: Database) {
    let s = scene(db).await;
    let uri = format!("/forms/icps/{}", s.id);
    // A valid edit, one that clears everything it can, and an invalid one: all refused alike, so
    // the answer tells nothing about the ICP or the body.
    for form in [
        vec![("name", "Hijacked"), ("leadsPerList", "10")],
        vec![
            ("name", "Emptied"),
            ("description", ""),
            ("activeUntil", ""),
        ],
        vec![("name", ""), ("filter.1.type", "matchFieldWithRegex")],
    ] {
        let reply = s.app.submit(&uri, Some(&s.bo_cookie), &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{form:?}");
        assert!(common::text(&reply).contains("You don’t have access to this ICP"));
        assert!(!common::text(&reply).contains("Existing Contacts"));
    }
    s.assert_unchanged().await;
}

async fn plain_form_delete_of_a_foreign_icp_is_refused(db: Database) {
    let s = scene(db).await;
    let reply = s
        .app
        .submit(
            &format!("/forms/icps/{}/delete", s.id),
            Some(&s.bo_cookie),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(common::text(&reply).contains("You don’t have access to this ICP"));
    s.assert_unchanged().await;
}

async fn the_save_function_with_a_foreign_id_is_refused(db: Database) {
    let s = scene(db).await;
    let mut body = s.stored.clone();
    for read_only in ["id", "createdAt", "updatedAt"] {
        body.as_object_mut().expect("object").remove(read_only);
    }
    body["name"] = json!("Hijacked");
    body["crmFilters"] = Value::Null;

    let reply = s.save(&s.bo_cookie, SITE, &s.id, &body).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert!(matches!(page_error(&reply), PageError::Forbidden(_)));

    // Even an invalid body is answered with the refusal, not with what is wrong with it.
    let reply = s
        .save(&s.bo_cookie, SITE, &s.id, &json!({"name": ""}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);

    // The owner's own cookie, but the call comes from another site.
    let ana_cookie = s.app.session_cookie(&s.ana).await;
    let reply = s.save(&ana_cookie, ATTACKER_SITE, &s.id, &body).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    s.assert_unchanged().await;
}

/// A cookie-authenticated API request, as a page at `origin` would send it.
async fn cookie_api(
    app: &TestApp,
    cookie: &str,
    origin: &str,
    method: Method,
    id: &str,
    body: Option<&Value>,
) -> Reply {
    let mut request = browser(method, &format!("/api/v1/entities/icps/{id}"), Some(cookie))
        .header(header::ORIGIN, origin);
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    app.raw(request.body(body).expect("request")).await
}

async fn cookie_api_writes_from_another_site_are_refused(db: Database) {
    let s = scene(db).await;
    let ana_cookie = s.app.session_cookie(&s.ana).await;
    let patch = json!({"name": "Hijacked", "description": null});
    for origin in [ATTACKER_SITE, "null", "http://localhost:8080"] {
        let reply = cookie_api(
            &s.app,
            &ana_cookie,
            origin,
            Method::PATCH,
            &s.id,
            Some(&patch),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "PATCH from {origin}");
        assert_eq!(reply.body["error"]["code"], "FORBIDDEN");
        let reply = cookie_api(&s.app, &ana_cookie, origin, Method::DELETE, &s.id, None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "DELETE from {origin}");
    }
    s.assert_unchanged().await;

    // The same cookie from our own pages works: the refusal above was the origin's doing.
    let reply = cookie_api(
        &s.app,
        &ana_cookie,
        SITE,
        Method::PATCH,
        &s.id,
        Some(&json!({"leadsPerList": 51})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["leadsPerList"], 51);
}

async fn cookie_api_writes_to_a_foreign_icp_are_refused(db: Database) {
    let s = scene(db).await;
    let reply = cookie_api(
        &s.app,
        &s.bo_cookie,
        SITE,
        Method::PATCH,
        &s.id,
        Some(&json!({"name": "Hijacked", "userIds": []})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(reply.body["error"]["code"], "FORBIDDEN");
    let reply = cookie_api(&s.app, &s.bo_cookie, SITE, Method::DELETE, &s.id, None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    s.assert_unchanged().await;
}
