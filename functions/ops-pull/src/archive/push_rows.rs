//! A day's push statistics as flat JSON Lines, ready for Athena: one row
//! for the day's totals and one per channel, named as push-stats names them.
//!
//! ```text
//! {"sdkappid":1400000000,"date":"2026-11-29","event":"all","event_code":null,"platform":"all","platform_code":null,
//!  "total":120,"sent":110,"delivered":90,"clicked":12,"delivery_rate":0.8182,"click_rate":0.1333,"pulled_at":"…"}
//! {"sdkappid":1400000000,"date":"2026-11-29","event":"offline","event_code":1,"platform":"apns","platform_code":1,…}
//! ```

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;
use tim::api::push::{PushCounts, PushStatistics};

use crate::archive::object::{DATE_COLUMN, DailyObject, Line, MALFORMED_COLUMN, SDKAPPID_COLUMN};

/// `event` and `platform` of the totals row.
pub const ALL: &str = "all";

/// The day's object: the overall result's totals and channels (Tencent
/// sends one result when no task id is asked; no result at all means
/// nothing was pushed, which is a totals row of zeros).
pub fn push_object(sdkappid: u64, date: NaiveDate, stats: &PushStatistics) -> DailyObject {
    let row = |event: &str,
               event_code: Option<i64>,
               platform: &str,
               platform_code: Option<i64>,
               counts: &PushCounts| {
        let mut line = Line::new();
        line.insert(SDKAPPID_COLUMN.to_owned(), Value::from(sdkappid));
        line.insert(
            DATE_COLUMN.to_owned(),
            Value::from(date.format("%Y-%m-%d").to_string()),
        );
        line.insert("event".to_owned(), Value::from(event));
        line.insert(
            "event_code".to_owned(),
            event_code.map_or(Value::Null, Value::from),
        );
        line.insert("platform".to_owned(), Value::from(platform));
        line.insert(
            "platform_code".to_owned(),
            platform_code.map_or(Value::Null, Value::from),
        );
        // A count past bigint's range is null, its text in `malformed`.
        let mut malformed = serde_json::Map::new();
        for (name, count) in [
            ("total", counts.total),
            ("sent", counts.sent),
            ("delivered", counts.delivered),
            ("clicked", counts.clicked),
        ] {
            let value = if i64::try_from(count).is_ok() {
                Value::from(count)
            } else {
                malformed.insert(name.to_owned(), Value::from(count.to_string()));
                Value::Null
            };
            line.insert(name.to_owned(), value);
        }
        if !malformed.is_empty() {
            line.insert(MALFORMED_COLUMN.to_owned(), Value::Object(malformed));
        }
        line.insert(
            "delivery_rate".to_owned(),
            counts.delivery_rate().map_or(Value::Null, Value::from),
        );
        line.insert(
            "click_rate".to_owned(),
            counts.click_rate().map_or(Value::Null, Value::from),
        );
        line
    };
    let mut lines = Vec::new();
    if stats.results.is_empty() {
        lines.push(row(ALL, None, ALL, None, &PushCounts::default()));
    }
    for task in &stats.results {
        lines.push(row(ALL, None, ALL, None, &task.counts));
        for channel in &task.platforms {
            lines.push(row(
                channel.event.name(),
                Some(channel.event.code()),
                channel.platform.name(),
                Some(channel.platform.code()),
                &channel.counts,
            ));
        }
    }
    DailyObject::from_lines(date, lines)
}

/// The counts of a push row that must never go down.
const COUNTS: [&str; 4] = ["total", "sent", "delivered", "clicked"];

/// Rows by (event, platform) with their counts.
fn counts_of<'a>(
    lines: impl Iterator<Item = &'a Line>,
) -> BTreeMap<(String, String), [Option<u64>; 4]> {
    lines
        .map(|line| {
            let text = |k: &str| line.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let counts = COUNTS.map(|k| line.get(k).and_then(Value::as_u64));
            ((text("event"), text("platform")), counts)
        })
        .collect()
}

/// Why `new` must not replace the archived push day `stored` (its JSON
/// Lines): a count of a row (the totals or a channel) is lower than
/// archived, or a channel with counts is gone. `None`: the new day may
/// replace it (counts grew, or the archived object cannot be read, which
/// a complete day should then repair).
pub fn lower_counts(new: &DailyObject, stored: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(stored).ok()?;
    let stored_lines: Vec<Line> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .ok()?;
    let before = counts_of(stored_lines.iter());
    let after = counts_of(new.lines().iter());
    for ((event, platform), old) in &before {
        let now = after.get(&(event.clone(), platform.clone()));
        for (i, name) in COUNTS.iter().enumerate() {
            let (Some(was), is) = (old[i], now.and_then(|c| c[i])) else {
                continue;
            };
            if is.unwrap_or(0) < was {
                let is = is.map_or("none".to_owned(), |n| n.to_string());
                return Some(format!(
                    "{name} of event {event}, platform {platform}: {is} < archived {was}"
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stats(json: Value) -> PushStatistics {
        PushStatistics::from_envelope(&json).unwrap()
    }

    #[test]
    fn totals_and_one_row_per_channel_with_rates() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let object = push_object(
            1_400_000_000,
            date,
            &stats(
                json!({"ErrorCode": 0, "Results": [{"TotalCount": 10, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1,
                "PlatformStatistics": [
                    {"EventType": 2, "PushPlatform": 0, "TotalCount": 2, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0},
                    {"EventType": 1, "PushPlatform": 3, "TotalCount": 8, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1}]}]}),
            ),
        );
        let body = String::from_utf8(object.body("2026-11-30T02:00:00.000Z")).unwrap();
        let lines: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        let totals = lines.iter().find(|l| l["event"] == "all").unwrap();
        assert_eq!(
            *totals,
            json!({"sdkappid": 1_400_000_000u64, "date": "2026-11-29", "event": "all", "event_code": null,
                   "platform": "all", "platform_code": null, "total": 10, "sent": 8, "delivered": 4,
                   "clicked": 1, "delivery_rate": 0.5, "click_rate": 0.25,
                   "pulled_at": "2026-11-30T02:00:00.000Z"})
        );
        let huawei = lines.iter().find(|l| l["platform"] == "huawei").unwrap();
        assert_eq!(huawei["event"], "offline");
        assert_eq!(huawei["event_code"], 1);
        assert_eq!(huawei["platform_code"], 3);
        let online = lines.iter().find(|l| l["event"] == "online").unwrap();
        assert_eq!(online["platform"], "unknown");
        assert_eq!(online["delivery_rate"], Value::Null);
    }

    #[test]
    fn no_result_is_a_day_of_zeros_and_the_order_of_channels_does_not_matter() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let empty = push_object(7, date, &stats(json!({"ErrorCode": 0, "Results": []})));
        assert_eq!(empty.lines().len(), 1);
        assert_eq!(empty.lines()[0]["total"], 0);

        let a = json!({"EventType": 1, "PushPlatform": 1, "TotalCount": 1});
        let b = json!({"EventType": 1, "PushPlatform": 2, "TotalCount": 2});
        let ab = push_object(
            7,
            date,
            &stats(json!({"Results": [{"PlatformStatistics": [a, b]}]})),
        );
        let ba = push_object(
            7,
            date,
            &stats(json!({"Results": [{"PlatformStatistics": [b, a]}]})),
        );
        assert_eq!(ab.content_sha256(), ba.content_sha256());
    }

    #[test]
    fn lower_counts_keep_the_archived_day_and_growth_replaces_it() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let day = |total: u64, huawei: Option<u64>| {
            let platforms: Vec<Value> = huawei
                .map(
                    |n| json!({"EventType": 1, "PushPlatform": 3, "TotalCount": n, "SentCount": n}),
                )
                .into_iter()
                .collect();
            push_object(
                7,
                date,
                &stats(json!({"Results": [{"TotalCount": total, "SentCount": total,
                                           "PlatformStatistics": platforms}]})),
            )
        };
        let archived = day(10, Some(4)).body("t");
        assert_eq!(lower_counts(&day(10, Some(4)), &archived), None);
        assert_eq!(lower_counts(&day(12, Some(5)), &archived), None, "grown");
        assert_eq!(
            lower_counts(&day(9, Some(4)), &archived).as_deref(),
            Some("total of event all, platform all: 9 < archived 10")
        );
        assert_eq!(
            lower_counts(&day(10, Some(3)), &archived).as_deref(),
            Some("total of event offline, platform huawei: 3 < archived 4")
        );
        assert_eq!(
            lower_counts(&day(10, None), &archived).as_deref(),
            Some("total of event offline, platform huawei: none < archived 4"),
            "a channel gone"
        );
        // An unreadable archived object is repaired by the new day.
        assert_eq!(lower_counts(&day(1, None), b"not json"), None);
    }

    #[test]
    fn a_count_past_bigint_is_null_with_its_text() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let object = push_object(
            7,
            date,
            &stats(json!({"Results": [{"TotalCount": u64::MAX, "SentCount": 3}]})),
        );
        let line = &object.lines()[0];
        assert_eq!(line["total"], Value::Null);
        assert_eq!(line["sent"], json!(3));
        assert_eq!(
            line[MALFORMED_COLUMN],
            json!({"total": u64::MAX.to_string()})
        );
    }
}
