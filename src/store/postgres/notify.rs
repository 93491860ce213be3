//! Hearing ICP changes made through other connections (other instances): each ICP change notifies
//! `icp_changes` with its id when it commits (the trigger of migration 0009), and this process's
//! read cache forgets that ICP. While not listening — before the first `LISTEN`, or after the
//! listening connection is lost until it is back — the cache is suspended: every read goes to the
//! database.

use super::super::reads::ReadCache;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use std::sync::Weak;
use std::time::Duration;

const CHANNEL: &str = "icp_changes";
/// How long to wait before listening again after the connection was lost.
const RETRY: Duration = Duration::from_secs(1);

/// Listens for as long as the store (`reads`) lives, on its own connection.
pub(super) fn spawn_listener(options: PgConnectOptions, reads: Weak<ReadCache>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options);
    tokio::spawn(async move {
        while let Some(reason) = hear(&pool, &reads).await {
            let Some(cache) = reads.upgrade() else { return };
            cache.suspend();
            drop(cache);
            tracing::warn!(%reason, "not hearing ICP changes: reading ICPs from the database until it resumes");
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// Listens and applies notifications until the connection is lost (`Some(why)`) or the store is
/// gone (`None`).
async fn hear(pool: &PgPool, reads: &Weak<ReadCache>) -> Option<String> {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => return Some(error.to_string()),
    };
    if let Err(error) = listener.listen(CHANNEL).await {
        return Some(error.to_string());
    }
    reads.upgrade()?.resume();
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => reads.upgrade()?.changed_elsewhere(notification.payload()),
            Ok(None) => return Some("the connection was lost".to_owned()),
            Err(error) => return Some(error.to_string()),
        }
    }
}
