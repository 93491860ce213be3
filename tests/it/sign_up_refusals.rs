//! Sign-ups the policy refused, on SQLite and Postgres: each leaves a row that
//! `icp-builder audit sign-ups` prints (and no user); one through another address's invitation
//! link is also in that workspace's audit log (API and page); an admitted sign-up leaves none; the
//! purge keeps 30 days and the newest rows only; audit records are purged by age.

use crate::common::{browser, form_body, location, on_both_databases, Database, TestApp, SITE};
use crate::real_server::{cli, run_cli};
use crate::webhook_delivery::database_url;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use icp_builder::account::SignUpPolicy;
use icp_builder::domain::Timestamp;
use icp_builder::state::Config;
use icp_builder::store::{
    AuditQuery, NewRefusal, RefusalReason, Role, ThroughInvitation, AUDIT_KEPT, REFUSALS_KEPT,
    REFUSALS_MAX_KEPT,
};
use icp_builder::workspaces;
use serde_json::json;
use std::net::SocketAddr;

on_both_databases!(
    a_refused_sign_up_is_recorded_and_makes_no_user,
    a_refusal_through_another_addresss_invitation_is_in_its_audit_log,
    the_purge_keeps_thirty_days_and_the_newest_refusals,
    audit_records_are_purged_by_age,
);

fn sign_up_fields<'a>(email: &'a str, next: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("name", "New person"),
        ("email", email),
        ("password", "correct horse battery"),
        ("next", next),
    ]
}

async fn invite_only(db: Database) -> TestApp {
    let config = Config {
        sign_up: SignUpPolicy::Invite,
        ..Config::default()
    };
    TestApp::start_configured(db, config).await
}

fn unique(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn a_refused_sign_up_is_recorded_and_makes_no_user(db: Database) {
    let app = invite_only(db).await;
    // As typed (case and spaces), from a known address.
    let email = unique("Walk-In");
    let typed = format!("  {email} ");
    let peer: SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let request = browser(Method::POST, "/sign-up", None)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, SITE)
        .extension(ConnectInfo(peer))
        .body(form_body(&sign_up_fields(&typed, "")))
        .unwrap();
    let reply = app.raw(request).await;
    assert!(location(&reply).contains("error=sign-up-closed"));
    assert!(app
        .store
        .user_by_email(&email.to_lowercase())
        .await
        .unwrap()
        .is_none());
    // Through a link that names no open invitation: refused too, said so.
    let stranger = unique("stranger");
    let reply = app
        .submit(
            "/sign-up",
            None,
            &sign_up_fields(&stranger, "/invite/inv_NoSuchInvitation"),
        )
        .await;
    assert!(location(&reply).contains("error=sign-up-closed"));

    let refusals = app.store.sign_up_refusals(10).await.unwrap();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert_eq!(refusals[0].email, stranger);
    assert_eq!(refusals[0].reason, RefusalReason::InvitationClosed);
    assert_eq!(refusals[0].address, None);
    assert_eq!(refusals[1].email, email, "trimmed, case as typed");
    assert_eq!(refusals[1].reason, RefusalReason::SignUpClosed);
    assert_eq!(refusals[1].address, Some("203.0.113.7".parse().unwrap()));
    assert_eq!(refusals[1].invitation, None);

    // The administrator reads them with the real binary, newest first, at most --limit.
    let url = database_url(&app.database);
    let printed = cli(&url, &["audit", "sign-ups"], "");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    let first: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        &first[1..],
        [stranger.as_str(), "invitation-closed", "-", "-"],
        "{printed}"
    );
    assert!(Timestamp::parse(first[0]).is_ok(), "{printed}");
    let second: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(
        &second[1..],
        [email.as_str(), "sign-up-closed", "203.0.113.7", "-"],
        "{printed}"
    );
    let newest = cli(&url, &["audit", "sign-ups", "--limit", "1"], "");
    assert_eq!(newest.lines().count(), 1);
    assert!(newest.contains(&stranger));
    for bad in ["0", "1001", "many"] {
        let output = run_cli(&url, &["audit", "sign-ups", "--limit", bad], "");
        assert!(!output.status.success(), "--limit {bad} was taken");
    }

    // An admitted sign-up (the invited address through its link) leaves no refusal.
    let owner = app.caller("owner").await;
    let invited = unique("invited");
    let (_, token) = workspaces::invite(app.store.as_ref(), &owner.id, &invited, Role::Member)
        .await
        .unwrap();
    let reply = app
        .submit(
            "/sign-up",
            None,
            &sign_up_fields(&invited, &format!("/invite/{token}")),
        )
        .await;
    assert!(
        location(&reply).contains("notice=joined"),
        "{}",
        location(&reply)
    );
    assert_eq!(app.store.sign_up_refusals(10).await.unwrap().len(), 2);
}

async fn a_refusal_through_another_addresss_invitation_is_in_its_audit_log(db: Database) {
    let app = invite_only(db).await;
    let owner = app.caller("owner").await;
    let workspace = workspaces::membership(app.store.as_ref(), &owner.id)
        .await
        .unwrap()
        .workspace;
    let invited = unique("invited");
    let (_, token) = workspaces::invite(app.store.as_ref(), &owner.id, &invited, Role::Viewer)
        .await
        .unwrap();
    let eve = unique("eve");
    let next = format!("/invite/{token}");
    let reply = app
        .submit("/sign-up", None, &sign_up_fields(&eve, &next))
        .await;
    assert!(location(&reply).contains("error=sign-up-closed"));
    assert!(app.store.user_by_email(&eve).await.unwrap().is_none());

    let refusals = app.store.sign_up_refusals(10).await.unwrap();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].reason, RefusalReason::InvitedAnotherAddress);
    let through = refusals[0]
        .invitation
        .as_ref()
        .expect("its invitation's workspace");
    assert_eq!(through.id, workspace.id);
    assert_eq!(through.name.as_deref(), Some(workspace.name.as_str()));
    let printed = cli(&database_url(&app.database), &["audit", "sign-ups"], "");
    assert!(
        printed.ends_with(&format!(
            "\t{eve}\tinvited-another-address\t-\t{} ({})",
            workspace.id, workspace.name
        )),
        "{printed}"
    );

    // The owner reads it in the API, filtered by its kind: nobody signed in did it.
    let reply = app.get(&owner, "/api/v1/audit?kind=sign_up.refused").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let entries = reply.body.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", reply.body);
    let entry = &entries[0];
    assert_eq!(entry["kind"], "sign_up.refused");
    assert_eq!(entry["actorId"], json!(null));
    assert_eq!(entry["actorEmail"], json!(null));
    assert_eq!(entry["target"], eve.as_str());
    assert_eq!(entry["before"], json!(null));
    assert_eq!(
        entry["after"],
        json!({"reason": "invited-another-address", "invitation": invited})
    );
    // Unfiltered it is the newest record, above the invitation (and the test token's).
    let all = app.get(&owner, "/api/v1/audit").await;
    let kinds: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["sign_up.refused", "invitation.created", "token.created"]
    );

    // And on the page, where the kind filter offers it.
    let cookie = app.session_cookie(&owner).await;
    let page = app
        .visit("/settings/audit?kind=sign_up.refused", Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = crate::common::text(&page);
    assert!(html.contains("Someone signing up"), "{html}");
    assert!(html.contains("Sign-up refused"), "{html}");
    assert!(html.contains(&eve), "{html}");
    assert!(html.contains("reason: invited-another-address"), "{html}");
    assert!(html.contains("value=\"sign_up.refused\""), "{html}");
    assert_eq!(
        html.matches("data-label=\"What\"").count(),
        1,
        "the filter lets other kinds through: {html}"
    );

    // The invited person's own sign-up through the link is admitted, and records nothing more.
    let reply = app
        .submit("/sign-up", None, &sign_up_fields(&invited, &next))
        .await;
    assert!(
        location(&reply).contains("notice=joined"),
        "{}",
        location(&reply)
    );
    assert_eq!(app.store.sign_up_refusals(10).await.unwrap().len(), 1);
    let query = AuditQuery {
        kind: Some(icp_builder::store::AuditKind::SignUpRefused),
        ..AuditQuery::default()
    };
    let page = app
        .store
        .audit_page(&workspace.id, &query, 10)
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
}

async fn the_purge_keeps_thirty_days_and_the_newest_refusals(db: Database) {
    assert_eq!(REFUSALS_KEPT, chrono::TimeDelta::days(30));
    assert_eq!(REFUSALS_MAX_KEPT, 100_000);
    let app = TestApp::start(db).await;
    let store = app.store.as_ref();
    let owner = app.caller("owner").await;
    let workspace = workspaces::membership(store, &owner.id)
        .await
        .unwrap()
        .workspace;
    let now = Timestamp::now();
    let ago = |minutes: i64| Timestamp(now.0 - chrono::TimeDelta::minutes(minutes));
    let thirty_days = REFUSALS_KEPT.num_minutes();
    // Two past the 30 days, five within them; one came through an invitation.
    let minutes = [
        thirty_days + 60,
        thirty_days + 1,
        thirty_days - 1,
        50,
        40,
        30,
        20,
    ];
    for (index, minutes) in minutes.into_iter().enumerate() {
        let refusal = NewRefusal {
            at: ago(minutes),
            email: format!("refused-{index}@example.com"),
            reason: RefusalReason::SignUpClosed,
            address: None,
            invitation: (index == 2).then(|| ThroughInvitation {
                workspace: workspace.id.clone(),
                invited: "someone@example.com".into(),
            }),
        };
        store.record_sign_up_refusal(&refusal).await.unwrap();
    }
    let emails = |refusals: Vec<icp_builder::store::StoredRefusal>| -> Vec<String> {
        refusals.into_iter().map(|refusal| refusal.email).collect()
    };
    assert_eq!(store.sign_up_refusals(100).await.unwrap().len(), 7);

    // Past 30 days: gone; a cap above the count keeps the rest.
    let deleted = store
        .purge_sign_up_refusals(Timestamp(now.0 - REFUSALS_KEPT), 100)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        emails(store.sign_up_refusals(100).await.unwrap()),
        [
            "refused-6",
            "refused-5",
            "refused-4",
            "refused-3",
            "refused-2"
        ]
        .map(|name| format!("{name}@example.com"))
    );
    // A cap of 3 keeps the newest 3; the cap is the count: nothing more goes.
    for (cap, deleted) in [(3, 2), (3, 0), (5, 0)] {
        let purged = store
            .purge_sign_up_refusals(Timestamp(now.0 - REFUSALS_KEPT), cap)
            .await
            .unwrap();
        assert_eq!(purged, deleted, "cap {cap}");
    }
    assert_eq!(
        emails(store.sign_up_refusals(100).await.unwrap()),
        ["refused-6", "refused-5", "refused-4"].map(|name| format!("{name}@example.com"))
    );
    assert_eq!(
        emails(store.sign_up_refusals(2).await.unwrap()).len(),
        2,
        "the limit holds"
    );
    // The audit record of the refusal through an invitation is the log's, kept with it.
    let query = AuditQuery {
        kind: Some(icp_builder::store::AuditKind::SignUpRefused),
        ..AuditQuery::default()
    };
    let page = store.audit_page(&workspace.id, &query, 10).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].target, "refused-2@example.com");
    assert_eq!(page.entries[0].actor_id, None);
}

async fn audit_records_are_purged_by_age(db: Database) {
    assert_eq!(AUDIT_KEPT, chrono::TimeDelta::days(365));
    let app = TestApp::start(db).await;
    let store = app.store.as_ref();
    let owner = app.caller("owner").await;
    let other = app.caller("other").await;
    for (caller, email) in [(&owner, unique("a")), (&other, unique("b"))] {
        workspaces::invite(store, &caller.id, &email, Role::Member)
            .await
            .unwrap();
    }
    let count = |caller: icp_builder::domain::UserId| async move {
        let workspace = workspaces::membership(store, &caller)
            .await
            .unwrap()
            .workspace;
        store
            .audit_page(&workspace.id, &AuditQuery::default(), 10)
            .await
            .unwrap()
            .entries
            .len()
    };
    let (mine, theirs) = (count(owner.id.clone()).await, count(other.id.clone()).await);
    // Each has its invitation and its test token's record.
    assert_eq!((mine, theirs), (2, 2));
    // Nothing is a year old.
    let year_ago = Timestamp(Timestamp::now().0 - AUDIT_KEPT);
    assert_eq!(store.purge_audit(year_ago).await.unwrap(), 0);
    assert_eq!(count(owner.id.clone()).await, mine);
    // Everything before now goes, every workspace's.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(store.purge_audit(Timestamp::now()).await.unwrap(), 4);
    assert_eq!(count(owner.id.clone()).await, 0);
    assert_eq!(count(other.id.clone()).await, 0);
}
