//! Fault injection: a queue of "the next N API answers are this fault",
//! optionally only for one command, consumed in the order they were queued.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How an API answer goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Tencent's FAIL envelope with this `ErrorCode` (HTTP 200).
    ErrorCode(i64),
    /// The same, with an `ErrorInfo` that quotes the request URL (path and
    /// query, UserSig included), as a diagnostic might: clients must scrub it.
    EchoingErrorCode(i64),
    /// This HTTP status with a gateway's HTML page (e.g. 502).
    HttpStatus(u16),
    /// Wait this long, then answer normally (to outlast client timeouts).
    Delay(Duration),
    /// The normal answer cut in half, with a matching `Content-Length`.
    TruncatedBody,
    /// HTTP 200 with an HTML body instead of JSON.
    NonJsonBody,
    /// The normal answer (`ErrorCode` 0) with its `Result` changed.
    Result(ResultFault),
}

/// How [`Fault::Result`] changes a successful answer's data: getappinfo's
/// `Result`, or the push statistics' `Results`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFault {
    /// No `Result` member at all.
    Missing,
    /// `Result` an object (its first row) instead of a list.
    NotAList,
    /// `Result: []`.
    Empty,
    /// Rows carry only the `RequestField` names asked for: no `Date` unless
    /// asked (what a stricter Tencent would send).
    OnlyRequestedFields,
}

impl ResultFault {
    const NAMES: [(&'static str, ResultFault); 4] = [
        ("result_missing", ResultFault::Missing),
        ("result_not_a_list", ResultFault::NotAList),
        ("result_empty", ResultFault::Empty),
        (
            "result_only_requested_fields",
            ResultFault::OnlyRequestedFields,
        ),
    ];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("result", |(name, _)| name)
    }

    /// Applies the fault to a successful answer `value` to a request `body`.
    pub fn apply(self, value: &mut serde_json::Value, body: &serde_json::Value) {
        let Some(envelope) = value.as_object_mut() else {
            return;
        };
        // getappinfo's data is `Result`, the push statistics' `Results`.
        let member = if envelope.contains_key("Results") {
            "Results"
        } else {
            "Result"
        };
        match self {
            Self::Missing => drop(envelope.remove(member)),
            Self::NotAList => {
                let first = envelope
                    .get(member)
                    .and_then(|r| r.get(0))
                    .cloned()
                    .unwrap_or_default();
                envelope.insert(member.into(), first);
            }
            Self::Empty => drop(envelope.insert(member.into(), serde_json::json!([]))),
            Self::OnlyRequestedFields => {
                let asked: Vec<&str> = body
                    .get("RequestField")
                    .and_then(serde_json::Value::as_array)
                    .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
                    .unwrap_or_default();
                if asked.is_empty() {
                    return;
                }
                if let Some(rows) = envelope
                    .get_mut("Result")
                    .and_then(serde_json::Value::as_array_mut)
                {
                    for row in rows.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                        row.retain(|name, _| asked.contains(&name.as_str()));
                    }
                }
            }
        }
    }
}

/// One queued fault, as the admin API shows and accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// `error_code`, `echoing_error_code`, `http_status`, `delay`,
    /// `truncated_body`, `non_json_body`, `result_missing`,
    /// `result_not_a_list`, `result_empty`, `result_only_requested_fields`.
    pub fault: String,
    /// The code, the status, or the delay in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// How many API answers it affects (default 1).
    #[serde(default = "one")]
    pub times: usize,
    /// Only answers to this `service/command` (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

fn one() -> usize {
    1
}

impl FaultSpec {
    /// The fault this spec names, or why it names none.
    pub fn to_fault(&self) -> Result<Fault, String> {
        let value = |what: &str| {
            self.value
                .ok_or_else(|| format!("fault {:?} needs a \"value\" ({what})", self.fault))
        };
        match self.fault.as_str() {
            "error_code" => {
                let code = value("the ErrorCode")?;
                i64::try_from(code)
                    .map(Fault::ErrorCode)
                    .map_err(|_| "ErrorCode out of range".to_owned())
            }
            "echoing_error_code" => {
                let code = value("the ErrorCode")?;
                i64::try_from(code)
                    .map(Fault::EchoingErrorCode)
                    .map_err(|_| "ErrorCode out of range".to_owned())
            }
            "http_status" => {
                let status = value("the HTTP status")?;
                match u16::try_from(status) {
                    Ok(s) if (100..=999).contains(&s) => Ok(Fault::HttpStatus(s)),
                    _ => Err(format!("HTTP status {status} out of range")),
                }
            }
            "delay" => Ok(Fault::Delay(Duration::from_millis(value("milliseconds")?))),
            "truncated_body" => Ok(Fault::TruncatedBody),
            "non_json_body" => Ok(Fault::NonJsonBody),
            other => ResultFault::NAMES
                .iter()
                .find(|(name, _)| *name == other)
                .map(|(_, fault)| Fault::Result(*fault))
                .ok_or_else(|| {
                    format!(
                        "unknown fault {other:?} (error_code, echoing_error_code, http_status, delay, truncated_body, non_json_body, result_missing, result_not_a_list, result_empty, result_only_requested_fields)"
                    )
                }),
        }
    }

    fn of(fault: &Fault, times: usize, command: Option<&str>) -> Self {
        let (name, value) = match fault {
            Fault::ErrorCode(code) => ("error_code", u64::try_from(*code).ok()),
            Fault::EchoingErrorCode(code) => ("echoing_error_code", u64::try_from(*code).ok()),
            Fault::HttpStatus(status) => ("http_status", Some(u64::from(*status))),
            Fault::Delay(delay) => (
                "delay",
                Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            ),
            Fault::TruncatedBody => ("truncated_body", None),
            Fault::NonJsonBody => ("non_json_body", None),
            Fault::Result(fault) => (fault.name(), None),
        };
        Self {
            fault: name.to_owned(),
            value,
            times,
            command: command.map(str::to_owned),
        }
    }
}

#[derive(Debug)]
struct Queued {
    fault: Fault,
    remaining: usize,
    command: Option<String>,
}

/// The queue of pending faults.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue(Mutex<VecDeque<Queued>>);

impl FaultQueue {
    fn with<R>(&self, f: impl FnOnce(&mut VecDeque<Queued>) -> R) -> R {
        let mut queue = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut queue)
    }

    pub(crate) fn push(&self, fault: Fault, times: usize, command: Option<String>) {
        if times == 0 {
            return;
        }
        self.with(|q| {
            q.push_back(Queued {
                fault,
                remaining: times,
                command,
            })
        });
    }

    /// The fault the next answer to `command` gets: the oldest entry that
    /// applies to it, one use of which is consumed.
    pub(crate) fn take(&self, command: &str) -> Option<Fault> {
        self.with(|q| {
            let index = q
                .iter()
                .position(|e| e.command.as_deref().is_none_or(|c| c == command))?;
            let entry = &mut q[index];
            entry.remaining -= 1;
            let fault = entry.fault.clone();
            if entry.remaining == 0 {
                q.remove(index);
            }
            Some(fault)
        })
    }

    pub(crate) fn clear(&self) {
        self.with(VecDeque::clear);
    }

    pub(crate) fn pending(&self) -> Vec<FaultSpec> {
        self.with(|q| {
            q.iter()
                .map(|e| FaultSpec::of(&e.fault, e.remaining, e.command.as_deref()))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_and_filtered_by_command() {
        let queue = FaultQueue::default();
        queue.push(Fault::HttpStatus(502), 1, Some("a/b".into()));
        queue.push(Fault::ErrorCode(60007), 2, None);
        assert_eq!(queue.take("c/d"), Some(Fault::ErrorCode(60007)));
        assert_eq!(queue.take("a/b"), Some(Fault::HttpStatus(502)));
        assert_eq!(queue.take("a/b"), Some(Fault::ErrorCode(60007)));
        assert_eq!(queue.take("a/b"), None);
    }

    #[test]
    fn specs_round_trip() {
        for fault in [
            Fault::ErrorCode(60007),
            Fault::EchoingErrorCode(90100),
            Fault::HttpStatus(502),
            Fault::Delay(Duration::from_millis(3500)),
            Fault::TruncatedBody,
            Fault::NonJsonBody,
            Fault::Result(ResultFault::Missing),
            Fault::Result(ResultFault::NotAList),
            Fault::Result(ResultFault::Empty),
            Fault::Result(ResultFault::OnlyRequestedFields),
        ] {
            let spec = FaultSpec::of(&fault, 2, None);
            assert_eq!(spec.to_fault(), Ok(fault));
        }
        let missing = FaultSpec {
            fault: "error_code".into(),
            value: None,
            times: 1,
            command: None,
        };
        assert!(missing.to_fault().is_err());
    }

    #[test]
    fn result_faults_change_only_result() {
        let answer = serde_json::json!({"ErrorCode": 0, "ErrorInfo": "",
            "Result": [{"Date": "20261101", "UpMsgNum": "1", "LoginTimes": "2"}]});
        let asked = serde_json::json!({"RequestField": ["UpMsgNum"]});
        let apply = |fault: ResultFault| {
            let mut value = answer.clone();
            fault.apply(&mut value, &asked);
            value
        };
        assert!(apply(ResultFault::Missing).get("Result").is_none());
        assert_eq!(apply(ResultFault::NotAList)["Result"]["UpMsgNum"], "1");
        assert_eq!(apply(ResultFault::Empty)["Result"], serde_json::json!([]));
        assert_eq!(
            apply(ResultFault::OnlyRequestedFields)["Result"],
            serde_json::json!([{"UpMsgNum": "1"}])
        );
        assert_eq!(apply(ResultFault::Empty)["ErrorCode"], 0);
    }
}
