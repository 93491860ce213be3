//! An ICP's history (`/icps/{id}/history`): its versions newest first, what each changed in words,
//! and Restore for older ones; and the owner's recently deleted ICPs (`/icps/deleted`). Restores
//! post to `crate::forms::history`.

use super::account::Notice;
use super::describe::When;
use super::layout::{ButtonForm, Pager};
use super::loaded::{Loaded, Unloaded};
use crate::domain::Timestamp;
use crate::page_error::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One version as the history page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionLine {
    pub number: u32,
    /// "Created", "Edited", …
    pub action: String,
    pub by: String,
    pub at: Timestamp,
    /// What it changed from the version before, in words.
    pub changes: Vec<String>,
    /// An older version of an ICP that exists, and the caller is no viewer: it can be made
    /// current again.
    pub restorable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub id: Uuid,
    pub name: String,
    /// Deleted ICPs show their history too (to those it was shared with).
    pub deleted: bool,
    pub versions: Vec<VersionLine>,
    /// Whether this page starts below the newest version.
    pub older_page: bool,
    /// The number of the last version shown, when older ones follow (the next page's `before`).
    pub older: Option<u32>,
}

/// Versions a history page shows at once.
pub const HISTORY_PAGE: u32 = 50;

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn icp_history(id: String, before: Option<u32>) -> Result<HistoryView, PageError> {
    use crate::store::VersionAction;
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    let id =
        Uuid::try_parse(&id).map_err(|_| PageError::NotFound(format!("ICP not found: {id}")))?;
    // One more than shown, when there is one: what the last shown changed is read from it.
    let versions = crate::icps::versions(store, &user, id, before, HISTORY_PAGE).await?;
    let older = (versions.len() > HISTORY_PAGE as usize)
        .then(|| versions.get(HISTORY_PAGE as usize - 1).map(|v| v.number))
        .flatten();
    let newest_name = match before {
        None => versions.first().map(|version| version.icp.name.clone()),
        Some(_) => store
            .versions(id, None, 1)
            .await
            .map_err(|error| PageError::from(crate::icps::IcpError::Store(error)))?
            .into_iter()
            .next()
            .map(|version| version.icp.name),
    };
    let names = ssr::teammate_names(store, &user).await?;
    let name_of = |user: &crate::domain::UserId| ssr::name(&names, user);
    let exists = store
        .icp(id)
        .await
        .map_err(|error| PageError::from(crate::icps::IcpError::Store(error)))?
        .is_some();
    let writes = ssr::role_of(store, &user).await?.writes();
    let lines = versions
        .iter()
        .take(HISTORY_PAGE as usize)
        .enumerate()
        .map(|(index, version)| {
            let older = versions.get(index + 1);
            let changes = match (version.action, older) {
                (VersionAction::Deleted, _) => vec!["Deleted".to_owned()],
                (_, Some(older)) => super::changes::changes(&older.icp, &version.icp, &name_of),
                (_, None) => super::changes::started_with(&version.icp, &name_of),
            };
            VersionLine {
                number: version.number,
                action: match version.action {
                    VersionAction::Baseline => "As it was before history began",
                    VersionAction::Created => "Created",
                    VersionAction::Updated => "Edited",
                    VersionAction::Deleted => "Deleted",
                    VersionAction::Restored => "Restored",
                }
                .to_owned(),
                by: name_of(&version.by),
                at: version.at,
                changes,
                restorable: exists
                    && writes
                    && (before.is_some() || index > 0)
                    && version.action != VersionAction::Deleted,
            }
        })
        .collect();
    Ok(HistoryView {
        id,
        name: newest_name.unwrap_or_default(),
        deleted: !exists,
        versions: lines,
        older_page: before.is_some(),
        older,
    })
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use crate::domain::UserId;
    use crate::page_error::PageError;
    use crate::store::Store;
    use std::collections::HashMap;

    /// The caller's teammates' names by id.
    pub async fn teammate_names(
        store: &dyn Store,
        user: &UserId,
    ) -> Result<HashMap<UserId, String>, PageError> {
        let members = crate::workspaces::members(store, user).await.map_err(|error| {
            tracing::error!(error = %crate::error_chain(&error), "could not read the workspace's members");
            PageError::Server
        })?;
        Ok(members
            .into_iter()
            .map(|member| (member.user.id, member.user.name))
            .collect())
    }

    /// The caller's role in their workspace (what the pages offer them depends on it).
    pub async fn role_of(
        store: &dyn Store,
        user: &UserId,
    ) -> Result<crate::account::Role, PageError> {
        crate::workspaces::membership(store, user)
            .await
            .map(|membership| membership.role)
            .map_err(|error| PageError::from(crate::icps::IcpError::Store(error)))
    }

    /// A teammate's name, or the id of someone outside the workspace.
    pub fn name(names: &HashMap<UserId, String>, user: &UserId) -> String {
        names.get(user).cloned().unwrap_or_else(|| user.to_string())
    }
}

#[component]
pub fn IcpHistory() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let query = use_query_map();
    let before = move || query.with(|q| q.get("before").and_then(|b| b.parse::<u32>().ok()));
    let history = Resource::new(
        move || (id(), before()),
        |(id, before)| icp_history(id, before),
    );
    view! {
        <Loaded
            data=history
            loading="Loading the history…"
            failed=Unloaded::Problem
            body=|history| view! { <HistoryBody history /> }
        />
    }
}

#[component]
fn HistoryBody(history: HistoryView) -> impl IntoView {
    let restored = use_query_map().get_untracked().get("notice").as_deref() == Some("restored");
    let id = history.id;
    let title = format!("History of {}", history.name);
    view! {
        <Title text=title.clone() />
        <div class="page-head">
            <h1>{title}</h1>
            <div class="actions">
                {(!history.deleted)
                    .then(|| {
                        view! {
                            <a class="button" href=format!("/icps/{id}")>
                                "Back to the ICP"
                            </a>
                        }
                    })}
            </div>
        </div>
        <Notice text=restored
            .then_some("The version was restored; it is the newest version now.") />
        {history
            .deleted
            .then(|| {
                view! {
                    <p class="alert alert-error" role="status">
                        "This ICP was deleted. Its owner can restore it from "
                        <a href="/icps/deleted">"Recently deleted"</a>
                        "."
                    </p>
                }
            })}
        <ol class="history" aria-label="Versions, newest first">
            {history
                .versions
                .into_iter()
                .map(|version| view! { <VersionItem id version /> })
                .collect_view()}
        </ol>
        <Pager
            label="More versions"
            back=history.older_page.then(|| (format!("/icps/{id}/history"), "← Newest"))
            next=history
                .older
                .map(|before| (format!("/icps/{id}/history?before={before}"), "Older versions →"))
        />
    }
}

#[component]
fn VersionItem(id: Uuid, version: VersionLine) -> impl IntoView {
    let heading = format!(
        "Version {} · {} by {}",
        version.number, version.action, version.by
    );
    let restore = format!("/forms/icps/{id}/versions/{}/restore", version.number);
    view! {
        <li class="panel version">
            <h2>{heading} " · " <When at=version.at /></h2>
            {if version.changes.is_empty() {
                view! { <p class="meta">"No changes to its fields."</p> }.into_any()
            } else {
                view! {
                    <ul class="words">
                        {version
                            .changes
                            .into_iter()
                            .map(|change| view! { <li>{change}</li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {version
                .restorable
                .then(|| {
                    view! {
                        <ButtonForm action=restore>"Restore version " {version.number}</ButtonForm>
                    }
                })}
        </li>
    }
}

/// An ICP in "Recently deleted".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedLine {
    pub id: Uuid,
    pub name: String,
    pub deleted_at: Timestamp,
    pub by: String,
    /// The caller may restore it (not a viewer).
    pub restorable: bool,
}

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn deleted_icps() -> Result<Vec<DeletedLine>, PageError> {
    let user = crate::page_error::signed_in_user().await?;
    let state = expect_context::<crate::state::AppState>();
    let store = state.store.as_ref();
    let deleted = crate::icps::deleted(store, &user).await?;
    let names = ssr::teammate_names(store, &user).await?;
    let restorable = ssr::role_of(store, &user).await?.writes();
    Ok(deleted
        .into_iter()
        .map(|version| DeletedLine {
            id: version.icp.id,
            name: version.icp.name,
            deleted_at: version.at,
            by: ssr::name(&names, &version.by),
            restorable,
        })
        .collect())
}

#[component]
pub fn RecentlyDeleted() -> impl IntoView {
    let deleted = Resource::new(|| (), |_| deleted_icps());
    view! {
        <Title text="Recently deleted" />
        <h1>"Recently deleted"</h1>
        <p>
            "ICPs you owned and deleted in the last " {crate::domain::RESTORE_DAYS}
            " days. Restoring one brings it back as it was, for everyone it was shared with."
        </p>
        <Loaded data=deleted loading="Loading…" failed=Unloaded::Problem body=deleted_list />
    }
}

fn deleted_list(lines: Vec<DeletedLine>) -> AnyView {
    if lines.is_empty() {
        return view! { <p>"Nothing was deleted recently."</p> }.into_any();
    }
    view! {
        <ul class="deleted-list">
            {lines.into_iter().map(|line| view! { <DeletedItem line /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DeletedItem(line: DeletedLine) -> impl IntoView {
    let restore = format!("/forms/icps/{}/restore", line.id);
    view! {
        <li class="panel">
            <strong>{line.name.clone()}</strong>
            " · deleted "
            <When at=line.deleted_at />
            " by "
            {line.by}
            " · "
            <a href=format!("/icps/{}/history", line.id)>"History"</a>
            {line
                .restorable
                .then(|| {
                    view! {
                        <ButtonForm action=restore inline=true>
                            "Restore"
                            <span class="visually-hidden">" " {line.name}</span>
                        </ButtonForm>
                    }
                })}
        </li>
    }
}
