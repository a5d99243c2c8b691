//! Per-request metrics (EMF on stdout, `lambda_kit::metrics`): one document
//! per request with `Requests` (1) and, when Tencent was called,
//! `UpstreamLatency`, both under the one dimension `StatusClass`. The names,
//! units and dimensions are those of `infra/metrics.json`.

use lambda_kit::metrics::{Metrics, Unit};

use crate::handler::Answered;

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

/// Emits the request's document.
pub fn record(metrics: &Metrics, answered: &Answered) {
    let class = status_class(answered.response.status_code);
    let mut document =
        metrics
            .document()
            .dimension(STATUS_CLASS, class)
            .metric(REQUESTS, Unit::Count, 1_u8);
    if let Some(upstream) = answered.upstream {
        // Microsecond precision: the emulator answers in well under 1 ms.
        let millis = upstream.as_micros() as f64 / 1_000.0;
        document = document.metric(UPSTREAM_LATENCY, Unit::Milliseconds, millis);
    }
    metrics.emit(document);
}
