//! `/api/v1/entities/icps`: create, read, list, update and delete ICPs.

use super::error::{ApiError, ErrorBody};
use super::json::ApiJson;
use crate::auth::AuthUser;
use crate::domain::{validate_draft, FieldError, Icp, IcpDraft, Timestamp, UserId};
use crate::server::AppState;
use crate::store::{ListCursor, StoreError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use uuid::Uuid;

pub const ICPS_PATH: &str = "/api/v1/entities/icps";
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ICPS_PATH, get(list_icps).post(create_icp))
        .route(
            &format!("{ICPS_PATH}/{{id}}"),
            get(get_icp).patch(update_icp).delete(delete_icp),
        )
}

/// Validates a create body and stores the ICP with the caller among its users.
pub async fn create(state: &AppState, user: &UserId, body: &Value) -> Result<Icp, ApiError> {
    let draft = validate_draft(body)
        .map_err(ApiError::invalid_body)?
        .with_member(user);
    let now = Timestamp::now();
    let icp = draft.into_icp(Uuid::now_v7(), now, now);
    state.store.insert_icp(&icp).await?;
    Ok(icp)
}

/// Creates an ICP.
#[utoipa::path(
    post,
    path = "/api/v1/entities/icps",
    tag = "ICPs",
    request_body(content = IcpDraft, description = "The ICP to create", examples(
        ("Basic ICP" = (value = json!(super::openapi::example("basic-icp")))),
        ("ICP with CRM Integration" = (value = json!(super::openapi::example("crm-integration")))),
        ("ICP with AI Filtering" = (value = json!(super::openapi::example("ai-filtering")))),
    )),
    responses(
        (status = 201, description = "The created ICP; the caller is in `userIds`", body = Icp,
            example = json!(super::openapi::example("created-201"))),
        (status = 400, description = "Invalid body: every problem at its JSON path", body = ErrorBody,
            example = json!({"error": {"code": "BAD_REQUEST", "message": "Invalid request body", "details": [{"path": ["name"], "message": "Required"}]}})),
        (status = 401, description = "No valid credential", body = ErrorBody,
            example = json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}})),
        (status = 413, description = "Body over 256 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 500, description = "Unexpected error (logged with the request id)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn create_icp(
    AuthUser(user): AuthUser,
    State(state): State<AppState>,
    ApiJson(body): ApiJson,
) -> Result<impl IntoResponse, ApiError> {
    let icp = create(&state, &user, &body).await?;
    let location = HeaderValue::from_str(&format!("{ICPS_PATH}/{}", icp.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(icp),
    ))
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::BadRequest {
        message: "Invalid ICP id".into(),
        details: vec![FieldError::new(
            vec!["id".into()],
            format!("'{raw}' is not a UUID"),
        )],
    })
}

/// The ICP `id` if it exists and is shared with `user`.
pub async fn load_for(state: &AppState, user: &UserId, id: Uuid) -> Result<Icp, ApiError> {
    let icp = state
        .store
        .icp(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("ICP not found: {id}")))?;
    if icp.is_shared_with(user) {
        Ok(icp)
    } else {
        Err(ApiError::Forbidden(format!(
            "You do not have access to ICP {id}"
        )))
    }
}

/// Fetches one ICP.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(("id" = Uuid, Path, description = "The ICP's id")),
    responses(
        (status = 200, body = Icp),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not in the ICP's `userIds`", body = ErrorBody,
            example = json!({"error": {"code": "FORBIDDEN", "message": "You do not have access to ICP 550e8400-e29b-41d4-a716-446655440000"}})),
        (status = 404, body = ErrorBody,
            example = json!({"error": {"code": "NOT_FOUND", "message": "ICP not found: 550e8400-e29b-41d4-a716-446655440000"}})),
    ),
    security(("bearer" = []))
)]
async fn get_icp(
    AuthUser(user): AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Icp>, ApiError> {
    Ok(Json(load_for(&state, &user, parse_id(&id)?).await?))
}

/// `?limit=&cursor=` of the list endpoint.
struct Page {
    limit: u32,
    after: Option<ListCursor>,
}

fn parse_page(query: Option<&str>) -> Result<Page, ApiError> {
    let mut page = Page {
        limit: DEFAULT_PAGE,
        after: None,
    };
    let mut details = Vec::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => match value.parse::<u32>() {
                Ok(limit @ 1..=MAX_PAGE) => page.limit = limit,
                _ => details.push(FieldError::new(
                    vec!["limit".into()],
                    format!("Must be a whole number from 1 to {MAX_PAGE}"),
                )),
            },
            "cursor" => match ListCursor::decode(value) {
                Some(cursor) => page.after = Some(cursor),
                None => details.push(FieldError::new(
                    vec!["cursor".into()],
                    "Invalid cursor; pass the x-next-cursor header of the previous page unchanged",
                )),
            },
            _ => details.push(FieldError::new(
                vec![key.into()],
                "Unknown query parameter; use limit and cursor",
            )),
        }
    }
    if details.is_empty() {
        Ok(page)
    } else {
        Err(ApiError::BadRequest {
            message: "Invalid query parameters".into(),
            details,
        })
    }
}

/// Lists the caller's ICPs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps",
    tag = "ICPs",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 50)"),
        ("cursor" = Option<String>, Query, description = "The `x-next-cursor` header of the previous page"),
    ),
    responses(
        (status = 200, description = "ICPs shared with the caller, newest first. When more follow, the \
            `x-next-cursor` header holds the cursor of the next page and `Link` its URL (rel=\"next\").",
            body = Vec<Icp>,
            headers(("x-next-cursor" = String, description = "Cursor of the next page, absent on the last"))),
        (status = 400, description = "Bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list_icps(
    AuthUser(user): AuthUser,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let page = parse_page(query.as_deref())?;
    // One more than asked tells whether another page follows.
    let mut icps = state
        .store
        .list_icps(&user, page.after, page.limit + 1)
        .await?;
    let mut headers = HeaderMap::new();
    if icps.len() > page.limit as usize {
        icps.truncate(page.limit as usize);
        if let Some(last) = icps.last() {
            let cursor = ListCursor::of(last).encode();
            let link = format!(
                "<{ICPS_PATH}?limit={}&cursor={cursor}>; rel=\"next\"",
                page.limit
            );
            for (name, value) in [(NEXT_CURSOR_HEADER, cursor), ("link", link)] {
                let value =
                    HeaderValue::from_str(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
                headers.insert(name, value);
            }
        }
    }
    Ok((headers, Json(icps)))
}

const READ_ONLY: [&str; 3] = ["id", "createdAt", "updatedAt"];

/// Applies a partial update: given fields replace, `null` clears the nullable ones, the rest stays.
/// The merged ICP passes the same validation as a create.
pub fn apply_patch(current: &Icp, patch: &Value, user: &UserId) -> Result<IcpDraft, ApiError> {
    let Value::Object(changes) = patch else {
        return Err(ApiError::invalid_body(vec![FieldError::new(
            Vec::new(),
            format!(
                "Expected object, received {}",
                if patch.is_array() {
                    "array"
                } else {
                    "a non-object"
                }
            ),
        )]));
    };
    let read_only: Vec<_> = READ_ONLY
        .iter()
        .filter(|key| changes.contains_key(**key))
        .map(|key| {
            FieldError::new(
                vec![(*key).into()],
                "Read-only field; leave it out of updates",
            )
        })
        .collect();
    let mut merged =
        serde_json::to_value(current.to_draft()).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Value::Object(fields) = &mut merged {
        for (key, value) in changes
            .iter()
            .filter(|(key, _)| !READ_ONLY.contains(&key.as_str()))
        {
            fields.insert(key.clone(), value.clone());
        }
    }
    match (validate_draft(&merged), read_only.is_empty()) {
        (Ok(draft), true) => Ok(draft.with_member(user)),
        (Ok(_), false) => Err(ApiError::invalid_body(read_only)),
        (Err(mut errors), _) => {
            errors.extend(read_only);
            Err(ApiError::invalid_body(errors))
        }
    }
}

/// Updates `id` with `patch`, retrying when a concurrent update got there first, so that no
/// acknowledged change is lost.
pub async fn update(
    state: &AppState,
    user: &UserId,
    id: Uuid,
    patch: &Value,
) -> Result<Icp, ApiError> {
    for _ in 0..5 {
        let current = load_for(state, user, id).await?;
        let draft = apply_patch(&current, patch, user)?;
        // Strictly later than the last update, even within the same millisecond.
        let updated_at = Timestamp::now().max(
            Timestamp::from_millis(current.updated_at.millis() + 1).unwrap_or(current.updated_at),
        );
        let icp = draft.into_icp(id, current.created_at, updated_at);
        match state.store.update_icp(&icp, current.updated_at).await {
            Ok(()) => return Ok(icp),
            Err(StoreError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Conflict(format!(
        "ICP {id} is being changed by someone else; try again"
    )))
}

/// Updates an ICP partially.
#[utoipa::path(
    patch,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(("id" = Uuid, Path, description = "The ICP's id")),
    request_body(content = super::openapi::IcpPatch, description = "Only the fields to change; `null` clears description, activeUntil and crmFilters",
        example = json!({"name": "DACH Tech Leaders (Q3)", "activeUntil": null})),
    responses(
        (status = 200, description = "The whole updated ICP", body = Icp),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Concurrent updates kept colliding", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn update_icp(
    AuthUser(user): AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson,
) -> Result<Json<Icp>, ApiError> {
    Ok(Json(update(&state, &user, parse_id(&id)?, &patch).await?))
}

/// Deletes an ICP.
#[utoipa::path(
    delete,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(("id" = Uuid, Path, description = "The ICP's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn delete_icp(
    AuthUser(user): AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    load_for(&state, &user, id).await?;
    if state.store.delete_icp(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("ICP not found: {id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parameters_are_checked() {
        let page = parse_page(Some("limit=5")).unwrap();
        assert_eq!(page.limit, 5);
        assert!(page.after.is_none());
        assert_eq!(parse_page(None).unwrap().limit, DEFAULT_PAGE);
        for bad in ["limit=0", "limit=101", "limit=x", "cursor=zzz", "offset=3"] {
            assert!(parse_page(Some(bad)).is_err(), "{bad}");
        }
    }
}
