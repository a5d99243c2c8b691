//! The 200 body: the app, the window and, per task (or overall), the four
//! counts with delivery and click rates, per platform too.
//!
//! Rates are fractions (0.25 = 25 %), rounded to 4 decimal places, `null`
//! when their denominator is 0:
//! - `delivery_rate = delivered / sent`
//! - `click_rate = clicked / delivered`
//!
//! `event` is `offline`, `online` or `unknown`; `platform` one of `apns`,
//! `mi`, `huawei`, `fcm`, `meizu`, `oppo`, `vivo`, `honor`, `unknown`;
//! `event_code` and `platform_code` keep Tencent's numbers, so that a vendor
//! added after this release is not lost behind `unknown`.

use serde_json::{Value, json};
use tim::api::push::{PushCounts, PushStatistics};

use crate::request::StatsQuery;
use crate::window::to_iso;

/// The body for `stats`, the answer to `query` for the app `sdkappid`; the
/// overall statistics are one result with `"task_id": null`.
pub fn body(sdkappid: u64, query: &StatsQuery, stats: &PushStatistics) -> Value {
    let results: Vec<Value> = stats
        .results
        .iter()
        .map(|task| {
            let mut result = counts(&task.counts);
            result["task_id"] = json!(Some(&task.task_id).filter(|id| !id.is_empty()));
            result["platforms"] = (task.platforms.iter())
                .map(|p| {
                    let mut platform = counts(&p.counts);
                    platform["event"] = json!(p.event.name());
                    platform["event_code"] = json!(p.event.code());
                    platform["platform"] = json!(p.platform.name());
                    platform["platform_code"] = json!(p.platform.code());
                    platform
                })
                .collect();
            result
        })
        .collect();
    let (start, end) = (query.start, query.end);
    let window =
        json!({"start": start, "end": end, "start_iso": to_iso(start), "end_iso": to_iso(end)});
    json!({"sdkappid": sdkappid, "window": window, "results": results})
}

/// `total` (could be sent), `sent`, `delivered` (reached the device),
/// `clicked`, and the two rates.
fn counts(c: &PushCounts) -> Value {
    json!({"total": c.total, "sent": c.sent, "delivered": c.delivered, "clicked": c.clicked,
        "delivery_rate": c.delivery_rate(), "click_rate": c.click_rate()})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let body = body(1_400_000_000, &query, &stats);
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
