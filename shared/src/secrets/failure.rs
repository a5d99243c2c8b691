//! Secrets Manager failures reduced to what a caller acts on: not found,
//! transient, or a configuration an operator must fix.

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

/// How a Secrets Manager call failed, reduced to what a caller acts on.
/// Carries AWS's error code and message (which never hold secret values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsManagerFailure {
    /// What the caller should do about it.
    pub kind: FailureKind,
    /// AWS's error code (`ResourceNotFoundException`, …), when it answered.
    pub code: Option<String>,
    /// AWS's message, or what went wrong when AWS did not answer.
    pub message: String,
}

/// See [`SecretsManagerFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No such secret, or no version with the asked-for id/stage.
    NotFound,
    /// Throttling, 5xx, timeouts, connection failures: try again later.
    Transient,
    /// Access denied, KMS decryption refused, invalid request: fix the setup.
    Configuration,
}

impl SecretsManagerFailure {
    /// Classifies any Secrets Manager operation's error.
    pub fn of<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Self {
        use FailureKind::{Configuration, NotFound, Transient};
        let code = err.code().map(str::to_owned);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (kind, message) = match err {
            SdkError::TimeoutError(_) => (Transient, "timed out"),
            SdkError::DispatchFailure(_) => {
                (Transient, "could not send the request (connection failed)")
            }
            SdkError::ResponseError(_) => (Transient, "unreadable response"),
            SdkError::ConstructionFailure(_) => (Configuration, "could not build the request"),
            _ => {
                let kind = match (code.as_deref(), status) {
                    (Some("ResourceNotFoundException"), _) => NotFound,
                    (Some(c), _)
                        if c.contains("Throttl")
                            || c == "InternalServiceError"
                            || c == "RequestLimitExceeded" =>
                    {
                        Transient
                    }
                    (_, Some(s)) if s >= 500 || s == 429 => Transient,
                    _ => Configuration,
                };
                (kind, err.message().unwrap_or("no message"))
            }
        };
        let message = message.to_owned();
        Self {
            kind,
            code,
            message,
        }
    }

    /// `code: message`, or the message alone.
    pub fn describe(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }
}
