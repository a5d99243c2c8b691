//! One configuration layer for every variable of every function.
//!
//! Every setting is read through [`Env`]: one lookup (the process
//! environment, or a map in tests), values trimmed, an empty value taken as
//! unset, and one error type, [`ConfigError`], that names the variable and
//! says what is wrong with it. Functions read their settings once per cold
//! start and fail fast with that error.
//!
//! ```
//! use tim::config::Env;
//!
//! let env = Env::from_pairs([("OPS_BUCKET", "  ops-archive "), ("OPS_PREFIX", "")]);
//! assert_eq!(env.get("OPS_BUCKET").as_deref(), Some("ops-archive"));
//! assert_eq!(env.get("OPS_PREFIX"), None); // empty = unset
//! let err = env.required("TIM_KEY_SECRET_ID", "the key secret's id or ARN").unwrap_err();
//! assert_eq!(err.variable, "TIM_KEY_SECRET_ID");
//! assert!(err.to_string().starts_with("TIM_KEY_SECRET_ID: required"));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A variable that is missing or unusable: which one, and why.
///
/// `Display` reads `VARIABLE: problem`, so a log line or an init error in
/// Lambda's console points straight at the setting to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable's name.
    pub variable: &'static str,
    /// What is wrong with its value (never the value of a secret).
    pub problem: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self { variable, problem }
    }

    /// The error type Lambda shows for a configuration failure.
    pub fn error_type(&self) -> &'static str {
        "ConfigError"
    }
}

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Where settings come from: the process environment or, in tests, a map.
#[derive(Clone)]
pub struct Env {
    lookup: Arc<Lookup>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self {
            lookup: Arc::new(|name| std::env::var(name).ok()),
        }
    }

    /// Fixed pairs, for tests and examples.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let map: HashMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            lookup: Arc::new(move |name| map.get(name).cloned()),
        }
    }

    /// The trimmed value of `name`; `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, or an error saying it is `required: {what}`.
    pub fn required(&self, name: &'static str, what: &str) -> Result<String, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError::new(name, format!("required: {what}")))
    }

    /// The value of `name` parsed by `parse`; `Ok(None)` when unset. A parse
    /// failure becomes a [`ConfigError`] naming the variable, with the
    /// parser's message as the problem.
    pub fn parse_with<T, E: fmt::Display>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|text| parse(&text).map_err(|e| ConfigError::new(name, e.to_string())))
            .transpose()
    }

    /// A positive whole number, `default` when unset.
    pub fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        self.parse_with(name, |text| {
            let n = text.parse::<std::num::NonZeroU64>().map(u64::from);
            n.map_err(|_| format!("expected a positive whole number, got {text:?}"))
        })
        .map(|n| n.unwrap_or(default))
    }

    /// A switch: `true/1/yes/on` or `false/0/no/off` (any case), `default`
    /// when unset.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.parse_with(name, |text| match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, got {text:?}")),
        })
        .map(|b| b.unwrap_or(default))
    }

    /// A comma-separated list, items trimmed, empty items dropped; empty
    /// when unset.
    pub fn list(&self, name: &str) -> Vec<String> {
        let text = self.get(name).unwrap_or_default();
        let items = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty());
        items.map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_empty_is_unset() {
        let env = Env::from_pairs([("A", " x "), ("B", "   "), ("C", "")]);
        assert_eq!(env.get("A").as_deref(), Some("x"));
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C"), None);
        assert_eq!(env.get("D"), None);
    }

    #[test]
    fn errors_name_the_variable_and_the_problem() {
        let env = Env::from_pairs([("N", "zero"), ("Z", "0"), ("F", "maybe"), ("P", "-1")]);
        let err = env.positive("N", 1).unwrap_err();
        assert_eq!(err.variable, "N");
        assert_eq!(
            err.to_string(),
            "N: expected a positive whole number, got \"zero\""
        );
        assert_eq!(env.positive("Z", 1).unwrap_err().variable, "Z");
        assert_eq!(env.positive("unset", 5), Ok(5));
        assert_eq!(env.flag("F", true).unwrap_err().variable, "F");
        assert_eq!(env.flag("unset", true), Ok(true));
        assert_eq!(
            env.required("R", "the bucket").unwrap_err().to_string(),
            "R: required: the bucket"
        );
        let err = env.parse_with("N", str::parse::<u16>).unwrap_err();
        assert!(err.to_string().starts_with("N: "), "{err}");
    }

    #[test]
    fn flags_and_lists() {
        let env = Env::from_pairs([("T", "Yes"), ("F", "OFF"), ("L", " a, ,b ,, c ")]);
        assert_eq!(env.flag("T", false), Ok(true));
        assert_eq!(env.flag("F", true), Ok(false));
        assert_eq!(env.list("L"), ["a", "b", "c"]);
        assert!(env.list("unset").is_empty());
    }
}
