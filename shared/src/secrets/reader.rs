//! One GetSecretValue of a secret's `AWSCURRENT` version, counted, with
//! failures mapped to [`Error::Credentials`] that name the secret.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

use super::AWSCURRENT;
use super::failure::{FailureKind, SecretsManagerFailure};

/// Reads one secret's `AWSCURRENT` text, counting calls (the count is what
/// tests and metrics look at: one read per cold start).
#[derive(Debug)]
pub(super) struct CurrentReader {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    reads: AtomicU64,
}

impl CurrentReader {
    pub(super) fn new(client: aws_sdk_secretsmanager::Client, secret_id: String) -> Self {
        Self {
            client,
            secret_id,
            reads: AtomicU64::new(0),
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
                let reason = match failure.kind {
                    FailureKind::NotFound => format!(
                        "{what} {id:?} not found, or it has no AWSCURRENT value ({})",
                        failure.describe()
                    ),
                    FailureKind::Transient => format!("reading {what} {id:?} failed, try again ({})", failure.describe()),
                    FailureKind::Configuration => format!(
                        "cannot read {what} {id:?}: check the function's secretsmanager:GetSecretValue (and kms:Decrypt) permissions ({})",
                        failure.describe()
                    ),
                };
                if failure.kind == FailureKind::Transient {
                    Error::credentials_transient(reason)
                } else {
                    Error::credentials(reason)
                }
            })?;
        answer.secret_string.ok_or_else(|| {
            Error::credentials(format!(
                "{what} {id:?} has no SecretString (binary secrets are not supported)"
            ))
        })
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
