//! Stale pending values: a value that fails under the key secret as it is
//! now is taken off AWSPENDING, because Secrets Manager would otherwise
//! replay the same token (whose value never changes) until the UserSig
//! expires, and refuse to start a new rotation meanwhile.

use tim::secrets::{KeySecret, UserSigSecret};

use super::{Outcome, Rotator};
use crate::error::{RotationError, sm_error};
use crate::event::Step;
use crate::pending::{self, PendingFault};
use crate::store::SecretStore;
use crate::targets::RotationTarget;

impl<S: SecretStore> Rotator<S> {
    /// PutSecretValue refused: the token's version holds another value
    /// (AWS's ResourceExistsException; a version's value never changes).
    /// Either a concurrent createSecret stored first (kept if it passes),
    /// or the version was taken off AWSPENDING meanwhile: it is never
    /// staged again, a new token will come.
    pub(super) async fn after_version_exists(
        &self,
        secret_id: &str,
        token: &str,
        target: &RotationTarget,
    ) -> Result<Outcome, RotationError> {
        if let Some(text) = self.pending_value(secret_id, token).await? {
            self.keep_or_remove(Step::Create, secret_id, token, &text, target)
                .await?;
            return Ok(Outcome::PendingExists);
        }
        let metadata = self
            .store
            .describe(secret_id)
            .await
            .map_err(sm_error(secret_id))?;
        Err(RotationError::NotPending {
            secret_id: secret_id.to_owned(),
            token: token.to_owned(),
            stages: metadata.stages_of(token).unwrap_or_default().to_vec(),
        })
    }

    /// Checks an existing pending value against the key secret as it is
    /// now (see [`pending::check`]); a stale one is taken off AWSPENDING
    /// and the step fails with [`RotationError::StalePendingRemoved`].
    pub(super) async fn keep_or_remove(
        &self,
        step: Step,
        secret_id: &str,
        token: &str,
        text: &str,
        target: &RotationTarget,
    ) -> Result<UserSigSecret, RotationError> {
        let key = self.read_key(secret_id, target).await?;
        self.check_or_remove(step, secret_id, token, text, &key)
            .await
    }

    pub(super) async fn check_or_remove(
        &self,
        step: Step,
        secret_id: &str,
        token: &str,
        text: &str,
        key: &KeySecret,
    ) -> Result<UserSigSecret, RotationError> {
        let now = self.clock.now_unix();
        match pending::check(text, key, now, self.config.min_validity_secs) {
            Ok(pending) => Ok(pending),
            Err(fault) => Err(self.remove_stale(step, secret_id, token, fault).await),
        }
    }

    /// Takes AWSPENDING off a stale version: Secrets Manager would
    /// otherwise retry the same token (and the same value) until the
    /// UserSig expires, and refuse to start a new rotation meanwhile.
    async fn remove_stale(
        &self,
        step: Step,
        secret_id: &str,
        token: &str,
        fault: PendingFault,
    ) -> RotationError {
        if let Err(e) = self.remove_pending(secret_id, &[token]).await {
            // AWSPENDING stays: the next attempt checks (and removes) again.
            return e;
        }
        tracing::warn!(
            step = %step,
            secret_id,
            token,
            reason = fault.reason(),
            "stale pending version taken off AWSPENDING: {fault}"
        );
        RotationError::StalePendingRemoved {
            secret_id: secret_id.to_owned(),
            token: token.to_owned(),
            step,
            fault,
        }
    }
}
