//! Stale pending values: a value that fails under the key secret as it is
//! now is taken off AWSPENDING, because Secrets Manager would otherwise
//! replay the same token (whose value never changes) until the UserSig
//! expires, and refuse to start a new rotation meanwhile.

use tim::secrets::{KeySecret, UserSigSecret};

use super::{Outcome, Rotator, Version};
use crate::error::{OnSecret, RotationError};
use crate::pending;
use crate::store::SecretStore;

impl<S: SecretStore> Rotator<S> {
    /// PutSecretValue refused: the token's version holds another value
    /// (AWS's ResourceExistsException; a version's value never changes).
    /// Either a concurrent createSecret stored first (kept if it passes),
    /// or the version was taken off AWSPENDING meanwhile: it is never
    /// staged again, a new token will come.
    pub(super) async fn after_version_exists(
        &self,
        v: &Version<'_>,
    ) -> Result<Outcome, RotationError> {
        if let Some(text) = self.pending_value(v.secret_id, v.token).await? {
            self.check_or_remove(v, &text, &self.read_key(v).await?)
                .await?;
            return Ok(Outcome::PendingExists);
        }
        let metadata = self.store.describe(v.secret_id).await.on(v.secret_id)?;
        Err(v.not_pending(metadata.stages_of(v.token).unwrap_or_default()))
    }

    /// Checks a pending value against the key secret as it is now (see
    /// [`pending::check`]); a stale one is taken off AWSPENDING and the step
    /// fails with [`RotationError::StalePendingRemoved`].
    pub(super) async fn check_or_remove(
        &self,
        v: &Version<'_>,
        text: &str,
        key: &KeySecret,
    ) -> Result<UserSigSecret, RotationError> {
        let now = self.clock.now_unix();
        let fault = match pending::check(text, key, now, self.config.min_validity_secs) {
            Ok(pending) => return Ok(pending),
            Err(fault) => fault,
        };
        // AWSPENDING stays if this fails: the next attempt checks (and removes) again.
        self.remove_pending(v.secret_id, &[v.token]).await?;
        let (step, secret_id, token, reason) = (v.step, v.secret_id, v.token, fault.reason());
        tracing::warn!(step = %step, secret_id, token, reason,
            "stale pending version taken off AWSPENDING: {fault}");
        let (secret_id, token) = v.ids();
        Err(RotationError::StalePendingRemoved {
            secret_id,
            token,
            step,
            fault,
        })
    }
}
