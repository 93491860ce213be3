//! `ApiJson`: a JSON body extractor whose every rejection is our error body — 415 for another
//! content type, 413 past 256 KiB, 400 naming where malformed JSON broke.

use super::error::{ApiError, MAX_BODY_BYTES};
use crate::domain::{FieldError, NulInText, Unparsed};
use crate::request_body::{read_limited, Unread};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::Value;

/// A JSON body, and what its text tells of NULs in its strings (for `validate_parsed`).
pub struct ApiJson(pub Value, pub NulInText);

impl ApiJson {
    /// The value of a body that is an object with the one string member `name`, read by `parse`;
    /// else a 400 at `name` saying what was `expected`.
    pub fn only_member<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> Result<T, ApiError> {
        let value = match &self.0 {
            Value::Object(fields) if fields.len() == 1 => {
                fields.get(name).and_then(Value::as_str).and_then(parse)
            }
            _ => None,
        };
        value.ok_or_else(|| {
            ApiError::invalid_body(vec![FieldError::new(vec![name.into()], expected)])
        })
    }
}

/// `application/json`, or any `application/…+json`, with or without parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for ApiJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let headers = request.headers();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !content_type.is_some_and(is_json) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_limited(request, MAX_BODY_BYTES)
            .await
            .map_err(|unread| match unread {
                Unread::TooLarge => ApiError::PayloadTooLarge,
                Unread::Malformed => ApiError::BadRequest {
                    message: "Could not read the request body".into(),
                    details: Vec::new(),
                },
            })?
            .1;
        // Counted as it is parsed: refused at the first value over a limit (`Limits::VALUES`,
        // `Limits::DEPTH`), the text read once.
        match crate::domain::parse_within_limits(&bytes) {
            Ok(value) => Ok(ApiJson(value, NulInText::of(&bytes))),
            Err(Unparsed::Shape(problem)) => Err(ApiError::invalid_body(vec![problem])),
            Err(Unparsed::Malformed(error)) => Err(ApiError::invalid_body(vec![FieldError::new(
                Vec::new(),
                malformed(&error),
            )])),
        }
    }
}

fn malformed(error: &serde_json::Error) -> String {
    if error.is_eof() && error.line() == 1 && error.column() == 0 {
        return "Malformed JSON: the body is empty".into();
    }
    // serde_json's text ends with " at line L column C"; say it once, in our words.
    let text = error.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(reason, _)| reason);
    format!(
        "Malformed JSON at line {}, column {}: {reason}",
        error.line(),
        error.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn malformed_json_says_where() {
        let error = serde_json::from_str::<Value>("{\"name\": }").unwrap_err();
        assert_eq!(
            malformed(&error),
            "Malformed JSON at line 1, column 10: expected value"
        );
        let error = serde_json::from_str::<Value>("").unwrap_err();
        assert_eq!(malformed(&error), "Malformed JSON: the body is empty");
    }
}
