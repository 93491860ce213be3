//! `AuthUser`: who is calling the API, by bearer token or else by the browser's session, and
//! whether they may make the change they ask for.

use super::ApiError;
use crate::auth::{bearer_user, session::session_user};
use crate::domain::UserId;
use crate::request_labels::note_user;
use crate::state::AppState;
use crate::store::{DynStore, TokenScope};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts, Method};
use tower_sessions::Session;

/// The `POST`s that change nothing (a dry run), which a read token may send.
pub const READ_ONLY_POSTS: &[&str] = &["/api/v1/entities/icps/validate"];

/// The signed-in caller: by `Authorization: Bearer <token>`, or else by the session cookie. Extracting
/// it answers 401 when there is no valid credential (an expired token is none), and 403 when a
/// read token asks for a change (any method but `GET` and `HEAD`, and the `READ_ONLY_POSTS`),
/// before the body is read: every API route takes it, so no route can forget the scope.
/// (Cookie-authenticated writes must also pass the same-origin check, a layer in front of every
/// route.)
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
            let owner = bearer_user(store.as_ref(), value)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            note_user(&parts.extensions, &owner.user);
            if owner.scope == TokenScope::Read && changes(&parts.method, parts.uri.path()) {
                return Err(ApiError::Forbidden(
                    "This token may only read: changes need a token with the write scope".into(),
                ));
            }
            return Ok(AuthUser(owner.user));
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        let user = session_user(&session).await.ok_or(ApiError::Unauthorized)?;
        note_user(&parts.extensions, &user);
        Ok(AuthUser(user))
    }
}

/// The caller and the store: what a handler that acts for the caller starts from. Extracting it
/// answers as `AuthUser` does.
pub struct Caller {
    pub user: UserId,
    pub store: DynStore,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        let store = DynStore::from_ref(state);
        Ok(Caller { user, store })
    }
}

/// A request by `method` to `path` may change something: all but `GET`, `HEAD` and the
/// `READ_ONLY_POSTS`.
pub fn changes(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => false,
        Method::POST => !READ_ONLY_POSTS.contains(&path),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_and_dry_runs_change_nothing() {
        let icps = "/api/v1/entities/icps";
        assert!(!changes(&Method::GET, icps));
        assert!(!changes(&Method::HEAD, icps));
        assert!(!changes(&Method::POST, "/api/v1/entities/icps/validate"));
        assert!(changes(&Method::POST, icps));
        assert!(changes(&Method::POST, "/api/v1/entities/icps/validate/"));
        for method in [Method::PATCH, Method::PUT, Method::DELETE, Method::OPTIONS] {
            assert!(changes(&method, icps), "{method}");
        }
    }
}
