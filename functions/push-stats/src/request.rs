//! The caller's question — app, window and task IDs — read from a query
//! string (GET) or a JSON body (POST), and validated before Tencent is asked.
//!
//! Errors are reported one at a time, in reading order: unknown or repeated
//! parameters and unreadable values first, then missing bounds, the window's
//! shape ([`crate::window`]), and the task IDs. Whether Tencent can answer
//! the window now (retention, future) is checked by the handler right after.

use std::collections::HashSet;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use tim::api::push::{MAX_TASK_IDS, PushStatsRequest};

use crate::error::{ApiError, ErrorCode, echo, value_for_message};
pub use crate::sdkappid_param::SDKAPPID;
use crate::sdkappid_param::{digits_sdkappid, json_sdkappid, sdkappid_hint};
use crate::time::{self, TimeError};
use tim::api::json_kind;

/// Largest accepted POST body (after base64 decoding).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest accepted task ID, in characters.
pub const MAX_TASK_ID_CHARS: usize = 128;

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
        let mut draft = Draft::new("task_id");
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            match key.as_ref() {
                "start" | "end" => {
                    let parsed = time::parse(&value)
                        .map_err(|e| time_error(&key, &value_for_message(&value), e))?;
                    draft.set_time(&key, parsed)?;
                }
                "task_id" => draft.task_ids.extend(value.split(',').map(str::to_owned)),
                "sdkappid" => draft.set_sdkappid(digits_sdkappid(&value)?)?,
                other => {
                    let hint = match other {
                        "task_ids" | "taskid" | "taskId" | "TaskID" => {
                            " (use task_id, repeated or comma-separated)"
                        }
                        _ => sdkappid_hint(other),
                    };
                    return Err(unknown_parameter(
                        other,
                        "sdkappid, start, end, task_id",
                        hint,
                    ));
                }
            }
        }
        draft.finish()
    }

    /// `{"sdkappid": …, "start": …, "end": …, "task_ids": […]}`; the size is checked by the caller.
    pub fn from_json_body(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                ErrorCode::InvalidJson,
                None,
                r#"the body is empty: POST a JSON object such as {"start": "2026-11-01", "end": "2026-11-08", "task_ids": []}"#,
            ));
        }
        let document: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                None,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        let Value::Object(fields) = document else {
            return Err(ApiError::new(
                ErrorCode::InvalidJson,
                None,
                format!(
                    "the body must be a JSON object, not {}",
                    json_kind(&document)
                ),
            ));
        };
        // serde_json keeps the last of repeated keys silently; an ambiguous
        // request is refused instead.
        if let Some(key) = first_repeated_key(body) {
            return Err(ApiError::param(
                ErrorCode::DuplicateParameter,
                &key,
                format!("{} appears more than once in the JSON object", echo(&key)),
            ));
        }

        let mut draft = Draft::new("task_ids");
        for (key, value) in &fields {
            match key.as_str() {
                "start" | "end" => {
                    if let Some(seconds) = json_time(key, value)? {
                        draft.set_time(key, seconds)?;
                    }
                }
                "task_ids" => draft.task_ids = json_task_ids(value)?,
                "sdkappid" => {
                    if let Some(id) = json_sdkappid(value)? {
                        draft.set_sdkappid(id)?;
                    }
                }
                other => {
                    let hint = match other {
                        "task_id" | "taskIds" | "TaskID" => {
                            r#" (use "task_ids": an array of strings)"#
                        }
                        "StartTime" | "start_time" => r#" (use "start")"#,
                        "EndTime" | "end_time" => r#" (use "end")"#,
                        _ => sdkappid_hint(other),
                    };
                    return Err(unknown_parameter(
                        other,
                        "sdkappid, start, end, task_ids",
                        hint,
                    ));
                }
            }
        }
        draft.finish()
    }

    /// The Tencent request body.
    pub fn tencent_request(&self) -> PushStatsRequest {
        PushStatsRequest {
            start_time: self.start,
            end_time: self.end,
            task_ids: self.task_ids.clone(),
        }
    }
}

/// Parameters read so far.
struct Draft {
    sdkappid: Option<u64>,
    start: Option<i64>,
    end: Option<i64>,
    task_ids: Vec<String>,
    /// `task_id` (GET) or `task_ids` (POST), for messages.
    task_param: &'static str,
}

impl Draft {
    fn new(task_param: &'static str) -> Self {
        Self {
            sdkappid: None,
            start: None,
            end: None,
            task_ids: Vec::new(),
            task_param,
        }
    }

    fn set_sdkappid(&mut self, id: u64) -> Result<(), ApiError> {
        if self.sdkappid.replace(id).is_some() {
            return Err(ApiError::param(
                ErrorCode::DuplicateParameter,
                SDKAPPID,
                "sdkappid is given more than once",
            ));
        }
        Ok(())
    }

    fn set_time(&mut self, name: &str, seconds: i64) -> Result<(), ApiError> {
        let slot = if name == "start" {
            &mut self.start
        } else {
            &mut self.end
        };
        if slot.replace(seconds).is_some() {
            return Err(ApiError::param(
                ErrorCode::DuplicateParameter,
                name,
                format!("{name} is given more than once"),
            ));
        }
        Ok(())
    }

    fn finish(self) -> Result<StatsQuery, ApiError> {
        let missing = |name: &str| {
            ApiError::param(
                ErrorCode::MissingParameter,
                name,
                format!(
                    "{name} is required: unix seconds, a date (2026-11-01) or a timestamp (2026-11-01T12:00:00Z)"
                ),
            )
        };
        let start = self.start.ok_or_else(|| missing("start"))?;
        let end = self.end.ok_or_else(|| missing("end"))?;
        crate::window::check_shape(start, end)?;

        let mut seen = HashSet::new();
        let mut task_ids = Vec::new();
        for task_id in self.task_ids {
            check_task_id(self.task_param, &task_id)?;
            if seen.insert(task_id.clone()) {
                task_ids.push(task_id);
            }
        }
        if task_ids.len() > MAX_TASK_IDS {
            return Err(ApiError::param(
                ErrorCode::TooManyTaskIds,
                self.task_param,
                format!(
                    "{} distinct task IDs given; Tencent answers at most {MAX_TASK_IDS} per request",
                    task_ids.len()
                ),
            ));
        }
        Ok(StatsQuery {
            sdkappid: self.sdkappid,
            start,
            end,
            task_ids,
        })
    }
}

/// Task IDs are opaque to us, but they are ours to keep sane: non-empty,
/// at most 128 characters, no control characters, no whitespace, no commas
/// (the GET separator: a POST must mean the same as the equivalent GET).
fn check_task_id(param: &str, task_id: &str) -> Result<(), ApiError> {
    let problem = if task_id.is_empty() {
        Some("is empty".to_owned())
    } else if task_id.chars().count() > MAX_TASK_ID_CHARS {
        Some(format!("is longer than {MAX_TASK_ID_CHARS} characters"))
    } else if task_id.chars().any(char::is_control) {
        Some("contains a control character".to_owned())
    } else if task_id.chars().any(char::is_whitespace) {
        Some("contains whitespace".to_owned())
    } else if task_id.contains(',') {
        Some("contains a comma".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ApiError::param(
            ErrorCode::InvalidTaskId,
            param,
            format!("task ID {} {problem}", echo(task_id)),
        )),
        None => Ok(()),
    }
}

fn time_error(name: &str, shown: &str, error: TimeError) -> ApiError {
    ApiError::param(
        ErrorCode::InvalidTime,
        name,
        format!("{name} {shown} {error}"),
    )
}

fn unknown_parameter(name: &str, known: &str, hint: &str) -> ApiError {
    ApiError::param(
        ErrorCode::UnknownParameter,
        name,
        format!(
            "unknown parameter {}{hint}; known parameters: {known}",
            echo(name)
        ),
    )
}

/// `start` / `end` in JSON: an integer (unix seconds) or a string (any
/// accepted form). `null` counts as absent.
fn json_time(name: &str, value: &Value) -> Result<Option<i64>, ApiError> {
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::String(text) => {
            time::parse(text).map_err(|e| time_error(name, &value_for_message(text), e))?
        }
        Value::Number(number) => {
            let shown = format!("({number})");
            let seconds = if let Some(whole) = number.as_i64() {
                time::from_unix(whole)
            } else if number.is_u64() {
                Err(TimeError::OutOfRange)
            } else {
                // A float: fine if it is whole (1793491200.0).
                match number.as_f64() {
                    Some(f) if f.fract() == 0.0 && (0.0..=time::MAX_UNIX as f64).contains(&f) => {
                        Ok(f as i64)
                    }
                    Some(f) if f.fract() == 0.0 => Err(TimeError::OutOfRange),
                    _ => Err(TimeError::NotWholeSeconds),
                }
            };
            seconds.map_err(|e| time_error(name, &shown, e))?
        }
        other => {
            return Err(ApiError::param(
                ErrorCode::InvalidTime,
                name,
                format!(
                    "{name} must be a number (unix seconds) or a string (ISO-8601), not {}",
                    json_kind(other)
                ),
            ));
        }
    };
    Ok(Some(seconds))
}

/// `task_ids` in JSON: an array of strings; `null` or `[]` ask for the overall statistics.
fn json_task_ids(value: &Value) -> Result<Vec<String>, ApiError> {
    let wrong = |what: String| ApiError::param(ErrorCode::InvalidTaskId, "task_ids", what);
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(text) => Ok(text.clone()),
                other => Err(wrong(format!(
                    "task_ids[{i}] must be a string, not {}",
                    json_kind(other)
                ))),
            })
            .collect(),
        other => Err(wrong(format!(
            r#"task_ids must be an array of strings (e.g. ["task-1"]), not {}"#,
            json_kind(other)
        ))),
    }
}

/// The first key that appears twice in the top-level object of `body`
/// (already known to be a well-formed JSON object).
fn first_repeated_key(body: &[u8]) -> Option<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = HashSet::new();
            let mut repeated = None;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if repeated.is_none() && !seen.insert(key.clone()) {
                    repeated = Some(key);
                }
            }
            Ok(repeated)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    deserializer.deserialize_map(Keys).ok().flatten()
}

#[cfg(test)]
mod tests;
