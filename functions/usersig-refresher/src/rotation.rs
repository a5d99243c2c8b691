//! The four rotation steps, as AWS's rotation templates run them.
//!
//! Before every step: describe the secret; rotation must be enabled and the
//! token must be a version of the secret; a token already staged AWSCURRENT
//! means the step already happened (return quietly); otherwise the token
//! must be staged AWSPENDING. Every step is idempotent: Secrets Manager
//! retries steps, and a replay ends in the same state.

use std::sync::Arc;

use serde::Serialize;
use tim::api::appinfo::AppInfoRequest;
use tim::api::commands::GET_APP_INFO;
use tim::secrets::{KeySecret, UserSigSecret};
use tim::usersig::{Clock, Signer, SystemClock};
use tim::{Deadline, StaticCredentials};

use crate::config::Config;
use crate::error::RotationError;
use crate::event::{RotationEvent, Step};
use crate::store::{AWSCURRENT, AWSPENDING, SecretMetadata, SecretStore, StoreError};

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
    clock: Arc<dyn Clock>,
}

impl<S> std::fmt::Debug for Rotator<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> Rotator<S> {
    pub fn new(store: S, config: Config, http: reqwest::Client) -> Self {
        Self {
            store,
            config,
            http,
            clock: Arc::new(SystemClock),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
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

        let metadata = self
            .store
            .describe(secret_id)
            .await
            .map_err(sm_error(secret_id))?;
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
            Step::Create => self.create(event).await?,
            Step::Set => {
                tracing::info!(
                    secret_id,
                    token,
                    "setSecret: a UserSig is stateless, nothing to set at Tencent"
                );
                Outcome::NothingToSet
            }
            Step::Test => self.test(secret_id, token, deadline).await?,
            Step::Finish => self.finish(secret_id, token, &metadata).await?,
        };
        Ok(report(outcome))
    }

    /// createSecret: sign a new UserSig from the key secret and store it
    /// under the token as AWSPENDING, unless the token already has a value.
    async fn create(&self, event: &RotationEvent) -> Result<Outcome, RotationError> {
        let secret_id = event.secret_id.as_str();
        let token = event.client_request_token.as_str();
        if self.pending_exists(secret_id, token).await? {
            return Ok(Outcome::PendingExists);
        }
        let key = self.read_key().await?;
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
                    expires_at = %secret.expires_at,
                    "createSecret: new UserSig stored as AWSPENDING"
                );
                Ok(Outcome::Created)
            }
            // A concurrent invocation of this step stored its UserSig first.
            Err(e) if e.version_exists && self.pending_exists(secret_id, token).await? => {
                Ok(Outcome::PendingExists)
            }
            Err(e) => Err(sm_error(secret_id)(e)),
        }
    }

    async fn pending_exists(&self, secret_id: &str, token: &str) -> Result<bool, RotationError> {
        match self
            .store
            .get_value(secret_id, Some(token), AWSPENDING)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(sm_error(secret_id)(e)),
        }
    }

    /// testSecret: the pending UserSig must verify under the key (sdkappid,
    /// identifier, signature), keep at least the configured validity, and,
    /// unless `LIVE_CHECK=false`, be accepted by Tencent.
    async fn test(
        &self,
        secret_id: &str,
        token: &str,
        deadline: Deadline,
    ) -> Result<Outcome, RotationError> {
        let unusable = |reason: String| RotationError::PendingUnusable {
            secret_id: secret_id.to_owned(),
            token: token.to_owned(),
            reason,
        };
        let invalid = |reason: &'static str, detail: String| RotationError::PendingInvalid {
            secret_id: secret_id.to_owned(),
            reason,
            detail,
        };
        let text = match self
            .store
            .get_value(secret_id, Some(token), AWSPENDING)
            .await
        {
            Ok(text) => text,
            Err(e) if e.is_not_found() => {
                return Err(unusable(
                    "it has no value (createSecret has not stored one)".into(),
                ));
            }
            Err(e) => return Err(sm_error(secret_id)(e)),
        };
        let pending = UserSigSecret::from_json(&text).map_err(|e| unusable(e.to_string()))?;
        let key = self.read_key().await?;
        if pending.sdkappid != key.sdkappid {
            return Err(invalid(
                "sdkappid",
                format!(
                    "the secret is for SDKAppID {}, the key secret for {}",
                    pending.sdkappid, key.sdkappid
                ),
            ));
        }
        if pending.identifier != key.identifier {
            return Err(invalid(
                "identifier",
                format!(
                    "the secret is for {:?}, the key secret for {:?}",
                    pending.identifier, key.identifier
                ),
            ));
        }
        let now = self.clock.now_unix();
        let claims = Signer::new(key.sdkappid, key.key.clone())
            .verify(pending.usersig.expose_secret(), &key.identifier, now)
            .map_err(|e| invalid(e.reason(), e.to_string()))?;
        if pending.expires_at_unix() != Some(claims.expires_at_unix()) {
            return Err(invalid(
                "expires_at",
                "the secret's expires_at differs from the UserSig's own expiry".into(),
            ));
        }
        let left = claims.expires_at_unix().saturating_sub(now);
        if left < self.config.min_validity_secs {
            return Err(RotationError::PendingTooShort {
                secret_id: secret_id.to_owned(),
                hours_left: left / 3_600,
                minimum_hours: self.config.min_validity_secs / 3_600,
            });
        }
        if !self.config.live_check {
            tracing::info!(
                secret_id,
                token,
                "testSecret: verified locally; LIVE_CHECK=false skips the call to Tencent"
            );
            return Ok(Outcome::TestedLocally);
        }
        // Exactly the pending UserSig: a refusal must fail the test rather
        // than be papered over by a fresh signature.
        let client = tim::Client::new(
            self.http.clone(),
            self.config.client.clone(),
            Arc::new(StaticCredentials(pending.to_credentials())),
        );
        client
            .call(GET_APP_INFO, &AppInfoRequest::only(["Date"]), deadline)
            .await
            .map_err(|source| RotationError::LiveCheck {
                secret_id: secret_id.to_owned(),
                source,
            })?;
        tracing::info!(
            secret_id,
            token,
            "testSecret: verified locally and accepted by Tencent"
        );
        Ok(Outcome::Tested)
    }

    /// finishSecret: move AWSCURRENT to the token (Secrets Manager puts
    /// AWSPREVIOUS on the old version) and take AWSPENDING off.
    async fn finish(
        &self,
        secret_id: &str,
        token: &str,
        metadata: &SecretMetadata,
    ) -> Result<Outcome, RotationError> {
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

    async fn read_key(&self) -> Result<KeySecret, RotationError> {
        let secret_id = &self.config.key_secret_id;
        let text = self.store.get_value(secret_id, None, AWSCURRENT).await.map_err(|e| {
            let reason = if e.is_not_found() {
                format!(
                    "not found, or it has no value yet: set it with `aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string file://key.json` ({})",
                    e.failure.describe()
                )
            } else {
                e.to_string()
            };
            RotationError::KeySecret {
                secret_id: secret_id.clone(),
                reason,
                transient: e.is_transient(),
            }
        })?;
        KeySecret::from_json(&text).map_err(|e| RotationError::KeySecret {
            secret_id: secret_id.clone(),
            reason: format!("malformed: {e}"),
            transient: false,
        })
    }
}

fn sm_error(secret_id: &str) -> impl FnOnce(StoreError) -> RotationError + '_ {
    move |source| RotationError::SecretsManager {
        secret_id: secret_id.to_owned(),
        source,
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
#[path = "rotation_tests.rs"]
mod tests;
