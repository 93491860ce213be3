//! The settings page: who is signed in, and their API tokens (create, show once, revoke); it links
//! to the webhooks page.

#[cfg(feature = "ssr")]
use super::account::ssr;
use super::account::{Field, FormAlert, NewPassword, Notice, Query};
use super::confirm::{Confirm, CopyButton};
use super::describe::{Day, When};
use super::layout::{ActionTable, Fact, Panel, PostForm};
use super::loaded::SecretPage;
use crate::account::{FormProblem, SettingsView, TokenRow, TokenScope, TOKEN_LIFETIMES};
use crate::domain::Timestamp;
use leptos::prelude::*;

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn settings_data() -> Result<SettingsView, crate::page_error::PageError> {
    use crate::auth::session::{pad_cookie, take_new_token, Secret};
    let (state, session, user) = ssr::session_account().await?;
    // The pad that opens a just-created token, from the browser's cookie (it expires by itself).
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.map_err(ssr::failed)?;
    let pad = pad_cookie(&headers, Secret::ApiToken);
    let user = user.ok_or(crate::page_error::PageError::Unauthorized)?;
    let tokens = state.store.tokens(&user.id).await.map_err(ssr::failed)?;
    let now = Timestamp::now();
    let tokens = tokens
        .into_iter()
        .map(|token| TokenRow {
            expired: token.expires_at.is_some_and(|at| at <= now),
            token,
        })
        .collect();
    let new_token = take_new_token(&session, pad.as_deref()).await;
    Ok(SettingsView {
        user,
        tokens,
        new_token,
    })
}

#[component]
pub fn Settings() -> impl IntoView {
    view! { <SecretPage title="Settings" load=settings_data body=settings_body /> }
}

/// The settings page's body: the account, the password form and the API tokens.
fn settings_body(
    SettingsView {
        user,
        tokens,
        new_token,
    }: SettingsView,
) -> impl IntoView {
    let query = Query::read();
    // Too many tries is about the password form; any other problem of the page's forms as a
    // whole is shown above the tokens (a field's own, at its field).
    let problem = query.form_problem();
    let message = problem.map(|problem| problem.message().to_owned());
    let (password_message, message) = match problem {
        Some(FormProblem::TooManyAttempts) => (message, None),
        _ => (None, message),
    };
    let revoked = query.value("notice") == "revoked";
    let password_changed = query.value("notice") == "password";
    // Each panel takes what it shows of the query.
    let current_password_error = query.error_for("current-password");
    let password_error = query.error_for("password");
    let (label, label_error) = (query.value("label"), query.error_for("label"));
    let user_email = user.email.clone();
    view! {
        <Panel id="account-title" title="Your account">
            <dl class="facts">
                <Fact label="Name">{user.name}</Fact>
                <Fact label="Email">{user.email}</Fact>
                <Fact label="User id">
                    <code>{user.id.to_string()}</code>
                    " — teammates in your workspace can add it to an ICP’s users. "
                    <a href="/settings/team">"Your team"</a>
                </Fact>
            </dl>
        </Panel>
        <super::recovery::EmailPanel email=user_email />
        <Panel id="password-title" title="Password">
            <Notice text=password_changed
                .then_some(
                    "Your password was changed. Everywhere else you were signed in, you are signed out.",
                ) />
            <FormAlert id="password-error" message=password_message />
            <PostForm action="/settings/password" submit="Change password">
                <Field
                    id="current-password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    error=current_password_error
                />
                <NewPassword label="New password" error=password_error />
            </PostForm>
        </Panel>
        <Panel id="tokens-title" title="API tokens">
            <p>
                "A token lets a program use the API as you: send it as "
                <code>"Authorization: Bearer <token>"</code> "."
            </p>
            {new_token
                .map(|new| {
                    view! {
                        <div class="alert alert-success" role="status">
                            <p>
                                "Your new token “" {new.label}
                                "”. Copy it now: it will not be shown again."
                            </p>
                            <code class="token">{new.token.clone()}</code>
                            <CopyButton text=new.token label="Copy the token".to_owned() />
                        </div>
                    }
                })}
            <Notice text=revoked.then_some("The token was revoked.") />
            <FormAlert id="settings-error" message />
            <PostForm action="/settings/tokens" submit="Create token" class="button button-primary">
                <Field
                    id="label"
                    label="Label"
                    kind="text"
                    autocomplete="off"
                    value=label
                    hint=Some("What will use it, e.g. “CRM sync”.")
                    error=label_error
                    maxlength=Some("100")
                />
                <TokenChoices />
            </PostForm>
            <ActionTable
                caption="Your API tokens"
                columns=&["Label", "Access", "Created", "Expires", "Last used", "Status"]
                empty=tokens.is_empty().then_some("You have no API tokens yet.")
            >
                <For each=move || tokens.clone() key=|row| row.token.id let:row>
                    <TokenLine row />
                </For>
            </ActionTable>
        </Panel>
        <super::recovery::SignOutEverywherePanel />
        <Panel id="webhooks-title" title="Webhooks">
            <p>
                "Have the events of your ICPs sent to your own endpoints as they happen. "
                <a href="/settings/webhooks">"Your webhooks"</a>
            </p>
        </Panel>
    }
}

/// The new token's access and lifetime: write and never expiring unless chosen otherwise.
#[component]
fn TokenChoices() -> impl IntoView {
    let lifetime = |days: Option<u16>| match days {
        None => ("never".to_owned(), "Never".to_owned()),
        Some(days) => (days.to_string(), format!("In {days} days")),
    };
    view! {
        <div class="form-field">
            <label for="scope">"Access"</label>
            <p class="hint" id="scope-hint">
                "A read-only token can list and read, and is refused any change."
            </p>
            <select id="scope" name="scope" aria-describedby="scope-hint">
                {[TokenScope::Write, TokenScope::Read]
                    .into_iter()
                    .map(|scope| {
                        view! {
                            <option value=scope.as_str() selected=scope == TokenScope::default()>
                                {scope.describe()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
        <div class="form-field">
            <label for="expires">"Expires"</label>
            <select id="expires" name="expires">
                {TOKEN_LIFETIMES
                    .into_iter()
                    .map(|days| {
                        let (value, text) = lifetime(days);
                        view! {
                            <option value=value selected=days.is_none()>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// The day of `at` (or, `ago`, how long ago it was), or "Never" when there is none.
#[component]
fn DayOrNever(at: Option<Timestamp>, #[prop(optional)] ago: bool) -> impl IntoView {
    match at {
        Some(at) if ago => view! { <When at /> }.into_any(),
        Some(at) => view! { <Day at /> }.into_any(),
        None => "Never".into_any(),
    }
}

#[component]
fn TokenLine(row: TokenRow) -> impl IntoView {
    let TokenRow { token, expired } = row;
    let revoke = format!("/settings/tokens/{}/revoke", token.id);
    let status = match (token.revoked, expired) {
        (true, _) => "Revoked",
        (false, true) => "Expired",
        (false, false) => "Active",
    };
    view! {
        <tr>
            <td>{token.label.clone()}</td>
            <td>{token.scope.describe()}</td>
            <td>
                <Day at=token.created_at />
            </td>
            <td>
                <DayOrNever at=token.expires_at />
            </td>
            <td>
                <DayOrNever at=token.last_used_at ago=true />
            </td>
            <td>{status}</td>
            <td>
                {(!token.revoked)
                    .then(|| {
                        view! {
                            <Confirm
                                summary="Revoke…"
                                yes="Yes, revoke"
                                action=revoke
                                about=token.label
                                ask=(
                                    "Revoke “",
                                    "”? Every integration using it is refused from now on (on other servers within a second). This cannot be undone: it would need a new token.",
                                )
                            />
                        }
                    })}
            </td>
        </tr>
    }
}
