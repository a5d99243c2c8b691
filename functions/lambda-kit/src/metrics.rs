//! CloudWatch metrics as Embedded Metric Format (EMF) documents on stdout.
//!
//! Lambda sends stdout to CloudWatch Logs, which turns each EMF line into
//! metric data points: no PutMetricData call, no network on the hot path.
//! The metrics this project emits are listed once, in `infra/metrics.json`;
//! the functions' tests check every document against that list and against
//! the EMF specification (testkit's EMF validator).
//!
//! Why not a crate: `metrics_cloudwatch_embedded` aggregates through the
//! `metrics` facade and stamps every flush with the current time, but
//! ops-pull must stamp each day's business numbers inside that (past) day;
//! AWS Labs' `metrique` can, but brings a proc-macro framework and several
//! crates for what is here one small serialiser over `serde_json`. See
//! lambda-kit's README.
//!
//! ```
//! use lambda_kit::metrics::{Metrics, Unit};
//!
//! let (metrics, lines) = Metrics::capture("TencentChat");
//! metrics.emit(
//!     metrics
//!         .document()
//!         .dimension("SDKAppID", "1400000000")
//!         .metric("DaysWritten", Unit::Count, 3),
//! );
//! let line = lines.take().pop().unwrap();
//! let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
//! assert_eq!(doc["DaysWritten"], 3);
//! assert_eq!(doc["SDKAppID"], "1400000000");
//! assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "TencentChat");
//! ```

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Map, Value, json};
use tim::config::{ConfigError, Env};

/// The namespace unless `METRICS_NAMESPACE` says otherwise.
pub const DEFAULT_NAMESPACE: &str = "TencentChat";
/// The variable that overrides the namespace.
pub const NAMESPACE_ENV: &str = "METRICS_NAMESPACE";

/// EMF allows at most this many metrics in one document.
pub const MAX_METRICS: usize = 100;
/// EMF allows at most this many dimensions in one dimension set.
pub const MAX_DIMENSIONS: usize = 30;

/// A CloudWatch unit (those `infra/metrics.json` uses). The variants'
/// names are CloudWatch's spellings (written through `Debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of things.
    Count,
    /// A duration in milliseconds.
    Milliseconds,
    /// No unit (hours, ratios: CloudWatch has no unit for them).
    None,
}

/// Where documents go (stdout in Lambda, a buffer in tests), and their namespace.
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: String,
    /// `None`: stdout.
    sink: Option<Captured>,
}

/// Lines captured by [`Metrics::capture`] (tests, examples).
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<String>>>);

impl Captured {
    /// The lines written so far, emptying the buffer.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines())
    }

    fn lines(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Metrics {
    /// Documents to stdout, namespace from `METRICS_NAMESPACE`
    /// (default `TencentChat`). CloudWatch refuses namespaces starting with
    /// `AWS/`, so they are a configuration error here, not lost data later.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let namespace = env
            .parse_with(NAMESPACE_ENV, |text| match text {
                t if t.starts_with("AWS/") => {
                    Err("namespaces starting with AWS/ are reserved for AWS")
                }
                t if t.len() > 255 => Err("at most 255 characters"),
                t => Ok(t.to_owned()),
            })?
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        let sink = None;
        Ok(Self { namespace, sink })
    }

    /// Documents kept in memory, for tests.
    pub fn capture(namespace: impl Into<String>) -> (Self, Captured) {
        let (namespace, captured) = (namespace.into(), Captured::default());
        let sink = Some(captured.clone());
        (Self { namespace, sink }, captured)
    }

    /// The namespace documents are written under.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// A new document stamped now.
    pub fn document(&self) -> Document {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        Document::default().at(now.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
    }

    /// Writes `document` as one line; a document with no metric is skipped
    /// (EMF needs at least one).
    pub fn emit(&self, document: Document) {
        if document.metrics.is_empty() {
            return;
        }
        let line = document.into_line(&self.namespace);
        match &self.sink {
            Some(captured) => captured.lines().push(line),
            // One write of the whole line under stdout's lock, so a log line
            // from another task never lands inside a document.
            None => drop(writeln!(std::io::stdout().lock(), "{line}")),
        }
    }
}

/// One EMF document: one timestamp, one dimension set, its metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    timestamp_ms: i64,
    dimensions: Map<String, Value>,
    metrics: Vec<Value>,
    /// The metrics' values, by name.
    values: Map<String, Value>,
}

impl Document {
    /// Stamps the document at `timestamp_ms` (milliseconds since the epoch):
    /// the data point belongs to that instant (CloudWatch accepts up to two
    /// weeks in the past).
    pub fn at(mut self, timestamp_ms: i64) -> Self {
        self.timestamp_ms = timestamp_ms;
        self
    }

    /// Adds a dimension (name and value; values are always strings in EMF).
    /// Beyond [`MAX_DIMENSIONS`] further dimensions are ignored.
    pub fn dimension(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if self.dimensions.len() < MAX_DIMENSIONS {
            self.dimensions
                .insert(name.into(), Value::String(value.into()));
        }
        self
    }

    /// Adds a metric. Beyond [`MAX_METRICS`] further metrics are ignored
    /// (split them over several documents). Integers are written as sent
    /// (no float rounding of large counts); a value that is not a finite
    /// number is skipped: CloudWatch would reject the document.
    pub fn metric(mut self, name: impl Into<String>, unit: Unit, value: impl Serialize) -> Self {
        // serde_json writes a non-finite float as null.
        if self.metrics.len() < MAX_METRICS
            && let Ok(Value::Number(number)) = serde_json::to_value(value)
        {
            let name = name.into();
            self.metrics
                .push(json!({"Name": name, "Unit": format!("{unit:?}")}));
            self.values.insert(name, Value::Number(number));
        }
        self
    }

    fn into_line(mut self, namespace: &str) -> String {
        let aws = json!({
            "Timestamp": self.timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [self.dimensions.keys().collect::<Vec<_>>()],
                "Metrics": self.metrics,
            }],
        });
        self.values.extend(self.dimensions);
        self.values.insert("_aws".into(), aws);
        Value::Object(self.values).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_follows_the_emf_layout() {
        let (metrics, lines) = Metrics::capture("Test/NS");
        metrics.emit(
            metrics
                .document()
                .at(1_700_000_000_000)
                .dimension("SDKAppID", "1400000000")
                .metric("ActiveUserNum", Unit::Count, 12_u64)
                .metric("NewestDayLagHours", Unit::None, 30.5),
        );
        let lines = lines.take();
        assert_eq!(lines.len(), 1);
        let doc: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            doc,
            json!({
                "SDKAppID": "1400000000",
                "ActiveUserNum": 12,
                "NewestDayLagHours": 30.5,
                "_aws": {
                    "Timestamp": 1_700_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Test/NS",
                        "Dimensions": [["SDKAppID"]],
                        "Metrics": [
                            {"Name": "ActiveUserNum", "Unit": "Count"},
                            {"Name": "NewestDayLagHours", "Unit": "None"}
                        ]
                    }]
                }
            })
        );
    }

    #[test]
    fn empty_documents_and_non_finite_values_are_not_written() {
        let (metrics, lines) = Metrics::capture("NS");
        metrics.emit(metrics.document().dimension("SDKAppID", "1"));
        metrics.emit(metrics.document().metric("Lag", Unit::None, f64::NAN));
        assert!(lines.take().is_empty());
    }

    #[test]
    fn limits_are_kept() {
        let (metrics, lines) = Metrics::capture("NS");
        let mut doc = metrics.document();
        for i in 0..(MAX_METRICS + 5) {
            doc = doc.metric(format!("M{i}"), Unit::Count, i);
        }
        for i in 0..(MAX_DIMENSIONS + 5) {
            doc = doc.dimension(format!("D{i}"), "v");
        }
        metrics.emit(doc);
        let value: Value = serde_json::from_str(&lines.take()[0]).unwrap();
        let emf = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(emf["Metrics"].as_array().unwrap().len(), MAX_METRICS);
        assert_eq!(
            emf["Dimensions"][0].as_array().unwrap().len(),
            MAX_DIMENSIONS
        );
    }

    #[test]
    fn the_namespace_comes_from_the_environment() {
        let metrics = Metrics::from_env(&Env::from_pairs([("X", "y")])).unwrap();
        assert_eq!(metrics.namespace(), DEFAULT_NAMESPACE);
        let metrics =
            Metrics::from_env(&Env::from_pairs([(NAMESPACE_ENV, " Chat/Prod ")])).unwrap();
        assert_eq!(metrics.namespace(), "Chat/Prod");
        let err = Metrics::from_env(&Env::from_pairs([(NAMESPACE_ENV, "AWS/Lambda")])).unwrap_err();
        assert_eq!(err.variable, NAMESPACE_ENV);
    }
}
