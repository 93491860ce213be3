//! The rule that every page but sign-in and sign-up needs a signed-in user, and who the client is.

use super::session::session_user;
use crate::account::query_value;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request};
use axum::http::{request::Parts, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
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
        // A forgotten password, and the links mail brings (their token is the credential).
        || path == "/forgot-password"
        || path.starts_with("/reset-password/")
        || path.starts_with("/confirm-email/")
        // A file name with an extension (`/robots.txt`, `/logo.svg`): a static asset.
        || path.rsplit('/').next().is_some_and(|name| name.contains('.'));
    if open {
        return next.run(request).await;
    }
    let user = session_user(&session).await;
    if let Some(user) = &user {
        crate::request_labels::note_user(request.extensions(), user);
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

/// The client's address, for the sign-in limiter: the peer, or — when the peer is one of the
/// `TRUSTED_PROXIES` — the address that proxy reports (the last `X-Forwarded-For` entry, the one
/// it added). Unknown (`None`) when the server was not started with connection info, as in tests.
pub struct ClientAddress(pub Option<IpAddr>);

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`), as the state gives them.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<[IpRange]>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress
where
    TrustedProxies: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let TrustedProxies(trusted) = TrustedProxies::from_ref(state);
        Ok(ClientAddress(client_address(
            peer,
            &parts.headers,
            &trusted,
        )))
    }
}

/// The client's address: the peer's, or the last `X-Forwarded-For` entry when the peer is a
/// trusted proxy (and the entry is an address).
fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpRange],
) -> Option<IpAddr> {
    let forwarded = || {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok())
    };
    match peer {
        Some(peer) if trusted.iter().any(|range| range.contains(peer)) => {
            forwarded().or(Some(peer))
        }
        other => other,
    }
}

/// A range of addresses, `10.0.0.0/8` or one address (`::1`), as `TRUSTED_PROXIES` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (address, prefix) = raw.split_once('/').unwrap_or((raw, ""));
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            bits
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{raw:?}: the prefix must be 0 to {bits}"))?
        };
        Ok(Self { network, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let keep = |bits: u32| {
            if self.prefix == 0 {
                0
            } else {
                u128::MAX << (bits - u32::from(self.prefix))
            }
        };
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = keep(32) as u32;
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = keep(128);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(
            client_address(Some(loopback), &headers, &[]),
            Some(loopback)
        );
        let trusted = [
            IpRange::parse("127.0.0.1/32").unwrap(),
            IpRange::parse("::1").unwrap(),
        ];
        assert_eq!(
            client_address(Some(loopback), &headers, &trusted),
            Some(client)
        );
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(client_address(Some(other), &headers, &trusted), Some(other));
        assert_eq!(client_address(None, &headers, &trusted), None);
        assert_eq!(
            client_address(Some(loopback), &HeaderMap::new(), &trusted),
            Some(loopback)
        );
    }

    #[test]
    fn ranges_are_parsed_and_matched() {
        let ten = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(ten.contains("10.200.3.4".parse().unwrap()));
        assert!(!ten.contains("11.0.0.1".parse().unwrap()));
        assert!(!ten.contains("::1".parse().unwrap()));
        let v6 = IpRange::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::5".parse().unwrap()));
        assert!(IpRange::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        for bad in ["", "localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/x"] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
    }

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
