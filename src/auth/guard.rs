//! The rule that every page but sign-in and sign-up needs a signed-in user, and who the client is.

use super::session::session_user;
use crate::account::query_value;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::{request::Parts, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

/// Where a signed-in user goes when no `next` says otherwise.
pub const HOME: &str = "/icps";

/// Middleware: a page request without a signed-in user is sent to sign in, with `next` set to come
/// back; a signed-in user asking for sign-in or sign-up goes to the app instead. The API, server
/// functions, assets and other methods pass: they answer for themselves.
pub async fn require_session(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let open = !matches!(*request.method(), Method::GET | Method::HEAD)
        || ["/api/", "/pkg/", "/fn/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        // `/` only redirects to the app.
        || path == "/"
        || path == "/favicon.ico"
        // An invitation link says whose workspace it is and offers sign-up or sign-in.
        || path.starts_with("/invite/")
        // A file name with an extension (`/robots.txt`, `/logo.svg`): a static asset.
        || path.rsplit('/').next().is_some_and(|name| name.contains('.'));
    if open {
        return next.run(request).await;
    }
    let user = session_user(&session).await;
    if let Some(user) = &user {
        crate::request_notes::note_user(request.extensions(), user);
    }
    let signed_in = user.is_some();
    let account_page = path == "/sign-in" || path == "/sign-up";
    match (signed_in, account_page) {
        (true, true) => {
            let wanted = request.uri().query().and_then(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == "next")
                    .map(|(_, value)| value.into_owned())
            });
            Redirect::to(wanted.as_deref().and_then(local_path).unwrap_or(HOME)).into_response()
        }
        (false, false) => {
            let here = request
                .uri()
                .path_and_query()
                .map_or(path, |whole| whole.as_str());
            Redirect::to(&format!("/sign-in?next={}", query_value(here))).into_response()
        }
        _ => next.run(request).await,
    }
}

/// `next` when it is a path on this site: one leading `/` (not `//` or `/\`, which browsers read as
/// another host), printable ASCII only.
pub fn local_path(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.bytes().all(|byte| byte.is_ascii_graphic());
    local.then_some(next)
}

/// The client's address, for the sign-in limiter: the peer, or — when the peer is a proxy on this
/// machine — the address the proxy reports (the last `X-Forwarded-For` entry, the one it added).
/// Unknown (`None`) when the server was not started with connection info, as in tests.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .and_then(|last| last.trim().parse().ok())
        };
        Ok(ClientAddress(match peer {
            Some(peer) if peer.is_loopback() => forwarded().or(Some(peer)),
            other => other,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/icps/new?x=1"), Some("/icps/new?x=1"));
        assert_eq!(local_path("/"), Some("/"));
        for foreign in [
            "",
            "icps",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a b",
            "/\u{e9}",
        ] {
            assert_eq!(local_path(foreign), None, "{foreign:?}");
        }
    }
}
