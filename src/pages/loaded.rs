//! What the pages that load one thing share: the wait, the failure, and keeping secrets out of
//! caches.

use crate::page_error::PageError;
use leptos::prelude::*;
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

/// `body` of what `data` loads; "Loading `what`…" until then, and an alert to reload when it could
/// not be loaded (`What` capitalised: "Your settings", "The invitation").
#[component]
pub fn Loaded<T, V>(
    data: Resource<Result<T, PageError>>,
    what: &'static str,
    body: fn(T) -> V,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let loading = format!("Loading {}…", what.to_lowercase());
    let failed = format!("{what} could not be loaded. Please reload the page.");
    view! {
        <Suspense fallback=move || {
            view! { <p class="loading">{loading.clone()}</p> }
        }>
            {move || {
                let failed = failed.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(data) => body(data).into_any(),
                        Err(_) => {
                            view! {
                                <p class="alert alert-error" role="alert">
                                    {failed}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
