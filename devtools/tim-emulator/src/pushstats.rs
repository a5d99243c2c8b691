//! `v4/timpush/all_member_push_statistics`: validation as Tencent documents
//! it (90100 for invalid parameters) and integer statistics deterministic
//! per (task, window), with `Total >= Sent >= Delivered >= Click` on every
//! channel and the task totals the sums of its channels.

use serde_json::{Map, Value, json};

use crate::reply::ApiError;
use crate::seeded::Seeded;

/// At most this many seconds between StartTime and EndTime (30 days).
pub const MAX_WINDOW_SECS: i64 = 30 * 24 * 60 * 60;
/// At most this many TaskIDs per request.
pub const MAX_TASK_IDS: usize = 5;
/// Offline push vendors: APNs, Mi, Huawei, FCM, Meizu, OPPO, vivo, HONOR.
pub const OFFLINE_PLATFORMS: std::ops::RangeInclusive<i64> = 1..=8;

const OFFLINE: i64 = 1;
const ONLINE: i64 = 2;

/// A validated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushStatsQuery {
    pub start_time: i64,
    pub end_time: i64,
    /// Empty asks for the overall statistics.
    pub task_ids: Vec<String>,
}

/// Validates the body: StartTime and EndTime non-negative integers,
/// StartTime < EndTime, window <= 30 days, TaskID (optional) an array of at
/// most 5 non-empty strings.
pub fn validate(body: &Value) -> Result<PushStatsQuery, ApiError> {
    let invalid = |why: String| ApiError::new(90100, format!("invalid request parameters: {why}"));
    let Value::Object(body) = body else {
        return Err(invalid("the body is not a JSON object".into()));
    };
    let time = |name: &str| match body.get(name) {
        Some(Value::Number(n)) => n.as_i64().filter(|t| *t >= 0).ok_or_else(|| {
            invalid(format!(
                "{name} must be a non-negative integer of unix seconds"
            ))
        }),
        Some(_) => Err(invalid(format!("{name} must be an integer"))),
        None => Err(invalid(format!("{name} is required"))),
    };
    let start_time = time("StartTime")?;
    let end_time = time("EndTime")?;
    if start_time >= end_time {
        return Err(invalid("StartTime must be before EndTime".into()));
    }
    if end_time - start_time > MAX_WINDOW_SECS {
        return Err(invalid("at most 30 days of data can be queried".into()));
    }
    let task_ids = match body.get("TaskID") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(id) if !id.is_empty() => Ok(id.clone()),
                _ => Err(invalid("TaskID must hold non-empty strings".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(invalid("TaskID must be an array".into())),
    };
    if task_ids.len() > MAX_TASK_IDS {
        return Err(invalid(format!(
            "at most {MAX_TASK_IDS} TaskIDs per request"
        )));
    }
    Ok(PushStatsQuery {
        start_time,
        end_time,
        task_ids,
    })
}

/// The full answer for a validated query of app `sdkappid` (each app has
/// its own numbers).
pub fn answer(sdkappid: u64, query: &PushStatsQuery) -> Value {
    let results: Vec<Value> = if query.task_ids.is_empty() {
        vec![task_result(sdkappid, "", query)]
    } else {
        query
            .task_ids
            .iter()
            .map(|id| task_result(sdkappid, id, query))
            .collect()
    };
    json!({ "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "Results": results })
}

#[derive(Default, Clone, Copy)]
struct Counts {
    total: u64,
    sent: u64,
    delivered: u64,
    click: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.total += other.total;
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.click += other.click;
    }

    fn write(self, object: &mut Map<String, Value>) {
        object.insert("TotalCount".into(), self.total.into());
        object.insert("SentCount".into(), self.sent.into());
        object.insert("DeliveredCount".into(), self.delivered.into());
        object.insert("ClickCount".into(), self.click.into());
    }
}

fn task_result(sdkappid: u64, task_id: &str, query: &PushStatsQuery) -> Value {
    let (start, end) = (query.start_time.to_string(), query.end_time.to_string());
    let app = sdkappid.to_string();
    let mut seeded = Seeded::new(&["push", &app, task_id, &start, &end]);
    // Bigger windows hold more pushes; the overall figure covers every task.
    let window_days =
        u64::try_from((query.end_time - query.start_time + 86_399) / 86_400).unwrap_or(1);
    let base = if task_id.is_empty() { 5_000 } else { 400 } * window_days.max(1);

    let channels = OFFLINE_PLATFORMS
        .map(|platform| (OFFLINE, platform))
        .chain(std::iter::once((ONLINE, 0)));
    let mut totals = Counts::default();
    let mut platform_statistics = Vec::new();
    for (event_type, platform) in channels {
        let total = seeded.range(base / 10, base);
        let sent = seeded.share(total, 70, 100);
        let delivered = seeded.share(sent, 40, 100);
        let click = seeded.share(delivered, 0, 30);
        let counts = Counts {
            total,
            sent,
            delivered,
            click,
        };
        totals.add(counts);
        let mut entry = Map::new();
        entry.insert("EventType".into(), event_type.into());
        entry.insert("PushPlatform".into(), platform.into());
        counts.write(&mut entry);
        platform_statistics.push(Value::Object(entry));
    }
    let mut result = Map::new();
    result.insert("TaskID".into(), task_id.into());
    totals.write(&mut result);
    result.insert(
        "PlatformStatistics".into(),
        Value::Array(platform_statistics),
    );
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn code(body: Value) -> i64 {
        validate(&body).err().map_or(0, |e| e.code)
    }

    #[test]
    fn validation_follows_the_documented_limits() {
        assert_eq!(code(json!({"StartTime": 0, "EndTime": 30 * DAY})), 0);
        assert_eq!(
            code(json!({"StartTime": 0, "EndTime": 30 * DAY + 1})),
            90100
        );
        assert_eq!(code(json!({"StartTime": 5, "EndTime": 5})), 90100);
        assert_eq!(code(json!({"StartTime": 6, "EndTime": 5})), 90100);
        assert_eq!(code(json!({"EndTime": 5})), 90100);
        assert_eq!(code(json!({"StartTime": "1", "EndTime": 5})), 90100);
        assert_eq!(code(json!({"StartTime": 1.5, "EndTime": 5})), 90100);
        assert_eq!(
            code(json!({"StartTime": 1, "EndTime": 5, "TaskID": vec!["a"; 5]})),
            0
        );
        assert_eq!(
            code(json!({"StartTime": 1, "EndTime": 5, "TaskID": vec!["a"; 6]})),
            90100
        );
        assert_eq!(
            code(json!({"StartTime": 1, "EndTime": 5, "TaskID": [1]})),
            90100
        );
        assert_eq!(
            code(json!({"StartTime": 1, "EndTime": 5, "TaskID": "a"})),
            90100
        );
        assert_eq!(code(json!([])), 90100);
    }

    #[test]
    fn counts_are_monotone_and_sum_up() {
        let query =
            validate(&json!({"StartTime": 0, "EndTime": 7 * DAY, "TaskID": ["t1", "t2"]})).unwrap();
        let answer = answer(7, &query);
        assert_eq!(answer, super::answer(7, &query), "deterministic");
        assert_ne!(answer, super::answer(8, &query), "each app its own numbers");
        let results = answer["Results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_ne!(results[0]["TotalCount"], results[1]["TotalCount"]);
        for result in results {
            let platforms = result["PlatformStatistics"].as_array().unwrap();
            assert_eq!(platforms.len(), 9);
            for field in ["TotalCount", "SentCount", "DeliveredCount", "ClickCount"] {
                let sum: u64 = platforms.iter().map(|p| p[field].as_u64().unwrap()).sum();
                assert_eq!(result[field].as_u64(), Some(sum));
            }
            for p in platforms {
                let [t, s, d, c] = ["TotalCount", "SentCount", "DeliveredCount", "ClickCount"]
                    .map(|f| p[f].as_u64().unwrap());
                assert!(t >= s && s >= d && d >= c);
            }
        }
    }
}
