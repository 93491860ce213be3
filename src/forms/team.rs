//! The team settings forms without JavaScript: rename the workspace, invite (the link is shown once
//! on the next page), revoke an invitation, remove a member, leave, and accept an invitation.
//! Each answers with a redirect (Post/Redirect/Get); a refusal goes back with `?error=<code>`.

use super::account::{back_to, server_problem};
use super::icps::signed_in_to;
use crate::account::{FormProblem, Role};
use crate::auth::session::{self, session_user, Secret};
use crate::domain::UserId;
use crate::state::AppState;
use crate::workspaces::{self, WorkspaceError};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

pub const TEAM_PAGE: &str = "/settings/team";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/team/name", post(rename))
        .route("/settings/team/invitations", post(invite))
        .route("/settings/team/invitations/{id}/revoke", post(revoke))
        .route("/settings/team/members/{id}/remove", post(remove))
        .route("/settings/team/members/{id}/role", post(set_role))
        .route("/settings/team/leave", post(leave))
        .route("/invite/{token}/accept", post(accept))
}

/// The form problem a refusal shows; `None` for a storage failure (logged, "try again").
fn problem(error: &WorkspaceError) -> Option<FormProblem> {
    Some(match error {
        WorkspaceError::NotManager => FormProblem::NotManager,
        WorkspaceError::OwnerOnly => FormProblem::OwnerOnly,
        WorkspaceError::InvitedOwner => FormProblem::InvalidRole,
        WorkspaceError::NotMember | WorkspaceError::RemovingSelf => FormProblem::NotMember,
        WorkspaceError::InvalidEmail => FormProblem::InvalidEmail,
        WorkspaceError::InvalidName => FormProblem::InvalidWorkspaceName,
        WorkspaceError::AlreadyMember(_) => FormProblem::AlreadyMember,
        WorkspaceError::UnknownInvitation => FormProblem::UnknownInvitation,
        WorkspaceError::Expired | WorkspaceError::Revoked | WorkspaceError::Used => {
            FormProblem::InvitationClosed
        }
        WorkspaceError::WrongEmail(_) => FormProblem::InvitationForAnotherEmail,
        WorkspaceError::AlreadyInWorkspace => FormProblem::AlreadyInWorkspace,
        WorkspaceError::Alone => FormProblem::Alone,
        WorkspaceError::Store(_) => return None,
    })
}

/// Back to `page` saying why `error` refused the form (with `fields` to fill in again).
fn refused(page: &str, error: WorkspaceError, fields: &[(&str, &str)]) -> Redirect {
    match problem(&error) {
        Some(problem) => back_to(page, problem, fields),
        None => server_problem(page, error),
    }
}

/// The signed-in user posting a team form; anyone else is sent to sign in and come back to the
/// team page.
struct TeamUser(UserId);

impl<S: Send + Sync> FromRequestParts<S> for TeamUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        signed_in_to(parts, TEAM_PAGE).await.map(TeamUser)
    }
}

fn done(notice: &str) -> Redirect {
    Redirect::to(&format!("{TEAM_PAGE}?notice={notice}"))
}

/// Back to the team page with `notice` once `outcome` is done, or saying why it was refused.
fn answer<T>(outcome: Result<T, WorkspaceError>, notice: &str) -> Redirect {
    match outcome {
        Ok(_) => done(notice),
        Err(error) => refused(TEAM_PAGE, error, &[]),
    }
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default, rename = "workspace-name")]
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    TeamUser(user): TeamUser,
    Form(form): Form<NameForm>,
) -> Redirect {
    let renamed = workspaces::rename(state.store.as_ref(), &user, &form.name).await;
    match renamed {
        Ok(_) => done("renamed"),
        Err(error) => refused(TEAM_PAGE, error, &[("workspace-name", &form.name)]),
    }
}

#[derive(Deserialize)]
struct InviteForm {
    /// One address or several, apart by commas, semicolons, spaces or lines.
    #[serde(default)]
    email: String,
    /// The role each gets on joining: `member` when absent.
    #[serde(default)]
    role: String,
}

/// A role a form chose: `member` when the field is absent or empty; `None` for a value it does
/// not offer.
fn chosen_role(raw: &str) -> Option<Role> {
    match raw {
        "" => Some(Role::Member),
        raw => Role::parse(raw),
    }
}

/// The most addresses one invitation form takes.
pub const MAX_INVITES: usize = 20;

/// Creates an invitation for each address given and shows their links once on the team page,
/// sealed in the session with a pad in a short-lived cookie (as a new API token is). The first
/// address refused stops there: the links made before it are shown, and the form comes back with
/// that address and those after it, and why.
async fn invite(
    State(state): State<AppState>,
    TeamUser(user): TeamUser,
    session: Session,
    headers: axum::http::HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let mut emails: Vec<&str> = Vec::new();
    for email in form.email.split([',', ';', ' ', '\t', '\r', '\n']) {
        if !email.is_empty() && !emails.iter().any(|e| e.eq_ignore_ascii_case(email)) {
            emails.push(email);
        }
    }
    let Some(role) = chosen_role(&form.role) else {
        return back_to(
            TEAM_PAGE,
            FormProblem::InvalidRole,
            &[("email", form.email.trim())],
        )
        .into_response();
    };
    if emails.len() > MAX_INVITES {
        return back_to(
            TEAM_PAGE,
            FormProblem::TooManyInvites,
            &[("email", form.email.trim())],
        )
        .into_response();
    }
    let mut links = Vec::new();
    let mut refusal = None;
    let mut unmailed = false;
    for (i, email) in emails.iter().enumerate() {
        match workspaces::invite(state.store.as_ref(), &user, email, role).await {
            Ok((invitation, token)) => {
                tracing::info!(%user, invitation = %invitation.id, "invitation created");
                // With mail set up, each link is mailed too (and still shown).
                let mailed =
                    super::recovery::mail_invitation(&state, &headers, &invitation, &token).await;
                unmailed |= mailed == Some(false);
                links.push((invitation.email, token));
            }
            Err(error) => {
                refusal = Some((error, emails[i..].join(", ")));
                break;
            }
        }
    }
    let refused_now = |refusal: Option<(WorkspaceError, String)>| {
        refusal.map(|(error, rest)| refused(TEAM_PAGE, error, &[("email", &rest)]))
    };
    if links.is_empty() {
        return refused_now(refusal)
            .unwrap_or_else(|| back_to(TEAM_PAGE, FormProblem::InvalidEmail, &[]))
            .into_response();
    }
    match session::hold_secrets(&session, Secret::InvitationLink, &links).await {
        Ok(pad) => {
            let cookie = session::pad_set_cookie(
                Secret::InvitationLink,
                &pad,
                state.config.secure_cookies(),
            );
            let notice = match (&state.mailer, unmailed) {
                (None, _) => "invited",
                (Some(_), false) => "invited-mailed",
                (Some(_), true) => "invited-unmailed",
            };
            let next = refused_now(refusal).unwrap_or_else(|| done(notice));
            (AppendHeaders([(header::SET_COOKIE, cookie)]), next).into_response()
        }
        // The invitation exists but its link cannot be shown: the list has it, to revoke.
        Err(error) => server_problem(TEAM_PAGE, error).into_response(),
    }
}

async fn revoke(
    State(state): State<AppState>,
    TeamUser(user): TeamUser,
    Path(id): Path<String>,
) -> Result<Redirect, Redirect> {
    let id = Uuid::try_parse(&id)
        .map_err(|_| back_to(TEAM_PAGE, FormProblem::UnknownInvitation, &[]))?;
    Ok(answer(
        workspaces::revoke(state.store.as_ref(), &user, id).await,
        "revoked",
    ))
}

async fn remove(
    State(state): State<AppState>,
    TeamUser(user): TeamUser,
    Path(id): Path<String>,
) -> Result<Redirect, Redirect> {
    let member =
        UserId::parse(&id).ok_or_else(|| back_to(TEAM_PAGE, FormProblem::NotMember, &[]))?;
    let removed = workspaces::remove(state.store.as_ref(), &user, &member).await;
    Ok(answer(
        removed.inspect(|()| tracing::info!(%user, removed = %member, "member removed")),
        "removed",
    ))
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Sets a member's role; `owner` hands the workspace over (the owner's "Make owner…").
async fn set_role(
    State(state): State<AppState>,
    TeamUser(user): TeamUser,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Redirect, Redirect> {
    let member =
        UserId::parse(&id).ok_or_else(|| back_to(TEAM_PAGE, FormProblem::NotMember, &[]))?;
    let role =
        Role::parse(&form.role).ok_or_else(|| back_to(TEAM_PAGE, FormProblem::InvalidRole, &[]))?;
    let set = workspaces::set_role(state.store.as_ref(), &user, &member, role).await;
    let notice = if role == Role::Owner { "owner" } else { "role" };
    Ok(answer(
        set.inspect(|before| {
            tracing::info!(%user, %member, before = before.as_str(), after = role.as_str(), "role set")
        }),
        notice,
    ))
}

async fn leave(State(state): State<AppState>, TeamUser(user): TeamUser) -> Redirect {
    let left = workspaces::leave(state.store.as_ref(), &user).await;
    answer(
        left.inspect(|_| tracing::info!(%user, "left the workspace")),
        "left",
    )
}

async fn accept(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
) -> Redirect {
    // Only a well-formed token goes back into a URL (a redirect's Location must be plain ASCII).
    let well_formed = token.len() <= 64
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    let page = if well_formed {
        format!("/invite/{token}")
    } else {
        "/invite/unknown".to_owned()
    };
    let Some(user) = session_user(&session).await else {
        return Redirect::to(&format!(
            "/sign-in?next={}",
            crate::account::query_value(&page)
        ));
    };
    let user = match state.store.user_by_id(&user).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/sign-in"),
        Err(error) => return server_problem(&page, error),
    };
    match workspaces::accept(state.store.as_ref(), &user, &token).await {
        Ok(_) => {
            tracing::info!(user = %user.id, "joined a workspace");
            done("joined")
        }
        Err(error) => refused(&page, error, &[]),
    }
}
