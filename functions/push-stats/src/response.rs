//! The 200 body: the app, the window and, per task (or overall), the four counts with
//! delivery and click rates, per platform too.
//!
//! Rates are fractions (0.25 = 25 %), rounded to 4 decimal places, `null`
//! when their denominator is 0:
//! - `delivery_rate = delivered / sent`
//! - `click_rate = clicked / delivered`

use serde::Serialize;
use tim::api::push::{PlatformPushStats, PushCounts, PushStatistics, TaskPushStats};

use crate::request::StatsQuery;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsResponse {
    /// The app the statistics are of.
    pub sdkappid: u64,
    pub window: Window,
    pub results: Vec<TaskResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Unix seconds, as sent to Tencent.
    pub start: i64,
    pub end: i64,
    /// The same instants in RFC 3339, UTC.
    pub start_iso: String,
    pub end_iso: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskResult {
    /// `null` for the overall statistics.
    pub task_id: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub platforms: Vec<PlatformResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformResult {
    /// `offline`, `online` or `unknown`.
    pub event: &'static str,
    /// Tencent's `EventType` (1 offline, 2 online).
    pub event_code: i64,
    /// `apns`, `mi`, `huawei`, `fcm`, `meizu`, `oppo`, `vivo`, `honor`, `unknown`.
    pub platform: &'static str,
    /// Tencent's `PushPlatform` (0 unknown … 8 HONOR), so that a vendor
    /// added after this release is not lost behind `unknown`.
    pub platform_code: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Counts {
    /// Pushes that could be sent.
    pub total: u64,
    pub sent: u64,
    /// Reached the device.
    pub delivered: u64,
    pub clicked: u64,
    pub delivery_rate: Option<f64>,
    pub click_rate: Option<f64>,
}

impl From<PushCounts> for Counts {
    fn from(c: PushCounts) -> Self {
        Self {
            total: c.total,
            sent: c.sent,
            delivered: c.delivered,
            clicked: c.clicked,
            delivery_rate: c.delivery_rate(),
            click_rate: c.click_rate(),
        }
    }
}

impl StatsResponse {
    pub fn new(sdkappid: u64, query: &StatsQuery, stats: PushStatistics) -> Self {
        Self {
            sdkappid,
            window: Window {
                start: query.start,
                end: query.end,
                start_iso: crate::window::to_iso(query.start),
                end_iso: crate::window::to_iso(query.end),
            },
            results: stats.results.into_iter().map(TaskResult::from).collect(),
        }
    }
}

impl From<TaskPushStats> for TaskResult {
    fn from(task: TaskPushStats) -> Self {
        Self {
            task_id: Some(task.task_id).filter(|id| !id.is_empty()),
            counts: task.counts.into(),
            platforms: task
                .platforms
                .into_iter()
                .map(PlatformResult::from)
                .collect(),
        }
    }
}

impl From<PlatformPushStats> for PlatformResult {
    fn from(p: PlatformPushStats) -> Self {
        Self {
            event: p.event.name(),
            event_code: p.event.code(),
            platform: p.platform.name(),
            platform_code: p.platform.code(),
            counts: p.counts.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tim::api::push::rate;

    #[test]
    fn rates_round_and_are_null_without_a_denominator() {
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(5, 0), None);
        assert_eq!(rate(7, 7), Some(1.0));
    }

    #[test]
    fn renders_tencent_statistics_in_the_documented_shape() {
        let envelope = json!({"ActionStatus": "OK", "ErrorCode": 0, "Results": [
            {"TaskID": "", "TotalCount": 10, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1,
             "PlatformStatistics": [{"EventType": 1, "PushPlatform": 1, "TotalCount": 5, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0},
                                    {"EventType": 2, "PushPlatform": 12, "TotalCount": 5, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1}]}]});
        let stats = PushStatistics::from_envelope(&envelope).unwrap();
        let query = StatsQuery {
            sdkappid: None,
            start: 1_793_491_200,
            end: 1_794_096_000,
            task_ids: vec![],
        };
        let body = serde_json::to_value(StatsResponse::new(1_400_000_000, &query, stats)).unwrap();
        assert_eq!(
            body,
            json!({
                "sdkappid": 1_400_000_000,
                "window": {"start": 1_793_491_200, "end": 1_794_096_000,
                           "start_iso": "2026-11-01T00:00:00Z", "end_iso": "2026-11-08T00:00:00Z"},
                "results": [{
                    "task_id": null, "total": 10, "sent": 8, "delivered": 4, "clicked": 1,
                    "delivery_rate": 0.5, "click_rate": 0.25,
                    "platforms": [
                        {"event": "offline", "event_code": 1, "platform": "apns", "platform_code": 1,
                         "total": 5, "sent": 0, "delivered": 0, "clicked": 0, "delivery_rate": null, "click_rate": null},
                        {"event": "online", "event_code": 2, "platform": "unknown", "platform_code": 12,
                         "total": 5, "sent": 8, "delivered": 4, "clicked": 1, "delivery_rate": 0.5, "click_rate": 0.25}
                    ]
                }]
            })
        );
    }
}
