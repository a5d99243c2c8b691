//! Value-free reading of a secret's JSON: errors name the field at fault and
//! what is wrong with it, never the value.
//!
//! serde's derived `Deserialize` is not used for secrets on purpose: its
//! messages quote the offending value (`invalid type: string "…", expected
//! u64`), which for a secret could be the key or the UserSig.

use serde_json::Value;

use crate::region::Region;

/// A secret's text is not the JSON we expect. The message names the field at
/// fault and what is wrong with it, never the value (serde's own messages
/// quote values, so they are not used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct MalformedSecret {
    /// The member at fault, when one is.
    pub field: Option<&'static str>,
    /// What is wrong, in words (never the value).
    pub problem: String,
}

impl MalformedSecret {
    fn field(field: &'static str, problem: &str) -> Self {
        Self {
            field: Some(field),
            problem: format!("field `{field}` {problem}"),
        }
    }
}

/// Typed, value-free access to a secret's JSON object.
pub(super) struct Fields(serde_json::Map<String, Value>);

impl Fields {
    pub(super) fn parse(text: &str) -> Result<Self, MalformedSecret> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(MalformedSecret {
                field: None,
                problem: "the secret value is JSON but not a JSON object".into(),
            }),
            // Only the position: serde_json's syntax messages do not quote the
            // input today, but nothing promises that.
            Err(e) => Err(MalformedSecret {
                field: None,
                problem: format!(
                    "the secret value is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            }),
        }
    }

    fn get(&self, field: &'static str) -> Result<&Value, MalformedSecret> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(MalformedSecret::field(field, "is missing")),
            Some(value) => Ok(value),
        }
    }

    pub(super) fn u64(&self, field: &'static str) -> Result<u64, MalformedSecret> {
        let value = self.get(field)?;
        // Accept the number as a JSON number or as a decimal string: the
        // console shows SDKAppIDs as text and operators paste them so.
        match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| MalformedSecret::field(field, "must be a non-negative integer"))
    }

    pub(super) fn text(&self, field: &'static str) -> Result<&str, MalformedSecret> {
        match self.get(field)? {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim()),
            Value::String(_) => Err(MalformedSecret::field(field, "is empty")),
            _ => Err(MalformedSecret::field(field, "must be a string")),
        }
    }

    pub(super) fn region(&self, field: &'static str) -> Result<Region, MalformedSecret> {
        self.text(field)?.parse().map_err(|_| {
            MalformedSecret::field(
                field,
                "is not a Tencent Chat region (expected one of: china, singapore, seoul, tokyo, frankfurt, silicon-valley, jakarta, mumbai)",
            )
        })
    }

    /// An RFC 3339 timestamp: its text and its unix seconds.
    pub(super) fn timestamp(&self, field: &'static str) -> Result<(String, u64), MalformedSecret> {
        let text = self.text(field)?;
        rfc3339_unix(text)
            .map(|unix| (text.to_owned(), unix))
            .ok_or_else(|| {
                MalformedSecret::field(
                    field,
                    "must be an RFC 3339 timestamp (e.g. 2026-12-01T00:00:00Z)",
                )
            })
    }
}

/// Unix seconds of an RFC 3339 timestamp (`None` if it is not one, or
/// before 1970).
pub(super) fn rfc3339_unix(text: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|at| u64::try_from(at.timestamp()).ok())
}
