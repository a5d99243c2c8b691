//! What an invocation asks for: an EventBridge scheduled event (a normal
//! run), or a manual JSON input for runs and backfills.
//!
//! The payload is taken as raw JSON and classified here rather than by an
//! untagged serde enum, so that a mistyped manual input gets an error that
//! names the offending key instead of "did not match any variant".

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;
use tim::api::appinfo::{AppInfoRequest, DATE_FIELD, NUMERIC_FIELDS, TEXT_FIELDS};

/// A run, as the invocation asks for it. A manual input is this struct:
/// `{"fields": [...], "dry_run": true}`, both optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunRequest {
    /// `None`: every field. `Some`: a `RequestField` subset (validated,
    /// deduplicated, in request order).
    pub fields: Option<Vec<String>>,
    /// Pull and report, write nothing.
    pub dry_run: bool,
    /// The invocation's id (Lambda's request id), in the raw copies' keys;
    /// `None`: the run makes one up. Not part of the payload.
    #[serde(skip)]
    pub run_id: Option<String>,
}

/// An invocation payload that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(
        "expected an EventBridge scheduled event or a JSON object like {{\"fields\": [...], \"dry_run\": true}}, got {0}"
    )]
    NotAnObject(&'static str),
    #[error("not a valid EventBridge event: {0}")]
    Event(String),
    #[error("invalid manual input: {0} (accepted keys: \"fields\", \"dry_run\")")]
    Manual(String),
    #[error("\"fields\" is empty: omit it to pull every field")]
    NoFields,
    // (A name that is not even a word is unknown too.)
    #[error("\"fields\" names {name:?}, which getappinfo does not document; known fields: {known}")]
    UnknownField { name: String, known: String },
}

impl RunRequest {
    /// Classifies and validates an invocation payload. Nothing is called
    /// before this succeeds.
    pub fn from_payload(payload: Value) -> Result<Self, InputError> {
        match payload {
            // `cargo lambda invoke` without data, or a target with no input.
            Value::Null => return Ok(Self::default()),
            Value::Bool(_) => return Err(InputError::NotAnObject("a boolean")),
            Value::Number(_) => return Err(InputError::NotAnObject("a number")),
            Value::String(_) => return Err(InputError::NotAnObject("a string")),
            Value::Array(_) => return Err(InputError::NotAnObject("an array")),
            Value::Object(_) => {}
        }
        if payload.get("detail-type").is_some() {
            // A scheduled rule's event carries nothing to configure: a normal run.
            let event: EventBridgeEvent =
                serde_json::from_value(payload).map_err(|e| InputError::Event(e.to_string()))?;
            tracing::debug!(source = %event.source, detail_type = %event.detail_type, "scheduled run");
            return Ok(Self::default());
        }
        let mut request: Self =
            serde_json::from_value(payload).map_err(|e| InputError::Manual(e.to_string()))?;
        if let Some(fields) = &mut request.fields {
            if fields.is_empty() {
                return Err(InputError::NoFields);
            }
            let known: Vec<&str> = [TEXT_FIELDS, NUMERIC_FIELDS, &[DATE_FIELD]].concat();
            if let Some(name) = fields.iter().find(|name| !known.contains(&name.as_str())) {
                let (name, known) = (name.clone(), known.join(", "));
                return Err(InputError::UnknownField { name, known });
            }
            // Each name once, where it was first asked for.
            let mut seen = std::collections::HashSet::new();
            fields.retain(|name| seen.insert(name.clone()));
        }
        Ok(request)
    }

    /// What to ask Tencent: every field, or the subset plus `Date` (without
    /// it no row could be placed in a day).
    pub fn app_info_request(&self) -> AppInfoRequest {
        let Some(fields) = &self.fields else {
            return AppInfoRequest::all_fields();
        };
        let date = (!fields.iter().any(|f| f == DATE_FIELD)).then_some(DATE_FIELD);
        AppInfoRequest::only(fields.iter().map(String::as_str).chain(date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event_file(name: &str) -> Value {
        testkit::event("ops-pull", name)
    }

    #[test]
    fn the_sample_events_parse_and_null_or_empty_is_a_full_run() {
        for full in [
            event_file("scheduled"),
            event_file("manual"),
            Value::Null,
            json!({}),
        ] {
            assert_eq!(
                RunRequest::from_payload(full).unwrap(),
                RunRequest::default()
            );
        }
        let dry = RunRequest::from_payload(event_file("dry-run")).unwrap();
        assert!(dry.dry_run);
        assert_eq!(dry.fields, None);
        let subset = RunRequest::from_payload(event_file("fields")).unwrap();
        assert!(!subset.dry_run);
        assert_eq!(
            subset.fields.unwrap(),
            ["ActiveUserNum", "UpMsgNum", "DownMsgNum"]
        );
    }

    #[test]
    fn a_field_subset_always_asks_for_date_too() {
        let ask = |payload: Value| {
            RunRequest::from_payload(payload)
                .unwrap()
                .app_info_request()
        };
        assert_eq!(ask(json!({})), AppInfoRequest::all_fields());
        assert_eq!(
            ask(json!({"fields": ["UpMsgNum"]})),
            AppInfoRequest::only(["UpMsgNum", "Date"])
        );
        assert_eq!(
            ask(json!({"fields": ["Date", "UpMsgNum"]})),
            AppInfoRequest::only(["Date", "UpMsgNum"])
        );
    }

    #[test]
    fn wrong_input_is_refused_and_named() {
        let refused = |payload: Value| RunRequest::from_payload(payload).unwrap_err();
        let err = refused(json!({"dryrun": true}));
        assert!(matches!(err, InputError::Manual(_)), "{err:?}");
        assert!(err.to_string().contains("dryrun"), "an unknown key: {err}");
        for manual in [
            json!({"fields": "ActiveUserNum"}),
            json!({"dry_run": "yes"}),
            json!({"run_id": "not-part-of-the-payload"}),
        ] {
            assert!(matches!(refused(manual), InputError::Manual(_)));
        }
        assert_eq!(refused(json!([1])), InputError::NotAnObject("an array"));
        let event = refused(json!({"detail-type": "Scheduled Event"}));
        assert!(matches!(event, InputError::Event(_)), "{event:?}");
        assert_eq!(refused(json!({"fields": []})), InputError::NoFields);
        let name = refused(json!({"fields": ["Login Times"]}));
        assert!(
            matches!(&name, InputError::UnknownField { name, .. } if name == "Login Times"),
            "{name:?}"
        );
        let unknown = refused(json!({"fields": ["LoginTime"]}));
        assert!(
            matches!(&unknown, InputError::UnknownField { name, .. } if name == "LoginTime"),
            "{unknown:?}"
        );
        assert!(
            unknown.to_string().contains("LoginTimes"),
            "lists the known fields: {unknown}"
        );
    }

    #[test]
    fn field_names_are_deduplicated() {
        let ok = RunRequest::from_payload(json!({"fields": ["LoginTimes", "Date", "LoginTimes"]}))
            .unwrap();
        assert_eq!(
            ok.fields,
            Some(vec!["LoginTimes".to_owned(), "Date".to_owned()])
        );
    }
}
