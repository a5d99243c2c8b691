//! One GetSecretValue of a secret's `AWSCURRENT` version, counted, with
//! failures mapped to [`Error::Credentials`] that name the secret; the cheap
//! check (DescribeSecret, no secret value, no KMS decryption) of whether
//! `AWSCURRENT` has moved to another version since; and how a Secrets
//! Manager call failed, reduced to what a caller acts on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// The staging label of the version readers use.
pub const AWSCURRENT: &str = "AWSCURRENT";

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
        let kind = match (err, code.as_deref(), status) {
            (SdkError::ConstructionFailure(_), ..) => Configuration,
            (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), ..) => Transient,
            (SdkError::ResponseError(_), ..) => Transient,
            (_, Some("ResourceNotFoundException"), _) => NotFound,
            (_, Some("InternalServiceError" | "RequestLimitExceeded"), _) => Transient,
            (_, Some(c), _) if c.contains("Throttl") => Transient,
            (_, _, Some(s)) if s >= 500 || s == 429 => Transient,
            _ => Configuration,
        };
        let message = match err {
            SdkError::TimeoutError(_) => "timed out",
            SdkError::DispatchFailure(_) => "could not send the request (connection failed)",
            SdkError::ResponseError(_) => "unreadable response",
            SdkError::ConstructionFailure(_) => "could not build the request",
            _ => err.message().unwrap_or("no message"),
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

/// Reads one secret's `AWSCURRENT` text, counting calls (the count is what
/// tests and metrics look at: one read per cold start).
pub(super) struct CurrentReader {
    client: aws_sdk_secretsmanager::Client,
    pub(super) secret_id: String,
    pub(super) reads: AtomicU64,
    pub(super) version_checks: AtomicU64,
    /// The `VersionId` the last read returned.
    last_version: Mutex<Option<String>>,
}

impl CurrentReader {
    pub(super) fn new(client: aws_sdk_secretsmanager::Client, secret_id: String) -> Self {
        Self {
            client,
            secret_id,
            reads: AtomicU64::new(0),
            version_checks: AtomicU64::new(0),
            last_version: Mutex::new(None),
        }
    }

    /// The secret's current text, or an [`Error::Credentials`] that names the
    /// secret (and never its value).
    pub(super) async fn read(&self, what: &str) -> Result<String, Error> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let id = &self.secret_id;
        let answer = self
            .client
            .get_secret_value()
            .secret_id(id)
            .version_stage(AWSCURRENT)
            .send()
            .await
            .map_err(|err| {
                let failure = SecretsManagerFailure::of(&err);
                let cause = failure.describe();
                match failure.kind {
                    FailureKind::NotFound => Error::credentials(format!(
                        "{what} {id:?} not found, or it has no AWSCURRENT value ({cause})"
                    )),
                    FailureKind::Transient => Error::credentials_transient(format!(
                        "reading {what} {id:?} failed, try again ({cause})"
                    )),
                    FailureKind::Configuration => Error::credentials(format!(
                        "cannot read {what} {id:?}: check the function's secretsmanager:GetSecretValue (and kms:Decrypt) permissions ({cause})"
                    )),
                }
            })?;
        *self.last_version() = answer.version_id;
        answer.secret_string.ok_or_else(|| {
            Error::credentials(format!(
                "{what} {id:?} has no SecretString (binary secrets are not supported)"
            ))
        })
    }

    fn last_version(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // The guarded value is a plain Option: still whole after a panic.
        self.last_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `AWSCURRENT` now labels another version than the last read
    /// returned. `true` when that cannot be told (no read yet, no version
    /// id, DescribeSecret failed or is not allowed): the caller then reads,
    /// as a refusal must never be answered from an outdated value.
    pub(super) async fn current_version_changed(&self) -> bool {
        self.version_checks.fetch_add(1, Ordering::Relaxed);
        let Some(last) = self.last_version().clone() else {
            return true;
        };
        let described = self
            .client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await;
        match described {
            Ok(described) => !described.version_ids_to_stages().is_some_and(|versions| {
                versions
                    .get(&last)
                    .is_some_and(|stages| stages.iter().any(|stage| stage == AWSCURRENT))
            }),
            Err(err) => {
                tracing::warn!(
                    secret_id = %self.secret_id,
                    error = %SecretsManagerFailure::of(&err).describe(),
                    "DescribeSecret failed; reading the secret instead (grant secretsmanager:DescribeSecret to save reads)"
                );
                true
            }
        }
    }
}
