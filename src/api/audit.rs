//! `GET /api/v1/audit`: who did what to the caller's workspace and its access, newest first, a
//! page at a time (owner and admins).

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::list::next_page;
use super::query::{bad_param, read_paged_query, unknown_param, Paged};
use crate::domain::UserId;
use crate::state::AppState;
use crate::store::{AuditEntry, AuditKind, AuditQuery};
use crate::workspaces;
use axum::extract::RawQuery;
use axum::http::HeaderMap;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub const AUDIT_PATH: &str = "/api/v1/audit";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The query: how many, below which record, and whose or which kind.
type Query = Paged<AuditQuery>;

fn parse_query(query: Option<&str>) -> Result<Query, ApiError> {
    read_paged_query(query, AuditQuery::default(), |filter, key, value| {
        match key {
            "before" => match Uuid::parse_str(&value) {
                Ok(id) => filter.before = Some(id),
                Err(_) => return Err(bad_param("before", "Must be the id of an audit record")),
            },
            "actor" => match UserId::parse(&value) {
                Some(id) => filter.actor = Some(id),
                None => return Err(bad_param("actor", "Must be a user id (user_…)")),
            },
            "kind" => match AuditKind::parse(&value) {
                Some(kind) => filter.kind = Some(kind),
                None => {
                    let kinds: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                    return Err(bad_param(
                        "kind",
                        format!("Must be one of {}", kinds.join(", ")),
                    ));
                }
            },
            _ => return Err(unknown_param(key, "limit, before, actor and kind")),
        }
        Ok(())
    })
}

/// The next page's URL: the same filters, below the last record shown.
fn next_url(query: &Query, last: Uuid) -> String {
    let mut url = format!("{AUDIT_PATH}?before={last}&limit={}", query.limit);
    if let Some(actor) = &query.params.actor {
        url.push_str(&format!("&actor={actor}"));
    }
    if let Some(kind) = query.params.kind {
        url.push_str(&format!("&kind={}", kind.as_str()));
    }
    url
}

/// Lists the audit log of the caller's workspace, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    description = "Who did what to the workspace and its access: invitations, joins, departures and \
        removals, role changes, ownership hand-overs, renames, API tokens and webhooks, and \
        sign-ups the sign-up policy refused through one of the workspace's invitation links \
        (`sign_up.refused`: `actorId` null, nobody signed in; the email typed as `target`; `after` \
        holds the `reason` and the invited address). Each record is written with the change it \
        records. Owner and admins only. Newest first; the `Link` \
        header holds the next page's URL while more follow.",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Records per page, 50 by default"),
        ("before" = Option<uuid::Uuid>, Query, description = "The id of the last record read: the page starts below it"),
        ("actor" = Option<String>, Query, pattern = "^user_[A-Za-z0-9]+$", max_length = 64, description = "Only what this user did (a user id)"),
        ("kind" = Option<AuditKind>, Query, description = "Only this kind of record"),
    ),
    responses(
        (status = 200, description = "A page of records, newest first", body = Vec<AuditEntry>,
            headers(("link" = String, description = "`<…?before=ID&limit=N>; rel=\"next\"` while more records follow"))),
        (status = 400, description = "A malformed parameter, or an unknown one", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Only the owner and admins read the audit log", body = ErrorBody),
    ),
)]
async fn list_audit(
    Caller { user, store }: Caller,
    RawQuery(query): RawQuery,
) -> Result<(HeaderMap, Json<Vec<AuditEntry>>), ApiError> {
    let query = parse_query(query.as_deref())?;
    let page = workspaces::audit(store.as_ref(), &user, &query.params, query.limit).await?;
    let mut headers = HeaderMap::new();
    if let (true, Some(last)) = (page.more, page.entries.last()) {
        next_page(&mut headers, &next_url(&query, last.id), None)?;
    }
    Ok((headers, Json(page.entries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_checked_and_the_next_page_keeps_its_filters() {
        let id = Uuid::now_v7();
        let query = parse_query(Some(&format!(
            "limit=2&before={id}&kind=member.role_changed&actor=user_abc"
        )))
        .unwrap();
        assert_eq!(query.limit, 2);
        assert_eq!(query.params.before, Some(id));
        assert_eq!(query.params.kind, Some(AuditKind::RoleChanged));
        assert_eq!(
            next_url(&query, id),
            format!("{AUDIT_PATH}?before={id}&limit=2&actor=user_abc&kind=member.role_changed")
        );
        for bad in [
            "limit=0",
            "before=7",
            "kind=member.promoted",
            "actor=bob",
            "after=1",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }
}
