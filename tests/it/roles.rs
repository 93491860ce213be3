//! Roles (owner, admin, member, viewer), the sign-up policy and the audit log — on SQLite and
//! Postgres: who sets roles, what an admin reaches, that a viewer changes nothing on any path
//! (API, builder save, no-JavaScript forms, import, restore, hand-over), and that each change to
//! the workspace and its access leaves its record.

use crate::common::{
    browser, location, minimal, on_both_databases, Caller, Database, Reply, TestApp, SITE,
};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use icp_builder::account::SignUpPolicy;
use icp_builder::builder::save::SaveIcp;
use icp_builder::domain::Icp;
use icp_builder::state::Config;
use icp_builder::store::{Change, Role, StoreError, VersionAction};
use icp_builder::workspaces;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use std::sync::Arc;

on_both_databases!(
    owner_and_admins_set_roles_and_members_cannot,
    an_admin_reads_and_changes_a_members_unshared_icp,
    a_viewer_reads_what_is_shared_and_every_write_is_refused,
    the_database_refuses_a_viewers_icp_write_in_its_transaction,
    invite_only_refuses_a_plain_sign_up_and_admits_the_invited,
    a_domain_list_admits_its_domains_only,
    each_change_to_the_workspace_leaves_an_audit_record,
    the_pages_offer_what_the_role_allows_and_the_audit_page_is_for_managers,
);

const ICPS: &str = "/api/v1/entities/icps";
const USERS: &str = "/api/v1/entities/users";
const AUDIT: &str = "/api/v1/audit";

async fn set_role(app: &TestApp, by: &Caller, member: &Caller, role: &str) -> Reply {
    app.send(
        Method::PUT,
        &format!("{USERS}/{}/role", member.id),
        Some(&by.token),
        Some(&json!({ "role": role })),
    )
    .await
}

/// Each member's role, by id, as the users endpoint lists them.
async fn roles(app: &TestApp, caller: &Caller) -> Vec<(String, String)> {
    let reply = app.get(caller, USERS).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            (
                user["id"].as_str().unwrap().to_owned(),
                user["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn role_of(roles: &[(String, String)], caller: &Caller) -> String {
    roles
        .iter()
        .find(|(id, _)| id == caller.id.as_str())
        .map(|(_, role)| role.clone())
        .expect("a member")
}

/// A 403 with the spec's error body.
fn assert_forbidden(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{what}: {}",
        reply.body
    );
    assert_eq!(reply.body["error"]["code"], "FORBIDDEN", "{what}");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}"
    );
}

async fn owner_and_admins_set_roles_and_members_cannot(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let (ann, bo, cy) = (
        app.caller("ann").await,
        app.caller("bo").await,
        app.caller("cy").await,
    );
    app.join_as(&owner, &ann, Role::Admin).await;
    app.join(&owner, &bo).await;
    app.join_as(&owner, &cy, Role::Viewer).await;
    let listed = roles(&app, &bo).await;
    assert_eq!(role_of(&listed, &owner), "owner");
    assert_eq!(role_of(&listed, &ann), "admin");
    assert_eq!(role_of(&listed, &bo), "member");
    assert_eq!(role_of(&listed, &cy), "viewer");

    // A member sets no role; nor does a viewer.
    assert_forbidden(
        &set_role(&app, &bo, &cy, "member").await,
        "member sets a role",
    );
    assert_forbidden(
        &set_role(&app, &cy, &cy, "admin").await,
        "viewer promotes self",
    );
    // An admin sets members' roles, but neither demotes the owner nor hands the workspace over.
    let reply = set_role(&app, &ann, &bo, "viewer").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"role": "viewer"}));
    assert_eq!(role_of(&roles(&app, &ann).await, &bo), "viewer");
    assert_forbidden(
        &set_role(&app, &ann, &owner, "member").await,
        "admin demotes owner",
    );
    assert_forbidden(
        &set_role(&app, &ann, &bo, "owner").await,
        "admin hands over",
    );
    let removed = workspaces::remove(app.store.as_ref(), &ann.id, &owner.id).await;
    assert!(matches!(
        removed,
        Err(workspaces::WorkspaceError::OwnerOnly)
    ));
    // Bad bodies and strangers.
    for body in [
        json!({"role": "boss"}),
        json!({"role": "admin", "x": 1}),
        json!([]),
    ] {
        let reply = app
            .send(
                Method::PUT,
                &format!("{USERS}/{}/role", bo.id),
                Some(&owner.token),
                Some(&body),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert_eq!(reply.body["error"]["code"], "BAD_REQUEST");
    }
    let stranger = app.caller("stranger").await;
    let reply = set_role(&app, &owner, &stranger, "admin").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(role_of(&roles(&app, &stranger).await, &stranger), "owner");

    // The owner hands the workspace over: one owner still, the old one an admin.
    let reply = set_role(&app, &owner, &ann, "owner").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let listed = roles(&app, &owner).await;
    assert_eq!(role_of(&listed, &ann), "owner");
    assert_eq!(role_of(&listed, &owner), "admin");
    assert_eq!(listed.iter().filter(|(_, role)| role == "owner").count(), 1);
    // The team page's form does the same, and shows a refusal as a problem, not an error page.
    let cookie = app.session_cookie(&owner).await;
    let reply = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/settings/team/members/{}/role", bo.id),
            Some(&[("role", "member")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&reply), "/settings/team?notice=role");
    assert_eq!(role_of(&roles(&app, &owner).await, &bo), "member");
    let reply = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/settings/team/members/{}/role", ann.id),
            Some(&[("role", "viewer")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        location(&reply).contains("error=owner-only"),
        "{}",
        location(&reply)
    );
    assert_eq!(role_of(&roles(&app, &owner).await, &ann), "owner");
}

async fn an_admin_reads_and_changes_a_members_unshared_icp(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let (ann, bo, dee) = (
        app.caller("ann").await,
        app.caller("bo").await,
        app.caller("dee").await,
    );
    app.join_as(&owner, &ann, Role::Admin).await;
    app.join(&owner, &bo).await;
    app.join(&owner, &dee).await;
    let outsider = app.caller("outsider").await;
    let icp = app.create(&bo, &minimal("Bo's own")).await;
    let id = icp["id"].as_str().unwrap();
    let path = format!("{ICPS}/{id}");

    // Another member does not see it; an admin and the owner do, and change it.
    assert_forbidden(&app.get(&dee, &path).await, "member reads another's ICP");
    for manager in [&ann, &owner] {
        let reply = app.get(manager, &path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["name"], "Bo's own");
    }
    let reply = app
        .patch(&ann, id, &json!({"name": "Renamed by an admin"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        app.get(&bo, &path).await.body["name"],
        "Renamed by an admin"
    );
    // An admin of another workspace reaches nothing here.
    assert_forbidden(&app.get(&outsider, &path).await, "outsider reads");
    // The plain list stays the caller's own ICPs, as the reference's List ICPs says.
    let listed = app.get(&ann, ICPS).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        listed.body.as_array().unwrap().is_empty(),
        "{}",
        listed.body
    );
    // An admin deletes it, as its owner could.
    let reply = app.delete(&ann, id).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    assert_eq!(app.get(&bo, &path).await.status, StatusCode::NOT_FOUND);
}

async fn a_viewer_reads_what_is_shared_and_every_write_is_refused(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let cy = app.caller("cy").await;
    app.join_as(&owner, &cy, Role::Viewer).await;
    let mut body = minimal("Shared with the viewer");
    body["userIds"] = json!([cy.id.as_str()]);
    let icp = app.create(&owner, &body).await;
    let id = icp["id"].as_str().unwrap().to_owned();
    let path = format!("{ICPS}/{id}");
    let gone = app.create(&owner, &body).await;
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    assert!(app.delete(&owner, &gone_id).await.status.is_success());

    // Reads work.
    let reply = app.get(&cy, &path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(app.get(&cy, ICPS).await.body.as_array().unwrap().len(), 1);

    // Every write through the API is a 403 with the error body.
    assert_forbidden(&app.post(&cy, &minimal("Mine")).await, "create");
    assert_forbidden(
        &app.patch(&cy, &id, &json!({"name": "Changed"})).await,
        "patch",
    );
    assert_forbidden(&app.delete(&cy, &id).await, "delete");
    let owner_body = json!({"userId": cy.id.as_str()});
    let reply = app
        .send(
            Method::PUT,
            &format!("{path}/owner"),
            Some(&cy.token),
            Some(&owner_body),
        )
        .await;
    assert_forbidden(&reply, "hand-over");
    let reply = app
        .send(
            Method::POST,
            &format!("{path}/versions/1/restore"),
            Some(&cy.token),
            None,
        )
        .await;
    assert_forbidden(&reply, "restore a version");
    let reply = app
        .send(
            Method::POST,
            &format!("{ICPS}/{gone_id}/restore"),
            Some(&cy.token),
            None,
        )
        .await;
    assert_forbidden(&reply, "restore a deleted ICP");
    let keyed = app
        .raw(
            Request::builder()
                .method(Method::POST)
                .uri(ICPS)
                .header(header::AUTHORIZATION, format!("Bearer {}", cy.token))
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "viewer-once")
                .body(Body::from(minimal("Keyed").to_string()))
                .unwrap(),
        )
        .await;
    assert_forbidden(&keyed, "idempotent create");

    // The builder's save, the no-JavaScript forms and the import refuse too.
    let cookie = app.session_cookie(&cy).await;
    let save = app
        .raw(
            browser(Method::POST, SaveIcp::PATH, Some(&cookie))
                .header(header::ORIGIN, SITE)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(
                    json!({"body": minimal("From the builder").to_string(), "everyone": false})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(
        save.status,
        StatusCode::FORBIDDEN,
        "builder save: {}",
        save.body
    );
    let form = app
        .browser(
            &cookie,
            Method::POST,
            "/forms/icps",
            Some(&[("name", "From a form")]),
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN, "form create");
    let delete = app
        .browser(
            &cookie,
            Method::POST,
            &format!("/forms/icps/{id}/delete"),
            Some(&[]),
        )
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN, "form delete");
    let file = json!([minimal("Imported")]).to_string();
    let imported = app.import(&cookie, &file).await;
    assert_eq!(imported.status, StatusCode::FORBIDDEN, "import");

    // Nothing changed: one ICP, as the owner made it.
    let owners = app.get(&owner, ICPS).await;
    let names: Vec<&str> = owners
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|icp| icp["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shared with the viewer"]);
    // The team page tells the viewer what they are and offers no management.
    let page = app.visit("/settings/team", Some(&cookie)).await;
    let html = crate::common::text(&page);
    assert!(html.contains("You are a viewer"), "{html}");
    assert!(!html.contains("Create invitation links"));
}

/// The use cases ask a writer's role first, but the database has the last word, in the write's
/// own transaction: a write that reaches the store for someone who is a viewer by then (their role
/// changed while the request ran, or on another instance) is refused, alone in its batch.
async fn the_database_refuses_a_viewers_icp_write_in_its_transaction(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let cy = app.caller("cy").await;
    app.join_as(&owner, &cy, Role::Member).await;
    let made = app.create(&cy, &minimal("Cy's while a member")).await;
    let mine: Icp = serde_json::from_value(made).unwrap();
    assert_eq!(
        set_role(&app, &owner, &cy, "viewer").await.status,
        StatusCode::OK
    );

    let store = app.store.as_ref();
    let by_cy = |action| Change::new(&cy.id, action);
    let mut copy = mine.clone();
    copy.id = uuid::Uuid::now_v7();
    let mut theirs = copy.clone();
    theirs.id = uuid::Uuid::now_v7();
    theirs.owner = Some(owner.id.clone());
    theirs.user_ids = vec![owner.id.clone()];
    let by_owner = Change::new(&owner.id, VersionAction::Created);
    // Sent together, so they may share one group-commit batch: only the viewer's is refused.
    let created = by_cy(VersionAction::Created);
    let (refused, stored) = tokio::join!(
        store.insert_icp(Arc::new(copy.clone()), &created),
        store.insert_icp(Arc::new(theirs.clone()), &by_owner)
    );
    assert!(matches!(refused, Err(StoreError::ReadOnly)), "{refused:?}");
    assert!(stored.is_ok(), "{stored:?}");
    assert!(
        store.icp(copy.id).await.unwrap().is_none(),
        "nothing of it stored"
    );
    assert!(store.icp(theirs.id).await.unwrap().is_some());

    let mut renamed = mine.clone();
    renamed.name = "Changed by a viewer".into();
    let updated = by_cy(VersionAction::Updated);
    let update = store.update_icp(&renamed, &mine, &updated).await;
    assert!(matches!(update, Err(StoreError::ReadOnly)), "{update:?}");
    let deleted = by_cy(VersionAction::Deleted);
    let delete = store.delete_icp(&mine, &deleted).await;
    assert!(matches!(delete, Err(StoreError::ReadOnly)), "{delete:?}");
    let import = store.insert_icps(vec![copy.clone()], &created);
    assert!(matches!(import.await, Err(StoreError::ReadOnly)));
    let kept = app.get(&owner, &format!("{ICPS}/{}", mine.id)).await;
    assert_eq!(kept.body["name"], "Cy's while a member", "{}", kept.body);

    // Through the API, the refusal is the 403 every viewer's write gets.
    assert_forbidden(&app.post(&cy, &minimal("Mine")).await, "create");
}

fn sign_up_fields<'a>(email: &'a str, next: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("name", "New person"),
        ("email", email),
        ("password", "correct horse battery"),
        ("next", next),
    ]
}

async fn invite_only_refuses_a_plain_sign_up_and_admits_the_invited(db: Database) {
    let config = Config {
        sign_up: SignUpPolicy::Invite,
        ..Config::default()
    };
    let app = TestApp::start_configured(db, config).await;
    let page = app.visit("/sign-up", None).await;
    assert!(crate::common::text(&page).contains("made by invitation"));

    let email = format!("walk-in-{}@example.com", uuid::Uuid::new_v4().simple());
    let reply = app
        .submit("/sign-up", None, &sign_up_fields(&email, ""))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        location(&reply).contains("error=sign-up-closed"),
        "{}",
        location(&reply)
    );
    assert!(app.store.user_by_email(&email).await.unwrap().is_none());

    // Invited (the CLI's first owner invites): the link's sign-up creates the account and joins.
    let owner = app.caller("owner").await;
    let invited = format!("invited-{}@example.com", uuid::Uuid::new_v4().simple());
    let (_, token) = workspaces::invite(app.store.as_ref(), &owner.id, &invited, Role::Viewer)
        .await
        .unwrap();
    // Another address through that link is refused.
    let next = format!("/invite/{token}");
    let reply = app
        .submit("/sign-up", None, &sign_up_fields(&email, &next))
        .await;
    assert!(location(&reply).contains("error=sign-up-closed"));
    let reply = app
        .submit("/sign-up", None, &sign_up_fields(&invited, &next))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        location(&reply).contains("notice=joined"),
        "{}",
        location(&reply)
    );
    let user = app.store.user_by_email(&invited).await.unwrap().unwrap();
    let membership = workspaces::membership(app.store.as_ref(), &user.user.id)
        .await
        .unwrap();
    assert_eq!(membership.role, Role::Viewer);
}

async fn a_domain_list_admits_its_domains_only(db: Database) {
    let config = Config {
        sign_up: SignUpPolicy::parse("acme.io, acme.de").unwrap(),
        ..Config::default()
    };
    let app = TestApp::start_configured(db, config).await;
    let page = app.visit("/sign-up", None).await;
    assert!(crate::common::text(&page).contains("acme.io, acme.de"));
    let unique = uuid::Uuid::new_v4().simple().to_string();
    for (email, admitted) in [
        (format!("ana-{unique}@acme.io"), true),
        (format!("bo-{unique}@ACME.de"), true),
        (format!("eve-{unique}@acme.io.example.com"), false),
        (format!("eve-{unique}@example.com"), false),
    ] {
        let reply = app
            .submit("/sign-up", None, &sign_up_fields(&email, ""))
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let refused = location(&reply).contains("error=sign-up-closed");
        assert_eq!(refused, !admitted, "{email}: {}", location(&reply));
        let stored = app
            .store
            .user_by_email(&email.to_lowercase())
            .await
            .unwrap();
        assert_eq!(stored.is_some(), admitted, "{email}");
    }
}

/// The kinds of the records a page lists, newest first.
fn kinds(page: &Value) -> Vec<&str> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect()
}

async fn each_change_to_the_workspace_leaves_an_audit_record(db: Database) {
    let app = TestApp::start(db).await;
    let store = app.store.as_ref();
    let owner = app.caller("owner").await;
    let (ann, bo) = (app.caller("ann").await, app.caller("bo").await);
    // `caller` made each a token: recorded in their own workspace, not this one.
    app.join_as(&owner, &ann, Role::Admin).await;
    app.join(&owner, &bo).await;
    let (revoked, _) = workspaces::invite(store, &ann.id, "later@example.com", Role::Viewer)
        .await
        .unwrap();
    workspaces::revoke(store, &owner.id, revoked.id)
        .await
        .unwrap();
    workspaces::rename(store, &owner.id, "Acme sales")
        .await
        .unwrap();
    workspaces::set_role(store, &ann.id, &bo.id, Role::Viewer)
        .await
        .unwrap();
    let (_, token) = icp_builder::auth::create_token(
        store,
        &store.user_by_id(&bo.id).await.unwrap().unwrap().email,
        "bo's script",
        Default::default(),
    )
    .await
    .unwrap();
    assert!(!token.is_empty());
    workspaces::remove(store, &ann.id, &bo.id).await.unwrap();
    workspaces::set_role(store, &owner.id, &ann.id, Role::Owner)
        .await
        .unwrap();

    let page = app.get(&ann, AUDIT).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        kinds(&page.body),
        [
            "workspace.owner_changed",
            "member.removed",
            "token.created",
            "member.role_changed",
            "workspace.renamed",
            "invitation.revoked",
            "invitation.created",
            "member.joined",
            "invitation.created",
            "member.joined",
            "invitation.created",
            // The owner's first token, made with the account (in this, its workspace).
            "token.created",
        ]
    );
    let entries = page.body.as_array().unwrap();
    let role_change = &entries[3];
    assert_eq!(role_change["actorId"], ann.id.as_str());
    assert_eq!(role_change["before"], json!({"role": "member"}));
    assert_eq!(role_change["after"], json!({"role": "viewer"}));
    assert!(role_change["target"].as_str().unwrap().starts_with("bo-"));
    assert_eq!(entries[4]["after"], json!({"name": "Acme sales"}));
    assert_eq!(entries[2]["target"], "bo's script");
    assert_eq!(entries[1]["actorId"], ann.id.as_str());
    assert_eq!(entries[1]["before"], json!({"role": "viewer"}));

    // Filters and pages.
    let by_ann = app.get(&owner, &format!("{AUDIT}?actor={}", ann.id)).await;
    assert_eq!(
        kinds(&by_ann.body),
        [
            "member.removed",
            "member.role_changed",
            "invitation.created",
            "member.joined"
        ]
    );
    let created = app
        .get(&owner, &format!("{AUDIT}?kind=invitation.created&limit=2"))
        .await;
    assert_eq!(
        kinds(&created.body),
        ["invitation.created", "invitation.created"]
    );
    let link = created.headers[header::LINK].to_str().unwrap().to_owned();
    let next = link
        .trim_start_matches('<')
        .split_once('>')
        .map(|(url, _)| url)
        .unwrap()
        .to_owned();
    assert!(next.contains("kind=invitation.created"), "{next}");
    let rest = app.get(&owner, &next).await;
    assert_eq!(kinds(&rest.body), ["invitation.created"]);
    assert!(rest.headers.get(header::LINK).is_none());
    let bad = app
        .get(&owner, &format!("{AUDIT}?kind=member.promoted"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // A plain member (bo, in a workspace of his own now, owns it: he reads his own log only).
    let dee = app.caller("dee").await;
    app.join(&ann, &dee).await;
    assert_forbidden(&app.get(&dee, AUDIT).await, "a member reads the audit log");
    let own = app.get(&bo, AUDIT).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!kinds(&own.body).contains(&"member.removed"));
}

async fn the_pages_offer_what_the_role_allows_and_the_audit_page_is_for_managers(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("owner").await;
    let (ann, bo, cy) = (
        app.caller("ann").await,
        app.caller("bo").await,
        app.caller("cy").await,
    );
    app.join_as(&owner, &ann, Role::Admin).await;
    app.join(&owner, &bo).await;
    app.join_as(&owner, &cy, Role::Viewer).await;
    let mut body = minimal("Shared with the viewer");
    body["userIds"] = json!([cy.id.as_str()]);
    let shared = app.create(&owner, &body).await;
    let shared = shared["id"].as_str().unwrap();
    let own = app.create(&bo, &minimal("Bo's own")).await;
    let own = own["id"].as_str().unwrap();
    app.patch(&owner, shared, &json!({"name": "Shared, renamed"}))
        .await;

    // A viewer reads, and is offered no change.
    let viewer = app.session_cookie(&cy).await;
    let list = app.visit("/icps", Some(&viewer)).await;
    assert_eq!(list.status, StatusCode::OK);
    let html = crate::common::text(&list);
    assert!(html.contains("Shared, renamed"), "{html}");
    for offer in ["href=\"/icps/new\"", "href=\"/icps/import\"", "New ICP"] {
        assert!(!html.contains(offer), "the viewer's list offers {offer}");
    }
    let page = app.visit(&format!("/icps/{shared}"), Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = crate::common::text(&page);
    assert!(html.contains("Shared, renamed"));
    for offer in ["/edit\"", "Duplicate", "Delete…", "Hand over…"] {
        assert!(
            !html.contains(offer),
            "the viewer's ICP page offers {offer}"
        );
    }
    let history = app
        .visit(&format!("/icps/{shared}/history"), Some(&viewer))
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(!crate::common::text(&history).contains("Restore version"));
    for builder in ["/icps/new".to_owned(), format!("/icps/{shared}/edit")] {
        let page = app.visit(&builder, Some(&viewer)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{builder}");
        let html = crate::common::text(&page);
        assert!(html.contains("Viewers cannot change ICPs"), "{html}");
        assert!(
            !html.contains("<leptos-island"),
            "{builder} holds the builder"
        );
    }

    // The owner sees it all; an admin may change a member's unshared ICP, and deletes it.
    let html = app
        .visit(
            &format!("/icps/{shared}"),
            Some(&app.session_cookie(&owner).await),
        )
        .await;
    let html = crate::common::text(&html);
    assert!(
        html.contains("/edit\"") && html.contains("Delete…"),
        "{html}"
    );
    let admin = app.session_cookie(&ann).await;
    let page = app.visit(&format!("/icps/{own}"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = crate::common::text(&page);
    for offer in ["/edit\"", "Delete…", "Hand over…"] {
        assert!(
            html.contains(offer),
            "the admin's page of bo's ICP lacks {offer}"
        );
    }
    let list = app.visit("/icps", Some(&admin)).await;
    let html = crate::common::text(&list);
    assert!(html.contains("New ICP") && html.contains("view=workspace"));
    // The plain list stays the admin's own; the Workspace view holds every owner's ICPs.
    assert!(!html.contains("Bo&#x27;s own") && !html.contains("Bo's own"));
    let workspace = app.visit("/icps?view=workspace", Some(&admin)).await;
    assert_eq!(workspace.status, StatusCode::OK);
    let html = crate::common::text(&workspace);
    assert!(
        html.contains("Bo's own") && html.contains("Shared, renamed"),
        "{html}"
    );
    assert!(html.contains("2 ICPs"), "{html}");
    let by_bo = app
        .visit(
            &format!("/icps?view=workspace&owner={}", bo.id),
            Some(&admin),
        )
        .await;
    let html = crate::common::text(&by_bo);
    assert!(
        html.contains("Bo's own") && !html.contains("Shared, renamed"),
        "{html}"
    );
    // Anyone else asking for it gets their own list.
    let html = app.visit("/icps?view=workspace", Some(&viewer)).await;
    let html = crate::common::text(&html);
    assert!(
        html.contains("Shared, renamed") && !html.contains("Bo's own"),
        "{html}"
    );
    assert!(!html.contains("view=workspace"), "{html}");

    // The audit page: the admin reads it, a member and a viewer get a 403 page.
    workspaces::set_role(app.store.as_ref(), &ann.id, &bo.id, Role::Viewer)
        .await
        .unwrap();
    let team = app.visit("/settings/team", Some(&admin)).await;
    assert!(crate::common::text(&team).contains("href=\"/settings/audit\""));
    let audit = app.visit("/settings/audit", Some(&admin)).await;
    assert_eq!(audit.status, StatusCode::OK);
    let html = crate::common::text(&audit);
    assert!(html.contains("Changed a role"), "{html}");
    assert!(html.contains("role: member → role: viewer"), "{html}");
    assert!(
        html.contains("Joined") && html.contains("Invited"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{}\"", ann.id)),
        "a person to filter by"
    );
    let by_kind = app
        .visit("/settings/audit?kind=member.role_changed", Some(&admin))
        .await;
    let html = crate::common::text(&by_kind);
    let rows = html.split_once("<tbody>").map_or("", |(_, rows)| rows);
    assert!(
        rows.contains("Changed a role") && !rows.contains("Joined"),
        "{html}"
    );
    let by_owner = app
        .visit(&format!("/settings/audit?actor={}", owner.id), Some(&admin))
        .await;
    let html = crate::common::text(&by_owner);
    let rows = html.split_once("<tbody>").map_or("", |(_, rows)| rows);
    assert!(
        rows.contains("Invited") && !rows.contains("Changed a role"),
        "{html}"
    );
    for caller in [&bo, &cy] {
        let cookie = app.session_cookie(caller).await;
        let page = app.visit("/settings/audit", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "a viewer");
        assert!(crate::common::text(&page).contains("Only the owner and admins see this"));
    }
    let dee = app.caller("dee").await;
    app.join(&owner, &dee).await;
    let member = app.session_cookie(&dee).await;
    let page = app.visit("/settings/audit", Some(&member)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "a member");
    assert!(!crate::common::text(&page).contains("Changed a role"));
}
