//! One log line and the request metrics per request, written when it is answered (its final
//! status, a timeout's 503 included): method, route template (never the raw path, which may carry
//! an invitation token), status, latency and the user when known, inside the request's span (its
//! id). Inner parts leave what they learn in the request's `Notes`: routing the route template,
//! authentication the user.

use crate::request_notes::Notes;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn observe(mut request: Request, next: Next) -> Response {
    let notes = Notes::default();
    request.extensions_mut().insert(notes.clone());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let route = notes.route_template().unwrap_or("unmatched");
    let status = response.status().as_u16();
    tracing::info!(
        route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        user_id = notes.user_id(),
        "answered"
    );
    if super::metrics::recording() {
        let labels = [
            ("route", route.to_owned()),
            ("method", method.as_str().to_owned()),
            ("status", status.to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    }
    response
}
