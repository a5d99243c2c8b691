//! The four rotation steps, as AWS's rotation templates run them.
//!
//! Before every step: the secret must be one of `TIM_ROTATION_TARGETS`
//! (checked on the event's `SecretId`, then on what DescribeSecret says,
//! before anything else is read or written); rotation must be enabled and
//! the token must be a version of the secret; a token already staged AWSCURRENT
//! means the step already happened (return quietly); otherwise the token
//! must be staged AWSPENDING. Every step is idempotent: Secrets Manager
//! retries steps, and a replay ends in the same state.

use std::sync::Arc;

use lambda_kit::metrics::Metrics;
use lambda_kit::usersig_hours::emit_hours_left;
use serde::Serialize;
use tim::Deadline;
use tim::secrets::{KeySecret, UserSigSecret};
use tim::usersig::{Clock, Signer, SystemClock};

use crate::config::Config;
use crate::error::{RotationError, sm_error};
use crate::event::{RotationEvent, Step};
use crate::store::{AWSCURRENT, AWSPENDING, SecretMetadata, SecretStore};
use crate::targets::RotationTarget;

mod keys;
mod stale;
mod test_step;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The token is already AWSCURRENT: this rotation is complete.
    AlreadyCurrent,
    /// createSecret stored a new UserSig under the token (AWSPENDING).
    Created,
    /// createSecret found a value under the token already (a replay).
    PendingExists,
    /// setSecret: a UserSig is stateless for Tencent; nothing to push.
    NothingToSet,
    /// testSecret verified the pending UserSig locally and with Tencent.
    Tested,
    /// testSecret verified locally only (`LIVE_CHECK=false`).
    TestedLocally,
    /// testSecret was Secrets Manager's configuration test on a fresh stack
    /// (`RotateImmediately=false`): the key secret has no value yet and the
    /// pending version holds no UserSig this function wrote.
    ConfigurationTest,
    /// finishSecret moved AWSCURRENT to the token.
    Finished,
}

/// The function's answer (Secrets Manager ignores it; logs and tests read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: Step,
    pub secret_id: String,
    pub token: String,
    pub outcome: Outcome,
}

/// Everything a step needs, built once per cold start.
pub struct Rotator<S> {
    store: S,
    config: Config,
    http: reqwest::Client,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
}

impl<S: SecretStore> Rotator<S> {
    /// `metrics` receives `UserSigHoursLeft` after testSecret and finishSecret.
    pub fn new(store: S, config: Config, http: reqwest::Client, metrics: Metrics) -> Self {
        Self {
            store,
            config,
            http,
            metrics,
            clock: Arc::new(SystemClock),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Runs one rotation step. `deadline` bounds the live check.
    pub async fn handle(
        &self,
        event: &RotationEvent,
        deadline: Deadline,
    ) -> Result<StepReport, RotationError> {
        let step = Step::parse(&event.step).ok_or_else(|| RotationError::UnknownStep {
            step: event.step.clone(),
        })?;
        let secret_id = event.secret_id.as_str();
        let token = event.client_request_token.as_str();
        let report = |outcome| {
            tracing::info!(step = %step, secret_id, token, outcome = ?outcome, "rotation step done");
            StepReport {
                step,
                secret_id: secret_id.to_owned(),
                token: token.to_owned(),
                outcome,
            }
        };

        let (metadata, target) = self.served(step, secret_id).await?;
        if !metadata.rotation_enabled {
            return Err(RotationError::RotationNotEnabled {
                secret_id: secret_id.to_owned(),
            });
        }
        let Some(stages) = metadata.stages_of(token) else {
            return Err(RotationError::UnknownVersion {
                secret_id: secret_id.to_owned(),
                token: token.to_owned(),
            });
        };
        if metadata.has_stage(token, AWSCURRENT) {
            if step == Step::Finish && metadata.has_stage(token, AWSPENDING) {
                // A previous finishSecret moved AWSCURRENT but stopped before
                // taking AWSPENDING off: complete it.
                self.remove_pending(secret_id, &[token]).await?;
            }
            tracing::info!(step = %step, secret_id, token, "version is already AWSCURRENT: nothing to do");
            return Ok(report(Outcome::AlreadyCurrent));
        }
        if !metadata.has_stage(token, AWSPENDING) {
            return Err(RotationError::NotPending {
                secret_id: secret_id.to_owned(),
                token: token.to_owned(),
                stages: stages.to_vec(),
            });
        }

        let outcome = match step {
            Step::Create => self.create(event, &target).await?,
            Step::Set => {
                tracing::info!(
                    secret_id,
                    token,
                    "setSecret: a UserSig is stateless, nothing to set at Tencent"
                );
                Outcome::NothingToSet
            }
            Step::Test => self.test(secret_id, token, &target, deadline).await?,
            Step::Finish => self.finish(secret_id, token, &metadata).await?,
        };
        Ok(report(outcome))
    }

    /// The secret's metadata and its key secret (from `TIM_ROTATION_TARGETS`),
    /// or [`RotationError::SecretNotServed`]: an event whose `SecretId`
    /// cannot be a served secret is refused without any call; any other is
    /// described, and its ARN or name must be a served one exactly. Nothing
    /// but DescribeSecret happens before this.
    async fn served(
        &self,
        step: Step,
        secret_id: &str,
    ) -> Result<(SecretMetadata, RotationTarget), RotationError> {
        let targets = &self.config.targets;
        // Logged with the other failures (`rotation step failed`, error_type).
        let refuse = |arn: Option<&str>| RotationError::SecretNotServed {
            secret_id: secret_id.to_owned(),
            arn: arn.map(str::to_owned),
            step,
            served: targets.targets().len(),
        };
        if !targets.may_serve(secret_id) {
            return Err(refuse(None));
        }
        let metadata = self
            .store
            .describe(secret_id)
            .await
            .map_err(sm_error(secret_id))?;
        match targets.target_for(&metadata) {
            Some(target) => Ok((metadata, target.clone())),
            None => Err(refuse(metadata.arn.as_deref())),
        }
    }

    /// createSecret: sign a new UserSig from the key secret and store it
    /// under the token as AWSPENDING. A value already there (a replay) is
    /// kept if it still passes under the key secret as it is now, and taken
    /// off AWSPENDING if not.
    async fn create(
        &self,
        event: &RotationEvent,
        target: &RotationTarget,
    ) -> Result<Outcome, RotationError> {
        let secret_id = event.secret_id.as_str();
        let token = event.client_request_token.as_str();
        if let Some(text) = self.pending_value(secret_id, token).await? {
            self.keep_or_remove(Step::Create, secret_id, token, &text, target)
                .await?;
            return Ok(Outcome::PendingExists);
        }
        let key = self.read_key(secret_id, target).await?;
        if target.sdkappid.is_none() {
            keys::check_same_app(&self.store, secret_id, &target.key_secret_id, &key).await?;
        }
        let now = self.clock.now_unix();
        let validity = self.config.usersig_validity_secs;
        let expires = now.saturating_add(validity);
        let secret = UserSigSecret {
            sdkappid: key.sdkappid,
            identifier: key.identifier.clone(),
            region: key.region,
            usersig: Signer::new(key.sdkappid, key.key.clone()).sign(
                &key.identifier,
                validity,
                now,
            ),
            issued_at: rfc3339(now),
            expires_at: rfc3339(expires),
        };
        match self
            .store
            .put_pending(
                secret_id,
                token,
                &secret.to_json(),
                event.rotation_token.as_deref(),
            )
            .await
        {
            Ok(()) => {
                tracing::info!(
                    secret_id,
                    token,
                    sdkappid = key.sdkappid,
                    identifier = %key.identifier,
                    key_secret_id = target.key_secret_id,
                    expires_at = %secret.expires_at,
                    "createSecret: new UserSig stored as AWSPENDING"
                );
                Ok(Outcome::Created)
            }
            Err(e) if e.version_exists => self.after_version_exists(secret_id, token, target).await,
            Err(e) => Err(sm_error(secret_id)(e)),
        }
    }

    /// The key secret of `target` as it is now,
    /// refused when the stack names another app for the pair.
    async fn read_key(
        &self,
        secret_id: &str,
        target: &RotationTarget,
    ) -> Result<KeySecret, RotationError> {
        let key = keys::read(&self.store, &target.key_secret_id).await?;
        match target.sdkappid {
            Some(app) if app != key.sdkappid => Err(RotationError::KeyForAnotherApp {
                secret_id: secret_id.to_owned(),
                key_secret_id: target.key_secret_id.clone(),
                expected: app,
                basis: format!("TIM_ROTATION_TARGET_{app} names it"),
                key: key.sdkappid,
            }),
            _ => Ok(key),
        }
    }

    /// The token's AWSPENDING value, `None` while it has none.
    async fn pending_value(
        &self,
        secret_id: &str,
        token: &str,
    ) -> Result<Option<String>, RotationError> {
        match self
            .store
            .get_value(secret_id, Some(token), AWSPENDING)
            .await
        {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(sm_error(secret_id)(e)),
        }
    }

    /// `UserSigHoursLeft` for `secret` (dimension SDKAppID).
    fn report_hours_left(&self, secret: &UserSigSecret) {
        if let Some(expires_at) = secret.expires_at_unix() {
            emit_hours_left(
                &self.metrics,
                secret.sdkappid,
                expires_at,
                self.clock.now_unix(),
            );
        }
    }

    /// finishSecret: move AWSCURRENT to the token (Secrets Manager puts
    /// AWSPREVIOUS on the old version) and take AWSPENDING off.
    async fn finish(
        &self,
        secret_id: &str,
        token: &str,
        metadata: &SecretMetadata,
    ) -> Result<Outcome, RotationError> {
        // Only a UserSig secret becomes AWSCURRENT (the functions read it).
        let text = self.pending_value(secret_id, token).await?;
        let new = text
            .as_deref()
            .ok_or_else(|| "it has no value".to_owned())
            .and_then(|text| UserSigSecret::from_json(text).map_err(|e| e.to_string()))
            .map_err(|reason| RotationError::PendingUnusable {
                secret_id: secret_id.to_owned(),
                token: token.to_owned(),
                reason,
            })?;
        let current = metadata.versions_with(AWSCURRENT).into_iter().next();
        self.store
            .update_stage(secret_id, AWSCURRENT, Some(token), current)
            .await
            .map_err(sm_error(secret_id))?;
        // The token carries AWSPENDING (checked before the step); any other
        // version carrying it is a leftover. Rotation is complete only when
        // AWSPENDING is on no version other than AWSCURRENT's; none is cleanest.
        self.remove_pending(secret_id, &metadata.versions_with(AWSPENDING))
            .await?;
        tracing::info!(secret_id, token, previous = ?current, "finishSecret: AWSCURRENT moved to the new version");
        self.report_hours_left(&new);
        Ok(Outcome::Finished)
    }

    async fn remove_pending(
        &self,
        secret_id: &str,
        versions: &[&str],
    ) -> Result<(), RotationError> {
        for version in versions {
            self.store
                .update_stage(secret_id, AWSPENDING, None, Some(version))
                .await
                .map_err(sm_error(secret_id))?;
        }
        Ok(())
    }
}

fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
