//! `/api/v1/entities/users`: the caller's workspace members, for integrations that need ids to put
//! in an ICP's `userIds`.

use super::caller::Caller;
use super::error::{ApiError, ErrorBody};
use super::json::ApiJson;
use crate::domain::UserId;
use crate::state::AppState;
use crate::store::Role;
use crate::workspaces::{self, WorkspaceError};
use axum::extract::Path;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(set_role))
}

/// A member of the caller's workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Teammate {
    pub id: UserId,
    #[schema(example = "Ana López")]
    pub name: String,
    #[schema(example = "ana@acme.io")]
    pub email: String,
    /// One owner per workspace; README "Roles" says what each may do.
    pub role: Role,
}

/// A member's role: `{"role": "admin"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleJson {
    /// `owner` hands the workspace over (only its owner may; they become an admin), or `admin`,
    /// `member`, `viewer`.
    pub role: Role,
}

impl From<WorkspaceError> for ApiError {
    fn from(error: WorkspaceError) -> Self {
        match error {
            WorkspaceError::Store(cause) => ApiError::internal(cause),
            WorkspaceError::NotManager | WorkspaceError::OwnerOnly => {
                ApiError::Forbidden(error.to_string())
            }
            WorkspaceError::NotMember => ApiError::NotFound(error.to_string()),
            other => ApiError::BadRequest {
                message: other.to_string(),
                details: Vec::new(),
            },
        }
    }
}

/// Lists the members of the caller's workspace, earliest first: the ids an ICP's `userIds` may hold.
#[utoipa::path(
    get,
    path = "/api/v1/entities/users",
    responses(
        (status = 200, description = "The caller's workspace members, earliest first", body = Vec<Teammate>,
            example = json!([{"id": "user_8fK2mQ7xR4tN1vB6cL9pZ3wY", "name": "Ana López", "email": "ana@acme.io", "role": "owner"}])),
        (status = 401, description = "No valid credential", body = ErrorBody,
            example = json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}})),
    ),
)]
async fn list_users(Caller { user, store }: Caller) -> Result<Json<Vec<Teammate>>, ApiError> {
    let members = workspaces::members(store.as_ref(), &user).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|member| Teammate {
                id: member.user.id,
                name: member.user.name,
                email: member.user.email,
                role: member.role,
            })
            .collect(),
    ))
}

/// Sets a member's role. The owner and admins may; `owner` hands the workspace over, which only its
/// owner may (they become an admin), and the owner's role changes no other way.
#[utoipa::path(
    put,
    path = "/api/v1/entities/users/{id}/role",
    params(("id" = String, Path, description = "The member's user id")),
    request_body(content = RoleJson, example = json!({"role": "viewer"})),
    responses(
        (status = 200, description = "The member's role now", body = RoleJson),
        (status = 400, description = "The body is not `{\"role\": …}` with a known role", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Only the owner and admins set roles; only the owner hands over", body = ErrorBody,
            example = json!({"error": {"code": "FORBIDDEN", "message": "Only the workspace's owner and admins can do this."}})),
        (status = 404, description = "Not a member of the caller's workspace", body = ErrorBody),
    ),
)]
async fn set_role(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
    body: ApiJson,
) -> Result<Json<RoleJson>, ApiError> {
    let member = UserId::parse(&id)
        .ok_or_else(|| ApiError::NotFound(format!("No member with id {id} in your workspace")))?;
    let role = body.only_member(
        "role",
        Role::parse,
        "Expected {\"role\": …} with one of owner, admin, member, viewer",
    )?;
    workspaces::set_role(store.as_ref(), &user, &member, role).await?;
    Ok(Json(RoleJson { role }))
}
