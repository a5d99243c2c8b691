//! The event Secrets Manager sends a rotation function.

use serde::{Deserialize, Serialize};

/// `{"Step": "createSecret", "SecretId": "...", "ClientRequestToken": "...",
/// "RotationToken": "..."}`. `RotationToken` is sent by newer Secrets Manager
/// rotations and must be passed back on `PutSecretValue` (aws_lambda_events'
/// typed event drops it, hence this type).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEvent {
    pub step: String,
    pub secret_id: String,
    pub client_request_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_token: Option<String>,
}

impl std::fmt::Debug for RotationEvent {
    // The rotation token authorises writes to the secret: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = self.rotation_token.as_ref().map(|_| "<redacted>");
        f.debug_struct("RotationEvent")
            .field("step", &self.step)
            .field("secret_id", &self.secret_id)
            .field("client_request_token", &self.client_request_token)
            .field("rotation_token", &redacted)
            .finish()
    }
}

/// The four rotation steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    #[serde(rename = "createSecret")]
    Create,
    #[serde(rename = "setSecret")]
    Set,
    #[serde(rename = "testSecret")]
    Test,
    #[serde(rename = "finishSecret")]
    Finish,
}

impl Step {
    /// The step Secrets Manager names `step` (serde's names above).
    pub fn parse(step: &str) -> Option<Self> {
        serde_json::from_value(step.into()).ok()
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "createSecret",
            Self::Set => "setSecret",
            Self::Test => "testSecret",
            Self::Finish => "finishSecret",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_token_is_optional_and_redacted() {
        let with: RotationEvent = serde_json::from_str(
            r#"{"Step":"createSecret","SecretId":"s","ClientRequestToken":"t","RotationToken":"rt-SECRET"}"#,
        )
        .unwrap();
        assert_eq!(with.rotation_token.as_deref(), Some("rt-SECRET"));
        assert!(!format!("{with:?}").contains("rt-SECRET"));
        let without: RotationEvent = serde_json::from_str(
            r#"{"Step":"finishSecret","SecretId":"s","ClientRequestToken":"t"}"#,
        )
        .unwrap();
        assert_eq!(without.rotation_token, None);
        assert_eq!(Step::parse(&without.step), Some(Step::Finish));
        assert_eq!(Step::parse("rotateSecret"), None);
        for step in [Step::Create, Step::Set, Step::Test, Step::Finish] {
            assert_eq!(Step::parse(step.name()), Some(step));
        }
    }
}
