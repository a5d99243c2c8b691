//! The Secrets Manager operations rotation uses, as a small trait (so unit
//! tests can run the steps over an in-memory fake) and its implementation on
//! the AWS SDK client.

use std::collections::BTreeMap;
use std::future::Future;

use tim::secrets::{FailureKind, SecretsManagerFailure};

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// What DescribeSecret says about rotation and versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretMetadata {
    /// `RotationEnabled` (absent counts as not enabled).
    pub rotation_enabled: bool,
    /// `VersionIdsToStages`.
    pub versions: BTreeMap<String, Vec<String>>,
    /// `ARN`: what a full-ARN UserSig side of a pair is compared with.
    pub arn: Option<String>,
    /// `Name`: what a name UserSig side of a pair is compared with.
    pub name: Option<String>,
}

impl SecretMetadata {
    pub fn stages_of(&self, version_id: &str) -> Option<&[String]> {
        self.versions.get(version_id).map(Vec::as_slice)
    }

    pub fn has_stage(&self, version_id: &str, stage: &str) -> bool {
        self.versions_with(stage).contains(&version_id)
    }

    /// Versions that carry `stage` (a label is on at most one version in
    /// Secrets Manager; the list form tolerates an emulator that slips).
    pub fn versions_with(&self, stage: &str) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// A failed Secrets Manager operation (never carries a secret value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Secrets Manager {operation} failed: {}", failure.describe())]
pub struct SecretsError {
    pub operation: &'static str,
    pub failure: SecretsManagerFailure,
}

impl SecretsError {
    /// A failure of `operation`.
    pub fn new(operation: &'static str, failure: SecretsManagerFailure) -> Self {
        Self { operation, failure }
    }

    /// PutSecretValue refused because a version with this token already
    /// exists (AWS's `ResourceExistsException`): another invocation of the
    /// same step stored its value first.
    pub fn version_exists(&self) -> bool {
        self.failure.code.as_deref() == Some("ResourceExistsException")
    }

    pub fn is_not_found(&self) -> bool {
        self.failure.kind == FailureKind::NotFound
    }

    pub fn is_transient(&self) -> bool {
        self.failure.kind == FailureKind::Transient
    }
}

/// The operations the rotation steps use.
pub trait SecretStore: Send + Sync {
    /// DescribeSecret.
    fn describe(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<SecretMetadata, SecretsError>> + Send;

    /// GetSecretValue's `SecretString` for `version_id` (if given) and `stage`.
    /// A version without a value is `NotFound`, as AWS answers it.
    fn get_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> impl Future<Output = Result<String, SecretsError>> + Send;

    /// PutSecretValue with `ClientRequestToken=token`, `VersionStages=[AWSPENDING]`
    /// and the rotation token when the event carried one.
    fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        rotation_token: Option<&str>,
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;

    /// UpdateSecretVersionStage.
    fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;
}

fn store_error<E: aws_sdk_secretsmanager::error::ProvideErrorMetadata>(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_secretsmanager::error::SdkError<E>) -> SecretsError {
    move |err| SecretsError::new(operation, SecretsManagerFailure::of(&err))
}

impl SecretStore for aws_sdk_secretsmanager::Client {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, SecretsError> {
        let out = self
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(store_error("DescribeSecret"))?;
        let versions = out.version_ids_to_stages.unwrap_or_default();
        Ok(SecretMetadata {
            rotation_enabled: out.rotation_enabled.unwrap_or(false),
            versions: versions.into_iter().collect(),
            arn: out.arn,
            name: out.name,
        })
    }

    async fn get_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<String, SecretsError> {
        let out = self
            .get_secret_value()
            .secret_id(secret_id)
            .set_version_id(version_id.map(str::to_owned))
            .version_stage(stage)
            .send()
            .await
            .map_err(store_error("GetSecretValue"))?;
        // A binary secret reads as empty: malformed for every reader.
        Ok(out.secret_string.unwrap_or_default())
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        rotation_token: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.put_secret_value()
            .secret_id(secret_id)
            .client_request_token(token)
            .secret_string(value)
            .version_stages(AWSPENDING)
            .set_rotation_token(rotation_token.map(str::to_owned))
            .send()
            .await
            .map_err(store_error("PutSecretValue"))?;
        Ok(())
    }

    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(stage)
            .set_move_to_version_id(move_to.map(str::to_owned))
            .set_remove_from_version_id(remove_from.map(str::to_owned))
            .send()
            .await
            .map_err(store_error("UpdateSecretVersionStage"))?;
        Ok(())
    }
}
