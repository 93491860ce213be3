//! What the pages that load one thing share: the wait, the failure, and keeping secrets out of
//! caches.

use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{de::DeserializeOwned, Serialize};

/// Tells every cache to keep no copy of this page: it can show a secret (a new API token, an
/// invitation link).
pub fn no_store() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
}

/// What a page shows when what it loads cannot be shown.
#[derive(Clone)]
pub enum Unloaded {
    /// An alert that this could not be loaded, asking to reload the page (capitalised: "Your
    /// settings").
    Reload(String),
    /// The `Problem` page for the error, with its status.
    Problem,
}

/// `body` of what `data` loads: `loading` until then, and `failed` when it cannot be shown.
#[component]
pub fn Loaded<T, V>(
    data: Resource<Result<T, PageError>>,
    #[prop(into)] loading: String,
    failed: Unloaded,
    body: fn(T) -> V,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=move || {
            view! { <p class="loading">{loading.clone()}</p> }
        }>
            {move || {
                let failed = failed.clone();
                Suspend::new(async move {
                    match (data.await, failed) {
                        (Ok(data), _) => body(data).into_any(),
                        (Err(_), Unloaded::Reload(what)) => {
                            view! {
                                <p class="alert alert-error" role="alert">
                                    {format!("{what} could not be loaded. Please reload the page.")}
                                </p>
                            }
                                .into_any()
                        }
                        (Err(error), Unloaded::Problem) => view! { <Problem error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A settings page that can show a secret once (a new API token, an invitation link, a webhook's
/// secret), so no cache may keep a copy: `title` is its title and heading, `children` stand under
/// the heading, and `body` shows what `load` loads ("Loading your team…" until then, "Your team
/// could not be loaded" when it cannot be).
#[component]
pub fn SecretPage<T, V, Load>(
    title: &'static str,
    load: fn() -> Load,
    body: fn(T) -> V,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
    Load: std::future::Future<Output = Result<T, PageError>> + Send + 'static,
{
    no_store();
    let data = Resource::new(|| (), move |_| load());
    let what = title.to_lowercase();
    view! {
        <Title text=title />
        <h1>{title}</h1>
        {children.map(|children| children())}
        <Loaded
            data
            loading=format!("Loading your {what}…")
            failed=Unloaded::Reload(format!("Your {what}"))
            body
        />
    }
}

/// Sets the HTTP status of the page being rendered on the server.
fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(_code),
    ) {
        response.set_status(status);
    }
}

/// The `Forbidden` text of a page only the workspace's owner and admins may see.
pub const MANAGERS_ONLY: &str = "Only the workspace's owner and admins can see this page.";

/// A friendly page for an ICP that cannot be shown, saying why.
#[component]
pub fn Problem(error: PageError) -> impl IntoView {
    let (status, title, text) = match &error {
        PageError::Forbidden(text) if text == crate::page_error::READ_ONLY => (
            403,
            "Viewers cannot change ICPs",
            "You read the ICPs shared with you. Ask an owner or admin of your workspace for another role."
                .to_owned(),
        ),
        PageError::Forbidden(text) if text == MANAGERS_ONLY => {
            (403, "Only the owner and admins see this", text.clone())
        }
        PageError::Forbidden(_) => (
            403,
            "You don’t have access to this ICP",
            "It is shared only with the people in its team. Ask its owner to add your user id."
                .to_owned(),
        ),
        PageError::NotFound(_) => (
            404,
            "This ICP doesn’t exist",
            "It may have been deleted, or the link is wrong.".to_owned(),
        ),
        PageError::Unauthorized => (401, "Please sign in", "Your session has ended.".to_owned()),
        PageError::TooSlow(text) => (503, "That took too long", text.clone()),
        other => (500, "Something went wrong", other.to_string()),
    };
    set_status(status);
    view! {
        <Title text=title />
        <div class="problem panel">
            <h1>{title}</h1>
            <p>{text}</p>
            <p class="problem-code">"Error " {status}</p>
            <a class="button" href="/icps">
                "Back to your ICPs"
            </a>
        </div>
    }
}
