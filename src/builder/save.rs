//! The builder's server functions: where it starts (a new, copied or edited ICP) and saving it.

use super::view::BuilderInit;
use crate::page_error::PageError;
use leptos::prelude::*;

/// Where the builder starts: an ICP being edited (`edit`), a copy of one (`from`), or a new ICP.
#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn builder_start(
    edit: Option<String>,
    from: Option<String>,
) -> Result<BuilderInit, PageError> {
    use super::form::{draft_to_pairs, new_form};
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    // A viewer gets the page's explanation, not a builder whose save would be refused.
    crate::icps::writer(state.store.as_ref(), &user).await?;
    let load = |raw: String| {
        let store = state.store.clone();
        let user = user.clone();
        async move {
            let id = uuid::Uuid::try_parse(&raw)
                .map_err(|_| PageError::NotFound(format!("ICP not found: {raw}")))?;
            Ok::<_, PageError>(crate::icps::get_for(store.as_ref(), &user, id).await?)
        }
    };
    let with_everyone = |mut pairs: super::form::Pairs, icp: &crate::domain::Icp| {
        if icp.everyone {
            pairs.push((super::form::names::EVERYONE.into(), "true".into()));
        }
        pairs
    };
    let (pairs, editing) = match (edit, from) {
        (Some(id), _) => {
            let icp = load(id.clone()).await?;
            let mut pairs = with_everyone(draft_to_pairs(&icp.to_draft()), &icp);
            pairs.push((
                super::form::names::VERSION.into(),
                icp.updated_at.millis().to_string(),
            ));
            (pairs, Some(id))
        }
        (None, Some(id)) => {
            let icp = load(id).await?;
            let mut draft = icp.to_draft();
            draft.name = format!("Copy of {}", draft.name)
                .chars()
                .take(crate::domain::Limits::NAME)
                .collect();
            (with_everyone(draft_to_pairs(&draft), &icp), None)
        }
        (None, None) => (new_form(), None),
    };
    let (creator, teammates) = builder_and_teammates(state.store.as_ref(), &user).await;
    Ok(BuilderInit {
        pairs,
        errors: Vec::new(),
        creator,
        teammates,
        editing,
    })
}

/// Who builds (`user`, by name) and the other members of their workspace, for "Shared with" and
/// the teammate picker. If the members cannot be read (logged), the builder is shown by id and the
/// picker offers no one: it still takes typed ids.
#[cfg(feature = "ssr")]
pub async fn builder_and_teammates(
    store: &dyn crate::store::Store,
    user: &crate::domain::UserId,
) -> (super::view::Teammate, Vec<super::view::Teammate>) {
    let members = crate::workspaces::members(store, user)
        .await
        .inspect_err(|error| tracing::error!(error = %crate::error_chain(&error), "could not read the workspace's members"))
        .unwrap_or_default();
    let (mut me, others): (Vec<_>, Vec<_>) = members
        .into_iter()
        .map(|member| super::view::Teammate {
            id: member.user.id.to_string(),
            name: member.user.name,
            email: member.user.email,
        })
        .partition(|person| person.id == user.as_str());
    let me = me.pop().unwrap_or_else(|| super::view::Teammate {
        id: user.to_string(),
        name: user.to_string(),
        email: String::new(),
    });
    (me, others)
}

/// Saves the builder's body — the JSON the API would receive — through the same use case as the
/// API, so it is validated again here. Answers the ICP's id. Asked in JSON: the builder writes
/// JSON already, and a form-encoded request would bring its encoder into the bundle.
#[server(
    prefix = "/fn",
    input = crate::page_error::JsonText,
    output = crate::page_error::JsonText
)]
pub async fn save_icp(
    id: Option<String>,
    body: String,
    #[server(default)] everyone: bool,
    #[server(default)] version: Option<i64>,
) -> Result<String, PageError> {
    crate::page_error::with_status(save(id, body, everyone, version).await)
}

/// The builder's call of [`save_icp`]: the request server_fn's client would send (its arguments,
/// [`SaveIcp`], as JSON, posted to its path) and the answer read the same way (`JsonText`: the id,
/// or the [`PageError`] of a failed call), made with the browser's own `fetch`. server_fn's client
/// would bring about 6 KB (gzip) of request machinery into the bundle for this one call.
pub async fn send_save(call: SaveIcp) -> Result<String, PageError> {
    use leptos::server_fn::ServerFn;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let transport = |error: JsValue| {
        PageError::Transport(
            error
                .dyn_ref::<js_sys::Error>()
                .map_or_else(|| "no answer".to_owned(), |e| String::from(e.message())),
        )
    };
    let body = serde_json::to_string(&call).map_err(|_| PageError::Server)?;
    let headers = web_sys::Headers::new().map_err(transport)?;
    headers
        .set("Content-Type", "application/json")
        .map_err(transport)?;
    headers
        .set("Accept", "application/json")
        .map_err(transport)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let answer = JsFuture::from(window().fetch_with_str_and_init(SaveIcp::PATH, &init))
        .await
        .map_err(transport)?
        .unchecked_into::<web_sys::Response>();
    let text = JsFuture::from(answer.text().map_err(transport)?)
        .await
        .map_err(transport)?
        .as_string()
        .unwrap_or_default();
    // Read as a `Value`, by hand (see `domain::read_json`).
    let unreadable = || PageError::Transport(format!("an unreadable answer ({})", answer.status()));
    let value = serde_json::from_str::<serde_json::Value>(&text).map_err(|_| unreadable())?;
    if answer.ok() {
        value.as_str().map(str::to_owned).ok_or_else(unreadable)
    } else {
        Err(PageError::from_json(&value).ok_or_else(unreadable)?)
    }
}

#[cfg(feature = "ssr")]
async fn save(
    id: Option<String>,
    body: String,
    everyone: bool,
    version: Option<i64>,
) -> Result<String, PageError> {
    use crate::domain::{FieldError, PathSegment};
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    // The API's body limit, for the same JSON (the call itself may be larger: the JSON is escaped in it).
    if body.len() > crate::domain::Limits::BODY_BYTES {
        return Err(PageError::Invalid(vec![FieldError::new(
            Vec::<PathSegment>::new(),
            too_large_message(),
        )]));
    }
    // Parsed, and the call's text dropped, before the ICP is stored (it is as large as the ICP).
    let body: serde_json::Value = {
        let text = body;
        crate::domain::check_shape(text.as_bytes())
            .map_err(|problem| PageError::Invalid(vec![problem]))?;
        serde_json::from_str(&text).map_err(|e| {
            PageError::Invalid(vec![FieldError::new(
                Vec::<PathSegment>::new(),
                format!("Malformed JSON: {e}"),
            )])
        })?
    };
    let icp = match id {
        None => crate::icps::create(store, &user, &body, everyone).await?,
        Some(raw) => {
            let id = uuid::Uuid::try_parse(&raw)
                .map_err(|_| PageError::NotFound(format!("ICP not found: {raw}")))?;
            crate::icps::update_if(
                store,
                &user,
                id,
                &body,
                Some(everyone),
                &crate::icps::IfMatch::opened_at(version),
            )
            .await?
        }
    };
    Ok(icp.id.to_string())
}

/// What a save larger than an API body may be is told (the builder's save, a server-function call
/// past its limit).
#[cfg(feature = "ssr")]
pub fn too_large_message() -> String {
    format!(
        "The ICP is larger than {}; shorten the longest texts or lists and save again.",
        crate::domain::size_in_words(crate::domain::Limits::BODY_BYTES)
    )
}
