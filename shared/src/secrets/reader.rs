//! One GetSecretValue of a secret's `AWSCURRENT` version, counted, with
//! failures mapped to [`Error::Credentials`] that name the secret; and the
//! cheap check (DescribeSecret, no secret value, no KMS decryption) of
//! whether `AWSCURRENT` has moved to another version since.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

use super::failure::{FailureKind, SecretsManagerFailure};

/// The staging label of the version readers use.
pub const AWSCURRENT: &str = "AWSCURRENT";

/// Reads one secret's `AWSCURRENT` text, counting calls (the count is what
/// tests and metrics look at: one read per cold start).
#[derive(Debug)]
pub(super) struct CurrentReader {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    reads: AtomicU64,
    version_checks: AtomicU64,
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
        *self.last_version.lock().unwrap_or_else(|e| e.into_inner()) = answer.version_id.clone();
        answer.secret_string.ok_or_else(|| {
            Error::credentials(format!(
                "{what} {id:?} has no SecretString (binary secrets are not supported)"
            ))
        })
    }

    /// Whether `AWSCURRENT` now labels another version than the last read
    /// returned. `true` when that cannot be told (no read yet, no version
    /// id, DescribeSecret failed or is not allowed): the caller then reads,
    /// as a refusal must never be answered from an outdated value.
    pub(super) async fn current_version_changed(&self) -> bool {
        self.version_checks.fetch_add(1, Ordering::Relaxed);
        let last = self
            .last_version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(last) = last else {
            return true;
        };
        match self
            .client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
        {
            Ok(described) => {
                let current = described.version_ids_to_stages().and_then(|versions| {
                    versions
                        .iter()
                        .find(|(_, stages)| stages.iter().any(|stage| stage == AWSCURRENT))
                        .map(|(id, _)| id.clone())
                });
                current.as_deref() != Some(last.as_str())
            }
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

    /// DescribeSecret calls made so far.
    pub(super) fn version_checks(&self) -> u64 {
        self.version_checks.load(Ordering::Relaxed)
    }

    /// The secret's id or ARN.
    pub(super) fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// GetSecretValue calls made so far.
    pub(super) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}
