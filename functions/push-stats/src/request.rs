//! The caller's question — app, window and task IDs — from a query string
//! (GET) or a JSON body (POST). Both are read as the same list of named
//! values and validated before Tencent is asked, one problem at a time:
//! repeated names, then names and values in the order given, missing
//! bounds, the window's shape ([`crate::window`]), the task IDs. Whether
//! Tencent can answer the window now (retention, future) is checked by the
//! handler right after.

use std::collections::HashSet;

use chrono::format::ParseErrorKind;
use chrono::{DateTime, NaiveDateTime};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use tim::api::json_kind;
use tim::api::push::MAX_TASK_IDS;

use crate::error::{ApiError, ErrorCode, echo};

/// The parameter naming the app.
pub const SDKAPPID: &str = "sdkappid";
/// Largest accepted POST body (after base64 decoding).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest accepted task ID, in characters.
pub const MAX_TASK_ID_CHARS: usize = 128;
/// The latest instant accepted, 9999-12-31T23:59:59Z: later is a typo
/// (milliseconds instead of seconds, most likely).
pub const MAX_UNIX: i64 = 253_402_300_799;

/// A validated request: `start < end`, at most 30 days apart, at most five
/// distinct, well-formed task IDs (none: the overall statistics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    /// The app asked for (`sdkappid`), when the caller named one. Whether it
    /// is one of ours is for [`crate::apps`] to say.
    pub sdkappid: Option<u64>,
    pub start: i64,
    pub end: i64,
    pub task_ids: Vec<String>,
}

impl StatsQuery {
    /// `start=…&end=…&task_id=a&task_id=b,c` (a `rawQueryString`).
    pub fn from_query_string(raw: &str) -> Result<Self, ApiError> {
        // An unencoded `+` (an offset) would decode to a space, which no
        // value may hold: it is read as the `+` the caller meant.
        let raw = raw.replace('+', "%2B");
        let entries = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())));
        read(entries.collect(), "task_id")
    }

    /// `{"sdkappid": …, "start": …, "end": …, "task_ids": […]}`; the size is
    /// checked by the caller. A `null` value counts as absent.
    pub fn from_json_body(body: &[u8]) -> Result<Self, ApiError> {
        let invalid = |message: String| ApiError::new(ErrorCode::InvalidJson, None, message);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(invalid(r#"the body is empty: POST a JSON object such as {"start": "2026-11-01", "end": "2026-11-08", "task_ids": []}"#.into()));
        }
        let Entries(entries) = serde_json::from_slice(body).map_err(|e| match e.is_data() {
            true => invalid(format!("the body must be a JSON object: {e}")),
            false => invalid(format!("the body is not valid JSON: {e}")),
        })?;
        read(entries, "task_ids")
    }
}

/// A JSON object's entries in document order, repeated keys kept
/// (serde_json's maps keep the last silently; an ambiguous request is refused).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// The named values of either form; `tasks` names the task-ID parameter
/// (`task_id`, repeatable and comma-separated, or `task_ids`, an array).
fn read(entries: Vec<(String, Value)>, tasks: &'static str) -> Result<StatsQuery, ApiError> {
    let mut seen = HashSet::new();
    if let Some((name, _)) = entries
        .iter()
        .find(|(name, _)| name != "task_id" && !seen.insert(name.as_str()))
    {
        let message = format!("{} is given more than once", echo(name));
        return Err(ApiError::param(
            ErrorCode::DuplicateParameter,
            name,
            message,
        ));
    }
    let (mut sdkappid, mut start, mut end, mut task_ids) = (None, None, None, Vec::new());
    for (name, value) in &entries {
        match name.as_str() {
            "start" => start = time(name, value)?,
            "end" => end = time(name, value)?,
            SDKAPPID => sdkappid = app(value)?,
            _ if name == tasks => task_ids.extend(task_list(tasks, value)?),
            _ => return Err(unknown_parameter(name, tasks)),
        }
    }
    let missing = |name: &str| {
        let message = format!(
            "{name} is required: unix seconds, a date (2026-11-01) or a timestamp (2026-11-01T12:00:00Z)"
        );
        ApiError::param(ErrorCode::MissingParameter, name, message)
    };
    let start = start.ok_or_else(|| missing("start"))?;
    let end = end.ok_or_else(|| missing("end"))?;
    crate::window::check_shape(start, end)?;

    let mut distinct = HashSet::new();
    for task_id in &task_ids {
        check_task_id(tasks, task_id)?;
    }
    task_ids.retain(|id| distinct.insert(id.clone()));
    if task_ids.len() > MAX_TASK_IDS {
        let message = format!(
            "{} distinct task IDs given; Tencent answers at most {MAX_TASK_IDS} per request",
            task_ids.len()
        );
        return Err(ApiError::param(ErrorCode::TooManyTaskIds, tasks, message));
    }
    Ok(StatsQuery {
        sdkappid,
        start,
        end,
        task_ids,
    })
}

fn unknown_parameter(name: &str, tasks: &str) -> ApiError {
    // Near misses, pointed at the parameter meant.
    let hint = match name.to_ascii_lowercase().replace('_', "").as_str() {
        "taskid" | "taskids" => format!(" (use {tasks})"),
        "starttime" => " (use start)".into(),
        "endtime" => " (use end)".into(),
        "sdkappid" | "appid" => " (use sdkappid)".into(),
        _ => String::new(),
    };
    let message = format!(
        "unknown parameter {}{hint}; known parameters: sdkappid, start, end, {tasks}",
        echo(name)
    );
    ApiError::param(ErrorCode::UnknownParameter, name, message)
}

/// `value` as messages show it after the parameter's name.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("({})", echo(text)),
        other => format!(
            "({})",
            other.to_string().chars().take(40).collect::<String>()
        ),
    }
}

/// `start` / `end`: unix seconds (a JSON integer or digits), a date
/// (`2026-11-01` = 00:00 UTC) or an RFC 3339 timestamp with an offset
/// (fractions of a second dropped), within 1970–9999.
fn time(name: &str, value: &Value) -> Result<Option<i64>, ApiError> {
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::String(text) => parse_time(text).map_err(str::to_owned),
        // A whole float (1793491200.0) too; `as` saturates, the range check follows.
        Value::Number(n) => (n.as_i64())
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| "must be a whole number of seconds".to_owned()),
        other => Err(format!(
            "must be a number (unix seconds) or a string (ISO-8601), not {}",
            json_kind(other)
        )),
    };
    let in_range = |s: i64| {
        (0..=MAX_UNIX)
            .contains(&s)
            .then_some(s)
            .ok_or(OUT_OF_RANGE.to_owned())
    };
    seconds.and_then(in_range).map(Some).map_err(|problem| {
        let message = format!("{name} {} {problem}", shown(value));
        ApiError::param(ErrorCode::InvalidTime, name, message)
    })
}

const OUT_OF_RANGE: &str =
    "must be between 1970-01-01 and 9999-12-31 (unix seconds, not milliseconds)";

fn parse_time(text: &str) -> Result<i64, &'static str> {
    if digits(text) {
        // Too many digits for an i64 is far out of range.
        return Ok(text.parse().unwrap_or(i64::MAX));
    }
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    DateTime::parse_from_rfc3339(&full).map(|t| t.timestamp()).map_err(|e| match e.kind() {
        ParseErrorKind::OutOfRange | ParseErrorKind::Impossible => "is not a real calendar date or time of day",
        _ if NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok() => {
            "is a timestamp without a UTC offset: add Z or ±HH:MM (2026-11-01T12:00:00Z)"
        }
        _ => "must be unix seconds (1793491200), a date (2026-11-01) or a timestamp with an offset \
              (2026-11-01T12:00:00Z, 2026-11-01T20:00:00+08:00)",
    })
}

/// ASCII digits only: no sign, space, fraction or exponent.
fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `sdkappid`: digits (a query value or a JSON string) or a JSON integer,
/// within u64.
fn app(value: &Value) -> Result<Option<u64>, ApiError> {
    let id = match value {
        Value::Null => return Ok(None),
        Value::String(text) if digits(text) => text.parse().ok(),
        Value::Number(number) => number.as_u64(),
        _ => None,
    };
    id.map(Some).ok_or_else(|| {
        let message = format!(
            "sdkappid {} must be the app's SDKAppID: a whole number (digits only)",
            shown(value)
        );
        ApiError::param(ErrorCode::InvalidSdkappid, SDKAPPID, message)
    })
}

/// A GET's `task_id` (commas separate IDs) or a POST's `task_ids` (an
/// array of strings; `null` or `[]` ask for the overall statistics).
fn task_list(tasks: &str, value: &Value) -> Result<Vec<String>, ApiError> {
    match value {
        Value::String(text) if tasks == "task_id" => {
            Ok(text.split(',').map(str::to_owned).collect())
        }
        Value::Null => Ok(Vec::new()),
        other => serde_json::from_value(other.clone()).map_err(|e| {
            let message = format!(r#"{tasks} must be an array of strings (e.g. ["task-1"]): {e}"#);
            ApiError::param(ErrorCode::InvalidTaskId, tasks, message)
        }),
    }
}

/// Task IDs are opaque to us, but kept sane: non-empty, at most 128
/// characters, no control characters, whitespace or commas (the GET
/// separator: a POST must mean the same as the equivalent GET).
fn check_task_id(tasks: &str, task_id: &str) -> Result<(), ApiError> {
    let chars = || task_id.chars();
    let problem = [
        (task_id.is_empty(), "is empty"),
        (
            chars().count() > MAX_TASK_ID_CHARS,
            "is longer than 128 characters",
        ),
        (
            chars().any(char::is_control),
            "contains a control character",
        ),
        (chars().any(char::is_whitespace), "contains whitespace"),
        (task_id.contains(','), "contains a comma"),
    ];
    match problem.iter().find(|(found, _)| *found) {
        Some((_, problem)) => {
            let message = format!("task ID {} {problem}", echo(task_id));
            Err(ApiError::param(ErrorCode::InvalidTaskId, tasks, message))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
