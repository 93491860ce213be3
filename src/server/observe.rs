//! One log line and the request metrics per request, written when it is answered (its final
//! status, a timeout's 503 included): method, route template (never the raw path, which may carry
//! an invitation token), status, latency and the user when known, inside the request's span (its
//! id). Inner parts leave what they learn in the request's `RequestLabels`: routing the route template,
//! authentication the user.

use crate::request_labels::RequestLabels;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn observe(mut request: Request, next: Next) -> Response {
    let notes = RequestLabels::default();
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
            ("method", method_label(&method).to_owned()),
            ("status", status.to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    }
    response
}

/// A request's method as a metrics label, from a closed set: a client may send any token as its
/// method (`X1 / HTTP/1.1`), and each new label value would be a new series kept forever.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for odd in ["X1", "get", "PROPFIND", "BREW"] {
            let method = Method::from_bytes(odd.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{odd}");
        }
    }
}
