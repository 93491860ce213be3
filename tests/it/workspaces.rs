//! Workspaces: invitations through the pages' forms (created, accepted as a new and as an existing
//! user, refused when expired, revoked, reused or for another email), `userIds` limited to the
//! workspace, the users endpoint, and leaving or being removed — on SQLite and Postgres.

use crate::common;
use crate::common::{
    details, location, minimal, on_both_databases, text, Caller, Database, TestApp,
};
use axum::http::StatusCode;
use icp_builder::domain::Timestamp;
use icp_builder::store::Invitation;
use icp_builder::workspaces;
use serde_json::{json, Value};

on_both_databases!(
    an_invitation_is_accepted_through_sign_up_and_works_once,
    an_existing_user_accepts_and_brings_only_their_own_icps,
    expired_revoked_and_foreign_invitations_are_refused,
    only_workspace_members_can_be_added_to_an_icp,
    the_users_endpoint_lists_only_the_callers_workspace,
    a_removed_member_loses_the_teams_icps_and_an_owner_who_leaves_hands_over,
    an_icp_shared_with_everyone_takes_in_who_joins_later,
    concurrent_moves_never_leave_an_icp_without_members,
    a_restored_icp_shared_with_everyone_stays_so,
    one_form_invites_several_people_and_stops_at_the_first_refused,
    the_list_finds_icps_by_their_peoples_names,
);

const ICPS: &str = "/api/v1/entities/icps";
const USERS: &str = "/api/v1/entities/users";

async fn email_of(app: &TestApp, caller: &Caller) -> String {
    app.store
        .user_by_id(&caller.id)
        .await
        .unwrap()
        .unwrap()
        .email
}

/// The invitation link shown on the team page right after `email` was invited through the form.
async fn invite_through_the_page(app: &TestApp, cookie: &str, email: &str) -> String {
    let reply = invite_all(app, cookie, email).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&reply), "/settings/team?notice=invited");
    let pad = link_pad(&reply).expect("the link's pad cookie");
    let page = app
        .visit(
            "/settings/team?notice=invited",
            Some(&format!("{cookie}; icp_new_invitation={pad}")),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let token = shown_links(text(&page)).pop().expect("the link is shown");
    // Shown once.
    let again = app.visit("/settings/team", Some(cookie)).await;
    assert!(!text(&again).contains(&token));
    assert!(
        text(&again).contains(email),
        "listed as open until accepted"
    );
    token
}

async fn an_invitation_is_accepted_through_sign_up_and_works_once(db: Database) {
    let app = TestApp::start(db).await;
    let (owner_email, owner_cookie) = app.signed_up("Olga").await;
    let invited = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = invite_through_the_page(&app, &owner_cookie, &invited).await;

    // Signed out, the link shows whose workspace it is and leads to sign-up and back.
    let page = app.visit(&format!("/invite/{token}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = text(&page);
    assert!(html.contains("Olga"), "{html}");
    assert!(html.contains(&format!("/sign-up?next=%2Finvite%2F{token}")));

    let sign_up = app
        .submit(
            "/sign-up",
            None,
            &[
                ("name", "Nina"),
                ("email", &invited),
                ("password", "correct horse battery"),
                ("next", &format!("/invite/{token}")),
            ],
        )
        .await;
    // Joined in that one step, landing on what the team shares; the workspace made with the
    // account is gone.
    assert_eq!(location(&sign_up), "/icps?view=shared&notice=joined");
    let nina_cookie = common::session_cookie(&sign_up).unwrap();
    let list = app
        .visit("/icps?view=shared&notice=joined", Some(&nina_cookie))
        .await;
    assert!(text(&list).contains("Welcome to the team"));
    let page = app
        .visit(&format!("/invite/{token}"), Some(&nina_cookie))
        .await;
    assert!(text(&page).contains("already been used"));

    let team = app.visit("/settings/team", Some(&owner_cookie)).await;
    let html = text(&team);
    assert!(html.contains(&invited) && html.contains(&owner_email));
    assert!(
        html.contains("No open invitations."),
        "accepted: no longer open"
    );

    // The link works once.
    let again = app
        .submit(&format!("/invite/{token}/accept"), Some(&nina_cookie), &[])
        .await;
    assert_eq!(
        location(&again),
        format!("/invite/{token}?error=closed"),
        "reused"
    );
    let page = app.visit(&format!("/invite/{token}"), None).await;
    assert!(text(&page).contains("already been used"));
}

async fn an_existing_user_accepts_and_brings_only_their_own_icps(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("olga").await;
    let bo = app.caller("bo").await;
    let cy = app.caller("cy").await;
    // Bo's old team: Bo and Cy share one ICP; Bo also has one of his own.
    app.join(&bo, &cy).await;
    let mut shared = minimal("Old team's");
    shared["userIds"] = json!([cy.id.as_str()]);
    let shared = app.create(&bo, &shared).await;
    let own = app.create(&bo, &minimal("Bo's own")).await;

    let bo_user = app.store.user_by_id(&bo.id).await.unwrap().unwrap();
    let (_, token) = workspaces::invite(
        app.store.as_ref(),
        &owner.id,
        &bo_user.email,
        icp_builder::store::Role::Member,
    )
    .await
    .unwrap();
    workspaces::accept(app.store.as_ref(), &bo_user, &token)
        .await
        .unwrap();

    let names = |reply: common::Reply| -> Vec<String> {
        reply
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|icp| icp["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(app.get(&bo, ICPS).await), vec!["Bo's own"]);
    assert_eq!(names(app.get(&cy, ICPS).await), vec!["Old team's"]);
    let id = shared["id"].as_str().unwrap();
    assert_eq!(
        app.get(&cy, &format!("{ICPS}/{id}")).await.body["userIds"],
        json!([cy.id.as_str()]),
        "the team's ICP stays with the team"
    );
    assert_eq!(
        app.get(&bo, &format!("{ICPS}/{}", own["id"].as_str().unwrap()))
            .await
            .status,
        StatusCode::OK
    );
    // Cy owns the old workspace now; Bo is a member of Olga's.
    let roles = |reply: common::Reply| -> Vec<(String, String)> {
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
    };
    assert_eq!(
        roles(app.get(&cy, USERS).await),
        vec![(cy.id.to_string(), "owner".to_owned())]
    );
    assert_eq!(
        roles(app.get(&bo, USERS).await),
        vec![
            (owner.id.to_string(), "owner".to_owned()),
            (bo.id.to_string(), "member".to_owned())
        ]
    );
}

async fn expired_revoked_and_foreign_invitations_are_refused(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("olga").await;
    let bo = app.caller("bo").await;
    let bo_user = app.store.user_by_id(&bo.id).await.unwrap().unwrap();
    let store = app.store.as_ref();

    // Expired: stored as created eight days ago.
    let (mut invitation, _) = workspaces::invite(
        store,
        &owner.id,
        &bo_user.email,
        icp_builder::store::Role::Member,
    )
    .await
    .unwrap();
    let token = format!("inv_{}", "e".repeat(32));
    invitation.id = uuid::Uuid::now_v7();
    invitation.created_at =
        Timestamp::from_millis(Timestamp::now().millis() - 8 * 86_400_000).unwrap();
    invitation.expires_at = Timestamp::from_millis(Timestamp::now().millis() - 86_400_000).unwrap();
    let hash: Vec<u8> = {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).to_vec()
    };
    store
        .insert_invitation(&invitation, &owner.id, &hash)
        .await
        .unwrap();
    assert!(matches!(
        workspaces::accept(store, &bo_user, &token).await,
        Err(workspaces::WorkspaceError::Expired)
    ));

    // Revoked.
    let (open, token) = workspaces::invite(
        store,
        &owner.id,
        &bo_user.email,
        icp_builder::store::Role::Member,
    )
    .await
    .unwrap();
    let open_now: Vec<Invitation> = workspaces::open_invitations(store, &owner.id)
        .await
        .unwrap();
    assert!(open_now.iter().any(|listed| listed.id == open.id));
    workspaces::revoke(store, &owner.id, open.id).await.unwrap();
    assert!(matches!(
        workspaces::accept(store, &bo_user, &token).await,
        Err(workspaces::WorkspaceError::Revoked)
    ));
    assert!(workspaces::open_invitations(store, &owner.id)
        .await
        .unwrap()
        .iter()
        .all(|listed| listed.id != open.id));

    // For another email, and by someone who is not the owner.
    let cy = app.caller("cy").await;
    let cy_user = app.store.user_by_id(&cy.id).await.unwrap().unwrap();
    let (_, token) = workspaces::invite(
        store,
        &owner.id,
        &bo_user.email,
        icp_builder::store::Role::Member,
    )
    .await
    .unwrap();
    assert!(matches!(
        workspaces::accept(store, &cy_user, &token).await,
        Err(workspaces::WorkspaceError::WrongEmail(_))
    ));
    app.join(&owner, &cy).await;
    assert!(matches!(
        workspaces::invite(
            store,
            &cy.id,
            "someone@example.com",
            icp_builder::store::Role::Member
        )
        .await,
        Err(workspaces::WorkspaceError::NotManager)
    ));
    // A made-up link.
    let page = app
        .visit(&format!("/invite/inv_{}", "x".repeat(32)), None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("This invitation link is not valid."));
}

async fn only_workspace_members_can_be_added_to_an_icp(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let teammate = app.caller("tea").await;
    let outsider = app.caller("out").await;
    app.join(&me, &teammate).await;

    let mut body = minimal("Team only");
    body["userIds"] = json!([teammate.id.as_str(), outsider.id.as_str()]);
    let refused = app.post(&me, &body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"]["code"], "BAD_REQUEST");
    let problems = details(&refused);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, json!(["userIds", 1]));
    assert!(
        problems[0].1.contains("is not a member of your workspace"),
        "{}",
        problems[0].1
    );
    assert_eq!(app.get(&me, ICPS).await.body, json!([]), "nothing stored");

    // Members, and ids that name no account (as the reference's examples do), are accepted.
    body["userIds"] = json!([teammate.id.as_str(), "user_teammate123"]);
    let created = app.create(&me, &body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["userIds"],
        json!([teammate.id.as_str(), "user_teammate123", me.id.as_str()])
    );

    // Adding an outsider by PATCH is refused at its index; keeping the members is fine.
    let patch =
        json!({"userIds": ["user_teammate123", outsider.id.as_str(), teammate.id.as_str()]});
    let refused = app.patch(&me, &id, &patch).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(details(&refused)[0].0, json!(["userIds", 1]));
    let kept = app
        .patch(
            &me,
            &id,
            &json!({"name": "Renamed", "userIds": [teammate.id.as_str()]}),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(
        kept.body["userIds"],
        json!([teammate.id.as_str(), me.id.as_str()])
    );
    // The outsider cannot read it.
    assert_eq!(
        app.get(&outsider, &format!("{ICPS}/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_users_endpoint_lists_only_the_callers_workspace(db: Database) {
    let app = TestApp::start(db).await;
    let me = app.caller("ana").await;
    let teammate = app.caller("tea").await;
    let outsider = app.caller("out").await;
    app.join(&me, &teammate).await;

    let reply = app.get(&me, USERS).await;
    assert_eq!(reply.status, StatusCode::OK);
    let ids: Vec<&str> = reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![me.id.as_str(), teammate.id.as_str()]);
    let first = &reply.body[0];
    assert_eq!(first["email"], json!(email_of(&app, &me).await));
    assert_eq!(first["name"], "ana");
    assert_eq!(
        app.get(&outsider, USERS)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let anonymous = app.send(axum::http::Method::GET, USERS, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let document = app.get(&me, "/api/openapi.json").await.body;
    assert!(document["paths"][USERS]["get"].is_object());
}

async fn a_removed_member_loses_the_teams_icps_and_an_owner_who_leaves_hands_over(db: Database) {
    let app = TestApp::start(db).await;
    let owner = app.caller("olga").await;
    let olga = &owner;
    let bo = app.caller("bo").await;
    let cy = app.caller("cy").await;
    app.join(&owner, &bo).await;
    app.join(&owner, &cy).await;
    let mut body = minimal("Team ICP");
    body["userIds"] = json!([bo.id.as_str(), cy.id.as_str()]);
    let icp = app.create(&owner, &body).await;
    let uri = format!("{ICPS}/{}", icp["id"].as_str().unwrap());
    let store = app.store.as_ref();

    // Only the owner removes, and not themselves.
    assert!(matches!(
        workspaces::remove(store, &bo.id, &cy.id).await,
        Err(workspaces::WorkspaceError::NotManager)
    ));
    assert!(matches!(
        workspaces::remove(store, &owner.id, &owner.id).await,
        Err(workspaces::WorkspaceError::RemovingSelf)
    ));
    workspaces::remove(store, &owner.id, &cy.id).await.unwrap();
    assert_eq!(app.get(&cy, &uri).await.status, StatusCode::FORBIDDEN);
    let after: Value = app.get(&owner, &uri).await.body;
    assert_eq!(after["userIds"], json!([bo.id.as_str(), owner.id.as_str()]));
    assert_ne!(
        after["updatedAt"], icp["updatedAt"],
        "a change of members is a change"
    );
    assert_eq!(app.get(&cy, USERS).await.body.as_array().unwrap().len(), 1);

    // The owner leaves: Bo owns the workspace and keeps the ICP; Olga keeps nothing shared.
    workspaces::leave(store, &owner.id).await.unwrap();
    assert_eq!(app.get(&owner, &uri).await.status, StatusCode::FORBIDDEN);
    let users = app.get(&bo, USERS).await.body;
    assert_eq!(
        users,
        json!([{"id": bo.id.as_str(), "name": "bo", "email": email_of(&app, &bo).await, "role": "owner"}])
    );
    assert_eq!(app.get(&bo, &uri).await.status, StatusCode::OK);
    // Olga owned the ICP: it passed to Bo, its first member who stayed.
    let versions = app.get(&bo, &format!("{uri}/versions")).await.body;
    assert_eq!(
        versions[0]["ownerId"],
        json!(olga.id.as_str()),
        "no version for a leave"
    );
    assert!(matches!(
        workspaces::leave(store, &bo.id).await,
        Err(workspaces::WorkspaceError::Alone)
    ));
    let id = icp["id"].as_str().unwrap();
    assert_eq!(app.delete(&bo, id).await.status, StatusCode::NO_CONTENT);
}

async fn an_icp_shared_with_everyone_takes_in_who_joins_later(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let bo = app.caller("bo").await;
    app.join(&olga, &bo).await;
    let cookie = app.session_cookie(&olga).await;
    // The builder's form (here without JavaScript) with "Everyone in the workspace" chosen.
    let form = [
        ("name", "For the whole team"),
        ("leadsPerList", "20"),
        ("userIds", ""),
        ("everyone", "true"),
        ("filter.1.type", "maxPeoplePerCompany"),
        ("filter.1.value", "2"),
    ];
    let posted = app
        .browser(
            &cookie,
            axum::http::Method::POST,
            "/forms/icps",
            Some(&form),
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let id = location(&posted)
        .strip_prefix("/icps/")
        .expect("lands on the ICP page")
        .to_owned();
    let uri = format!("{ICPS}/{id}");
    assert_eq!(
        app.get(&olga, &uri).await.body["userIds"],
        json!([olga.id.as_str(), bo.id.as_str()]),
        "expanded to the members now"
    );
    // The builder shows the choice again when editing.
    let edit = app.visit(&format!("/icps/{id}/edit"), Some(&cookie)).await;
    assert!(text(&edit).contains("Remove Everyone in the workspace"));

    // Someone who joins later is in it, and reads it.
    let cy = app.caller("cy").await;
    app.join(&olga, &cy).await;
    assert_eq!(
        app.get(&cy, &uri).await.body["userIds"],
        json!([olga.id.as_str(), bo.id.as_str(), cy.id.as_str()])
    );
    // Through the API, a given userIds list is exactly who it is shared with: no longer everyone.
    let patched = app
        .patch(&olga, &id, &json!({"userIds": [bo.id.as_str()]}))
        .await;
    assert_eq!(
        patched.body["userIds"],
        json!([bo.id.as_str(), olga.id.as_str()])
    );
    let dee = app.caller("dee").await;
    app.join(&olga, &dee).await;
    assert_eq!(app.get(&dee, &uri).await.status, StatusCode::FORBIDDEN);
}

/// ICPs of `app`'s database that nobody can read any more (no member at all).
async fn icps_without_members(app: &TestApp) -> i64 {
    let sql = "SELECT count(*) FROM icps i WHERE NOT EXISTS \
               (SELECT 1 FROM icp_members m WHERE m.icp_id = i.id)";
    match app.store.pools() {
        icp_builder::store::Pools::Sqlite { readers, .. } => {
            sqlx::query_scalar(sql).fetch_one(&readers).await.unwrap()
        }
        icp_builder::store::Pools::Postgres(pool) => {
            sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
        }
    }
}

/// Two members who share ICPs only with each other leave at once, while the owner removes a
/// third and a fourth joins: whatever order the moves take, every ICP keeps a member and no move
/// fails — 20 times over.
async fn concurrent_moves_never_leave_an_icp_without_members(db: Database) {
    let app = TestApp::start(db).await;
    let store = app.store.as_ref();
    for round in 0..20 {
        let owner = app.caller(&format!("owner{round}")).await;
        let (ann, bob, cy) = (
            app.caller("ann").await,
            app.caller("bob").await,
            app.caller("cy").await,
        );
        for member in [&ann, &bob, &cy] {
            app.join(&owner, member).await;
        }
        let mut pair = minimal("Ann and Bob");
        pair["userIds"] = json!([bob.id.as_str()]);
        app.create(&ann, &pair).await;
        let mut trio = minimal("Bob and Cy");
        trio["userIds"] = json!([cy.id.as_str(), ann.id.as_str()]);
        app.create(&bob, &trio).await;
        icp_builder::icps::create(store, &owner.id, &minimal("Everyone"), true)
            .await
            .expect("shared with everyone");
        let dee = app.caller("dee").await;
        let dee_user = store.user_by_id(&dee.id).await.unwrap().unwrap();
        let (_, link) = workspaces::invite(
            store,
            &owner.id,
            &dee_user.email,
            icp_builder::store::Role::Member,
        )
        .await
        .unwrap();

        let (ann_left, bob_left, cy_removed, dee_joined) = tokio::join!(
            workspaces::leave(store, &ann.id),
            workspaces::leave(store, &bob.id),
            workspaces::remove(store, &owner.id, &cy.id),
            workspaces::accept(store, &dee_user, &link),
        );
        for (what, outcome) in [
            ("ann leaves", ann_left.map(|_| ())),
            ("bob leaves", bob_left.map(|_| ())),
            ("cy is removed", cy_removed),
            ("dee joins", dee_joined.map(|_| ())),
        ] {
            if let Err(error) = outcome {
                panic!("round {round}: {what}: {error}");
            }
        }
        assert_eq!(icps_without_members(&app).await, 0, "round {round}");
        let members = workspaces::members(store, &owner.id).await.unwrap();
        let ids: Vec<&str> = members.iter().map(|m| m.user.id.as_str()).collect();
        assert_eq!(ids, [owner.id.as_str(), dee.id.as_str()], "round {round}");
    }
}

/// "Everyone in the workspace" is part of what a restore brings back: the restored ICP is shared
/// with everyone in the workspace now, someone who joined while it was deleted included.
async fn a_restored_icp_shared_with_everyone_stays_so(db: Database) {
    let app = TestApp::start(db).await;
    let store = app.store.as_ref();
    let (owner, ann) = (app.caller("owner").await, app.caller("ann").await);
    app.join(&owner, &ann).await;
    let icp = icp_builder::icps::create(store, &owner.id, &minimal("Everyone"), true)
        .await
        .unwrap();
    let id = icp.id.to_string();
    assert_eq!(app.delete(&owner, &id).await.status, StatusCode::NO_CONTENT);
    let bo = app.caller("bo").await;
    app.join(&owner, &bo).await;
    let restored = icp_builder::icps::restore_deleted(store, &owner.id, icp.id)
        .await
        .unwrap();
    assert!(restored.everyone);
    let read = app.get(&bo, &format!("{ICPS}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let later = app.caller("later").await;
    app.join(&owner, &later).await;
    assert_eq!(
        app.get(&later, &format!("{ICPS}/{id}")).await.status,
        StatusCode::OK
    );
}

/// The pad cookie a reply set for a new invitation link.
fn link_pad(reply: &common::Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.split(';').next()?.strip_prefix("icp_new_invitation="))
        .map(str::to_owned)
}

/// The invitation tokens a team page shows.
fn shown_links(html: &str) -> Vec<String> {
    html.match_indices("/invite/inv_")
        .map(|(at, _)| {
            html[at + "/invite/".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The team page's invitation form posted with `emails`.
async fn invite_all(app: &TestApp, cookie: &str, emails: &str) -> common::Reply {
    app.submit(
        "/settings/team/invitations",
        Some(cookie),
        &[("email", emails)],
    )
    .await
}

async fn one_form_invites_several_people_and_stops_at_the_first_refused(db: Database) {
    let app = TestApp::start(db).await;
    let (owner_email, cookie) = app.signed_up("Olga").await;
    let fresh = || format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
    let (a, b, c) = (fresh(), fresh(), fresh());

    // Commas, semicolons and lines; a repeat is one invitation.
    let listed = format!("{a}, {b};\n{}", a.to_uppercase());
    let reply = invite_all(&app, &cookie, &listed).await;
    assert_eq!(location(&reply), "/settings/team?notice=invited");
    let pad = link_pad(&reply).expect("a pad");
    let page = app
        .visit(
            "/settings/team?notice=invited",
            Some(&format!("{cookie}; icp_new_invitation={pad}")),
        )
        .await;
    let html = text(&page);
    assert_eq!(shown_links(html).len(), 2, "one link each: {html}");
    assert!(html.contains(&a) && html.contains(&b));
    assert!(
        html.contains("Copy the link for"),
        "each link has its Copy button"
    );

    // The owner's own address stops the list there: the link before it is made and shown, the
    // form comes back with that address and the rest, and says why.
    let listed = format!("{c}, {owner_email}, not-an-address");
    let reply = invite_all(&app, &cookie, &listed).await;
    let back = location(&reply).to_owned();
    assert!(
        back.starts_with("/settings/team?error=member&email="),
        "{back}"
    );
    let pad = link_pad(&reply).expect("the link made before is shown");
    let page = app
        .visit(&back, Some(&format!("{cookie}; icp_new_invitation={pad}")))
        .await;
    let html = text(&page);
    assert_eq!(shown_links(html).len(), 1);
    assert!(html.contains("That person is already a member of your workspace."));
    assert!(
        html.contains("not-an-address"),
        "the rest is kept in the field"
    );
    let owner = app
        .store
        .user_by_email(&owner_email)
        .await
        .unwrap()
        .unwrap();
    let open = workspaces::open_invitations(app.store.as_ref(), &owner.user.id)
        .await
        .unwrap();
    assert_eq!(open.len(), 3, "a, b and c are invited");

    // More than 20 at once: nothing is made.
    let many: Vec<String> = (0..21).map(|_| fresh()).collect();
    let reply = invite_all(&app, &cookie, &many.join(",")).await;
    assert!(location(&reply).starts_with("/settings/team?error=invites"));
    assert!(link_pad(&reply).is_none());
}

async fn the_list_finds_icps_by_their_peoples_names(db: Database) {
    let app = TestApp::start(db).await;
    let olga = app.caller("olga").await;
    let tim = app.caller("tim").await;
    let ute = app.caller("ute").await;
    app.join(&olga, &tim).await;
    app.join(&olga, &ute).await;
    let mut with_tim = minimal("Nordics");
    with_tim["userIds"] = json!([tim.id.as_str()]);
    app.create(&olga, &with_tim).await;
    let mut with_ute = minimal("Benelux");
    with_ute["userIds"] = json!([tim.id.as_str(), ute.id.as_str()]);
    app.create(&olga, &with_ute).await;
    app.create(&tim, &minimal("Iberia")).await;
    let cookie = app.session_cookie(&tim).await;
    let listed = |q: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let page = app.visit(&format!("/icps?q={q}"), Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK);
            let html = text(&page).to_owned();
            ["Nordics", "Benelux", "Iberia"]
                .into_iter()
                .filter(|name| html.contains(&format!(">{name}<")))
                .collect::<Vec<_>>()
        }
    };
    // The owner's name finds what she shares; a member's name what they are in; case and
    // accents aside, as the rest of the search.
    assert_eq!(listed("OLGA").await, ["Nordics", "Benelux"]);
    assert_eq!(listed("ute").await, ["Benelux"]);
    // Every word must match, by name or by the ICP's own text.
    assert_eq!(listed("olga%20benelux").await, ["Benelux"]);
    assert_eq!(listed("nobody").await, Vec::<&str>::new());
    // The API's `q` searches the ICPs' own text only, as before.
    let api = app.get(&tim, &format!("{ICPS}?q=olga")).await;
    assert_eq!(api.body, json!([]), "{}", api.body);
}
