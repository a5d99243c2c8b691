//! What can go wrong in a rotation step. Messages name secrets by id and
//! versions by token; they never carry the key or a UserSig.

use crate::event::Step;
use crate::pending::PendingFault;
use crate::store::SecretsError;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(
        "unknown rotation step {step:?}: expected createSecret, setSecret, testSecret or finishSecret"
    )]
    UnknownStep { step: String },

    #[error("secret {secret_id:?} is not enabled for rotation")]
    RotationNotEnabled { secret_id: String },

    #[error(
        "version {token} is not a version of secret {secret_id:?}: no rotation is staged under this token"
    )]
    UnknownVersion { secret_id: String, token: String },

    #[error(
        "version {token} of secret {secret_id:?} is not staged AWSPENDING (its stages: {stages:?})"
    )]
    NotPending {
        secret_id: String,
        token: String,
        stages: Vec<String>,
    },

    /// The secret is not one of the configured pairs: refused before any
    /// key is read or anything written, whatever its tags say.
    #[error(
        "secret {secret_id:?}{} is not one this function rotates (the TIM_ROTATION_TARGET_<id> pairs name {served} UserSig secret(s)): {step} refused, no key read, nothing written",
        arn.as_deref().filter(|arn| arn != secret_id).map(|arn| format!(" ({arn})")).unwrap_or_default()
    )]
    SecretNotServed {
        secret_id: String,
        /// The ARN DescribeSecret gave, when it was asked.
        arn: Option<String>,
        step: Step,
        served: usize,
    },

    /// The key secret is another app's than the one the stack names for
    /// the UserSig secret.
    #[error(
        "key secret {key_secret_id:?} is for SDKAppID {key}, but secret {secret_id:?} is for SDKAppID {expected} (TIM_ROTATION_TARGET_{expected} names it): not signing it for another app; put app {expected}'s key in {key_secret_id:?} or fix the pair"
    )]
    KeyForAnotherApp {
        secret_id: String,
        key_secret_id: String,
        expected: u64,
        key: u64,
    },

    #[error("key secret {secret_id:?} is unusable: {reason}")]
    KeySecret {
        secret_id: String,
        reason: String,
        /// Secrets Manager was unavailable, rather than the secret wrong.
        transient: bool,
    },

    /// The key secret has no value yet (a fresh stack) or does not exist.
    #[error(
        "key secret {secret_id:?} is unusable: not found, or it has no value yet: set it with `aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string file://key.json` ({detail})"
    )]
    KeySecretUnset { secret_id: String, detail: String },

    #[error("pending version {token} of secret {secret_id:?} is missing or unusable: {reason}")]
    PendingUnusable {
        secret_id: String,
        token: String,
        reason: String,
    },

    #[error(
        "pending version {token} of secret {secret_id:?} fails {step}'s check against the key secret as it is now ({}: {fault}); AWSPENDING was taken off it, so the next rotation starts fresh with a new version: fix the key secret if it is wrong, then run `aws secretsmanager rotate-secret --secret-id {secret_id}`",
        fault.reason()
    )]
    StalePendingRemoved {
        secret_id: String,
        token: String,
        step: Step,
        fault: PendingFault,
    },

    #[error("live check of the pending UserSig of secret {secret_id:?} against Tencent failed: {source}{}", source.hint().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
    LiveCheck {
        secret_id: String,
        #[source]
        source: tim::Error,
    },

    #[error("{source} (secret {secret_id:?})")]
    SecretsManager {
        secret_id: String,
        #[source]
        source: SecretsError,
    },
}

impl RotationError {
    /// A stable identifier for Lambda's `errorType` and for alarms.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::UnknownStep { .. } => "UnknownStep",
            Self::RotationNotEnabled { .. } => "RotationNotEnabled",
            Self::UnknownVersion { .. } => "UnknownVersion",
            Self::NotPending { .. } => "VersionNotPending",
            Self::SecretNotServed { .. } => "SecretNotServed",
            Self::KeyForAnotherApp { .. } => "KeySecretForAnotherApp",
            Self::KeySecret {
                transient: true, ..
            } => "KeySecretUnavailable",
            Self::KeySecret { .. } | Self::KeySecretUnset { .. } => "KeySecretUnusable",
            Self::PendingUnusable { .. } => "PendingVersionUnusable",
            Self::StalePendingRemoved { .. } => "StalePendingRemoved",
            Self::LiveCheck { source, .. } if source.is_retryable() => "LiveCheckUnavailable",
            Self::LiveCheck { .. } => "LiveCheckRejected",
            Self::SecretsManager { source, .. } if source.is_transient() => {
                "SecretsManagerUnavailable"
            }
            Self::SecretsManager { .. } => "SecretsManagerError",
        }
    }

    /// Whether trying the step again later may succeed without anyone
    /// changing anything (Secrets Manager retries failed steps).
    /// Exactly the `…Unavailable` error types.
    pub fn is_retryable(&self) -> bool {
        self.error_type().ends_with("Unavailable")
    }
}

/// A failed Secrets Manager call on `secret_id`, as the step's error.
pub(crate) trait OnSecret<T> {
    fn on(self, secret_id: &str) -> Result<T, RotationError>;
}

impl<T> OnSecret<T> for Result<T, SecretsError> {
    fn on(self, secret_id: &str) -> Result<T, RotationError> {
        let secret_id = secret_id.to_owned();
        self.map_err(|source| RotationError::SecretsManager { secret_id, source })
    }
}

impl From<RotationError> for lambda_kit::Diagnostic {
    fn from(error: RotationError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}
