//! testSecret: the pending UserSig against the key secret as it is now,
//! then (unless `LIVE_CHECK=false`) one call to Tencent with exactly that
//! UserSig; and Secrets Manager's configuration test on a fresh stack.

use std::sync::Arc;

use tim::api::appinfo::AppInfoRequest;
use tim::api::commands::GET_APP_INFO;
use tim::secrets::UserSigSecret;
use tim::{Deadline, StaticCredentials};

use super::{Outcome, Rotator, Version};
use crate::error::RotationError;
use crate::store::{AWSCURRENT, SecretStore};

impl<S: SecretStore> Rotator<S> {
    /// testSecret. A pending value that fails the local checks is taken off
    /// AWSPENDING (see [`crate::pending`]); one Tencent refuses is not: the
    /// same token then fails its local check once the key is fixed.
    ///
    /// With `RotateImmediately=false` (the template's
    /// `RotateImmediatelyOnUpdate: false`, also on schedule updates) Secrets
    /// Manager tests the configuration by running testSecret on an
    /// AWSPENDING version it creates and then removes; whether that version
    /// has a value AWS does not document (moto copies AWSCURRENT's). No real
    /// rotation reaches testSecret with no value or AWSCURRENT's own (its
    /// createSecret stored a new UserSig, and finishSecret makes nothing but
    /// a UserSig secret current), nor with a non-UserSig value while the key
    /// secret is still unset (createSecret needed the key).
    pub(super) async fn test(
        &self,
        v: &Version<'_>,
        deadline: Deadline,
    ) -> Result<Outcome, RotationError> {
        let (secret_id, token) = (v.secret_id, v.token);
        let text = self.pending_value(secret_id, token).await?;
        let key = match self.read_key(v).await {
            Err(e) if !matches!(e, RotationError::KeySecretUnset { .. }) => return Err(e),
            key => key,
        };
        let nothing_new = match &text {
            None => true,
            Some(t) if key.is_err() && UserSigSecret::from_json(t).is_err() => true,
            Some(t) => self.is_copy_of_current(secret_id, t).await?,
        };
        let (true, Some(text)) = (!nothing_new, text) else {
            let why = "the pending version holds no new UserSig (no value, AWSCURRENT's own, \
                or a placeholder while the key secret has no value), nothing to test";
            tracing::info!(secret_id, token, "testSecret: configuration test: {why}");
            return Ok(Outcome::ConfigurationTest);
        };
        let pending = self.check_or_remove(v, &text, &key?).await?;
        let outcome = if self.config.live_check {
            // Exactly the pending UserSig, sent once: a refusal fails the
            // test (it is Tencent's verdict), rather than being papered over
            // by a fresh signature.
            let credentials = Arc::new(StaticCredentials(pending.to_credentials()));
            let client =
                tim::Client::new(self.http.clone(), self.config.client.clone(), credentials);
            let request = AppInfoRequest::only(["Date"]);
            if let Err(source) = client.call(GET_APP_INFO, &request, deadline).await {
                let secret_id = secret_id.to_owned();
                return Err(RotationError::LiveCheck { secret_id, source });
            }
            let done = "testSecret: verified locally and accepted by Tencent";
            tracing::info!(secret_id, token, "{done}");
            Outcome::Tested
        } else {
            let done = "testSecret: verified locally; LIVE_CHECK=false skips the call to Tencent";
            tracing::info!(secret_id, token, "{done}");
            Outcome::TestedLocally
        };
        self.report_hours_left(&pending);
        Ok(outcome)
    }

    /// Whether `pending` is exactly AWSCURRENT's value.
    async fn is_copy_of_current(
        &self,
        secret_id: &str,
        pending: &str,
    ) -> Result<bool, RotationError> {
        let current = self.value(secret_id, None, AWSCURRENT).await?;
        Ok(current.is_some_and(|current| current == pending))
    }
}
