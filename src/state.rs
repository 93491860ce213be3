//! The application state every handler and server function reads, and the settings it starts with.

use crate::auth::limiter::Limiter;
use crate::auth::session::SessionBackend;
use crate::store::{DynStore, StoreResult};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a handler or server function needs. Shared, since axum clones the state for every
/// request (its fields are read through `Deref`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub store: DynStore,
    pub sessions: SessionBackend,
    /// Sign-in and sign-up attempt counts (shared through the database on Postgres).
    pub limiter: Limiter,
    pub config: Arc<Config>,
}

/// Settings of the server, from flags or the environment (`icp-builder --help` lists them).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {
    /// Where users reach the app, e.g. https://icp.example.com. Cookies are `Secure` and HSTS is
    /// sent when it is https; cross-site checks compare against it. Unset: the request's host.
    #[arg(long, env = "PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<url::Url>,
}

fn public_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("expected http:// or https://, got {other}://")),
    }
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What extractors take from the state, each by its type.
macro_rules! parts_from_state {
    ($($field:ident: $type:ty),* $(,)?) => {
        $(impl FromRef<AppState> for $type {
            fn from_ref(state: &AppState) -> Self {
                state.0.$field.clone()
            }
        })*
    };
}
parts_from_state!(
    leptos_options: LeptosOptions,
    store: DynStore,
    sessions: SessionBackend,
    limiter: Limiter,
    config: Arc<Config>,
);

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
        Ok(Self(Arc::new(Shared {
            leptos_options,
            store,
            sessions,
            limiter,
            config: Arc::new(config),
        })))
    }
}
