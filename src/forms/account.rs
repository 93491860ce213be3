//! Accounts in the browser without JavaScript: the sign-up, sign-in, sign-out and API-token forms
//! as plain posts answered with a redirect (Post/Redirect/Get).
//!
//! A failed post goes back to its page with `?error=<code>` (see `FormProblem`) and what was typed,
//! never the password.

use super::retry_minutes;
use crate::account::{FormProblem, TokenScope, TOKEN_LIFETIMES};
use crate::auth::guard::{local_path, ClientAddress, HOME};
use crate::auth::limiter::{Key, Reservation};
use crate::auth::session::{self, session_user, Secret};
use crate::auth::{
    change_password as set_new_password, create_token_for, create_user, normalise_email,
    verify_sign_in_queued, AccountError, TokenTerms,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", post(sign_in))
        .route("/sign-up", post(sign_up))
        .route("/sign-out", post(sign_out))
        .route("/settings/password", post(change_password))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// `page?error=<code>&…` with the non-empty `fields` (without control characters, which no input
/// should show again).
pub(super) fn back_to(page: &str, problem: FormProblem, fields: &[(&str, &str)]) -> Redirect {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", problem.code());
    for (name, value) in fields.iter().filter(|(_, value)| !value.is_empty()) {
        let value: String = value.chars().filter(|c| !c.is_control()).collect();
        query.append_pair(name, &value);
    }
    Redirect::to(&format!("{page}?{}", query.finish()))
}

/// Where to go after signing in or up.
fn onward(next: &str) -> Redirect {
    Redirect::to(local_path(next).unwrap_or(HOME))
}

pub(super) fn server_problem(page: &str, cause: impl std::fmt::Display) -> Redirect {
    tracing::error!(%cause, "account form failed");
    back_to(page, FormProblem::Server, &[])
}

/// The sign-in and sign-up forms' fields (sign-in has no name).
#[derive(Deserialize, Default)]
#[serde(default)]
struct AccountForm {
    name: String,
    email: String,
    password: String,
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<AccountForm>,
) -> Redirect {
    let email = form.email.trim().to_lowercase();
    let back = |problem, extra: Option<(&str, &str)>| {
        let mut fields = vec![("email", email.as_str()), ("next", form.next.as_str())];
        fields.extend(extra);
        back_to("/sign-in", problem, &fields)
    };
    // Counted before the password is looked at, in one step with the check: parallel guesses
    // cannot all pass the check before any of them is counted.
    let mut keys = vec![Key::email(&email)];
    keys.extend(address.map(Key::address));
    let attempt = match state.limiter.reserve(&keys).await {
        Ok(Reservation::Granted(attempt)) => attempt,
        Ok(Reservation::Refused(wait)) => {
            tracing::warn!(?address, "sign-in refused: too many failures");
            metrics::counter!("icp_sign_in_refusals_total", "reason" => "too_many_attempts")
                .increment(1);
            let minutes = retry_minutes(wait);
            return back(FormProblem::TooManyAttempts, Some(("retry", &minutes)));
        }
        Err(error) => return server_problem("/sign-in", error),
    };

    let record = match normalise_email(&email) {
        Ok(email) => match state.store.user_by_email(&email).await {
            Ok(record) => record,
            Err(error) => {
                state.limiter.cancel(attempt).await;
                return server_problem("/sign-in", error);
            }
        },
        Err(_) => None,
    };
    let hash = record.as_ref().map(|record| record.password_hash.clone());
    let valid = verify_sign_in_queued(form.password.clone(), hash).await;
    // A failure stays counted.
    let Some(record) = record.filter(|_| valid) else {
        metrics::counter!("icp_sign_in_refusals_total", "reason" => "wrong_credentials")
            .increment(1);
        return back(FormProblem::WrongCredentials, None);
    };
    state.limiter.succeeded(attempt).await;
    if let Err(error) = session::sign_in(&session, &record.user.id, &state.sessions).await {
        return server_problem("/sign-in", error);
    }
    tracing::info!(user = %record.user.id, "signed in");
    onward(&form.next)
}

/// Whether `email` may create an account: the sign-up policy admits it, or `next` is the link of
/// an invitation still open for that email.
async fn may_sign_up(state: &AppState, email: &str, next: &str) -> bool {
    let Some(email) = crate::domain::normalised_email(email) else {
        // Not an address: the sign-up says so as it always did.
        return true;
    };
    if state.config.sign_up.admits(&email) {
        return true;
    }
    let Some(token) = next.strip_prefix("/invite/") else {
        return false;
    };
    match crate::workspaces::open_invitation(state.store.as_ref(), token).await {
        Ok(invitation) => invitation.email == email,
        Err(error) => {
            tracing::info!(error = %crate::error_chain(&error), "sign-up through an invitation that is not open");
            false
        }
    }
}

async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<AccountForm>,
) -> Redirect {
    let fields = [
        ("name", form.name.trim()),
        ("email", form.email.trim()),
        ("next", form.next.as_str()),
    ];
    // Who may sign up (`SIGN_UP`): anyone the policy admits, and whoever an open invitation names.
    if !may_sign_up(&state, &form.email, &form.next).await {
        let recorded =
            crate::sign_ups::record_refusal(state.store.as_ref(), &form.email, &form.next, address)
                .await;
        match recorded {
            Ok(reason) => tracing::info!(
                reason = reason.as_str(),
                "sign-up refused: not admitted by the sign-up policy"
            ),
            // The refusal stands; only its record is missing.
            Err(error) => tracing::error!(
                error = %crate::error_chain(&error),
                "sign-up refused by the sign-up policy; the refusal could not be recorded"
            ),
        }
        metrics::counter!("icp_sign_up_refusals_total", "reason" => FormProblem::SignUpClosed.code())
            .increment(1);
        return back_to("/sign-up", FormProblem::SignUpClosed, &fields);
    }
    // Each sign-up costs a password hash and makes an account: limited per client address.
    let attempt = match address {
        Some(address) => match state.limiter.reserve(&[Key::sign_up(address)]).await {
            Ok(Reservation::Granted(attempt)) => Some(attempt),
            Ok(Reservation::Refused(wait)) => {
                tracing::warn!(%address, "sign-up refused: too many from this address");
                metrics::counter!("icp_sign_up_refusals_total", "reason" => "too_many_sign_ups")
                    .increment(1);
                let minutes = retry_minutes(wait);
                let mut fields = fields.to_vec();
                fields.push(("retry", &minutes));
                return back_to("/sign-up", FormProblem::TooManySignUps, &fields);
            }
            Err(error) => return server_problem("/sign-up", error),
        },
        // Not served with connection info (tests that do not set it): nothing to count against.
        None => None,
    };
    let created = create_user(
        state.store.as_ref(),
        &form.email,
        &form.name,
        &form.password,
    )
    .await;
    let problem = match created {
        Ok(user) => {
            tracing::info!(user = %user.id, "signed up");
            if let Err(error) = session::sign_in(&session, &user.id, &state.sessions).await {
                // The account exists: say so, rather than a bare error that invites a retry.
                tracing::error!(error = %crate::error_chain(&error), "signed up, but the session could not be stored");
                return back_to(
                    "/sign-in",
                    FormProblem::SignUpNotSignedIn,
                    &[("email", form.email.trim()), ("next", form.next.as_str())],
                );
            }
            // Signed up through an invitation for this email: joined at once, landing on what the
            // team shares (else the invitation page says why not).
            if let Some(token) = form.next.strip_prefix("/invite/") {
                match crate::workspaces::accept(state.store.as_ref(), &user, token).await {
                    Ok(_) => {
                        tracing::info!(user = %user.id, "joined a workspace on signing up");
                        return Redirect::to("/icps?view=shared&notice=joined");
                    }
                    Err(error) => {
                        tracing::info!(error = %crate::error_chain(&error), "signed up; the invitation was not accepted")
                    }
                }
            }
            return onward(&form.next);
        }
        // Refused before any hashing: such tries are not counted.
        Err(AccountError::InvalidEmail) => FormProblem::InvalidEmail,
        Err(AccountError::InvalidName) => FormProblem::InvalidName,
        Err(AccountError::ShortPassword) => FormProblem::ShortPassword,
        // Hashed, and a probe of which emails have accounts: it stays counted.
        Err(AccountError::EmailTaken) => {
            metrics::counter!("icp_sign_up_refusals_total", "reason" => "email_taken").increment(1);
            return back_to("/sign-up", FormProblem::EmailTaken, &fields);
        }
        Err(other) => {
            if let Some(attempt) = attempt {
                state.limiter.cancel(attempt).await;
            }
            return server_problem("/sign-up", other);
        }
    };
    if let Some(attempt) = attempt {
        state.limiter.cancel(attempt).await;
    }
    metrics::counter!("icp_sign_up_refusals_total", "reason" => problem.code()).increment(1);
    back_to("/sign-up", problem, &fields)
}

async fn sign_out(session: Session) -> Redirect {
    if let Err(error) = session::sign_out(&session).await {
        tracing::error!(error = %crate::error_chain(&error), "sign-out failed");
    }
    Redirect::to("/sign-in")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    #[serde(rename = "current-password")]
    current: String,
    password: String,
}

/// Changes the signed-in user's password. Counted as a sign-in is (each try is a guess at the
/// current password); once changed, every other session of theirs ends.
async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Redirect {
    const PAGE: &str = "/settings";
    let signed_out = || Redirect::to("/sign-in?next=%2Fsettings");
    let Some(id) = session_user(&session).await else {
        return signed_out();
    };
    let user = match state.store.user_by_id(&id).await {
        Ok(Some(user)) => user,
        Ok(None) => return signed_out(),
        Err(error) => return server_problem(PAGE, error),
    };
    let attempt = match state.limiter.reserve(&[Key::email(&user.email)]).await {
        Ok(Reservation::Granted(attempt)) => attempt,
        Ok(Reservation::Refused(wait)) => {
            let minutes = retry_minutes(wait);
            return back_to(PAGE, FormProblem::TooManyAttempts, &[("retry", &minutes)]);
        }
        Err(error) => return server_problem(PAGE, error),
    };
    let changed = set_new_password(state.store.as_ref(), &user, &form.current, &form.password);
    match changed.await {
        Ok(()) => {
            state.limiter.succeeded(attempt).await;
            tracing::info!(user = %user.id, "password changed");
            if let Err(error) =
                crate::auth::user_sessions::sign_in_here_only(&session, &user.id, &state.sessions)
                    .await
            {
                // The password is changed; the sign-in page says to sign in with it.
                tracing::error!(%error, "password changed, but the sessions could not be renewed");
                return Redirect::to("/sign-in?next=%2Fsettings");
            }
            Redirect::to("/settings?notice=password")
        }
        // A wrong guess stays counted.
        Err(AccountError::WrongPassword) => back_to(PAGE, FormProblem::WrongPassword, &[]),
        Err(AccountError::ShortPassword) => {
            state.limiter.succeeded(attempt).await;
            back_to(PAGE, FormProblem::ShortPassword, &[])
        }
        Err(other) => {
            state.limiter.cancel(attempt).await;
            server_problem(PAGE, other)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    label: String,
    /// `read` or `write` (the default, also when absent).
    scope: String,
    /// One of `TOKEN_LIFETIMES` in days, or `never` (the default, also when absent).
    expires: String,
}

impl TokenForm {
    /// The terms chosen; `None` for a value the form does not offer.
    fn terms(&self) -> Option<TokenTerms> {
        let scope = match self.scope.as_str() {
            "" => TokenScope::default(),
            raw => TokenScope::parse(raw)?,
        };
        let expires_in_days = match self.expires.as_str() {
            "" | "never" => None,
            raw => Some(
                raw.parse()
                    .ok()
                    .filter(|days| TOKEN_LIFETIMES.contains(&Some(*days)))?,
            ),
        };
        Some(TokenTerms {
            scope,
            expires_in_days,
        })
    }
}

/// Creates a token and shows it once. It travels to the settings page through the session, sealed
/// with a one-time pad that goes to the browser in a short-lived cookie (so neither the session row
/// nor the cookie alone reveals it), rather than being rendered in this post's answer: reloading
/// the page neither posts the form again nor shows the token again.
async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TokenForm>,
) -> Response {
    let Some(user) = session_user(&session).await else {
        return Redirect::to("/sign-in?next=%2Fsettings").into_response();
    };
    let Some(terms) = form.terms() else {
        return back_to(
            "/settings",
            FormProblem::TokenChoice,
            &[("label", &form.label)],
        )
        .into_response();
    };
    match create_token_for(state.store.as_ref(), &user, &form.label, terms).await {
        Ok((_, token)) => {
            match session::hold_new_token(&session, form.label.trim(), &token).await {
                Ok(pad) => {
                    let cookie = session::pad_set_cookie(
                        Secret::ApiToken,
                        &pad,
                        state.config.secure_cookies(),
                    );
                    (
                        AppendHeaders([(header::SET_COOKIE, cookie)]),
                        Redirect::to("/settings"),
                    )
                        .into_response()
                }
                // The token exists but cannot be shown: the list will have it, to revoke.
                Err(error) => server_problem("/settings", error).into_response(),
            }
        }
        Err(AccountError::InvalidLabel) => back_to(
            "/settings",
            FormProblem::InvalidLabel,
            &[("label", &form.label)],
        )
        .into_response(),
        Err(other) => server_problem("/settings", other).into_response(),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Redirect {
    let Some(user) = session_user(&session).await else {
        return Redirect::to("/sign-in?next=%2Fsettings");
    };
    let Ok(id) = Uuid::try_parse(&id) else {
        return back_to("/settings", FormProblem::UnknownToken, &[]);
    };
    match state.store.revoke_token(&user, id).await {
        Ok(true) => Redirect::to("/settings?notice=revoked"),
        Ok(false) => back_to("/settings", FormProblem::UnknownToken, &[]),
        Err(error) => server_problem("/settings", error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(scope: &str, expires: &str) -> Option<TokenTerms> {
        let form = TokenForm {
            label: "CRM".into(),
            scope: scope.into(),
            expires: expires.into(),
        };
        form.terms()
    }

    #[test]
    fn the_token_form_takes_only_the_choices_it_offers() {
        assert_eq!(terms("", ""), Some(TokenTerms::default()));
        assert_eq!(
            terms("read", "90"),
            Some(TokenTerms {
                scope: TokenScope::Read,
                expires_in_days: Some(90),
            })
        );
        assert_eq!(
            terms("write", "never").map(|t| t.expires_in_days),
            Some(None)
        );
        for (scope, expires) in [("admin", ""), ("read", "7"), ("read", "-1"), ("", "soon")] {
            assert_eq!(terms(scope, expires), None, "{scope} {expires}");
        }
    }
}
