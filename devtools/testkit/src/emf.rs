//! Checks for CloudWatch Embedded Metric Format documents printed by the
//! functions: the EMF specification's structure, and the project's one list
//! of metrics (`infra/metrics.json`).
//!
//! The specification (AWS, "Specification: Embedded metric format"):
//! a root `_aws` object with an integer `Timestamp` (ms since the epoch) and
//! a `CloudWatchMetrics` array of directives; each directive has a
//! `Namespace` string, `Dimensions` (an array of dimension sets, each an
//! array of at most 30 strings naming root members whose values are
//! strings) and `Metrics` (at most 100 definitions with a `Name` naming a
//! root member that is a number or an array of numbers, an optional `Unit`
//! among CloudWatch's units, an optional `StorageResolution` 1 or 60).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One metric as an EMF document declared it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Declared {
    /// The directive's namespace.
    pub namespace: String,
    /// The metric's name.
    pub name: String,
    /// Its unit (`None` when absent).
    pub unit: String,
    /// The dimension set's names, in order.
    pub dimensions: Vec<String>,
}

/// The lines of `output` that are EMF documents (JSON objects with `_aws`).
pub fn documents(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .filter(|v| v.get("_aws").is_some())
        .collect()
}

/// Validates one document against the EMF specification; on success, the
/// metrics it declares (one per metric per dimension set).
pub fn validate(doc: &Value) -> Result<Vec<Declared>, String> {
    let root = doc.as_object().ok_or("not a JSON object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("_aws is not an object")?;
    let timestamp = aws.get("Timestamp").ok_or("_aws.Timestamp is missing")?;
    if !(timestamp.is_u64() || timestamp.is_i64()) {
        return Err(format!("_aws.Timestamp is not an integer: {timestamp}"));
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    if directives.is_empty() {
        return Err("_aws.CloudWatchMetrics is empty".into());
    }
    let mut declared = Vec::new();
    for directive in directives {
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty() && ns.len() <= 255)
            .ok_or("Namespace missing, empty or over 255 characters")?;
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("Dimensions is not an array")?;
        let mut dimension_sets = Vec::new();
        for set in sets {
            let names = set.as_array().ok_or("a dimension set is not an array")?;
            if names.len() > 30 {
                return Err(format!(
                    "a dimension set has {} names (max 30)",
                    names.len()
                ));
            }
            let mut set_names = Vec::new();
            for name in names {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                match root.get(name) {
                    Some(Value::String(_)) => {}
                    Some(other) => {
                        return Err(format!("dimension {name} is not a string: {other}"));
                    }
                    None => return Err(format!("dimension {name} has no root member")),
                }
                set_names.push(name.to_owned());
            }
            dimension_sets.push(set_names);
        }
        let metrics = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("Metrics is not an array")?;
        if metrics.len() > 100 {
            return Err(format!(
                "{} metrics in one directive (max 100)",
                metrics.len()
            ));
        }
        for metric in metrics {
            let name = metric
                .get("Name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty() && n.len() <= 1024)
                .ok_or("a metric has no Name")?;
            let unit = match metric.get("Unit") {
                None => "None".to_owned(),
                Some(Value::String(unit)) if UNITS.contains(&unit.as_str()) => unit.clone(),
                Some(other) => return Err(format!("{name}: unit {other} is not CloudWatch's")),
            };
            if let Some(resolution) = metric.get("StorageResolution")
                && resolution != 1
                && resolution != 60
            {
                return Err(format!("{name}: StorageResolution {resolution}"));
            }
            match root.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values)) if values.iter().all(Value::is_number) => {}
                Some(other) => return Err(format!("metric {name} is not a number: {other}")),
                None => return Err(format!("metric {name} has no value")),
            }
            for set in &dimension_sets {
                declared.push(Declared {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    unit: unit.clone(),
                    dimensions: set.clone(),
                });
            }
        }
    }
    Ok(declared)
}

/// One entry of `infra/metrics.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The metric's name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The dimension sets it may be published under.
    pub dimensions: BTreeSet<Vec<String>>,
    /// The functions that emit it.
    pub emitted_by: BTreeSet<String>,
}

/// `infra/metrics.json`, the one list of metrics.
pub fn catalog() -> &'static (String, Vec<Listed>) {
    static CATALOG: OnceLock<(String, Vec<Listed>)> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/metrics.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let strings = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let sets = |v: &Value| -> BTreeSet<Vec<String>> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|set| strings(set).into_iter().collect())
                .collect()
        };
        let mut listed: Vec<Listed> = doc["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| Listed {
                name: m["name"].as_str().unwrap_or_default().to_owned(),
                unit: m["unit"].as_str().unwrap_or_default().to_owned(),
                dimensions: sets(&m["dimensions"]),
                emitted_by: strings(&m["emitted_by"]),
            })
            .collect();
        let business = &doc["business_metrics"];
        for name in business["names"].as_array().into_iter().flatten() {
            listed.push(Listed {
                name: name.as_str().unwrap_or_default().to_owned(),
                unit: business["unit"].as_str().unwrap_or_default().to_owned(),
                dimensions: sets(&business["dimensions"]),
                emitted_by: strings(&business["emitted_by"]),
            });
        }
        let namespace = doc["namespace"]["default"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (namespace, listed)
    })
}

/// Validates every EMF document in `output` (a function's stdout) against
/// the specification and the catalog: each declared metric is listed for
/// `function`, with its unit and one of its dimension sets, under
/// `namespace`. Returns the documents.
pub fn check_output(output: &str, function: &str, namespace: &str) -> Vec<Value> {
    let docs = documents(output);
    let (_, listed) = catalog();
    for doc in &docs {
        let declared = validate(doc).unwrap_or_else(|e| panic!("invalid EMF document: {e}\n{doc}"));
        for d in declared {
            assert_eq!(d.namespace, namespace, "namespace of {doc}");
            let entry = listed
                .iter()
                .find(|l| l.name == d.name)
                .unwrap_or_else(|| panic!("{} is not in infra/metrics.json: {doc}", d.name));
            assert!(
                entry.emitted_by.contains(function),
                "{} is not listed as emitted by {function}",
                d.name
            );
            assert_eq!(entry.unit, d.unit, "unit of {}", d.name);
            assert!(
                entry.dimensions.contains(&d.dimensions),
                "{} with dimensions {:?} is not listed ({:?})",
                d.name,
                d.dimensions,
                entry.dimensions
            );
        }
    }
    docs
}

#[cfg(test)]
mod tests;
