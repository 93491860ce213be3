//! The page an invitation link opens (`/invite/{token}`): whose workspace it is, and the way in —
//! accept when signed in with the invited email, else sign up or sign in and come back. Accepting
//! posts to `crate::forms::team`.

#[cfg(feature = "ssr")]
use super::account::ssr;
use super::account::{path_token, token_path, FormAlert, Query};
use super::layout::ButtonForm;
use super::loaded::{Loaded, Unloaded};
use crate::account::{query_value, InvitationState, InvitationView};
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;

/// What the invitation page shows. Fails with the pages' error type, so a call whose `token`
/// cannot be read is answered 400 (`PageError::BadRequest`).
#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn invitation_data(token: String) -> Result<InvitationView, PageError> {
    use crate::workspaces::{open_invitation, WorkspaceError};
    // `session_account` has logged why it failed.
    let (state, _, signed_in) = ssr::session_account()
        .await
        .map_err(|_| PageError::Server)?;
    let (state_of, invitation) = match open_invitation(state.store.as_ref(), &token).await {
        Ok(invitation) => (InvitationState::Open, Some(invitation)),
        Err(WorkspaceError::Used) => (InvitationState::Used, None),
        Err(WorkspaceError::Revoked) => (InvitationState::Revoked, None),
        Err(WorkspaceError::Expired) => (InvitationState::Expired, None),
        Err(WorkspaceError::Store(error)) => {
            tracing::error!(cause = %crate::error_chain(&error), "invitation page failed");
            return Err(PageError::Server);
        }
        Err(_) => (InvitationState::Unknown, None),
    };
    Ok(match invitation {
        Some(invitation) => InvitationView {
            state: state_of,
            workspace: invitation.workspace.name,
            invited_by: invitation.invited_by,
            email: invitation.email,
            signed_in,
        },
        None => InvitationView {
            state: state_of,
            workspace: String::new(),
            invited_by: String::new(),
            email: String::new(),
            signed_in,
        },
    })
}

/// What an invitation link opens: whose workspace, and the way in — accept when signed in with the
/// invited email, else sign up or sign in and come back here.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = path_token();
    let data = Resource::new(move || token.clone(), invitation_data);
    view! {
        <Title text="Invitation" />
        <Loaded
            data
            loading="Loading the invitation…"
            failed=Unloaded::Reload("The invitation".to_owned())
            body=invitation_body
        />
    }
}

/// The invitation page's body: whose workspace, and the way in (or why there is none).
fn invitation_body(invitation: InvitationView) -> impl IntoView {
    let query = Query::read();
    let message = query.form_problem_text();
    let here = token_path("/invite");
    let closed = match invitation.state {
        InvitationState::Open => None,
        InvitationState::Used => Some("This invitation has already been used."),
        InvitationState::Revoked => Some("This invitation was revoked."),
        InvitationState::Expired => Some("This invitation has expired."),
        InvitationState::Unknown => Some("This invitation link is not valid."),
    };
    let body = match (closed, invitation.signed_in) {
        (Some(reason), _) => view! {
            <p class="alert alert-error" role="alert">
                {reason}
                " Ask the person who invited you for a new link."
            </p>
        }
        .into_any(),
        (None, Some(user)) if user.email == invitation.email => {
            let workspace = invitation.workspace.clone();
            view! {
                <p>
                    "Joining moves you from your current workspace: you keep the ICPs only you can read."
                </p>
                <ButtonForm action=format!("{here}/accept") class="button button-primary">
                    "Join "
                    {workspace}
                </ButtonForm>
            }
            .into_any()
        }
        (None, Some(user)) => view! {
            <p class="alert alert-error" role="alert">
                "This invitation is for "
                {invitation.email.clone()}
                ", but you are signed in as "
                {user.email}
                ". Sign out and sign in with the invited email to accept it."
            </p>
        }
        .into_any(),
        (None, None) => {
            let next = query_value(&here);
            let email = query_value(&invitation.email);
            view! {
                <p>"Create an account with " {invitation.email.clone()} " or sign in to join."</p>
                <p class="actions">
                    <a
                        class="button button-primary"
                        href=format!("/sign-up?next={next}&email={email}")
                    >
                        "Create an account"
                    </a>
                    " "
                    <a class="button" href=format!("/sign-in?next={next}&email={email}")>
                        "Sign in"
                    </a>
                </p>
            }
            .into_any()
        }
    };
    let title = if closed.is_none() {
        format!("Join {}", invitation.workspace)
    } else {
        "Invitation".to_owned()
    };
    view! {
        <section class="card" aria-labelledby="invitation-title">
            <h1 id="invitation-title">{title}</h1>
            {closed
                .is_none()
                .then(|| {
                    view! {
                        <p>
                            {invitation.invited_by.clone()} " invited " {invitation.email.clone()}
                            " to the workspace " <strong>{invitation.workspace.clone()}</strong> "."
                        </p>
                    }
                })}
            <FormAlert id="invitation-error" message />
            {body}
        </section>
    }
}
