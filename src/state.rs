//! The application state every handler and server function reads, and the settings it starts with.
#![cfg(feature = "ssr")]

use crate::auth::guard::TrustedProxies;
use crate::auth::limiter::Limiter;
use crate::auth::session::SessionBackend;
use crate::store::{DynStore, StoreResult};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a handler or server function needs, shared: axum clones the state for each
/// middleware layer and extractor that takes it (18 times in an API create), so the clone is one
/// reference count. Measured with callgrind (`scripts/instructions.sh`): the flat struct's clones
/// and drops, a dozen reference counts each, cost about 5,000 instructions per create.
/// Extractors take a part by type (`State<DynStore>`, `State<LeptosOptions>`, …) through
/// `FromRef`; handlers read the parts through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

/// What `AppState` shares.
pub struct Parts {
    pub leptos_options: LeptosOptions,
    pub store: DynStore,
    pub sessions: SessionBackend,
    /// Sign-in and sign-up attempt counts (shared through the database on Postgres).
    pub limiter: Limiter,
    pub config: Arc<Config>,
    pub trusted_proxies: TrustedProxies,
    /// Sends webhook deliveries (and tests), with the destinations `Config` allows.
    pub webhook_sender: crate::webhooks::send::Sender,
    /// Sends password resets, email confirmations and invitations; `None` without `SMTP_URL`.
    pub mailer: Option<crate::mail::Mailer>,
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// `FromRef<AppState>` for each part an extractor takes by type.
macro_rules! parts_from_ref {
    ($($part:ident: $ty:ty),* $(,)?) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.$part.clone()
            }
        }
    )*};
}

parts_from_ref! {
    leptos_options: LeptosOptions,
    store: DynStore,
    sessions: SessionBackend,
    limiter: Limiter,
    config: Arc<Config>,
    trusted_proxies: TrustedProxies,
    webhook_sender: crate::webhooks::send::Sender,
    mailer: Option<crate::mail::Mailer>,
}

/// Settings of the server, from flags or the environment (`icp-builder --help` lists them, and
/// the README's settings table, which a test holds to `--help`). A bad value stops the start with
/// a message that names it.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Where users reach the app, e.g. https://icp.example.com. Cookies are `Secure` and HSTS is
    /// sent when it is https; cross-site checks compare against it. Unset: the request's host.
    #[arg(long, env = "PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<url::Url>,
    /// The address the server listens on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: std::net::SocketAddr,
    /// How long a request may take, in seconds, before it is answered 503 and its work dropped.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Log lines as `text` (for people) or `json` (one object per line: time, level, request id,
    /// method, route, status, latency, user id).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Where Prometheus metrics are served, e.g. 127.0.0.1:9464 (keep it private). Unset: none.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Mebibytes all in-memory caches (ICPs, list pages, API tokens' owners) may hold together,
    /// weighed by what each entry takes; 0 turns them off.
    #[arg(long, env = "CACHE_MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(0..=16384))]
    pub cache_mib: u16,
    /// Proxies whose `X-Forwarded-For` is believed, as addresses or CIDR ranges separated by
    /// commas (e.g. `127.0.0.1/32,::1`): from them the last entry is the client's address (for the
    /// sign-in limits). Unset: none; the peer's address is the client's.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::auth::guard::IpRange::parse)]
    pub trusted_proxies: Vec<crate::auth::guard::IpRange>,
    /// Lets webhook endpoints be plain http and reach loopback, private and link-local addresses
    /// (for a receiver inside your own network, or tests). Off: https to public addresses only.
    #[arg(long, env = "ALLOW_PRIVATE_WEBHOOKS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_webhooks: bool,
    /// Who may create an account: `open` (anyone), `invite` (only through an invitation link), or
    /// email domains apart by commas (`acme.io,acme.de`: those; anyone else through an invitation).
    /// `icp-builder users create` always works.
    #[arg(long, env = "SIGN_UP", default_value = "open", value_parser = crate::account::SignUpPolicy::parse)]
    pub sign_up: crate::account::SignUpPolicy,
    /// The mail server that sends password resets, email confirmations and invitations, e.g.
    /// `smtp://127.0.0.1:2525`, `smtps://user:pass@mail.example.com`,
    /// `smtp://mail.example.com?tls=required`. Unset: nothing is mailed.
    #[arg(long, env = "SMTP_URL", value_parser = crate::mail::SmtpUrl::parse)]
    pub smtp_url: Option<crate::mail::SmtpUrl>,
    /// The sender of the app's mail, e.g. `ICP Builder <no-reply@icp.example.com>`.
    #[arg(long, env = "MAIL_FROM", default_value = crate::mail::DEFAULT_FROM,
          value_parser = crate::mail::mailbox)]
    pub mail_from: lettre::message::Mailbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            public_url: None,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 3000)),
            request_timeout: 30,
            log_format: LogFormat::Text,
            metrics_addr: None,
            cache_mib: 64,
            trusted_proxies: Vec::new(),
            allow_private_webhooks: false,
            sign_up: crate::account::SignUpPolicy::Open,
            smtp_url: None,
            mail_from: crate::mail::mailbox(crate::mail::DEFAULT_FROM)
                .expect("the default sender is an address"),
        }
    }
}

fn public_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("expected http:// or https://, got {other}://")),
    }
}

impl Config {
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout)
    }

    pub fn cache_bytes(&self) -> usize {
        usize::from(self.cache_mib) * 1024 * 1024
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

impl AppState {
    /// Assembles the state, opening the session store and the attempt counts in the same database.
    pub async fn new(
        leptos_options: LeptosOptions,
        store: DynStore,
        config: Config,
    ) -> StoreResult<Self> {
        let pools = store.pools();
        let sessions = SessionBackend::open(&pools).await?;
        let limiter = Limiter::for_database(&pools);
        store.set_search_limit(config.request_timeout());
        Ok(Self(Arc::new(Parts {
            leptos_options,
            store,
            sessions,
            limiter,
            trusted_proxies: TrustedProxies(config.trusted_proxies.clone().into()),
            webhook_sender: crate::webhooks::send::Sender::new(config.allow_private_webhooks),
            mailer: config
                .smtp_url
                .as_ref()
                .map(|url| crate::mail::Mailer::new(url, config.mail_from.clone())),
            config: Arc::new(config),
        })))
    }
}
