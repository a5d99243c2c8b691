//! The run ledger: permanent failures are not retried.
//!
//! EventBridge invokes ops-pull asynchronously, and Lambda retries a failed
//! invocation twice (`MaximumRetryAttempts: 2`) with the same event. That
//! helps a transient failure; a permanent one (a refused UserSig, a wrong
//! SDKAppID, an answer without a usable `Date`) fails the same way again,
//! and a refused UserSig sent twice more only brings Tencent's 70050
//! lock-out closer. So a run whose error is not retryable writes
//! `{prefix}/runs/event-id={id}.json` (the EventBridge event's id; for a
//! manual payload, `request-id={Lambda request id}`, which Lambda keeps for
//! the retries of an asynchronous invocation) and a retry of that event
//! finds it and answers the same `errorType` at once, without calling
//! Tencent. The next scheduled run is a new event and tries again.
//!
//! An entry counts for [`RETRY_WINDOW`] (the template's
//! `MaximumEventAgeInSeconds`: Lambda retries no event older than that), so
//! a sample event replayed by hand later runs again. A ledger that cannot
//! be read or written costs only that protection: the run goes on as
//! without it, with a warning.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::archive::store::{ArchiveStore, PutCondition, PutRequest};
use crate::error::{RunError, RunErrorKind};

/// How long an entry answers for its event: Lambda's maximum event age for
/// ops-pull's asynchronous invocations (`MaximumEventAgeInSeconds: 21600`).
pub const RETRY_WINDOW: Duration = Duration::hours(6);

/// Content type of a ledger entry.
pub const LEDGER_CONTENT_TYPE: &str = "application/json";

/// What names one event across Lambda's retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunKey {
    /// An EventBridge event's `id`.
    Event(String),
    /// Lambda's request id (a manual payload).
    Request(String),
}

impl std::fmt::Display for RunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunKey::Event(id) => write!(f, "event-id={id}"),
            RunKey::Request(id) => write!(f, "request-id={id}"),
        }
    }
}

impl RunKey {
    /// The event's id when the payload is an EventBridge event, else the
    /// request id (when there is one). Ids that could leave the `runs/`
    /// folder or need escaping are not used.
    pub fn of(payload: &Value, request_id: Option<&str>) -> Option<Self> {
        let event_id = payload
            .get("detail-type")
            .and(payload.get("id"))
            .and_then(Value::as_str);
        match (event_id, request_id) {
            (Some(id), _) if is_safe(id) => Some(RunKey::Event(id.to_owned())),
            (None, Some(id)) if is_safe(id) => Some(RunKey::Request(id.to_owned())),
            _ => None,
        }
    }
}

fn is_safe(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !id.starts_with('.')
}

/// One recorded permanent failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub error_type: String,
    pub error_message: String,
    /// RFC 3339, UTC.
    pub recorded_at: String,
}

/// The error an earlier attempt of this event recorded within
/// [`RETRY_WINDOW`] of `now`, if any.
pub async fn recorded<A: ArchiveStore>(
    store: &A,
    key: &str,
    now: DateTime<Utc>,
) -> Option<RunError> {
    let body = match store.get(key).await {
        Ok(Some((_, body))) => body,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!(key, error = %error, "run ledger not read: running as a first attempt");
            return None;
        }
    };
    let entry: Entry = match serde_json::from_slice(&body) {
        Ok(entry) => entry,
        Err(error) => {
            tracing::warn!(key, error = %error, "run ledger entry unreadable: running as a first attempt");
            return None;
        }
    };
    entry.answer(key, now)
}

impl Entry {
    /// The error to answer a retry with at `now`: the recorded one while
    /// Lambda may still retry the event, else none (run again).
    pub fn answer(&self, key: &str, now: DateTime<Utc>) -> Option<RunError> {
        let age = DateTime::parse_from_rfc3339(&self.recorded_at).map(|at| now - at.to_utc());
        if !age.is_ok_and(|age| age < RETRY_WINDOW) {
            tracing::info!(key, recorded_at = %self.recorded_at, "run ledger entry older than Lambda's retries: running again");
            return None;
        }
        let kind = RunErrorKind::from_error_type(&self.error_type)?;
        tracing::error!(key, error_type = kind.error_type(), recorded_at = %self.recorded_at, "this event already failed permanently: not calling Tencent again");
        Some(RunError::Recorded {
            kind,
            message: format!(
                "not retried: an earlier attempt of this event failed permanently at {} ({key}; delete it to run this event again now): {}",
                self.recorded_at, self.error_message
            ),
        })
    }
}

/// Records `error` when no retry can help it (nothing otherwise).
pub async fn record<A: ArchiveStore>(store: &A, key: &str, error: &RunError) {
    if error.is_retryable() || matches!(error, RunError::Recorded { .. }) {
        return;
    }
    let entry = Entry {
        error_type: error.error_type().to_owned(),
        error_message: error.to_string(),
        recorded_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    };
    let Ok(body) = serde_json::to_vec(&entry) else {
        return;
    };
    let put = store.put(PutRequest {
        key: key.to_owned(),
        body,
        content_type: LEDGER_CONTENT_TYPE,
        content_encoding: None,
        content_sha256: None,
        condition: PutCondition::Always,
    });
    match put.await {
        Ok(_) => tracing::info!(
            key,
            error_type = entry.error_type,
            "permanent failure recorded: Lambda's retries of this event will not call Tencent"
        ),
        Err(error) => {
            tracing::warn!(key, error = %error, "run ledger not written: Lambda's retries will run again")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_is_named_by_its_id_and_a_manual_run_by_its_request() {
        let event = json!({"detail-type": "Scheduled Event", "source": "aws.events",
                           "id": "89d1a02d-5ec7-412e-82f5-13505f849b41", "detail": {}});
        assert_eq!(
            RunKey::of(&event, Some("req-1")).map(|k| k.to_string()),
            Some("event-id=89d1a02d-5ec7-412e-82f5-13505f849b41".into())
        );
        assert_eq!(
            RunKey::of(&json!({"dry_run": false}), Some("req-1")),
            Some(RunKey::Request("req-1".into()))
        );
        // An "id" in a manual payload is not an event id.
        assert_eq!(
            RunKey::of(&json!({"id": "x"}), None),
            None,
            "no request id: no ledger"
        );
        for bad in ["../x", "a/b", "", ".hidden", "a b"] {
            let event = json!({"detail-type": "Scheduled Event", "id": bad});
            assert_eq!(RunKey::of(&event, None), None, "{bad:?}");
        }
    }

    #[test]
    fn an_entry_answers_only_while_lambda_may_retry_the_event() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T03:00:00Z")
            .unwrap()
            .to_utc();
        let entry = |recorded_at: &str, error_type: &str| Entry {
            error_type: error_type.into(),
            error_message: "Tencent refused".into(),
            recorded_at: recorded_at.into(),
        };
        let fresh = entry("2026-12-06T02:58:00.000Z", "TencentConfiguration")
            .answer("k", now)
            .unwrap();
        assert_eq!(fresh.error_type(), "TencentConfiguration");
        assert!(fresh.to_string().contains("Tencent refused"), "{fresh}");
        assert!(fresh.to_string().contains("delete it"), "{fresh}");
        // 21600 s (MaximumEventAgeInSeconds) later no retry can come: a
        // replayed sample event runs again.
        assert!(
            entry("2026-12-05T21:00:00.000Z", "TencentConfiguration")
                .answer("k", now)
                .is_none()
        );
        assert!(
            entry("2026-12-05T21:00:01.000Z", "TencentConfiguration")
                .answer("k", now)
                .is_some()
        );
        assert!(
            entry("yesterday", "TencentConfiguration")
                .answer("k", now)
                .is_none()
        );
        assert!(
            entry("2026-12-06T02:58:00.000Z", "Panic")
                .answer("k", now)
                .is_none()
        );
    }

    #[test]
    fn the_window_is_the_templates_maximum_event_age() {
        let template = include_str!("../../../infra/template.yaml");
        let invoke_config = &template[template.find("EventInvokeConfig:").unwrap()..];
        let seconds: i64 = invoke_config
            .lines()
            .find_map(|l| l.trim().strip_prefix("MaximumEventAgeInSeconds:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(RETRY_WINDOW, Duration::seconds(seconds));
    }
}
