//! The one API error type and its JSON body, `{"error": {"code", "message", "details"?}}`.

use crate::domain::FieldError;
use crate::icps::IcpError;
use crate::store::StoreError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The body of every error response.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The answers of an operation that reads a JSON body (`ApiJson`) before it looks at it: 413, the
/// body is too large; 415, it is not JSON. Documentation only, listed in `responses(...)`; the
/// variants have no doc comments because those would become the responses' descriptions.
#[derive(utoipa::IntoResponses)]
pub enum BodyRejections {
    #[response(status = 413)]
    TooLarge(ErrorBody),
    #[response(status = 415)]
    NotJson(ErrorBody),
}

/// What kind of error an answer is: one per HTTP status the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    MethodNotAllowed,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnprocessableEntity,
    /// Too many such requests within a while; `Retry-After` says how many seconds to wait.
    TooManyRequests,
    /// The request took too long, or the server is too busy for it now.
    ServiceUnavailable,
    InternalError,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    #[schema(example = "Invalid request body")]
    pub message: String,
    /// Every problem found, each at its JSON path (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldError>>,
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = crate::domain::Limits::BODY_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        message: String,
        details: Vec<FieldError>,
    },
    #[error("User not authenticated")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// An `If-Match` that names another version than the current one.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error(
        "Request body is larger than {}",
        crate::domain::size_in_words(MAX_BODY_BYTES)
    )]
    PayloadTooLarge,
    /// A well-formed request the server will not carry out (an `Idempotency-Key` reused with
    /// another body).
    #[error("{0}")]
    Unprocessable(String),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// Past a limit (`auth::limiter`) on `what` the caller asks for; answered with `Retry-After`.
    #[error("Too many {what}; try again in {} s", retry_after_secs(*retry_after))]
    TooManyRequests {
        what: &'static str,
        retry_after: Duration,
    },
    /// The request took longer than `Config::request_timeout`; its work was dropped.
    #[error("The request took too long and was stopped; try again")]
    Timeout,
    /// The bodies of other requests fill the server's budget for them (`forms::BodyBudget`).
    #[error("The server is busy reading other requests; try again in a moment")]
    Busy,
    /// Logged in full, with its sources; the client only learns that something went wrong.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(cause.into())
    }

    /// 400 "Invalid request body" with these details.
    pub fn invalid_body(details: Vec<FieldError>) -> Self {
        ApiError::BadRequest {
            message: "Invalid request body".into(),
            details,
        }
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
            }
            ApiError::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::PreconditionFailed,
            ),
            ApiError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            ApiError::Unprocessable(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnprocessableEntity,
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests)
            }
            ApiError::Timeout | ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
            ),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (_, code) = self.status_and_code();
        let message = match self {
            ApiError::Internal(_) => "An unexpected error occurred".to_owned(),
            other => other.to_string(),
        };
        let details = match self {
            ApiError::BadRequest { details, .. } => Some(details.clone()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                details,
            },
        }
    }
}

/// A wait as `Retry-After` gives it: whole seconds, rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl From<IcpError> for ApiError {
    fn from(error: IcpError) -> Self {
        match error {
            IcpError::Invalid(details) => ApiError::invalid_body(details),
            IcpError::NotFound(_) => ApiError::NotFound(error.to_string()),
            IcpError::Forbidden(_) | IcpError::OwnerOnly { .. } | IcpError::ReadOnly => {
                ApiError::Forbidden(error.to_string())
            }
            IcpError::NoVersion(_) => ApiError::NotFound(error.to_string()),
            IcpError::NotDeleted(_) => ApiError::Conflict(error.to_string()),
            IcpError::Changed(_) => ApiError::PreconditionFailed(error.to_string()),
            IcpError::Conflict(_) | IcpError::InFlight(_) => ApiError::Conflict(error.to_string()),
            IcpError::KeyReused(_) | IcpError::NotMember(_) => {
                ApiError::Unprocessable(error.to_string())
            }
            IcpError::Store(StoreError::SearchStopped) => ApiError::Timeout,
            IcpError::Store(cause) => ApiError::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            // Inside the request's span, so the log line carries its request id.
            tracing::error!(cause = %crate::error_chain(cause.as_ref()), "request failed");
        }
        let mut response = (status, Json(self.body())).into_response();
        if let ApiError::TooManyRequests { retry_after, .. } = &self {
            let seconds = axum::http::HeaderValue::from(retry_after_secs(*retry_after));
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let body = ApiError::Internal("password authentication failed for user app".into()).body();
        assert_eq!(body.error.code, ErrorCode::InternalError);
        assert_eq!(
            serde_json::to_value(ErrorCode::UnsupportedMediaType).unwrap(),
            "UNSUPPORTED_MEDIA_TYPE"
        );
        assert_eq!(body.error.message, "An unexpected error occurred");
        assert!(body.error.details.is_none());
    }

    #[test]
    fn a_timeout_is_a_503_with_the_error_body() {
        let response = ApiError::Timeout.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let json = serde_json::to_value(ApiError::Timeout.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {
                "code": "SERVICE_UNAVAILABLE",
                "message": "The request took too long and was stopped; try again"
            }})
        );
    }

    #[test]
    fn too_many_requests_says_when_to_retry_in_whole_seconds() {
        for (wait, seconds) in [
            (Duration::from_millis(1), 1),
            (Duration::ZERO, 1),
            (Duration::from_secs(60), 60),
            (Duration::from_millis(60_001), 61),
        ] {
            let error = ApiError::TooManyRequests {
                what: "test sends",
                retry_after: wait,
            };
            let message = format!("Too many test sends; try again in {seconds} s");
            assert_eq!(error.body().error.message, message);
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(response.headers()[header::RETRY_AFTER], seconds.to_string());
        }
    }

    #[test]
    fn unauthorized_matches_the_reference_body() {
        let json = serde_json::to_value(ApiError::Unauthorized.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}})
        );
    }
}
