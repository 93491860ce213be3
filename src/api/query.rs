//! Reading a query string: every problem found at once, each at its parameter's name.

use super::error::ApiError;
use crate::domain::FieldError;

/// A problem with the query parameter `key`.
pub fn bad_param(key: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(vec![key.into()], message)
}

/// Notes that `key` was given; the problem to report when it was given before.
pub fn given_again(seen: &mut Vec<String>, key: &str) -> Option<FieldError> {
    if seen.iter().any(|name| name == key) {
        return Some(bad_param(key, "Given more than once"));
    }
    seen.push(key.to_owned());
    None
}

/// `parsed` when its query string had no problems; else 400 "Invalid query parameters" with them.
pub fn checked<T>(parsed: T, details: Vec<FieldError>) -> Result<T, ApiError> {
    if details.is_empty() {
        Ok(parsed)
    } else {
        Err(ApiError::BadRequest {
            message: "Invalid query parameters".into(),
            details,
        })
    }
}
