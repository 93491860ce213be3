//! An ICP's history and ownership through the API: its versions, restoring one, the caller's
//! recently deleted ICPs and restoring one, and handing an ICP over to another member.

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::icps::ICPS_PATH;
use super::icps::{parse_id, IcpId};
use super::json::ApiJson;
use super::list::{next_page, BAD_CURSOR};
use super::query::{bad_param, read_paged_query, unknown_param, Paged};
use crate::domain::{FieldError, Icp, Timestamp, UserId};
use crate::icps;
use crate::state::AppState;
use crate::store::Version;
use axum::extract::{Path, RawQuery};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions))
        .routes(routes!(restore_version))
        .routes(routes!(list_deleted))
        .routes(routes!(restore_deleted))
        .routes(routes!(hand_over))
}

/// One version of an ICP: who did what, when, and the ICP as it was after it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionJson {
    /// 1 for the oldest.
    pub version: u32,
    /// `created`, `updated`, `deleted`, `restored`, or `baseline` (the ICP as it was before its
    /// first recorded change, for ICPs older than history).
    #[schema(example = "updated")]
    pub action: &'static str,
    pub by: UserId,
    pub at: Timestamp,
    /// Who owned the ICP at this version.
    pub owner_id: Option<UserId>,
    pub icp: Icp,
}

impl From<Version> for VersionJson {
    fn from(version: Version) -> Self {
        Self {
            version: version.number,
            action: version.action.as_str(),
            by: version.by,
            at: version.at,
            owner_id: version.icp.owner.clone(),
            icp: version.icp,
        }
    }
}

/// Lists an ICP's versions, newest first, a page at a time (also of a deleted ICP, for its owner).
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps/{id}/versions",
    params(
        IcpId,
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 50)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, pattern = "^[0-9]{1,10}$", description = "The `x-next-cursor` header of the previous page"),
    ),
    responses(
        (status = 200, description = "The page's versions, newest first. When older ones follow, the \
            `x-next-cursor` header holds the cursor of the next page and `Link` its URL (rel=\"next\").",
            body = Vec<VersionJson>,
            headers(("x-next-cursor" = String, description = "Cursor of the next page, absent on the last"))),
        (status = 400, description = "Malformed id, bad `limit` or `cursor`, or an unknown parameter", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such ICP, or a deleted one the caller did not own", body = ErrorBody),
    ),
)]
async fn list_versions(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let Paged {
        limit,
        params: before,
    } = parse_versions_query(query.as_deref())?;
    let mut versions = icps::versions(store.as_ref(), &user, id, before, limit).await?;
    let mut headers = HeaderMap::new();
    if versions.len() > limit as usize {
        versions.truncate(limit as usize);
        if let Some(last) = versions.last() {
            let cursor = last.number.to_string();
            let next = format!("{ICPS_PATH}/{id}/versions?limit={limit}&cursor={cursor}");
            next_page(&mut headers, &next, Some(cursor))?;
        }
    }
    let body: Vec<VersionJson> = versions.into_iter().map(VersionJson::from).collect();
    Ok((headers, Json(body)).into_response())
}

/// `limit` (1–100, default 50) and `cursor` (the number of the last version of the page before).
fn parse_versions_query(query: Option<&str>) -> Result<Paged<Option<u32>>, ApiError> {
    read_paged_query(query, None, |before, key, value| {
        match key {
            // Versions older than this number (0: none are).
            "cursor" => match value.parse::<u64>() {
                Ok(number) => *before = Some(u32::try_from(number).unwrap_or(u32::MAX)),
                _ => return Err(bad_param("cursor", BAD_CURSOR)),
            },
            other => return Err(unknown_param(other, "limit and cursor")),
        }
        Ok(())
    })
}

/// Makes an old version current again; the restore is itself a new version.
#[utoipa::path(
    post,
    path = "/api/v1/entities/icps/{id}/versions/{version}/restore",
    params(
        IcpId,
        ("version" = u32, Path, description = "The version to restore"),
    ),
    responses(
        (status = 200, description = "The ICP as restored", body = Icp),
        (status = 400, description = "The version would add someone outside the workspace, or remove the owner", body = ErrorBody),
        (status = 403, description = "Not shared with the caller, or only the owner may remove the members this restore removes", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
)]
async fn restore_version(
    Caller { user, store }: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Icp>, ApiError> {
    let id = parse_id(&id)?;
    let number = version.parse::<u32>().map_err(|_| ApiError::BadRequest {
        message: "Invalid version".into(),
        details: vec![FieldError::new(
            vec!["version".into()],
            "Must be a whole number from 1",
        )],
    })?;
    let icp = icps::restore_version(store.as_ref(), &user, id, number).await?;
    Ok(Json(icp))
}

/// An ICP the caller deleted, restorable for 30 days.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletedIcp {
    pub id: uuid::Uuid,
    pub name: String,
    pub deleted_at: Timestamp,
    pub deleted_by: UserId,
}

/// Lists the ICPs the caller owned and deleted in the last 30 days, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps/deleted",
    responses(
        (status = 200, body = Vec<DeletedIcp>),
    ),
)]
async fn list_deleted(Caller { user, store }: Caller) -> Result<Json<Vec<DeletedIcp>>, ApiError> {
    let deleted = icps::deleted(store.as_ref(), &user).await?;
    Ok(Json(
        deleted
            .into_iter()
            .map(|version| DeletedIcp {
                id: version.icp.id,
                name: version.icp.name,
                deleted_at: version.at,
                deleted_by: version.by,
            })
            .collect(),
    ))
}

/// Restores an ICP its owner deleted in the last 30 days, with its id (members who left the
/// workspace since are left out).
#[utoipa::path(
    post,
    path = "/api/v1/entities/icps/{id}/restore",
    params(("id" = uuid::Uuid, Path, description = "The deleted ICP's id")),
    responses(
        (status = 200, description = "The ICP as restored", body = Icp),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Only its owner can restore it", body = ErrorBody),
        (status = 404, description = "No such deleted ICP, or deleted over 30 days ago", body = ErrorBody),
        (status = 409, description = "The ICP is not deleted", body = ErrorBody),
    ),
)]
async fn restore_deleted(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
) -> Result<Json<Icp>, ApiError> {
    let icp = icps::restore_deleted(store.as_ref(), &user, parse_id(&id)?).await?;
    Ok(Json(icp))
}

/// Who owns an ICP: `{"userId": "user_…"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerJson {
    pub user_id: UserId,
}

/// Hands the ICP over to another member of the caller's workspace (added to `userIds` if needed).
/// Only the owner can.
#[utoipa::path(
    put,
    path = "/api/v1/entities/icps/{id}/owner",
    params(IcpId),
    request_body(content = OwnerJson, example = json!({"userId": "user_8fK2mQ7xR4tN1vB6cL9pZ3wY"})),
    responses(
        (status = 200, description = "The new owner", body = OwnerJson),
        (status = 400, description = "The body is not `{\"userId\": \"user_…\"}`", body = ErrorBody),
        (status = 422, description = "Not a member of the caller's workspace", body = ErrorBody,
            example = json!({"error": {"code": "UNPROCESSABLE_ENTITY", "message": "user_8fK2mQ7xR4tN1vB6cL9pZ3wY is not a member of your workspace"}})),
        (status = 403, description = "Only the owner can hand it over", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn hand_over(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
    body: ApiJson,
) -> Result<Json<OwnerJson>, ApiError> {
    let id = parse_id(&id)?;
    let to = body.only_member(
        "userId",
        UserId::parse,
        "Expected {\"userId\": \"user_…\"} naming a member of your workspace",
    )?;
    let icp = icps::hand_over(store.as_ref(), &user, id, &to).await?;
    Ok(Json(OwnerJson {
        user_id: icp.owner.unwrap_or(to),
    }))
}
