//! `PageError`: why a page's server function failed, in words a user can act on; and, on the
//! server, how the ICP use cases' errors and HTTP statuses map to it. Also how pages' server
//! functions answer (`JsonText`). Compiled for the browser too.

use crate::domain::FieldError;
use leptos::server_fn::codec::Post;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The answer encoding of the pages' server functions (`#[server(output = JsonText)]`), and the
/// request encoding of the builder's save (`input = JsonText`): the same
/// JSON bytes as server_fn's default `Json`, but read in the browser as text. Resources hydrate
/// from text (`serde_json::from_str`), and server_fn's `Json` reads bytes (`from_slice`), so every
/// type a page fetches had its deserializer compiled into the WASM bundle twice.
pub type JsonText = Post<JsonTextEncoding>;

/// See [`JsonText`].
pub struct JsonTextEncoding;

impl ContentType for JsonTextEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonTextEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonTextEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// The `Forbidden` text of a change a viewer asked for (pages show it as their own 403).
pub const READ_ONLY: &str =
    "Viewers cannot change ICPs; ask an owner or admin of your workspace for another role.";

/// Why a page's server function failed, in words a user can act on. Never carries internals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum PageError {
    #[error("Please sign in again.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Some fields need fixing.")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. Please try again.")]
    Server,
    /// The request took longer than the server lets one take (a search or sort over many ICPs).
    #[error("{0}")]
    TooSlow(String),
    #[error("Could not reach the server ({0}). Check your connection and try again.")]
    Transport(String),
    /// A server-function call whose arguments could not be read (a client's mistake: 400).
    #[error("The request could not be read: {0}")]
    BadRequest(String),
}

impl PageError {
    /// Read by hand (see `domain::read_json`): the builder's save reads its answer so.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use crate::domain::read_json::{list, string, variant};
        let (name, content) = variant(value)?;
        let text = || string(content);
        Some(match name {
            "Unauthorized" => PageError::Unauthorized,
            "Server" => PageError::Server,
            "Forbidden" => PageError::Forbidden(text()?),
            "NotFound" => PageError::NotFound(text()?),
            "Invalid" => PageError::Invalid(list(content, FieldError::from_json)?),
            "Conflict" => PageError::Conflict(text()?),
            "TooSlow" => PageError::TooSlow(text()?),
            "Transport" => PageError::Transport(text()?),
            "BadRequest" => PageError::BadRequest(text()?),
            _ => return None,
        })
    }
}

impl FromServerFnError for PageError {
    type Encoder = JsonTextEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server, a call whose arguments do not decode is answered 400, not 500.
        #[cfg(feature = "ssr")]
        if let ServerFnErrorErr::Args(why)
        | ServerFnErrorErr::MissingArg(why)
        | ServerFnErrorErr::Deserialization(why) = &value
        {
            let error = PageError::BadRequest(why.clone());
            ssr::set_status(&error);
            return error;
        }
        PageError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::PageError;
    use crate::auth::session::session_user;
    use crate::domain::UserId;
    use crate::icps::IcpError;

    impl From<IcpError> for PageError {
        fn from(error: IcpError) -> Self {
            match error {
                IcpError::Invalid(details) => PageError::Invalid(details),
                IcpError::NotFound(_) => PageError::NotFound(error.to_string()),
                IcpError::Forbidden(_) | IcpError::OwnerOnly { .. } => {
                    PageError::Forbidden(error.to_string())
                }
                IcpError::ReadOnly => PageError::Forbidden(super::READ_ONLY.to_owned()),
                IcpError::NoVersion(_) => PageError::NotFound(error.to_string()),
                IcpError::Changed(_) => PageError::Conflict(
                    "This ICP changed since you opened it. Nothing you typed is lost: open the \
                     ICP in a new tab to see the newer version, then save your changes again \
                     from there."
                        .to_owned(),
                ),
                IcpError::Conflict(_)
                | IcpError::NotDeleted(_)
                | IcpError::KeyReused(_)
                | IcpError::InFlight(_)
                | IcpError::NotMember(_) => PageError::Conflict(error.to_string()),
                IcpError::Store(crate::store::StoreError::SearchStopped) => PageError::TooSlow(
                    "Searching or sorting your ICPs took too long and was stopped. Try more \
                     specific words, or the newest-first order."
                        .to_owned(),
                ),
                IcpError::Store(cause) => {
                    // Logged here (inside the request's span); the user sees a generic message.
                    tracing::error!(cause = %crate::error_chain(&cause), "page request failed");
                    PageError::Server
                }
            }
        }
    }

    /// Answers a server function's error with its HTTP status (422 for invalid input, not 500).
    pub fn with_status<T>(result: Result<T, PageError>) -> Result<T, PageError> {
        if let Err(error) = &result {
            set_status(error);
        }
        result
    }

    /// Sets the HTTP status of the current server-function call's answer to `error`'s.
    pub(super) fn set_status(error: &PageError) {
        use axum::http::StatusCode;
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(match error {
                PageError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
                PageError::Unauthorized => StatusCode::UNAUTHORIZED,
                PageError::Forbidden(_) => StatusCode::FORBIDDEN,
                PageError::NotFound(_) => StatusCode::NOT_FOUND,
                PageError::Conflict(_) => StatusCode::CONFLICT,
                PageError::TooSlow(_) => StatusCode::SERVICE_UNAVAILABLE,
                PageError::Server | PageError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
    }

    /// The signed-in user of the current server-function call.
    pub async fn signed_in_user() -> Result<UserId, PageError> {
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|_| PageError::Unauthorized)?;
        session_user(&session).await.ok_or(PageError::Unauthorized)
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{signed_in_user, with_status};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PathSegment;

    #[test]
    fn every_error_reads_back_from_its_json() {
        let errors = [
            PageError::Unauthorized,
            PageError::Forbidden("f".into()),
            PageError::NotFound("n".into()),
            PageError::Invalid(vec![FieldError::new(
                vec![
                    PathSegment::from("customFilterCriteria"),
                    PathSegment::from(2),
                ],
                "m",
            )]),
            PageError::Conflict("c".into()),
            PageError::Server,
            PageError::TooSlow("s".into()),
            PageError::Transport("t".into()),
            PageError::BadRequest("b".into()),
        ];
        for error in errors {
            let written = serde_json::to_value(&error).unwrap();
            assert_eq!(PageError::from_json(&written), Some(error), "{written}");
        }
        assert_eq!(
            PageError::from_json(&serde_json::json!({"Gone": "x"})),
            None
        );
    }
}
