//! Per-request metrics (EMF on stdout, `lambda_kit::metrics`): one document
//! per request with `Requests` (1) and, when Tencent was called,
//! `UpstreamLatency`, both under the one dimension `StatusClass`. The names,
//! units and dimensions are those of `infra/metrics.json`.

use lambda_kit::metrics::{Metrics, Unit};

/// `Requests`: one per request answered.
pub const REQUESTS: &str = "Requests";
/// `UpstreamLatency`: milliseconds spent in the Tencent call.
pub const UPSTREAM_LATENCY: &str = "UpstreamLatency";
/// The dimension both are published under.
pub const STATUS_CLASS: &str = "StatusClass";

/// The class of an answer's HTTP status, as the dashboard and alarms see
/// it: `2xx`, `4xx` (the caller's mistake, or Tencent's rate limit) or
/// `5xx` (Tencent or the service failed). push-stats answers no 1xx or 3xx.
pub fn status_class(status: i64) -> &'static str {
    match status {
        500.. => "5xx",
        400..=499 => "4xx",
        _ => "2xx",
    }
}

/// Emits the request's document: its status, and the time spent in the
/// Tencent call when Tencent was called.
pub fn record(metrics: &Metrics, status: i64, upstream: Option<std::time::Duration>) {
    let document = metrics
        .document()
        .dimension(STATUS_CLASS, status_class(status));
    let mut document = document.metric(REQUESTS, Unit::Count, 1_u8);
    if let Some(upstream) = upstream {
        // Microsecond precision: the emulator answers in well under 1 ms.
        let millis = upstream.as_micros() as f64 / 1_000.0;
        document = document.metric(UPSTREAM_LATENCY, Unit::Milliseconds, millis);
    }
    metrics.emit(document);
}
