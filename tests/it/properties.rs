//! Property tests through the API, on SQLite and Postgres: whatever the validator accepts is stored
//! and read back as the same draft, and whatever it refuses is answered with its errors.

#[path = "../../src/domain/sample_bodies.rs"]
mod sample_bodies;

use crate::common::{details, on_both_databases, Database, TestApp};
use axum::http::StatusCode;
use icp_builder::domain::{validate_draft, IcpDraft};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use sample_bodies::{mutated_body, valid_body};
use serde_json::Value;

on_both_databases!(
    accepted_drafts_read_back_the_same,
    refused_bodies_get_the_validators_errors,
);

const ICPS: &str = "/api/v1/entities/icps";

/// `count` bodies from `strategy`, the same on every run (a failure names its body).
fn bodies(strategy: impl Strategy<Value = Value>, count: usize) -> Vec<Value> {
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("a generated body")
                .current()
        })
        .collect()
}

/// The draft an API answer describes (the ICP without the fields the server sets).
fn draft_of(icp: &Value) -> Result<IcpDraft, String> {
    let mut fields = icp.as_object().cloned().unwrap_or_default();
    for server_set in ["id", "createdAt", "updatedAt"] {
        fields.remove(server_set);
    }
    validate_draft(&Value::Object(fields)).map_err(|errors| format!("{errors:?}"))
}

async fn accepted_drafts_read_back_the_same(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    // Valid bodies, and mutated ones the validator still accepts (extra provider filters, …).
    let mut accepted: Vec<Value> = bodies(valid_body(), 24);
    accepted.extend(
        bodies(mutated_body(), 200)
            .into_iter()
            .filter(|body| validate_draft(body).is_ok())
            .take(8),
    );
    assert!(accepted.len() >= 28, "too few accepted bodies generated");
    for body in &accepted {
        // What the server reads: the body's JSON text, parsed.
        let sent: Value = serde_json::from_str(&body.to_string()).expect("JSON");
        let expected = validate_draft(&sent)
            .expect("accepted")
            .with_member(&ana.id);
        let created = app.create(&ana, body).await;
        assert_eq!(
            draft_of(&created),
            Ok(expected.clone()),
            "created from {body}"
        );
        let id = created["id"].as_str().expect("id");
        let read = app.get(&ana, &format!("{ICPS}/{id}")).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(draft_of(&read.body), Ok(expected), "read back from {body}");
    }
}

async fn refused_bodies_get_the_validators_errors(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let refused: Vec<(Value, Value)> = bodies(mutated_body(), 120)
        .into_iter()
        .filter_map(|body| {
            // A body nested past the limit is refused for its shape before it is parsed.
            let errors = match icp_builder::domain::check_shape(body.to_string().as_bytes()) {
                Err(shape) => vec![shape],
                Ok(()) => validate_draft(&body).err()?,
            };
            Some((body, serde_json::to_value(errors).expect("errors as JSON")))
        })
        .take(32)
        .collect();
    assert!(refused.len() >= 24, "too few refused bodies generated");
    for (body, errors) in &refused {
        let reply = app.post(&ana, body).await;
        let answered: Vec<Value> = details(&reply)
            .into_iter()
            .map(|(path, message)| serde_json::json!({"path": path, "message": message}))
            .collect();
        assert_eq!(&Value::Array(answered), errors, "for {body}");
    }
    let listed = app.get(&ana, ICPS).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(0),
        "nothing refused was stored"
    );
}
