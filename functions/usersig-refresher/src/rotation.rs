//! The four rotation steps, as AWS's rotation templates run them.
//!
//! Before every step: the secret must be one of the configured pairs
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
use crate::error::{OnSecret, RotationError};
use crate::event::{RotationEvent, Step};
use crate::store::{AWSCURRENT, AWSPENDING, SecretMetadata, SecretStore};
use crate::targets::RotationTarget;

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

/// The version a step works on, as the event names it, and the secret's pair.
struct Version<'a> {
    step: Step,
    secret_id: &'a str,
    token: &'a str,
    target: RotationTarget,
}

impl Version<'_> {
    /// The secret and token, owned, for an error or the report.
    fn ids(&self) -> (String, String) {
        (self.secret_id.to_owned(), self.token.to_owned())
    }

    /// [`RotationError::NotPending`], with the version's `stages`.
    fn not_pending(&self, stages: &[String]) -> RotationError {
        let ((secret_id, token), stages) = (self.ids(), stages.to_vec());
        RotationError::NotPending {
            secret_id,
            token,
            stages,
        }
    }
}

impl<S: SecretStore> Rotator<S> {
    /// `metrics` receives `UserSigHoursLeft` after testSecret and finishSecret.
    pub fn new(store: S, config: Config, http: reqwest::Client, metrics: Metrics) -> Self {
        let clock = Arc::new(SystemClock);
        Self {
            store,
            config,
            http,
            metrics,
            clock,
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
        let step = event.step.clone();
        let step = Step::parse(&step).ok_or(RotationError::UnknownStep { step })?;
        let secret_id = event.secret_id.as_str();
        let token = event.client_request_token.as_str();
        let (metadata, target) = self.served(step, secret_id).await?;
        let v = Version {
            step,
            secret_id,
            token,
            target,
        };
        if !metadata.rotation_enabled {
            let secret_id = secret_id.to_owned();
            return Err(RotationError::RotationNotEnabled { secret_id });
        }
        let Some(stages) = metadata.stages_of(token) else {
            let (secret_id, token) = v.ids();
            return Err(RotationError::UnknownVersion { secret_id, token });
        };
        let outcome = if metadata.has_stage(token, AWSCURRENT) {
            if step == Step::Finish && metadata.has_stage(token, AWSPENDING) {
                // A previous finishSecret moved AWSCURRENT but stopped before
                // taking AWSPENDING off: complete it.
                self.remove_pending(secret_id, &[token]).await?;
            }
            tracing::info!(step = %step, secret_id, token, "version is already AWSCURRENT: nothing to do");
            Outcome::AlreadyCurrent
        } else if !metadata.has_stage(token, AWSPENDING) {
            return Err(v.not_pending(stages));
        } else {
            match step {
                Step::Create => self.create(&v, event.rotation_token.as_deref()).await?,
                Step::Set => {
                    let why = "setSecret: a UserSig is stateless, nothing to set at Tencent";
                    tracing::info!(secret_id, token, "{why}");
                    Outcome::NothingToSet
                }
                Step::Test => self.test(&v, deadline).await?,
                Step::Finish => self.finish(&v, &metadata).await?,
            }
        };
        tracing::info!(step = %step, secret_id, token, outcome = ?outcome, "rotation step done");
        let (secret_id, token) = v.ids();
        Ok(StepReport {
            step,
            secret_id,
            token,
            outcome,
        })
    }

    /// The secret's metadata and its pair (from the configuration), or
    /// [`RotationError::SecretNotServed`]: an event whose `SecretId` cannot
    /// be a served secret is refused without any call; any other is
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
            served: targets.len(),
        };
        if !targets.iter().any(|t| t.may_be(secret_id)) {
            return Err(refuse(None));
        }
        let metadata = self.store.describe(secret_id).await.on(secret_id)?;
        match targets.iter().find(|t| t.is(&metadata)) {
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
        v: &Version<'_>,
        rotation: Option<&str>,
    ) -> Result<Outcome, RotationError> {
        let (secret_id, token) = (v.secret_id, v.token);
        if let Some(text) = self.pending_value(secret_id, token).await? {
            self.check_or_remove(v, &text, &self.read_key(v).await?)
                .await?;
            return Ok(Outcome::PendingExists);
        }
        let key = self.read_key(v).await?;
        let (now, validity) = (self.clock.now_unix(), self.config.usersig_validity_secs);
        let signer = Signer::new(key.sdkappid, key.key.clone());
        let secret = UserSigSecret {
            sdkappid: key.sdkappid,
            identifier: key.identifier.clone(),
            region: key.region,
            usersig: signer.sign(&key.identifier, validity, now),
            issued_at: rfc3339(now),
            expires_at: rfc3339(now.saturating_add(validity)),
        };
        let (store, value) = (&self.store, secret.to_json());
        match store.put_pending(secret_id, token, &value, rotation).await {
            Ok(()) => {
                tracing::info!(secret_id, token, sdkappid = key.sdkappid, identifier = %key.identifier,
                    key_secret_id = v.target.key_secret_id, expires_at = %secret.expires_at,
                    "createSecret: new UserSig stored as AWSPENDING");
                Ok(Outcome::Created)
            }
            Err(e) if e.version_exists() => self.after_version_exists(v).await,
            Err(e) => Err(e).on(secret_id),
        }
    }

    /// The key secret of the pair (the configured pairs alone choose it; a
    /// secret's tags choose nothing) as it is now, refused when it is another
    /// app's than the one the stack names for the pair. Read (one
    /// GetSecretValue) by each step that needs it, so a step always signs and
    /// checks with the key as it is *now*.
    async fn read_key(&self, v: &Version<'_>) -> Result<KeySecret, RotationError> {
        let secret_id = v.target.key_secret_id.clone();
        let value = self.store.get_value(&secret_id, None, AWSCURRENT).await;
        let text = value.map_err(|e| match e.is_not_found() {
            true => RotationError::KeySecretUnset {
                secret_id: secret_id.clone(),
                detail: e.failure.describe(),
            },
            false => RotationError::KeySecret {
                secret_id: secret_id.clone(),
                reason: e.to_string(),
                transient: e.is_transient(),
            },
        })?;
        let key = KeySecret::from_json(&text).map_err(|e| RotationError::KeySecret {
            secret_id: secret_id.clone(),
            reason: format!("malformed: {e}"),
            transient: false,
        })?;
        if key.sdkappid == v.target.sdkappid {
            return Ok(key);
        }
        Err(RotationError::KeyForAnotherApp {
            secret_id: v.secret_id.to_owned(),
            key_secret_id: secret_id,
            expected: v.target.sdkappid,
            key: key.sdkappid,
        })
    }

    /// The token's AWSPENDING value, `None` while it has none.
    async fn pending_value(
        &self,
        secret_id: &str,
        token: &str,
    ) -> Result<Option<String>, RotationError> {
        self.value(secret_id, Some(token), AWSPENDING).await
    }

    /// A version's value, `None` while it has none (a version without a
    /// value is `NotFound`, as AWS answers it).
    async fn value(
        &self,
        secret_id: &str,
        version: Option<&str>,
        stage: &str,
    ) -> Result<Option<String>, RotationError> {
        match self.store.get_value(secret_id, version, stage).await {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e).on(secret_id),
        }
    }

    /// `UserSigHoursLeft` for `secret` (dimension SDKAppID).
    fn report_hours_left(&self, secret: &UserSigSecret) {
        if let Some(expires_at) = secret.expires_at_unix() {
            let now = self.clock.now_unix();
            emit_hours_left(&self.metrics, secret.sdkappid, expires_at, now);
        }
    }

    /// finishSecret: move AWSCURRENT to the token (Secrets Manager puts
    /// AWSPREVIOUS on the old version) and take AWSPENDING off.
    async fn finish(
        &self,
        v: &Version<'_>,
        metadata: &SecretMetadata,
    ) -> Result<Outcome, RotationError> {
        let (secret_id, token) = (v.secret_id, v.token);
        // Only a UserSig secret becomes AWSCURRENT (the functions read it).
        let text = self.pending_value(secret_id, token).await?;
        let new = text.ok_or_else(|| "it has no value".to_owned());
        let new = new.and_then(|text| UserSigSecret::from_json(&text).map_err(|e| e.to_string()));
        let new = new.map_err(|reason| {
            let (secret_id, token) = v.ids();
            RotationError::PendingUnusable {
                secret_id,
                token,
                reason,
            }
        })?;
        let current = metadata.versions_with(AWSCURRENT).into_iter().next();
        let store = &self.store;
        store
            .update_stage(secret_id, AWSCURRENT, Some(token), current)
            .await
            .on(secret_id)?;
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
            let store = &self.store;
            store
                .update_stage(secret_id, AWSPENDING, None, Some(version))
                .await
                .on(secret_id)?;
        }
        Ok(())
    }
}

fn rfc3339(unix: u64) -> String {
    let time = chrono::DateTime::from_timestamp(unix.try_into().unwrap_or(i64::MAX), 0);
    let time = time.unwrap_or_default();
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
