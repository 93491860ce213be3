//! Account care without JavaScript: a forgotten password (a mailed reset link), a change of email
//! (confirmed by a mailed link, or at once without mail), signing out everywhere, and the mail
//! that goes with an invitation. Each answers with a redirect (Post/Redirect/Get).
//!
//! The pages read what happened from the query: `?sent=1`, `?link=closed`, `?email-error=<code>`
//! (`pages::recovery` turns the codes into words).

use super::account::{back_to, server_problem};
use super::retry_minutes;
use crate::account::FormProblem;
use crate::auth::guard::ClientAddress;
use crate::auth::limiter::{Key, Reservation};
use crate::auth::session::{self, session_user};
use crate::auth::{hash_password_queued, normalise_email, verify_sign_in_queued, MIN_PASSWORD_LEN};
use crate::mail::{self, tokens, Mail};
use crate::state::AppState;
use crate::store::{Confirmed, EmailPurpose, Invitation, StoreError};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tower_sessions::Session;

pub const FORGOT_PAGE: &str = "/forgot-password";
const SETTINGS: &str = "/settings";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(FORGOT_PAGE, post(forgot_password))
        .route("/reset-password/{token}", post(reset_password))
        .route("/confirm-email/{token}", post(confirm_email))
        .route("/settings/email", post(change_email))
        .route("/settings/sign-out-everywhere", post(sign_out_everywhere))
}

/// The page a mailed link's `token` opens (`/{page}/{token}`), or the forgotten-password page
/// saying the link is closed when the token is not one of ours (it never goes back into a URL).
fn link_page(page: &str, token: &str) -> Result<String, Redirect> {
    if tokens::well_formed(token) {
        Ok(format!("/{page}/{token}"))
    } else {
        Err(closed_link())
    }
}

fn closed_link() -> Redirect {
    Redirect::to(&format!("{FORGOT_PAGE}?link=closed"))
}

/// `page` with the query `pairs`, encoded.
fn with_query(page: &str, pairs: &[(&str, &str)]) -> Redirect {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    Redirect::to(&format!("{page}?{}", query.finish()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

/// Mails a reset link when the address has an account. The answer is the same either way, and
/// comes before the look-up and the mail (sent in the background, failures logged), so neither
/// its words nor its timing tell whether the address has an account. Limited per address asked
/// for and per client address, as sign-ups are.
async fn forgot_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Redirect {
    let Some(mailer) = state.mailer.clone() else {
        // The page says to ask an admin.
        return Redirect::to(FORGOT_PAGE);
    };
    let Ok(email) = normalise_email(&form.email) else {
        return back_to(
            FORGOT_PAGE,
            FormProblem::InvalidEmail,
            &[("email", form.email.trim())],
        );
    };
    let mut keys = vec![Key::mail_to(&email)];
    keys.extend(address.map(Key::mail_from));
    match state.limiter.reserve(&keys).await {
        Ok(Reservation::Granted(_)) => {}
        Ok(Reservation::Refused(wait)) => {
            tracing::warn!(?address, "password reset refused: too many asked for");
            let minutes = retry_minutes(wait);
            return with_query(FORGOT_PAGE, &[("email", &email), ("retry", &minutes)]);
        }
        Err(error) => return server_problem(FORGOT_PAGE, error),
    }
    let base = mail::site_base(state.config.public_url.as_ref(), &headers);
    let store = state.store.clone();
    let to = email.clone();
    tokio::spawn(async move {
        let user = match store.user_by_email(&to).await {
            Ok(Some(record)) => record.user,
            Ok(None) => {
                tracing::info!("password reset asked for an address without an account");
                return;
            }
            Err(error) => {
                tracing::error!(error = %crate::error_chain(&error), "password reset: look-up failed");
                return;
            }
        };
        let token = match tokens::issue(store.as_ref(), EmailPurpose::Reset, &user.id, None).await {
            Ok(token) => token,
            Err(error) => {
                tracing::error!(error = %crate::error_chain(&error), "password reset: token not stored");
                return;
            }
        };
        let link = format!("{base}/reset-password/{token}");
        let reset = Mail::PasswordReset { link: &link };
        match mailer.mail(&user.email, reset).await {
            Ok(()) => tracing::info!(user = %user.id, "password reset mailed"),
            Err(error) => {
                tracing::error!(user = %user.id, error = %crate::error_chain(&error), "password reset mail not sent")
            }
        }
    });
    with_query(FORGOT_PAGE, &[("sent", "1"), ("email", &email)])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPasswordForm {
    password: String,
}

/// Sets the password a reset link's owner chose (the sign-up rules), uses the link up, ends every
/// session of theirs and signs them in here.
async fn reset_password(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Redirect {
    let page = match link_page("reset-password", &token) {
        Ok(page) => page,
        Err(closed) => return closed,
    };
    if form.password.chars().count() < MIN_PASSWORD_LEN {
        return back_to(&page, FormProblem::ShortPassword, &[]);
    }
    let hash = match hash_password_queued(form.password).await {
        Ok(hash) => hash,
        Err(error) => return server_problem(&page, error),
    };
    let reset = state
        .store
        .reset_password(
            &tokens::token_hash(&token),
            &hash,
            crate::domain::Timestamp::now(),
        )
        .await;
    let user = match reset {
        Ok(Some(user)) => user,
        Ok(None) => return closed_link(),
        Err(error) => return server_problem(&page, error),
    };
    tracing::info!(%user, "password reset by a mailed link");
    if let Err(error) = state.sessions.end_all(&user).await {
        tracing::error!(error = %crate::error_chain(&error), "password reset, but the user's sessions could not all be ended");
    }
    if let Err(error) = session::sign_in(&session, &user, &state.sessions).await {
        tracing::error!(error = %crate::error_chain(&error), "password reset, but the new session could not be stored");
        return Redirect::to("/sign-in");
    }
    Redirect::to("/settings?notice=password-reset")
}

/// Makes a confirmation link's address its user's email, if no other account has taken it since.
async fn confirm_email(State(state): State<AppState>, Path(token): Path<String>) -> Redirect {
    let page = match link_page("confirm-email", &token) {
        Ok(page) => page,
        Err(closed) => return closed,
    };
    let confirmed = state
        .store
        .confirm_email(&tokens::token_hash(&token), crate::domain::Timestamp::now())
        .await;
    match confirmed {
        Ok(Confirmed::Changed { user, .. }) => {
            tracing::info!(%user, "email changed by a mailed link");
            Redirect::to("/settings?notice=email-changed")
        }
        Ok(Confirmed::Taken(email)) => with_query(&page, &[("error", "taken"), ("email", &email)]),
        Ok(Confirmed::Closed) => with_query(&page, &[("error", "closed")]),
        Err(error) => server_problem(&page, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeEmailForm {
    #[serde(rename = "new-email")]
    email: String,
    #[serde(rename = "email-password")]
    password: String,
}

/// Changes the signed-in user's email once their password is given (each try counted as a sign-in
/// is): with mail, the new address gets a link that makes the change; without, it is made at once.
async fn change_email(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<ChangeEmailForm>,
) -> Redirect {
    let refused = |code: &str, extra: &[(&str, &str)]| {
        let mut pairs = vec![("email-error", code), ("new-email", form.email.trim())];
        pairs.extend_from_slice(extra);
        with_query(SETTINGS, &pairs)
    };
    let Some(id) = session_user(&session).await else {
        return Redirect::to("/sign-in?next=%2Fsettings");
    };
    let record = match state.store.user_by_id(&id).await {
        Ok(Some(user)) => state.store.user_by_email(&user.email).await,
        Ok(None) => return Redirect::to("/sign-in?next=%2Fsettings"),
        Err(error) => return server_problem(SETTINGS, error),
    };
    let record = match record {
        Ok(Some(record)) if record.user.id == id => record,
        Ok(_) => return Redirect::to("/sign-in?next=%2Fsettings"),
        Err(error) => return server_problem(SETTINGS, error),
    };
    let Ok(email) = normalise_email(&form.email) else {
        return refused("invalid", &[]);
    };
    if email == record.user.email {
        return refused("same", &[]);
    }
    let attempt = match state
        .limiter
        .reserve(&[Key::email(&record.user.email)])
        .await
    {
        Ok(Reservation::Granted(attempt)) => attempt,
        Ok(Reservation::Refused(wait)) => {
            let minutes = retry_minutes(wait);
            return refused("locked", &[("retry", &minutes)]);
        }
        Err(error) => return server_problem(SETTINGS, error),
    };
    let valid = verify_sign_in_queued(form.password.clone(), Some(record.password_hash)).await;
    if !valid {
        // A wrong guess stays counted.
        return refused("password", &[]);
    }
    state.limiter.succeeded(attempt).await;
    let user = record.user;
    match state.store.user_by_email(&email).await {
        Ok(None) => {}
        Ok(Some(_)) => return refused("taken", &[]),
        Err(error) => return server_problem(SETTINGS, error),
    }
    let Some(mailer) = &state.mailer else {
        return match state.store.set_email(&user.id, &email).await {
            Ok(()) => {
                tracing::info!(user = %user.id, "email changed");
                Redirect::to("/settings?notice=email-changed")
            }
            Err(StoreError::Conflict(_)) => refused("taken", &[]),
            Err(error) => server_problem(SETTINGS, error),
        };
    };
    let issued = tokens::issue(
        state.store.as_ref(),
        EmailPurpose::ConfirmEmail,
        &user.id,
        Some(&email),
    );
    let token = match issued.await {
        Ok(token) => token,
        Err(error) => return server_problem(SETTINGS, error),
    };
    let base = mail::site_base(state.config.public_url.as_ref(), &headers);
    let link = format!("{base}/confirm-email/{token}");
    let confirm = Mail::EmailConfirmation {
        name: &user.name,
        link: &link,
    };
    match mailer.mail(&email, confirm).await {
        Ok(()) => {
            tracing::info!(user = %user.id, "email confirmation mailed");
            with_query(SETTINGS, &[("notice", "email-sent"), ("to", &email)])
        }
        Err(error) => {
            tracing::error!(user = %user.id, error = %crate::error_chain(&error), "email confirmation not sent");
            refused("mail", &[])
        }
    }
}

/// Ends every session of the signed-in user, this one included (their API tokens stay).
async fn sign_out_everywhere(State(state): State<AppState>, session: Session) -> Redirect {
    let Some(user) = session_user(&session).await else {
        return Redirect::to("/sign-in");
    };
    if let Err(error) = state.sessions.end_all(&user).await {
        return server_problem(SETTINGS, error);
    }
    // This one too, and its cookie (also when it was not listed as the user's).
    if let Err(error) = session::sign_out(&session).await {
        tracing::error!(error = %crate::error_chain(&error), "sign-out failed");
    }
    tracing::info!(%user, "signed out everywhere");
    Redirect::to("/sign-in?notice=signed-out-everywhere")
}

/// Mails `invitation`'s link (`token`) to the invited address when mail is set up: `None` without
/// mail, else whether it was sent (a failure is logged with its cause; the link is shown anyway).
pub async fn mail_invitation(
    state: &AppState,
    headers: &HeaderMap,
    invitation: &Invitation,
    token: &str,
) -> Option<bool> {
    let mailer = state.mailer.as_ref()?;
    let base = mail::site_base(state.config.public_url.as_ref(), headers);
    let link = format!("{base}/invite/{token}");
    let invited = Mail::Invitation {
        inviter: &invitation.invited_by,
        workspace: &invitation.workspace.name,
        link: &link,
    };
    let sent = mailer.mail(&invitation.email, invited).await;
    match sent {
        Ok(()) => {
            tracing::info!(invitation = %invitation.id, "invitation mailed");
            Some(true)
        }
        Err(error) => {
            tracing::error!(invitation = %invitation.id, error = %crate::error_chain(&error), "invitation mail not sent");
            Some(false)
        }
    }
}
