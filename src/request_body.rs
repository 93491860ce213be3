//! Reading a request's body within a limit: what the JSON API and the form posts both do before
//! they look at a byte of it.
#![cfg(feature = "ssr")]

use axum::extract::Request;
use axum::http::header;

/// Why a body could not be read whole.
#[derive(Debug, PartialEq, Eq)]
pub enum Unread {
    /// Over the limit: declared so by `Content-Length`, or found so while streaming.
    TooLarge,
    /// The connection failed or the body was malformed on the wire.
    Malformed,
}

/// Reads `request`'s body whole, but never more than `limit` bytes: a declared `Content-Length`
/// over the limit is refused before anything is read.
pub async fn read_limited(
    request: Request,
    limit: usize,
) -> Result<(axum::http::request::Parts, axum::body::Bytes), Unread> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(Unread::TooLarge);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(error) => {
            let over = std::error::Error::source(&error)
                .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
            Err(if over {
                Unread::TooLarge
            } else {
                Unread::Malformed
            })
        }
    }
}
