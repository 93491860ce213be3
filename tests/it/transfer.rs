//! Export and import in the browser, on SQLite and Postgres: one ICP and all of a user's download
//! as create bodies; a file imports whole or not at all, with a report of every refused body.

use crate::common::{example, location, minimal, on_both_databases, text, Database, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    an_export_imports_back_as_the_same_icps_in_order,
    a_file_with_a_refused_icp_imports_nothing_and_says_why,
    a_large_import_stores_every_icp_with_its_first_version,
    an_export_of_many_icps_is_written_a_page_at_a_time,
);

const ICPS: &str = "/api/v1/entities/icps";

/// The ICPs of a list reply without what a create decides (id, timestamps).
fn as_bodies(list: &Value) -> Vec<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|icp| {
            let mut icp = icp.clone();
            for key in ["id", "createdAt", "updatedAt"] {
                icp.as_object_mut().unwrap().remove(key);
            }
            icp
        })
        .collect()
}

async fn an_export_imports_back_as_the_same_icps_in_order(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let cookie = app.session_cookie(&ana).await;
    let first = app.create(&ana, &example("basic-icp")).await;
    app.create(&ana, &example("crm-integration")).await;
    app.create(&ana, &example("ai-filtering")).await;
    let before = app.get(&ana, ICPS).await.body;

    // One ICP downloads as a create body.
    let one = app
        .browser(
            &cookie,
            Method::GET,
            &format!("/icps/{}/export", first["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    let disposition = one.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(disposition.ends_with(".json\""), "{disposition}");
    assert_eq!(one.body, as_bodies(&json!([first]))[0]);

    // All of them, newest first, as an array.
    let all = app
        .browser(&cookie, Method::GET, "/icps/export", None)
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body, json!(as_bodies(&before)));

    // Imported by someone else with no ICPs yet (their own id stands in for the exporter's).
    let ben = app.caller("ben").await;
    let bens_cookie = app.session_cookie(&ben).await;
    let file = all
        .body
        .to_string()
        .replace(ana.id.as_str(), ben.id.as_str());
    let imported = app.import(&bens_cookie, &file).await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    assert_eq!(location(&imported), "/icps?imported=3");
    let bens = app.get(&ben, ICPS).await.body;
    let expected: Vec<Value> = serde_json::from_str(&file).unwrap();
    assert_eq!(
        as_bodies(&bens),
        expected,
        "the same ICPs, in the same order"
    );
    let page = app.visit("/icps?imported=3", Some(&bens_cookie)).await;
    assert!(text(&page).contains("Imported 3 ICPs."));

    // A single object imports too.
    let single = app
        .import(&bens_cookie, &minimal("Alone").to_string())
        .await;
    assert_eq!(location(&single), "/icps?imported=1");
}

async fn a_file_with_a_refused_icp_imports_nothing_and_says_why(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let cookie = app.session_cookie(&ana).await;
    let file = json!([
        minimal("Fine"),
        {"name": "", "leadProviderCriteria": [], "customFilterCriteria": [], "userIds": []},
        {"name": "<b>Bold</b>", "leadProviderCriteria": [], "customFilterCriteria": [], "userIds": [], "leadsPerList": 5000},
    ]);
    let refused = app.import(&cookie, &file.to_string()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let html = text(&refused);
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(
        html.contains("2 of the 3 ICPs in the file were refused"),
        "{html}"
    );
    assert!(
        html.contains("ICP 1 “Fine”: <span class=\"import-ok\">fine</span>"),
        "{html}"
    );
    assert!(html.contains("<code>name</code>"), "{html}");
    assert!(html.contains("<code>leadsPerList</code>"), "{html}");
    assert!(
        html.contains("&lt;b&gt;Bold&lt;/b&gt;") && !html.contains("<b>Bold"),
        "escaped"
    );
    assert_eq!(
        app.get(&ana, ICPS).await.body,
        json!([]),
        "nothing stored, not even the fine one"
    );

    for (file, says) in [
        ("not json", "The file is not valid JSON"),
        ("42", "The file must hold an ICP"),
        ("[]", "The file holds no ICPs."),
    ] {
        let reply = app.import(&cookie, file).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{file}");
        assert!(text(&reply).contains(says), "{file}: {}", text(&reply));
    }
    // Signed out: to the sign-in page, then back to the import page.
    let signed_out = app
        .raw(
            Request::builder()
                .method(Method::POST)
                .uri("/forms/icps/import")
                .header(header::HOST, "app.test")
                .header(header::ORIGIN, "http://app.test")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::from("--x--\r\n"))
                .unwrap(),
        )
        .await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert!(location(&signed_out).starts_with("/sign-in?next=%2Ficps%2Fimport"));
    assert_eq!(app.get(&ana, ICPS).await.body, json!([]));
}

/// 37 ICPs are stored in several multi-row statements (32 + 4 + 1 rows): each one whole.
async fn a_large_import_stores_every_icp_with_its_first_version(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let cookie = app.session_cookie(&ana).await;
    let names: Vec<String> = (1..=37).map(|n| format!("Import {n:02}")).collect();
    let mut bodies: Vec<Value> = names.iter().map(|name| minimal(name)).collect();
    bodies[36]["description"] = json!("The last one");
    bodies[36]["leadsPerList"] = json!(250);
    let imported = app.import(&cookie, &json!(bodies).to_string()).await;
    assert_eq!(
        location(&imported),
        "/icps?imported=37",
        "{}",
        imported.body
    );

    let listed = app.get(&ana, &format!("{ICPS}?limit=100")).await.body;
    let listed = listed.as_array().expect("a list");
    let mut stored: Vec<&str> = listed
        .iter()
        .map(|icp| icp["name"].as_str().unwrap())
        .collect();
    stored.sort_unstable();
    assert_eq!(stored, names, "every ICP, once");
    let last = listed
        .iter()
        .find(|icp| icp["name"] == "Import 37")
        .unwrap();
    assert_eq!(last["description"], "The last one");
    assert_eq!(last["leadsPerList"], 250);
    assert_eq!(last["userIds"], json!([ana.id.as_str()]));
    for icp in [last, &listed[0]] {
        let id = icp["id"].as_str().unwrap();
        let one = app.get(&ana, &format!("{ICPS}/{id}")).await;
        assert_eq!(one.body, *icp);
        let history = app
            .visit(&format!("/icps/{id}/history"), Some(&cookie))
            .await;
        let html = text(&history);
        assert!(html.contains("Version 1 · Created by ana"), "{html}");
    }
}

/// An export is written as it is read, 100 ICPs at a time: 230 come out whole, newest first, as
/// one array that imports back.
async fn an_export_of_many_icps_is_written_a_page_at_a_time(db: Database) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    let cookie = app.session_cookie(&ana).await;
    let file: Vec<Value> = (0..230).map(|n| minimal(&format!("ICP {n}"))).collect();
    let imported = app
        .import(&cookie, &serde_json::to_string(&file).unwrap())
        .await;
    assert_eq!(location(&imported), "/icps?imported=230");
    let all = app
        .browser(&cookie, Method::GET, "/icps/export", None)
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"icps-"));
    let exported = all.body.as_array().expect("one JSON array");
    assert_eq!(exported.len(), 230);
    let listed = app.get(&ana, ICPS).await.body;
    assert_eq!(exported, &as_bodies(&listed));
    assert_eq!(exported[0]["name"], "ICP 0");
    assert_eq!(exported[229]["name"], "ICP 229");
}
