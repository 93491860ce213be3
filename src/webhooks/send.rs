//! One delivery attempt: the event POSTed with the Standard Webhooks headers, over a connection
//! whose addresses were checked when they were resolved (`address`), bounded in time (`TIMEOUT`)
//! and in what is read of the answer (`ANSWER_BYTES`). Redirects are not followed (an answer of
//! 3xx is a failure like any other non-2xx).

use super::address::{self, Refused};
use super::sign;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, USER_AGENT};
use hyper::Request;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long an attempt may take, from connecting to the end of what is read of the answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// What is read of an answer's body at most (then the connection is dropped).
pub const ANSWER_BYTES: usize = 16 * 1024;

/// Resolves a host and refuses it when any of its addresses is not public (unless allowed): the
/// addresses checked are the ones connected to, so DNS cannot change between check and use.
#[derive(Clone)]
struct CheckedResolver {
    allow_private: bool,
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Refused;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Refused>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Refused>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            // The connector puts the URL's port on each address.
            let found = address::resolve(name.as_str(), 0, allow_private).await?;
            Ok(found.into_iter())
        })
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>;

/// Sends deliveries; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Sender {
    client: Client<Connector, Full<Bytes>>,
    allow_private: bool,
}

/// What an attempt's answer was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The endpoint answered with this status (2xx: delivered).
    Status(u16),
    /// No answer: why.
    Failed(String),
}

impl Sender {
    /// A sender trusting the system's root certificates; `allow_private` lets deliveries go to
    /// private addresses and plain http (`ALLOW_PRIVATE_WEBHOOKS`).
    pub fn new(allow_private: bool) -> Self {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver { allow_private });
        http.enforce_http(false);
        http.set_connect_timeout(Some(TIMEOUT));
        let tls = match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(roots) => roots,
            Err(error) => {
                tracing::error!(%error, "no root certificates: https webhook deliveries will fail");
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(rustls_config_without_roots())
            }
        };
        let connector = tls.https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .build(connector);
        Self {
            client,
            allow_private,
        }
    }

    /// POSTs `body` as event `id`, signed with `secrets`.
    pub async fn send(&self, url: &str, secrets: &[&str], id: &str, body: &str) -> Answer {
        match tokio::time::timeout(TIMEOUT, self.attempt(url, secrets, id, body)).await {
            Ok(Ok(status)) => Answer::Status(status),
            Ok(Err(error)) => Answer::Failed(error),
            Err(_) => Answer::Failed(format!("No answer within {} s", TIMEOUT.as_secs())),
        }
    }

    async fn attempt(
        &self,
        url: &str,
        secrets: &[&str],
        id: &str,
        body: &str,
    ) -> Result<u16, String> {
        let parsed = address::check_url(url, self.allow_private).map_err(|e| e.to_string())?;
        // An address written in the URL is never resolved: check it here.
        if let Some(ip) = parsed
            .host_str()
            .and_then(|h| h.trim_matches(['[', ']']).parse().ok())
        {
            if !self.allow_private && !address::is_public(ip) {
                return Err(format!("{ip} is not a public internet address"));
            }
        }
        let timestamp = chrono::Utc::now().timestamp();
        let request = Request::post(parsed.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("icp-builder-webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp)
            .header(
                "webhook-signature",
                sign::signature(secrets, id, timestamp, body.as_bytes()),
            )
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| crate::error_chain(&error))?;
        let status = response.status().as_u16();
        // Read a little of the answer (so the connection can be reused), never all of it.
        let mut answer = response.into_body();
        let mut read = 0;
        while read < ANSWER_BYTES {
            match answer.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                _ => break,
            }
        }
        Ok(status)
    }
}

/// TLS settings with no trusted roots: every https connection fails (and says why).
fn rustls_config_without_roots() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on 127.0.0.1 that answers every request with `answer`; its port.
    async fn answering(answer: &'static [u8]) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let _ = socket.write_all(answer).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn loopback_destinations_are_refused_at_connect_unless_allowed() {
        let sender = Sender::new(false);
        for url in [
            "https://127.0.0.1:9/hook",
            "https://[::1]:9/hook",
            "https://localhost:9/hook",
        ] {
            let Answer::Failed(why) = sender.send(url, &[], "evt", "{}").await else {
                panic!("{url} was sent to");
            };
            assert!(
                why.contains("not a public internet address"),
                "{url}: {why}"
            );
        }
        let port = answering(b"HTTP/1.1 204 No Content\r\n\r\n").await;
        let allowed = Sender::new(true);
        let url = format!("http://127.0.0.1:{port}/hook");
        assert_eq!(
            allowed.send(&url, &[], "evt", "{}").await,
            Answer::Status(204)
        );
    }

    #[tokio::test]
    async fn a_redirect_is_an_answer_not_followed() {
        let port = answering(
            b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        let url = format!("http://127.0.0.1:{port}/hook");
        assert_eq!(
            Sender::new(true).send(&url, &[], "evt", "{}").await,
            Answer::Status(302)
        );
    }
}
