//! `/api/v1/entities/users`: the caller's workspace members, for integrations that need ids to put
//! in an ICP's `userIds`.

use super::caller::AuthUser;
use super::error::{ApiError, ErrorBody};
use crate::domain::UserId;
use crate::state::AppState;
use crate::store::DynStore;
use crate::workspaces::{self, WorkspaceError};
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users))
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
    /// `owner` (one per workspace) or `member`.
    #[schema(example = "member")]
    pub role: &'static str,
}

impl From<WorkspaceError> for ApiError {
    fn from(error: WorkspaceError) -> Self {
        match error {
            WorkspaceError::Store(cause) => ApiError::internal(cause),
            WorkspaceError::NotOwner => ApiError::Forbidden(error.to_string()),
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
    tag = "Users",
    responses(
        (status = 200, description = "The caller's workspace members, earliest first", body = Vec<Teammate>,
            example = json!([{"id": "user_8fK2mQ7xR4tN1vB6cL9pZ3wY", "name": "Ana López", "email": "ana@acme.io", "role": "owner"}])),
        (status = 401, description = "No valid credential", body = ErrorBody,
            example = json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}})),
    ),
)]
async fn list_users(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
) -> Result<Json<Vec<Teammate>>, ApiError> {
    let members = workspaces::members(store.as_ref(), &user).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|member| Teammate {
                id: member.user.id,
                name: member.user.name,
                email: member.user.email,
                role: member.role.as_str(),
            })
            .collect(),
    ))
}
