//! Where a webhook may send: a URL checked when the endpoint is made, and the addresses its host
//! resolves to checked again at every connection (DNS may change), so no delivery reaches into
//! the server's own network unless `ALLOW_PRIVATE_WEBHOOKS` says it may.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// How long resolving a host may take.
pub const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The longest webhook URL.
pub const MAX_URL: usize = 2_000;

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("Must be an absolute https:// URL")]
    NotUrl,
    #[error("Must use https://")]
    NotHttps,
    #[error("Must be at most {MAX_URL} characters")]
    TooLong,
    #[error("Must not carry a user name or password")]
    Credentials,
    #[error("The host {0} could not be resolved")]
    Unresolved(String),
    #[error("The host {host} resolves to {address}, which is not a public internet address")]
    NotPublic { host: String, address: IpAddr },
}

/// Checks the form of a webhook URL: https (or http when `allow_private`), a host, no credentials.
pub fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, Refused> {
    if raw.len() > MAX_URL {
        return Err(Refused::TooLong);
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| Refused::NotUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(Refused::NotHttps),
        _ => return Err(Refused::NotUrl),
    }
    if url.host().is_none() {
        return Err(Refused::NotUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    Ok(url)
}

/// The addresses `host` resolves to, every one of them public (unless `allow_private`): the ones
/// a connection may then use.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Refused> {
    // An IPv6 literal comes bracketed from a URL.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((bare, port)))
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| Refused::Unresolved(host.to_owned()))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Refused::Unresolved(host.to_owned()));
    }
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
            return Err(Refused::NotPublic {
                host: host.to_owned(),
                address: bad.ip(),
            });
        }
    }
    Ok(addresses)
}

/// Whether `ip` is on the public internet: not loopback, private, shared (CGNAT), link-local,
/// documentation, benchmarking, multicast, broadcast, unspecified or reserved; IPv4 carried in
/// IPv6 (mapped, NAT64, 6to4) is judged as the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network"
        || a == 10                             // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127                            // loopback
        || (a == 169 && b == 254)              // link-local (cloud metadata services)
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast
        || (a == 192 && b == 168)              // private
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 =
        |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match segments {
        // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64): the IPv4 address decides.
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => {
            is_public_v4(embedded_v4(high, low))
        }
        // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
        [0x2002, high, low, ..] => is_public_v4(embedded_v4(high, low)),
        // Unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d.
        [0, 0, 0, 0, 0, 0, _, _] => false,
        [first, second, ..] => {
            !((first & 0xfe00) == 0xfc00           // unique local
                || (first & 0xffc0) == 0xfe80      // link-local
                || (first & 0xffc0) == 0xfec0      // site-local (deprecated)
                || (first & 0xff00) == 0xff00      // multicast
                || (first == 0x2001 && second == 0x0db8) // documentation
                || (first == 0x2001 && second == 0)      // Teredo
                || (first == 0x0100 && segments[1..4] == [0, 0, 0])) // discard
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!is_public(ip), "{refused} should be refused");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
            "2002:0101:0101::1",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public(ip), "{public} should be allowed");
        }
    }

    #[test]
    fn urls_are_https_with_a_host_and_no_credentials() {
        assert!(check_url("https://hooks.example.com/icp", false).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com", false),
            Err(Refused::NotHttps)
        );
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert_eq!(check_url("ftp://example.com", true), Err(Refused::NotUrl));
        assert_eq!(check_url("/relative", false), Err(Refused::NotUrl));
        assert_eq!(
            check_url("https://user:pw@example.com", false),
            Err(Refused::Credentials)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL));
        assert_eq!(check_url(&long, false), Err(Refused::TooLong));
    }

    #[tokio::test]
    async fn loopback_names_are_refused_unless_allowed() {
        let refused = resolve("localhost", 80, false).await;
        assert!(
            matches!(refused, Err(Refused::NotPublic { .. })),
            "{refused:?}"
        );
        let literal = resolve("[::1]", 80, false).await;
        assert!(
            matches!(literal, Err(Refused::NotPublic { .. })),
            "{literal:?}"
        );
        let allowed = resolve("127.0.0.1", 8080, true).await.unwrap();
        assert_eq!(allowed, vec!["127.0.0.1:8080".parse().unwrap()]);
    }
}
