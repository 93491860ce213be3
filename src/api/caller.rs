//! `AuthUser`: who is calling the API, by bearer token or else by the browser's session.

use super::ApiError;
use crate::auth::{bearer_user, session::session_user};
use crate::domain::UserId;
use crate::request_labels::note_user;
use crate::store::DynStore;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts};
use tower_sessions::Session;

/// The signed-in caller: by `Authorization: Bearer <token>`, or else by the session cookie. Extracting
/// it answers 401 when there is no valid credential, before the body is read. (Cookie-authenticated
/// writes must also pass the same-origin check, a layer in front of every route.)
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserId);

impl<S> FromRequestParts<S> for AuthUser
where
    DynStore: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
            let store = DynStore::from_ref(state);
            let user = bearer_user(store.as_ref(), value).await?;
            if let Some(user) = &user {
                note_user(&parts.extensions, user);
            }
            return user.map(AuthUser).ok_or(ApiError::Unauthorized);
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        let user = session_user(&session).await.ok_or(ApiError::Unauthorized)?;
        note_user(&parts.extensions, &user);
        Ok(AuthUser(user))
    }
}
