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
        let code = err.code().map(str::to_owned);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let kind = match (&err, code.as_deref(), status) {
            (
                SdkError::TimeoutError(_)
                | SdkError::DispatchFailure(_)
                | SdkError::ResponseError(_),
                _,
                _,
            ) => FailureKind::Transient,
            (SdkError::ConstructionFailure(_), _, _) => FailureKind::Configuration,
            (_, Some("ResourceNotFoundException"), _) => FailureKind::NotFound,
            (_, Some(c), _)
                if c.contains("Throttl")
                    || c == "InternalServiceError"
                    || c == "RequestLimitExceeded" =>
            {
                FailureKind::Transient
            }
            (_, _, Some(s)) if s >= 500 || s == 429 => FailureKind::Transient,
            _ => FailureKind::Configuration,
        };
        let message = match err {
            SdkError::ServiceError(_) => err.message().unwrap_or("no message").to_owned(),
            SdkError::TimeoutError(_) => "timed out".to_owned(),
            SdkError::DispatchFailure(_) => {
                "could not send the request (connection failed)".to_owned()
            }
            SdkError::ResponseError(_) => "unreadable response".to_owned(),
            SdkError::ConstructionFailure(_) => "could not build the request".to_owned(),
            _ => "unknown failure".to_owned(),
        };
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
