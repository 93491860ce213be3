//! Serving the app over TCP: connection and request timeouts, graceful shutdown, session sweeps.

use crate::auth::session::SessionBackend;
use crate::domain::Timestamp;
use crate::server::app;
use crate::state::AppState;
use crate::store::DynStore;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_sessions::ExpiredDeletion;

/// How long a client may take to send a request head. In hyper 1.x the same timer runs while a
/// kept-alive connection waits for its next request, so this is also the idle keep-alive timeout.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// After SIGTERM or Ctrl-C, how long requests already being answered may still take; connections
/// still open then are closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How often expired sessions are deleted.
pub const SESSION_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Serves the metrics on `addr` (their own listener: never on the app's address) until the
/// server stops.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    store: crate::store::DynStore,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let handle = crate::server::metrics::recorder().map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(addr).await?;
    tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
    let router = crate::server::metrics::router(handle, store);
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(error = %crate::error_chain(&error), "the metrics listener stopped");
        }
    }))
}

/// Serves `state` on the configured address until Ctrl-C or SIGTERM, then shuts down within
/// [`SHUTDOWN_GRACE`].
pub async fn serve(state: AppState) -> std::io::Result<()> {
    // Installed before the first connection, so a signal is never met by the default action.
    let shutdown = shutdown_signal()?;
    let (sessions, store) = (state.sessions.clone(), state.store.clone());
    let sweeper = tokio::spawn(repeat_logging_errors(
        SESSION_SWEEP_INTERVAL,
        "deleting expired sessions and old records",
        move || sweep(sessions.clone(), store.clone()),
    ));

    let deliveries = tokio::spawn(crate::webhooks::worker::run(
        state.store.clone(),
        state.webhook_sender.clone(),
    ));

    let metrics = match state.config.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, state.store.clone()).await?),
        None => None,
    };
    let listener = TcpListener::bind(state.leptos_options.site_addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let router = app(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    // Without a timer hyper cannot time out anything: a half-sent head would hold its connection
    // (and a task) for ever.
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);

    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Small JSON answers should not wait for Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    // The peer's address, for the sign-in limiter, as
                    // `into_make_service_with_connect_info` would give it.
                    let service = tower::Layer::layer(
                        &axum::Extension(ConnectInfo(peer)),
                        router.clone(),
                    );
                    let connection = http.serve_connection(
                        TokioIo::new(stream),
                        TowerToHyperService::new(service),
                    );
                    let mut closing = closing_seen.clone();
                    connections.spawn(async move {
                        tokio::pin!(connection);
                        let result = tokio::select! {
                            result = connection.as_mut() => result,
                            () = closing_starts(&mut closing) => {
                                // Closes an idle connection now, a busy one after its response.
                                connection.as_mut().graceful_shutdown();
                                connection.await
                            }
                        };
                        if let Err(error) = result {
                            // Clients that leave or time out are routine, not server errors.
                            tracing::debug!(error = %crate::error_chain(&error), "connection ended with an error");
                        }
                    });
                }
                Err(error) => accept_failed(error).await,
            },
            // Reaps finished connections so the set does not grow with every one ever served.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    sweeper.abort();
    deliveries.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    let open = connections.len();
    tracing::info!(
        open_connections = open,
        "shutting down: no new connections; finishing requests in progress"
    );
    let _ = closing.send(true);
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            still_open = connections.len(),
            grace_seconds = SHUTDOWN_GRACE.as_secs(),
            "closing connections still open after the grace period"
        );
        connections.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves once shutdown starts (or `serve` is gone).
async fn closing_starts(closing: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it must not live across the connection's awaits.
    let _ = closing.wait_for(|closing| *closing).await;
}

/// Errors of `accept` that concern one connection are skipped; others (such as running out of file
/// descriptors) would repeat at once, so they are logged and accepting pauses briefly.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %crate::error_chain(&error), "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Resolves on the first SIGTERM or Ctrl-C (SIGINT). The handlers are installed by this call.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received");
        })
    }
}

/// Deletes the expired sessions, the events older than `EVENTS_KEPT`, the expired mailed links
/// (`email_tokens`), the audit records older than `AUDIT_KEPT` and the sign-up refusals older than
/// `REFUSALS_KEPT` or beyond the newest `REFUSALS_MAX_KEPT`; each is tried even when another fails.
async fn sweep(sessions: SessionBackend, store: DynStore) -> std::io::Result<()> {
    use crate::store::{AUDIT_KEPT, EVENTS_KEPT, REFUSALS_KEPT, REFUSALS_MAX_KEPT};
    let now = Timestamp::now();
    let expired = sessions.delete_expired().await;
    let purged = store.purge_events(Timestamp(now.0 - EVENTS_KEPT)).await;
    let mailed = store.purge_email_tokens(now).await;
    let audited = store.purge_audit(Timestamp(now.0 - AUDIT_KEPT)).await;
    let refused = store
        .purge_sign_up_refusals(Timestamp(now.0 - REFUSALS_KEPT), REFUSALS_MAX_KEPT)
        .await;
    let mut failure = expired.err().map(std::io::Error::other);
    for (what, done) in [
        ("old events", purged),
        ("expired mailed links", mailed),
        ("old audit records", audited),
        ("old sign-up refusals", refused),
    ] {
        match done {
            Ok(deleted) => tracing::debug!(deleted, "{what} deleted"),
            Err(error) => {
                // Each is logged: the sweep answers with one error only.
                tracing::warn!(error = %crate::error_chain(&error), "deleting {what} failed");
                failure.get_or_insert(std::io::Error::other(error));
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Runs `task` every `interval` for ever. A failure is logged and the next run happens as planned,
/// so one database hiccup does not stop the sweeping for good.
async fn repeat_logging_errors<F, Fut, E>(interval: Duration, what: &'static str, mut task: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::error::Error,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = task().await {
            tracing::error!(
                error = %crate::error_chain(&error),
                "{what} failed; trying again in {}s",
                interval.as_secs()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn the_sweeper_keeps_running_after_a_failure() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let sweeper = tokio::spawn(repeat_logging_errors(
            Duration::from_millis(5),
            "sweeping",
            move || {
                let run = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if run < 2 {
                        Err(std::io::Error::other("database is locked"))
                    } else {
                        Ok(())
                    }
                }
            },
        ));
        // Generous: only that runs continue after the failures matters, not how fast.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while runs.load(Ordering::SeqCst) < 4 {
            assert!(
                !sweeper.is_finished(),
                "the sweeper stopped after a failure"
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "the sweeper did not run again"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sweeper.abort();
    }
}
