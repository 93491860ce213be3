//! Owners and history through the API, on SQLite and Postgres: owner-only actions (403 with the
//! reference's body for members, 400 for removing the owner), handing an ICP over, versions and
//! restoring one, and the recently deleted ICPs and restoring one.

use crate::common::{
    details, location, minimal, on_both_databases, text, Caller, Database, TestApp,
};
use axum::http::{Method, StatusCode};
use icp_builder::store::Pools;
use serde_json::{json, Value};

on_both_databases!(
    members_edit_but_only_the_owner_deletes_or_removes,
    the_owner_hands_an_icp_over,
    every_change_is_a_version_and_an_old_one_can_be_restored,
    the_owner_restores_a_deleted_icp,
    an_icp_older_than_history_keeps_its_state_before_the_first_change,
    the_pages_show_owners_changes_in_words_and_restore_without_javascript,
    versions_come_a_page_at_a_time,
    a_deleted_icps_history_is_its_owners_alone,
    an_edit_stores_what_it_changed,
);

const ICPS: &str = "/api/v1/entities/icps";

/// Olga's ICP shared with Bo and Cy, all three in Olga's workspace.
async fn team(db: Database) -> (TestApp, Caller, Caller, Caller, String) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let bo = app.caller("bo").await;
    let cy = app.caller("cy").await;
    app.join(&olga, &bo).await;
    app.join(&olga, &cy).await;
    let mut body = minimal("Team ICP");
    body["userIds"] = json!([bo.id.as_str(), cy.id.as_str()]);
    let id = app.create(&olga, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (app, olga, bo, cy, id)
}

async fn members_edit_but_only_the_owner_deletes_or_removes(db: Database) {
    let (app, olga, bo, cy, id) = team(db).await;
    let uri = format!("{ICPS}/{id}");

    // A member edits the criteria.
    let edited = app.patch(&bo, &id, &json!({"leadsPerList": 40})).await;
    assert_eq!(edited.status, StatusCode::OK);

    // A member removes another member, or deletes: 403 with the reference's body.
    let removed = app
        .patch(&bo, &id, &json!({"userIds": [olga.id.as_str()]}))
        .await;
    assert_eq!(
        (removed.status, removed.body.clone()),
        (
            StatusCode::FORBIDDEN,
            json!({"error": {"code": "FORBIDDEN", "message": "Only the ICP's owner can remove its members"}})
        )
    );
    let deleted = app.delete(&bo, &id).await;
    assert_eq!(
        (deleted.status, deleted.body.clone()),
        (
            StatusCode::FORBIDDEN,
            json!({"error": {"code": "FORBIDDEN", "message": "Only the ICP's owner can delete it"}})
        )
    );

    // Nobody removes the owner: 400 at userIds.
    let without_owner = app
        .patch(
            &bo,
            &id,
            &json!({"userIds": [bo.id.as_str(), cy.id.as_str()]}),
        )
        .await;
    assert_eq!(without_owner.status, StatusCode::BAD_REQUEST);
    let problems = details(&without_owner);
    assert_eq!(problems[0].0, json!(["userIds"]));
    assert!(problems[0]
        .1
        .contains("owns this ICP and cannot be removed"));

    // Unchanged by the refusals; the owner removes Cy and deletes.
    let after = app.get(&olga, &uri).await.body;
    assert_eq!(after["leadsPerList"], 40);
    assert_eq!(
        after["userIds"],
        json!([bo.id.as_str(), cy.id.as_str(), olga.id.as_str()])
    );
    let removed = app
        .patch(&olga, &id, &json!({"userIds": [bo.id.as_str()]}))
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(app.get(&cy, &uri).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&olga, &id).await.status, StatusCode::NO_CONTENT);
}

async fn the_owner_hands_an_icp_over(db: Database) {
    let (app, olga, bo, cy, id) = team(db).await;
    let owner_uri = format!("{ICPS}/{id}/owner");
    let to_cy = json!({"userId": cy.id.as_str()});
    let by_member = app
        .send(Method::PUT, &owner_uri, Some(&bo.token), Some(&to_cy))
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);

    let outsider = app.caller("out").await;
    let refused = app
        .send(
            Method::PUT,
            &owner_uri,
            Some(&olga.token),
            Some(&json!({"userId": outsider.id.as_str()})),
        )
        .await;
    // A well-formed body naming someone outside the workspace: 422, with the error body.
    assert_eq!(
        (refused.status, refused.body.clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": {"code": "UNPROCESSABLE_ENTITY",
                "message": format!("{} is not a member of your workspace", outsider.id.as_str())}})
        )
    );
    let malformed = app
        .send(
            Method::PUT,
            &owner_uri,
            Some(&olga.token),
            Some(&json!({"owner": "x"})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);

    let handed = app
        .send(Method::PUT, &owner_uri, Some(&olga.token), Some(&to_cy))
        .await;
    assert_eq!(handed.status, StatusCode::OK);
    assert_eq!(handed.body, json!({"userId": cy.id.as_str()}));
    // Cy owns it now: Bo, a member, still cannot delete it; Cy does. (Olga, the workspace's
    // owner, could too: owners and admins manage every ICP of the workspace.)
    assert_eq!(app.delete(&bo, &id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&cy, &id).await.status, StatusCode::NO_CONTENT);
}

/// However often an ICP was edited, one answer holds at most a page of versions (default 50,
/// `limit` ≤ 100), newest first, and `x-next-cursor`/`Link` lead through the rest.
async fn versions_come_a_page_at_a_time(db: Database) {
    let (app, olga, _bo, _cy, id) = team(db).await;
    for n in 1..=120 {
        let edited = app.patch(&olga, &id, &json!({"leadsPerList": n})).await;
        assert_eq!(edited.status, StatusCode::OK);
    }
    let first = app.get(&olga, &format!("{ICPS}/{id}/versions")).await;
    assert_eq!(first.status, StatusCode::OK);
    let numbers: Vec<u64> = actions(&first.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(numbers, (72..=121).rev().collect::<Vec<u64>>());
    assert_eq!(first.headers["x-next-cursor"], "72");

    let mut seen = numbers;
    let mut uri = format!("{ICPS}/{id}/versions?limit=100&cursor=72");
    loop {
        let page = app.get(&olga, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.as_array().unwrap().len() <= 100);
        seen.extend(actions(&page.body).into_iter().map(|(n, _)| n));
        match page.headers.get("link") {
            Some(link) => {
                let link = link.to_str().unwrap();
                uri = link[1..link.find('>').unwrap()].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, (1..=121).rev().collect::<Vec<u64>>());
    let none_older = app
        .get(&olga, &format!("{ICPS}/{id}/versions?cursor=0"))
        .await;
    assert_eq!(none_older.body, json!([]));
    for bad in ["limit=0", "limit=101", "cursor=x", "cursor=-1", "page=2"] {
        let refused = app.get(&olga, &format!("{ICPS}/{id}/versions?{bad}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.body["error"]["code"], "BAD_REQUEST");
    }

    // The history page shows 50, what each changed, and a link to the older ones.
    let cookie = app.session_cookie(&olga).await;
    let page = app
        .visit(&format!("/icps/{id}/history"), Some(&cookie))
        .await;
    let page = text(&page);
    assert_eq!(
        page.matches("class=\"panel version\"").count(),
        50,
        "{page}"
    );
    assert!(page.contains("Leads per list: 119 → 120"), "{page}");
    assert!(page.contains(&format!("/icps/{id}/history?before=72")));
    let older = app
        .visit(&format!("/icps/{id}/history?before=72"), Some(&cookie))
        .await;
    let older = text(&older);
    assert!(older.contains("Version 71 "), "{older}");
    assert!(!older.contains("Version 72 "), "{older}");
    assert!(older.contains(&format!("/forms/icps/{id}/versions/71/restore")));
}

/// Only the owner reads a deleted ICP's history (as only they see it in "Recently deleted"): a
/// member it was shared with, who may since have left the workspace, is told it is not there.
async fn a_deleted_icps_history_is_its_owners_alone(db: Database) {
    let (app, olga, bo, _cy, id) = team(db).await;
    let uri = format!("{ICPS}/{id}/versions");
    assert_eq!(app.get(&bo, &uri).await.status, StatusCode::OK);
    assert_eq!(app.delete(&olga, &id).await.status, StatusCode::NO_CONTENT);
    let member = app.get(&bo, &uri).await;
    assert_eq!(member.status, StatusCode::NOT_FOUND);
    assert_eq!(member.body["error"]["code"], "NOT_FOUND");
    let owner = app.get(&olga, &uri).await;
    assert_eq!(owner.status, StatusCode::OK);
    assert_eq!(actions(&owner.body)[0], (2, "deleted".to_owned()));
    let stranger = app.caller("stranger").await;
    assert_eq!(app.get(&stranger, &uri).await.status, StatusCode::NOT_FOUND);
}

fn actions(versions: &Value) -> Vec<(u64, String)> {
    versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn every_change_is_a_version_and_an_old_one_can_be_restored(db: Database) {
    let (app, olga, bo, _cy, id) = team(db).await;
    let versions_uri = format!("{ICPS}/{id}/versions");
    app.patch(
        &bo,
        &id,
        &json!({"name": "Renamed by Bo", "leadsPerList": 50}),
    )
    .await;
    app.patch(&olga, &id, &json!({"description": "Now described"}))
        .await;

    let versions = app.get(&bo, &versions_uri).await;
    assert_eq!(versions.status, StatusCode::OK);
    assert_eq!(
        actions(&versions.body),
        vec![
            (3, "updated".to_owned()),
            (2, "updated".to_owned()),
            (1, "created".to_owned())
        ]
    );
    let newest = &versions.body[0];
    assert_eq!(newest["by"], olga.id.as_str());
    assert_eq!(newest["ownerId"], olga.id.as_str());
    assert_eq!(newest["icp"]["description"], "Now described");
    assert_eq!(versions.body[1]["by"], bo.id.as_str());
    assert_eq!(versions.body[2]["icp"]["name"], "Team ICP");

    // Version 1 made current again by a member: a new version, "restored".
    let restored = app
        .send(
            Method::POST,
            &format!("{versions_uri}/1/restore"),
            Some(&bo.token),
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert_eq!(restored.body["name"], "Team ICP");
    assert_eq!(restored.body["leadsPerList"], 10);
    assert_eq!(restored.body["description"], Value::Null);
    let versions = app.get(&olga, &versions_uri).await.body;
    assert_eq!(versions[0]["action"], "restored");
    assert_eq!(versions[0]["version"], 4);

    let missing = app
        .send(
            Method::POST,
            &format!("{versions_uri}/9/restore"),
            Some(&olga.token),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let stranger = app.caller("stranger").await;
    assert_eq!(
        app.get(&stranger, &versions_uri).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_owner_restores_a_deleted_icp(db: Database) {
    let (app, olga, bo, _cy, id) = team(db).await;
    let created = app.get(&olga, &format!("{ICPS}/{id}")).await.body;
    assert_eq!(
        app.send(
            Method::POST,
            &format!("{ICPS}/{id}/restore"),
            Some(&olga.token),
            None
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "not deleted"
    );
    assert_eq!(app.delete(&olga, &id).await.status, StatusCode::NO_CONTENT);

    let deleted = app.get(&olga, &format!("{ICPS}/deleted")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body.as_array().unwrap().len(), 1);
    assert_eq!(deleted.body[0]["id"], id.as_str());
    assert_eq!(deleted.body[0]["name"], "Team ICP");
    assert_eq!(deleted.body[0]["deletedBy"], olga.id.as_str());
    assert_eq!(
        app.get(&bo, &format!("{ICPS}/deleted")).await.body,
        json!([])
    );

    let by_member = app
        .send(
            Method::POST,
            &format!("{ICPS}/{id}/restore"),
            Some(&bo.token),
            None,
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let restored = app
        .send(
            Method::POST,
            &format!("{ICPS}/{id}/restore"),
            Some(&olga.token),
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    let mut expected = created.clone();
    expected["updatedAt"] = restored.body["updatedAt"].clone();
    assert_eq!(
        restored.body, expected,
        "as it was, with its id and creation time"
    );
    assert_eq!(
        app.get(&bo, &format!("{ICPS}/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&olga, &format!("{ICPS}/deleted")).await.body,
        json!([])
    );
    let versions = app.get(&olga, &format!("{ICPS}/{id}/versions")).await.body;
    assert_eq!(
        actions(&versions),
        vec![
            (3, "restored".to_owned()),
            (2, "deleted".to_owned()),
            (1, "created".to_owned())
        ]
    );
}

async fn an_icp_older_than_history_keeps_its_state_before_the_first_change(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let id = app.create(&olga, &minimal("Old ICP")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // As if created before history existed.
    match app.store.pools() {
        Pools::Sqlite { writer, .. } => {
            sqlx::query("DELETE FROM icp_versions")
                .execute(&writer)
                .await
                .unwrap();
        }
        Pools::Postgres(pool) => {
            sqlx::query("DELETE FROM icp_versions")
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    app.patch(&olga, &id, &json!({"name": "New name"})).await;
    let versions = app.get(&olga, &format!("{ICPS}/{id}/versions")).await.body;
    assert_eq!(
        actions(&versions),
        vec![(2, "updated".to_owned()), (1, "baseline".to_owned())]
    );
    assert_eq!(versions[1]["icp"]["name"], "Old ICP");
    assert_eq!(versions[0]["icp"]["name"], "New name");
}

async fn the_pages_show_owners_changes_in_words_and_restore_without_javascript(db: Database) {
    let (app, olga, bo, _cy, id) = team(db).await;
    let olga_cookie = app.session_cookie(&olga).await;
    let bo_cookie = app.session_cookie(&bo).await;
    app.patch(
        &bo,
        &id,
        &json!({"leadsPerList": 50, "customFilterCriteria": [
        {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^Acme"}]}),
    )
    .await;

    // The detail page names the owner; only the owner gets Delete and Hand over.
    let page = app.visit(&format!("/icps/{id}"), Some(&olga_cookie)).await;
    let html = text(&page);
    assert!(html.contains("Owner") && html.contains(">olga<"), "{html}");
    assert!(html.contains("Yes, delete this ICP") && html.contains("Hand over"));
    let page = app.visit(&format!("/icps/{id}"), Some(&bo_cookie)).await;
    assert!(!text(&page).contains("Yes, delete this ICP"));
    assert!(text(&page).contains(&format!("/icps/{id}/history")));

    // The history in words, with Restore for the older version.
    let page = app
        .visit(&format!("/icps/{id}/history"), Some(&bo_cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = text(&page);
    assert!(html.contains("Version 2 · Edited by bo"), "{html}");
    assert!(html.contains("Leads per list: 10 → 50"), "{html}");
    assert!(
        html.contains("Added filter: Field condition: Company name starts with “Acme”"),
        "{html}"
    );
    assert!(html.contains("Version 1 · Created by olga"));
    let restore = format!("/forms/icps/{id}/versions/1/restore");
    assert!(html.contains(&restore));
    let restored = app.submit(&restore, Some(&bo_cookie), &[]).await;
    assert_eq!(
        location(&restored),
        format!("/icps/{id}/history?notice=restored")
    );
    assert_eq!(
        app.get(&olga, &format!("{ICPS}/{id}")).await.body["leadsPerList"],
        10
    );

    // Deleted, then restored from "Recently deleted" by the owner.
    let deleted = app
        .submit(&format!("/forms/icps/{id}/delete"), Some(&olga_cookie), &[])
        .await;
    assert_eq!(location(&deleted), "/icps");
    let page = app.visit("/icps/deleted", Some(&olga_cookie)).await;
    assert!(text(&page).contains("Team ICP"), "{}", text(&page));
    let back = app
        .submit(
            &format!("/forms/icps/{id}/restore"),
            Some(&olga_cookie),
            &[],
        )
        .await;
    assert_eq!(location(&back), format!("/icps/{id}?notice=restored"));
    assert_eq!(
        app.get(&bo, &format!("{ICPS}/{id}")).await.status,
        StatusCode::OK
    );
    // A member's plain-form delete is refused with a page that says why.
    let refused = app
        .submit(&format!("/forms/icps/{id}/delete"), Some(&bo_cookie), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("Only the ICP&#39;s owner can delete it."));
}

/// Each version's stored bytes: `(version, bytes of the whole ICP or "{}", bytes of its patch)`.
async fn stored_versions(app: &TestApp, id: &str) -> Vec<(i64, i64, Option<i64>)> {
    let id = uuid::Uuid::parse_str(id).unwrap();
    match app.store.pools() {
        Pools::Sqlite { readers, .. } => sqlx::query_as(
            "SELECT version, length(icp), length(patch) FROM icp_versions WHERE icp_id = ? ORDER BY version",
        )
        .bind(id)
        .fetch_all(&readers)
        .await
        .unwrap(),
        Pools::Postgres(pool) => {
            let rows: Vec<(i32, i32, Option<i32>)> = sqlx::query_as(
                "SELECT version, length(icp::text), length(patch::text) FROM icp_versions \
                 WHERE icp_id = $1 ORDER BY version",
            )
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows.into_iter()
                .map(|(v, i, p)| (i64::from(v), i64::from(i), p.map(i64::from)))
                .collect()
        }
    }
}

/// A 200 KB ICP edited 25 times: each edit stores what it changed (a JSON Patch of ~100 bytes),
/// every 20th version the whole ICP, and every version reads back whole.
async fn an_edit_stores_what_it_changed(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let mut body = minimal("Big");
    body["leadProviderCriteria"] = json!([{"provider": "baseProvider",
        "filters": {"notes": vec!["n".repeat(5_000); 40]}}]);
    let id = app.create(&olga, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 1..=25 {
        let edited = app.patch(&olga, &id, &json!({"leadsPerList": n})).await;
        assert_eq!(edited.status, StatusCode::OK);
    }
    let stored = stored_versions(&app, &id).await;
    assert_eq!(stored.len(), 26);
    let edits: Vec<i64> = stored
        .iter()
        .filter(|(version, _, _)| version % 20 != 1)
        .map(|(_, icp, patch)| icp + patch.unwrap_or(0))
        .collect();
    eprintln!(
        "[history] whole ICP {} B; an edit stores {}–{} B (JSON columns)",
        stored[0].1,
        edits.iter().min().unwrap(),
        edits.iter().max().unwrap()
    );
    for (version, icp, patch) in &stored {
        match version % 20 {
            1 => assert!(*icp > 200_000 && patch.is_none(), "v{version}: a snapshot"),
            _ => {
                // The changed values: leadsPerList (≤ 2 bytes) and updatedAt (24): ≤ 2× them
                // and the patch's own words.
                let patch = patch.unwrap_or_else(|| panic!("v{version} stored whole"));
                assert!(
                    *icp <= 2 && patch < 200,
                    "v{version}: {icp} + {patch} bytes"
                );
            }
        }
    }
    let versions = app
        .get(&olga, &format!("{ICPS}/{id}/versions?limit=100"))
        .await
        .body;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 26);
    for (i, version) in versions.iter().enumerate() {
        let n = 26 - i as u64;
        assert_eq!(version["version"], n);
        let lpl = if n == 1 { 10 } else { n - 1 };
        assert_eq!(version["icp"]["leadsPerList"], lpl, "version {n}");
        let filters = &version["icp"]["leadProviderCriteria"][0]["filters"];
        assert!(
            *filters == body["leadProviderCriteria"][0]["filters"],
            "version {n}: the provider filters differ"
        );
    }
    let current = app.get(&olga, &format!("{ICPS}/{id}")).await.body;
    assert!(
        versions[0]["icp"] == current,
        "the newest version is the ICP"
    );
}
