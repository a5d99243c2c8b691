//! A day's push statistics as flat JSON Lines, ready for Athena: one row
//! for the day's totals and one per channel, named as push-stats names them.
//!
//! ```text
//! {"sdkappid":1400000000,"date":"2026-11-29","event":"all","event_code":null,"platform":"all","platform_code":null,
//!  "total":120,"sent":110,"delivered":90,"clicked":12,"delivery_rate":0.8182,"click_rate":0.1333,"pulled_at":"…"}
//! {"sdkappid":1400000000,"date":"2026-11-29","event":"offline","event_code":1,"platform":"apns","platform_code":1,…}
//! ```
//!
//! Read from Tencent's envelope here rather than through `tim`'s typed
//! answer, which makes a count Tencent did not send a 0: here it is null.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};
use tim::api::push::{EventType, PushPlatform, rate};

use crate::archive::object::{DailyObject, Line, put_malformed, stored_lines};

/// Tencent's count fields and, in the same order, their columns.
const FIELDS: [&str; 4] = ["TotalCount", "SentCount", "DeliveredCount", "ClickCount"];
const COLUMNS: [&str; 4] = ["total", "sent", "delivered", "clicked"];

/// A row's counts (`None` when no entry sent the count as a number) and
/// the text of each count that was not a 64-bit integer, by column.
type Counts = ([Option<u64>; 4], Map<String, Value>);

/// Adds one entry's counts to a row's: the rows of several `Results`
/// entries (or channels with the same codes) are summed count by count,
/// over the entries that sent it.
fn add((sums, malformed): &mut Counts, entry: &Map<String, Value>) {
    for ((field, column), sum) in FIELDS.iter().zip(COLUMNS).zip(sums) {
        let value = entry.get(*field).unwrap_or(&Value::Null);
        if let Some(n) = value.as_u64().filter(|n| i64::try_from(*n).is_ok()) {
            *sum = Some(sum.unwrap_or(0).saturating_add(n));
        } else if !value.is_null() {
            let text = value.as_str().map_or(value.to_string(), String::from);
            malformed.insert(column.to_string(), text.into());
        }
    }
}

/// The day's object from Tencent's successful answer: one totals row
/// (every `Results` entry summed) and one row per (event, platform) code
/// pair. `Results: []` is a totals row of zeros (nothing was pushed); a
/// missing `Results`, or one that is not a list of objects, is an error.
pub fn push_object(sdkappid: u64, date: NaiveDate, answer: &Value) -> Result<DailyObject, String> {
    let Some(results) = answer.get("Results").and_then(Value::as_array) else {
        return Err("ErrorCode 0 but no Results list".to_owned());
    };
    // The rows by their names and codes: the totals (`all`, no codes; zeros
    // for `Results: []`), then one per (event, platform) code pair.
    let mut rows: BTreeMap<_, Counts> = BTreeMap::new();
    let totals = (("all", "all"), (None, None));
    rows.entry(totals).or_default().0 = [results.is_empty().then_some(0); 4];
    for entry in results {
        let entry = Value::as_object(entry).ok_or("a Results entry is not an object")?;
        add(rows.entry(totals).or_default(), entry);
        let platforms = entry.get("PlatformStatistics").and_then(Value::as_array);
        for channel in platforms.into_iter().flatten().map(Value::as_object) {
            let channel = channel.ok_or("a PlatformStatistics entry is not an object")?;
            let code = |name: &str| channel.get(name).and_then(Value::as_i64);
            let (event, platform) = (code("EventType"), code("PushPlatform"));
            let event_name = event.map_or("unknown", |c| EventType::from_code(c).name());
            let platform_name = platform.map_or("unknown", |c| PushPlatform::from_code(c).name());
            let key = ((event_name, platform_name), (event, platform));
            add(rows.entry(key).or_default(), channel);
        }
    }
    let row = |(((event_name, platform_name), (event, platform)), counts): (_, Counts)| {
        let ([total, sent, delivered, clicked], malformed) = counts;
        let ratio = |p: Option<u64>, w: Option<u64>| p.zip(w).and_then(|(p, w)| rate(p, w));
        let row = serde_json::json!({"sdkappid": sdkappid, "date": date, "event": event_name, "event_code": event,
            "platform": platform_name, "platform_code": platform, "total": total, "sent": sent,
            "delivered": delivered, "clicked": clicked, "delivery_rate": ratio(delivered, sent),
            "click_rate": ratio(clicked, delivered)});
        // An object of JSON values always reads as a line.
        let mut line: Line = serde_json::from_value(row).unwrap_or_default();
        put_malformed(&mut line, malformed);
        line
    };
    let lines = rows.into_iter().map(row).collect();
    Ok(DailyObject::from_lines(date, lines))
}

/// A row's identity: the totals, or a channel by its event and platform
/// codes (two unknown codes share the name `unknown`, never the key).
fn key_of(line: &Line) -> String {
    let totals = line.get("event").and_then(Value::as_str) == Some("all");
    let code = |k: &str| line.get(k).unwrap_or(&Value::Null);
    format!("{totals}/{}/{}", code("event_code"), code("platform_code"))
}

/// Why `new` is lower than `archived` (a count that went down, or became
/// null), if it is.
fn lower(new: Option<&Line>, archived: &Line) -> Option<String> {
    let (column, was, is) = COLUMNS.iter().find_map(|column| {
        let was = archived.get(*column)?.as_u64()?;
        let is = new.and_then(|line| line.get(*column)?.as_u64());
        is.is_none_or(|is| is < was).then_some((column, was, is))
    })?;
    let is = is.map_or("none".to_owned(), |n| n.to_string());
    let at = |k: &str| archived.get(k).unwrap_or(&Value::Null);
    let text = |k: &str| at(k).as_str().unwrap_or_default();
    let (event, platform) = (text("event"), text("platform"));
    let (event_code, platform_code) = (at("event_code"), at("platform_code"));
    Some(format!(
        "{column} of event {event}, platform {platform} (codes {event_code}, {platform_code}): {is} < archived {was}"
    ))
}

/// `new` over the archived push day `stored` (its JSON Lines), row by row,
/// rows matched by their codes: Tencent's counts only grow, so a row that
/// went lower (a partial answer, e.g. at the 30-day edge) or is gone keeps
/// its archived counts; rows that grew are written. Returns the day and why
/// each kept row was kept; an unreadable archived object keeps nothing (the
/// new day repairs it).
pub fn keeping_lower_rows(new: DailyObject, stored: &[u8]) -> (DailyObject, Vec<String>) {
    let Some(archived) = stored_lines(stored) else {
        return (new, Vec::new());
    };
    let mut rows: BTreeMap<_, _> = new.lines.into_iter().map(|l| (key_of(&l), l)).collect();
    let mut kept = Vec::new();
    for old in archived {
        let key = key_of(&old);
        if let Some(reason) = lower(rows.get(&key), &old) {
            rows.insert(key, old);
            kept.push(reason);
        }
    }
    let day = DailyObject::from_lines(new.date, rows.into_values().collect());
    (day, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn lines(envelope: Value) -> Vec<Value> {
        let object = push_object(7, date(), &envelope).unwrap();
        let body = String::from_utf8(object.body(Some("2026-11-30T02:00:00.000Z"))).unwrap();
        body.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn row(lines: &[Value], event: Value, platform: Value) -> &Value {
        lines
            .iter()
            .find(|l| l["event_code"] == event && l["platform_code"] == platform)
            .unwrap_or_else(|| panic!("no row {event}/{platform} in {lines:?}"))
    }

    #[test]
    fn totals_and_one_row_per_channel_with_rates() {
        let lines = lines(
            json!({"ErrorCode": 0, "Results": [{"TotalCount": 10, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1,
            "PlatformStatistics": [
                {"EventType": 2, "PushPlatform": 0, "TotalCount": 2, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0},
                {"EventType": 1, "PushPlatform": 3, "TotalCount": 8, "SentCount": 8, "DeliveredCount": 4, "ClickCount": 1}]}]}),
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(
            *row(&lines, Value::Null, Value::Null),
            json!({"sdkappid": 7, "date": "2026-11-29", "event": "all", "event_code": null,
                   "platform": "all", "platform_code": null, "total": 10, "sent": 8, "delivered": 4,
                   "clicked": 1, "delivery_rate": 0.5, "click_rate": 0.25,
                   "pulled_at": "2026-11-30T02:00:00.000Z"})
        );
        let huawei = row(&lines, json!(1), json!(3));
        assert_eq!(
            (&huawei["event"], &huawei["platform"]),
            (&json!("offline"), &json!("huawei"))
        );
        let online = row(&lines, json!(2), json!(0));
        assert_eq!(
            (&online["platform"], &online["delivery_rate"]),
            (&json!("unknown"), &Value::Null)
        );
    }

    #[test]
    fn a_count_not_sent_is_null_and_never_zero() {
        let lines = lines(json!({"Results": [{"TotalCount": 5,
            "PlatformStatistics": [{"EventType": 1, "TotalCount": 5, "SentCount": 4}]}]}));
        let totals = row(&lines, Value::Null, Value::Null);
        assert_eq!(totals["total"], json!(5));
        for column in [
            "sent",
            "delivered",
            "clicked",
            "delivery_rate",
            "click_rate",
        ] {
            assert_eq!(totals[column], Value::Null, "{column}");
        }
        let channel = row(&lines, json!(1), Value::Null);
        assert_eq!(
            (&channel["platform"], &channel["sent"]),
            (&json!("unknown"), &json!(4))
        );
        assert_eq!(channel["delivered"], Value::Null);
    }

    #[test]
    fn results_entries_are_summed_into_one_totals_row_and_unknown_codes_stay_apart() {
        let lines = lines(json!({"Results": [
            {"TotalCount": 3, "SentCount": 2, "PlatformStatistics": [
                {"EventType": 1, "PushPlatform": 12, "TotalCount": 1},
                {"EventType": 1, "PushPlatform": 13, "TotalCount": 2}]},
            {"TotalCount": 4, "PlatformStatistics": [
                {"EventType": 1, "PushPlatform": 12, "TotalCount": 4}]}]}));
        let totals: Vec<&Value> = lines.iter().filter(|l| l["event"] == "all").collect();
        assert_eq!(totals.len(), 1, "one totals row a day");
        assert_eq!(
            (&totals[0]["total"], &totals[0]["sent"]),
            (&json!(7), &json!(2))
        );
        assert_eq!(row(&lines, json!(1), json!(12))["total"], json!(5));
        assert_eq!(row(&lines, json!(1), json!(13))["total"], json!(2));
        assert_eq!(row(&lines, json!(1), json!(13))["platform"], "unknown");
    }

    #[test]
    fn no_result_is_a_day_of_zeros_and_no_list_is_an_error() {
        let empty = lines(json!({"ErrorCode": 0, "Results": []}));
        assert_eq!(empty.len(), 1);
        assert_eq!(
            (&empty[0]["total"], &empty[0]["clicked"]),
            (&json!(0), &json!(0))
        );
        for bad in [
            json!({"ErrorCode": 0}),
            json!({"Results": {"TotalCount": 1}}),
            json!({"Results": [1]}),
        ] {
            assert!(push_object(7, date(), &bad).is_err(), "{bad}");
        }
        // The channels' order in the answer does not change the day.
        let hash = |stats: Value| {
            let envelope = json!({"Results": [{"PlatformStatistics": stats}]});
            push_object(7, date(), &envelope).unwrap().content_sha256()
        };
        let a = json!({"EventType": 1, "PushPlatform": 1, "TotalCount": 1});
        let b = json!({"EventType": 1, "PushPlatform": 2, "TotalCount": 2});
        assert_eq!(hash(json!([a, b])), hash(json!([b, a])));
    }

    #[test]
    fn a_row_that_went_lower_keeps_its_counts_and_rows_that_grew_are_written() {
        // A day: its totals, and offline pushes on Xiaomi (2) and Huawei (3).
        let day = |total: u64, xiaomi: u64, huawei: Option<u64>| {
            let channel =
                |platform, n| json!({"EventType": 1, "PushPlatform": platform, "TotalCount": n});
            let mut platforms = vec![channel(2, xiaomi)];
            platforms.extend(huawei.map(|n| channel(3, n)));
            let envelope =
                json!({"Results": [{"TotalCount": total, "PlatformStatistics": platforms}]});
            push_object(7, date(), &envelope).unwrap()
        };
        let totals = |object: &DailyObject| {
            [Value::Null, json!(2), json!(3)].map(|code| {
                let row = object.lines.iter().find(|l| l["platform_code"] == code);
                row.map(|l| l["total"].clone())
            })
        };
        let archived = day(10, 6, Some(4)).body(Some("t"));
        let (same, kept) = keeping_lower_rows(day(12, 7, Some(5)), &archived);
        assert!(kept.is_empty(), "all grew");
        assert_eq!(same.content_sha256(), day(12, 7, Some(5)).content_sha256());

        let (mixed, kept) = keeping_lower_rows(day(12, 7, Some(3)), &archived);
        assert_eq!(
            kept,
            ["total of event offline, platform huawei (codes 1, 3): 3 < archived 4"]
        );
        let expected = [12, 7, 4].map(|n| Some(json!(n)));
        assert_eq!(
            totals(&mixed),
            expected,
            "Huawei's lower row keeps its counts"
        );
        let (gone, kept) = keeping_lower_rows(day(12, 7, None), &archived);
        assert_eq!(
            (kept.len(), totals(&gone)),
            (1, expected),
            "a channel gone is kept"
        );
        // An unreadable archived object is repaired by the new day.
        let (_, kept) = keeping_lower_rows(day(1, 1, None), b"not json");
        assert!(kept.is_empty());
    }

    #[test]
    fn a_count_past_bigint_is_null_with_its_text() {
        let lines = lines(json!({"Results": [{"TotalCount": u64::MAX, "SentCount": 3}]}));
        assert_eq!(
            (&lines[0]["total"], &lines[0]["sent"]),
            (&Value::Null, &json!(3))
        );
        assert_eq!(
            lines[0][crate::archive::object::MALFORMED_COLUMN],
            json!({"total": u64::MAX.to_string()})
        );
    }
}
