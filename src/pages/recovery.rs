//! Account care pages: a forgotten password (`/forgot-password`, `/reset-password/:token`), the
//! confirmation of a new email (`/confirm-email/:token`), and the settings page's "Email address"
//! and "Sign out everywhere" panels. Their forms post to `forms::recovery`.
//!
//! These pages are HTML only (no island), so what the server alone knows — whether mail is set up —
//! is read from the app's state as they render.

use super::account::{token_path, Email, Field, FormAlert, NewPassword, Notice, Query};
use super::layout::{ButtonForm, Panel, PostForm};
use leptos::prelude::*;
use leptos_meta::Title;

/// Whether the server mails (`SMTP_URL` is set). Rendered on the server only.
pub fn mail_enabled() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::state::AppState>().is_some_and(|state| state.mailer.is_some())
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// The sign-in page's way out of a forgotten password (when mail is set up), and its word after
/// signing out everywhere.
#[component]
pub fn SignInHelp() -> impl IntoView {
    let everywhere = Query::read().value("notice") == "signed-out-everywhere";
    view! {
        <Notice text=everywhere.then_some("You are signed out everywhere.") />
        {mail_enabled()
            .then(|| {
                view! {
                    <p>
                        <a href="/forgot-password">"Forgot your password?"</a>
                    </p>
                }
            })}
    }
}

/// What a mailed link's page says about the link itself (`?link=closed`).
const CLOSED_LINK: &str = "This link has expired or was already used. Ask for a new one below.";

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let query = Query::read();
    let sent = query.value("sent") == "1";
    let closed = query.value("link") == "closed";
    let retry = query.value("retry");
    let limited = (!retry.is_empty())
        .then(|| format!("Too many reset links were asked for. Try again in {retry} minute(s)."));
    let body = if mail_enabled() {
        view! {
            <Notice text=sent
                .then_some(
                    "If an account has this address, a link to choose a new password is on its way. It works once, for an hour.",
                ) />
            <FormAlert id="link-error" message=closed.then(|| CLOSED_LINK.to_owned()) />
            <FormAlert id="forgot-error" message=limited />
            <p>
                "Enter your account’s email address: we will mail you a link to choose a new password."
            </p>
            <PostForm
                action="/forgot-password"
                submit="Mail me a reset link"
                class="button button-primary"
            >
                <Email error=query.error_for("email") />
            </PostForm>
        }
            .into_any()
    } else {
        view! {
            <FormAlert id="link-error" message=closed.then(|| CLOSED_LINK.to_owned()) />
            <p>
                "This server does not send mail. Ask an administrator to set a new password for you:"
            </p>
            <pre>
                <code>"icp-builder users set-password --email you@example.com"</code>
            </pre>
            <p>"(it reads the new password from standard input, and signs you out everywhere)."</p>
        }
            .into_any()
    };
    view! {
        <Title text="Forgot your password?" />
        <section class="card" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Forgot your password?"</h1>
            {body}
            <p>
                <a href="/sign-in">"Back to sign in"</a>
            </p>
        </section>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let query = Query::read();
    view! {
        <Title text="Choose a new password" />
        // The token is in this page's URL: the site's `Referrer-Policy: same-origin` (headers.rs)
        // keeps it from other sites. Not `no-referrer`: with it, browsers post the form with
        // `Origin: null`, which the same-origin check (auth/origin.rs) refuses.
        <section class="card" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <p>"Once it is set, you are signed out everywhere else and signed in here."</p>
            <PostForm
                action=token_path("/reset-password")
                submit="Set the new password"
                class="button button-primary"
            >
                <NewPassword label="New password" error=query.error_for("password") />
            </PostForm>
        </section>
    }
}

#[component]
pub fn ConfirmEmail() -> impl IntoView {
    let query = Query::read();
    let problem = match query.value("error").as_str() {
        "taken" => Some(format!(
            "Another account uses {} now, so your email was not changed.",
            query.value("email")
        )),
        "closed" => Some(
            "This link has expired or was already used. Change your email again on the settings page."
                .to_owned(),
        ),
        _ => None,
    };
    view! {
        <Title text="Confirm your new email address" />
        // As on the reset page: the site's referrer policy, so the form is posted with an Origin.
        <section class="card" aria-labelledby="confirm-email-title">
            <h1 id="confirm-email-title">"Confirm your new email address"</h1>
            <FormAlert id="confirm-email-error" message=problem />
            <p>"Your account will use the address this link was mailed to from now on."</p>
            <ButtonForm action=token_path("/confirm-email") class="button button-primary">
                "Confirm my new email address"
            </ButtonForm>
        </section>
    }
}

/// The settings panel that changes the account's email (asking the current password).
#[component]
pub fn EmailPanel(email: String) -> impl IntoView {
    let query = Query::read();
    let mail = mail_enabled();
    let notice = match query.value("notice").as_str() {
        "email-changed" => Some("Your email address was changed.".to_owned()),
        "email-sent" => Some(format!(
            "We mailed a link to {}: your email changes when you open it (within an hour).",
            query.value("to")
        )),
        _ => None,
    };
    let (field, message) = match query.value("email-error").as_str() {
        "invalid" => (
            "new-email",
            "Enter an email address like name@company.com.".to_owned(),
        ),
        "same" => ("new-email", "That is already your email address.".to_owned()),
        "taken" => (
            "new-email",
            "Another account uses this address.".to_owned(),
        ),
        "password" => ("email-password", "Your current password is wrong.".to_owned()),
        "locked" => (
            "email-password",
            format!(
                "Too many failed password attempts. Try again in {} minute(s).",
                query.value("retry")
            ),
        ),
        "mail" => (
            "",
            "The confirmation could not be mailed, so your email is unchanged. Please try again later."
                .to_owned(),
        ),
        _ => ("", String::new()),
    };
    let error_at = |at: &str| (field == at && !message.is_empty()).then(|| message.clone());
    let (new_email_error, password_error) = (error_at("new-email"), error_at("email-password"));
    let form_message = (field.is_empty() && !message.is_empty()).then(|| message.clone());
    let hint = if mail {
        "We mail a link to the new address; your email changes when it is opened."
    } else {
        "Your email changes at once."
    };
    view! {
        <Panel id="email-title" title="Email address">
            {notice
                .map(|text| {
                    view! {
                        <p class="alert alert-success" role="status">
                            {text}
                        </p>
                    }
                })}
            <FormAlert id="email-form-error" message=form_message />
            <p>"You sign in with " <strong>{email}</strong> "."</p>
            <PostForm action="/settings/email" submit="Change email">
                <Field
                    id="new-email"
                    label="New email address"
                    kind="email"
                    autocomplete="email"
                    value=query.value("new-email")
                    hint=Some(hint)
                    problem=new_email_error
                />
                <Field
                    id="email-password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    problem=password_error
                />
            </PostForm>
        </Panel>
    }
}

/// The settings panel that ends every session of the user, this one included.
#[component]
pub fn SignOutEverywherePanel() -> impl IntoView {
    let reset = Query::read().value("notice") == "password-reset";
    view! {
        <Panel id="sessions-title" title="Sign out everywhere">
            <Notice text=reset
                .then_some(
                    "Your new password is set. Everywhere else you were signed in, you are signed out.",
                ) />
            <p>
                "Ends every session of yours — other browsers and devices, and this one. Your API tokens keep working: revoke them above if they should stop too."
            </p>
            <ButtonForm action="/settings/sign-out-everywhere">"Sign out everywhere"</ButtonForm>
        </Panel>
    }
}
