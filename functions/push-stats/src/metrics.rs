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

/// The class of an answer's HTTP status, as the dashboard and alarms see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 2xx (push-stats answers no 1xx or 3xx; they would count here).
    Success,
    /// 4xx: the caller's mistake, or Tencent's rate limit (429).
    ClientError,
    /// 5xx: Tencent or the service failed.
    ServerError,
}

impl StatusClass {
    /// The class of `status`.
    pub fn of(status: i64) -> Self {
        match status {
            500.. => Self::ServerError,
            400..=499 => Self::ClientError,
            _ => Self::Success,
        }
    }

    /// The dimension's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "2xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
        }
    }
}

/// Emits the request's document.
pub fn record(metrics: &Metrics, answered: &Answered) {
    let class = StatusClass::of(answered.response.status_code);
    let mut document = metrics
        .document()
        .dimension(STATUS_CLASS, class.as_str())
        .metric(REQUESTS, Unit::Count, 1_u8);
    if let Some(upstream) = answered.upstream {
        // Microsecond precision: the emulator answers in well under 1 ms.
        let millis = upstream.as_micros() as f64 / 1_000.0;
        document = document.metric(UPSTREAM_LATENCY, Unit::Milliseconds, millis);
    }
    metrics.emit(document);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_in_three_classes() {
        for (status, class) in [(200, "2xx"), (400, "4xx"), (429, "4xx"), (499, "4xx")] {
            assert_eq!(StatusClass::of(status).as_str(), class, "{status}");
        }
        for status in [500, 502, 504] {
            assert_eq!(StatusClass::of(status), StatusClass::ServerError);
        }
    }
}
