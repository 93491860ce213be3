//! Account pages: sign-up, sign-in, settings (API tokens), and the user menu in the header.
//!
//! The forms post to plain axum handlers (`crate::auth::web`), so they work without JavaScript. A
//! failed post comes back here with `?error=<code>`; the page turns the code into words.

use super::layout::{ButtonForm, PostForm};
use crate::account::{query_value, FormProblem, SignedInUser};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use super::SignedInUser;
    use crate::auth::session::session_user;
    use crate::page_error::PageError;
    use crate::state::AppState;
    use leptos::prelude::*;
    use tower_sessions::Session;

    /// Logs the cause with its chain; the page only learns that something went wrong.
    pub fn failed(cause: impl std::error::Error) -> PageError {
        tracing::error!(cause = %crate::error_chain(&cause), "account page failed");
        PageError::Server
    }

    /// The app, the session and its user (if they still exist) of the current call.
    pub async fn session_account() -> Result<(AppState, Session, Option<SignedInUser>), PageError> {
        let state = expect_context::<AppState>();
        let session: Session = leptos_axum::extract().await.map_err(failed)?;
        let Some(id) = session_user(&session).await else {
            return Ok((state, session, None));
        };
        let user = state.store.user_by_id(&id).await.map_err(failed)?;
        let user = user.map(|user| SignedInUser {
            id: user.id,
            name: user.name,
            email: user.email,
        });
        Ok((state, session, user))
    }
}

/// The signed-in user, and whether they may create and change ICPs (not a viewer).
#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn current_user() -> Result<Option<(SignedInUser, bool)>, crate::page_error::PageError> {
    let (state, _, user) = ssr::session_account().await?;
    let Some(user) = user else {
        return Ok(None);
    };
    let role = super::history::ssr::role_of(state.store.as_ref(), &user.id).await?;
    Ok(Some((user, role.writes())))
}

/// The query of the current page, read once: these pages change only by a full page load (a post).
pub(super) struct Query {
    problem: Option<FormProblem>,
    values: leptos_router::params::ParamsMap,
}

impl Query {
    pub(super) fn read() -> Self {
        let values = use_query_map().get_untracked();
        let problem = values
            .get("error")
            .and_then(|code| FormProblem::parse(&code));
        Query { problem, values }
    }

    pub(super) fn value(&self, name: &str) -> String {
        self.values.get(name).unwrap_or_default()
    }

    /// The message for `field`, when the problem is about it.
    pub(super) fn error_for(&self, field: &str) -> Option<&'static str> {
        self.problem
            .filter(|problem| problem.field() == Some(field))
            .map(FormProblem::message)
    }

    /// The problem when it is about the whole form.
    pub(super) fn form_problem(&self) -> Option<FormProblem> {
        self.problem.filter(|problem| problem.field().is_none())
    }

    /// The words for a problem about the whole form.
    pub(super) fn form_problem_text(&self) -> Option<String> {
        self.form_problem()
            .map(|problem| problem.message().to_owned())
    }

    /// The words for a problem about the whole form, with when to try again if it says.
    pub(super) fn form_message(&self) -> Option<String> {
        let problem = self.form_problem()?;
        let limited = matches!(
            problem,
            FormProblem::TooManyAttempts | FormProblem::TooManySignUps
        );
        match self.value("retry").parse::<u32>() {
            Ok(minutes) if limited => Some(format!(
                "{} Try again in {minutes} minute{}.",
                problem.message(),
                if minutes == 1 { "" } else { "s" }
            )),
            _ => Some(problem.message().to_owned()),
        }
    }

    /// `?next=…` to pass on to the other account page.
    fn next_query(&self) -> String {
        match self.values.get("next") {
            Some(next) if !next.is_empty() => format!("?next={}", query_value(&next)),
            _ => String::new(),
        }
    }
}

/// The `token` of this page's path (`/invite/{token}`, `/reset-password/{token}`, …): the mailed or
/// shared secret the page's form posts back.
pub(super) fn path_token() -> String {
    use_params_map()
        .get_untracked()
        .get("token")
        .unwrap_or_default()
}

/// Where this page's form posts back: `base`, then `/` and this page's `path_token`.
pub(super) fn token_path(base: &str) -> String {
    format!("{base}/{}", path_token())
}

/// One labelled input with its hint and error, tied together for screen readers.
#[component]
pub(super) fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(default = String::new())] value: String,
    #[prop(default = None)] hint: Option<&'static str>,
    #[prop(default = None)] error: Option<&'static str>,
    /// A problem in words made for this post (e.g. the API's, naming what was typed), shown as
    /// `error` is when there is no `error`.
    #[prop(default = None)]
    problem: Option<String>,
    /// The id of a message about the whole form that also describes this input.
    #[prop(default = None)]
    form_error: Option<&'static str>,
    #[prop(default = None)] minlength: Option<&'static str>,
    #[prop(default = None)] maxlength: Option<&'static str>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let error = error.map(str::to_owned).or(problem);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described: Vec<&str> = [
        hint.map(|_| hint_id.as_str()),
        error.as_ref().map(|_| error_id.as_str()),
        form_error,
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = (error.is_some() || form_error.is_some()).then_some("true");
    view! {
        <div class="form-field">
            <label for=id>{label}</label>
            {hint
                .map(|hint| {
                    view! {
                        <p class="hint" id=hint_id.clone()>
                            {hint}
                        </p>
                    }
                })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                minlength=minlength
                maxlength=maxlength
                aria-describedby=described
                aria-invalid=invalid
            />
            {error
                .map(|error| {
                    view! {
                        <p class="field-error" id=error_id.clone()>
                            {error}
                        </p>
                    }
                })}
        </div>
    }
}

/// A message about the whole form, announced when the page loads, when there is one.
#[component]
pub(super) fn FormAlert(
    #[prop(into)] id: String,
    #[prop(into)] message: Option<String>,
) -> impl IntoView {
    message.map(|message| {
        view! {
            <p class="alert alert-error" id=id role="alert">
                {message}
            </p>
        }
    })
}

/// Says that what was asked for was done, when there is `text` to say.
#[component]
pub(super) fn Notice(text: Option<&'static str>) -> impl IntoView {
    text.map(|text| {
        view! {
            <p class="alert alert-success" role="status">
                {text}
            </p>
        }
    })
}

/// A sign-in or sign-up card. `page` names it: its path (without the `/`) and the start of its
/// title's and its alert's ids. `children` are the fields, posted with where to go `next`; `other`
/// asks a question and links to the other account page ("New here? ", "sign-up", "Create an
/// account").
#[component]
fn AccountCard(
    page: &'static str,
    title: &'static str,
    submit: &'static str,
    other: (&'static str, &'static str, &'static str),
    children: Children,
) -> impl IntoView {
    let query = Query::read();
    let message = query.form_message();
    let title_id = format!("{page}-title");
    let (question, other_page, link) = other;
    let other_href = format!("/{other_page}{}", query.next_query());
    view! {
        <Title text=title />
        <section class="card" aria-labelledby=title_id>
            <h1 id=title_id.clone()>{title}</h1>
            <FormAlert id=format!("{page}-error") message />
            <PostForm action=format!("/{page}") submit class="button button-primary">
                <input type="hidden" name="next" value=query.value("next") />
                {children()}
            </PostForm>
            <p>{question} <a href=other_href>{link}</a></p>
        </section>
    }
}

/// The email of a sign-in, sign-up or forgotten-password form, as typed before.
#[component]
pub(super) fn Email(
    #[prop(default = None)] error: Option<&'static str>,
    #[prop(default = None)] form_error: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Field
            id="email"
            label="Email"
            kind="email"
            autocomplete="email"
            value=Query::read().value("email")
            error
            form_error
        />
    }
}

/// The password a new account or a password change sets.
#[component]
pub(super) fn NewPassword(label: &'static str, error: Option<&'static str>) -> impl IntoView {
    view! {
        <Field
            id="password"
            label
            kind="password"
            autocomplete="new-password"
            hint=Some("At least 8 characters.")
            error
            minlength=Some("8")
        />
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let query = Query::read();
    let form_error = query.form_problem().map(|_| "sign-in-error");
    view! {
        <AccountCard
            page="sign-in"
            title="Sign in"
            submit="Sign in"
            other=("New here? ", "sign-up", "Create an account")
        >
            <Email form_error />
            <Field
                id="password"
                label="Password"
                kind="password"
                autocomplete="current-password"
                form_error
            />
            <super::recovery::SignInHelp />
        </AccountCard>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let query = Query::read();
    view! {
        <AccountCard
            page="sign-up"
            title="Create your account"
            submit="Create account"
            other=("Already have an account? ", "sign-in", "Sign in")
        >
            <SignUpPolicyNote />
            <Field
                id="name"
                label="Name"
                kind="text"
                autocomplete="name"
                value=query.value("name")
                error=query.error_for("name")
                maxlength=Some("200")
            />
            <Email error=query.error_for("email") />
            <NewPassword label="Password" error=query.error_for("password") />
        </AccountCard>
    }
}

/// What the server's sign-up policy (`SIGN_UP`) asks of a new account, when it is not open to
/// all. Rendered on the server only (the page is not an island).
#[component]
fn SignUpPolicyNote() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let note = use_context::<crate::state::AppState>().and_then(|state| {
        match &state.config.sign_up {
            crate::account::SignUpPolicy::Open => None,
            crate::account::SignUpPolicy::Invite => Some(
                "Accounts on this server are made by invitation: open the link your team's owner or an admin sent you.".to_owned(),
            ),
            crate::account::SignUpPolicy::Domains(domains) => Some(format!(
                "Addresses at {} may sign up here; anyone else needs an invitation link.",
                domains.join(", ")
            )),
        }
    });
    #[cfg(not(feature = "ssr"))]
    let note: Option<String> = None;
    note.map(|note| {
        view! {
            <p class="hint" id="sign-up-policy">
                {note}
            </p>
        }
    })
}

/// The app's pages in the user menu: (path, link text); "New ICP" (the second) is not a viewer's.
const APP_LINKS: [(&str, &str); 4] = [
    ("/icps", "ICPs"),
    ("/icps/new", "New ICP"),
    ("/settings/team", "Team"),
    ("/settings", "Settings"),
];

/// The signed-in user's name and the app's links, or only "Sign in" when signed out.
#[component]
pub fn UserMenu() -> impl IntoView {
    let user = OnceResource::new(current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some((user, writes))) => {
                        view! {
                            <ul class="user-menu">
                                {APP_LINKS
                                    .into_iter()
                                    .filter(|(href, _)| writes || *href != "/icps/new")
                                    .map(|(href, text)| {
                                        view! {
                                            <li>
                                                <a href=href>{text}</a>
                                            </li>
                                        }
                                    })
                                    .collect_view()} <li class="user-name">{user.name}</li> <li>
                                    <ButtonForm action="/sign-out">"Sign out"</ButtonForm>
                                </li>
                            </ul>
                        }
                            .into_any()
                    }
                    _ => view! { <a href="/sign-in">"Sign in"</a> }.into_any(),
                }
            })}
        </Suspense>
    }
}
