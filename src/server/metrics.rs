//! Metrics in the Prometheus text format, served on their own address (`METRICS_ADDR`, off by
//! default) so they are never public by accident:
//!
//! - `http_requests_total` and `http_request_duration_seconds` by route template, method and status
//!   (`observe`)
//! - `db_pool_connections` by pool and state (`idle`, `in_use`), read at each scrape
//! - `icp_write_queue_depth` and `icp_write_batch_size` (the group-commit writer, `store`)
//! - `icp_sign_in_refusals_total` and `icp_sign_up_refusals_total` by reason (`forms::account`)
//! - `webhook_delivery_attempts_total` by outcome (`delivered`, `failed`) (`webhooks::worker`), and
//!   `webhook_queue_depth`, the deliveries still to make, read at each scrape
//! - `icp_builder_build_info{version}` = 1
//!
//! Without `METRICS_ADDR` no recorder is installed and every `metrics::` call is a no-op.

use crate::store::{DynStore, Pools};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Write batch size buckets.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's recorder, once installed.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether metrics are recorded (`METRICS_ADDR` is set): without a recorder the per-request
/// labels are not even made.
pub fn recording() -> bool {
    HANDLE.get().is_some()
}

/// Installs the process's recorder (once; later calls answer the same handle).
pub fn recorder() -> Result<PrometheusHandle, String> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("http_request_duration_seconds".into()),
            &LATENCY_BUCKETS,
        )
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Full("icp_write_batch_size".into()),
                &BATCH_BUCKETS,
            )
        })
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
    metrics::gauge!("icp_builder_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// `GET /metrics` for the scraper: the pools' gauges read now, then everything recorded.
pub fn router(handle: PrometheusHandle, store: DynStore) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((handle, store))
}

async fn scrape(State((handle, store)): State<(PrometheusHandle, DynStore)>) -> String {
    let pools: Vec<(&str, u32, usize)> = match store.pools() {
        Pools::Sqlite { readers, writer } => vec![
            ("sqlite_readers", readers.size(), readers.num_idle()),
            ("sqlite_writer", writer.size(), writer.num_idle()),
        ],
        Pools::Postgres(pool) => vec![("postgres", pool.size(), pool.num_idle())],
    };
    for (pool, size, idle) in pools {
        let idle = idle as f64;
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "idle").set(idle);
        metrics::gauge!("db_pool_connections", "pool" => pool, "state" => "in_use")
            .set(f64::from(size) - idle);
    }
    match store.pending_deliveries().await {
        Ok(pending) => metrics::gauge!("webhook_queue_depth").set(pending as f64),
        Err(error) => tracing::warn!(%error, "webhook queue depth unread"),
    }
    handle.render()
}
