//! testSecret: the pending UserSig against the key secret as it is now,
//! then (unless `LIVE_CHECK=false`) one call to Tencent with exactly that
//! UserSig; and Secrets Manager's configuration test on a fresh stack.

use std::sync::Arc;

use tim::api::appinfo::AppInfoRequest;
use tim::api::commands::GET_APP_INFO;
use tim::secrets::UserSigSecret;
use tim::{Deadline, StaticCredentials};

use super::{Outcome, Rotator, Version};
use crate::error::{OnSecret, RotationError};
use crate::store::{AWSCURRENT, SecretStore};

impl<S: SecretStore> Rotator<S> {
    /// testSecret. A pending value that fails the local checks is taken off
    /// AWSPENDING (see [`crate::pending`]); one Tencent refuses is not: the
    /// same token then fails its local check once the key is fixed.
    pub(super) async fn test(
        &self,
        v: &Version<'_>,
        deadline: Deadline,
    ) -> Result<Outcome, RotationError> {
        let (secret_id, token) = (v.secret_id, v.token);
        let text = self.pending_value(secret_id, token).await?;
        let key = match self.read_key(v).await {
            Err(unset @ RotationError::KeySecretUnset { .. }) => {
                if !self
                    .is_configuration_test(secret_id, text.as_deref())
                    .await?
                {
                    return Err(unset);
                }
                tracing::info!(
                    secret_id,
                    token,
                    "testSecret: configuration test: nothing to test yet (the key \
                    secret has no value, and the pending version holds no UserSig this function wrote)"
                );
                return Ok(Outcome::ConfigurationTest);
            }
            key => key?,
        };
        // The configuration test also runs when the rotation schedule of a
        // stack whose key is set is updated. No real rotation reaches
        // testSecret with no value or with AWSCURRENT's own value: its
        // createSecret always stored a new UserSig (and finishSecret refuses
        // to make anything but a UserSig secret current).
        let text = match text {
            Some(text) if !self.is_copy_of_current(secret_id, &text).await? => text,
            _ => {
                tracing::info!(
                    secret_id,
                    token,
                    "testSecret: configuration test: the pending version holds no \
                    new UserSig (no value, or AWSCURRENT's own), nothing to test"
                );
                return Ok(Outcome::ConfigurationTest);
            }
        };
        let pending = self.check_or_remove(v, &text, &key).await?;
        let outcome = if self.config.live_check {
            self.live_check(secret_id, &pending, deadline).await?;
            tracing::info!(
                secret_id,
                token,
                "testSecret: verified locally and accepted by Tencent"
            );
            Outcome::Tested
        } else {
            let done = "testSecret: verified locally; LIVE_CHECK=false skips the call to Tencent";
            tracing::info!(secret_id, token, "{done}");
            Outcome::TestedLocally
        };
        self.report_hours_left(&pending);
        Ok(outcome)
    }

    /// Exactly the pending UserSig, sent once: a refusal fails the test
    /// (it is Tencent's verdict; the client does not resend the same
    /// UserSig), rather than being papered over by a fresh signature.
    async fn live_check(
        &self,
        secret_id: &str,
        pending: &UserSigSecret,
        deadline: Deadline,
    ) -> Result<(), RotationError> {
        let credentials = Arc::new(StaticCredentials(pending.to_credentials()));
        let client = tim::Client::new(self.http.clone(), self.config.client.clone(), credentials);
        let request = AppInfoRequest::only(["Date"]);
        match client.call(GET_APP_INFO, &request, deadline).await {
            Ok(_) => Ok(()),
            Err(source) => {
                let secret_id = secret_id.to_owned();
                Err(RotationError::LiveCheck { secret_id, source })
            }
        }
    }

    /// With `RotateImmediately=false` (the template's
    /// `RotateImmediatelyOnUpdate: false`) Secrets Manager tests the
    /// configuration by running testSecret on an AWSPENDING version it
    /// creates and then removes. Whether that version has a value AWS does
    /// not document (moto copies AWSCURRENT's). Asked only while the key
    /// secret has no value, so no real rotation can be here: its
    /// createSecret needed the key, and always wrote a UserSig secret that
    /// is not AWSCURRENT's value. Accepted: no value, a value that is not a
    /// UserSig secret (a placeholder), or a copy of AWSCURRENT's value.
    async fn is_configuration_test(
        &self,
        secret_id: &str,
        pending: Option<&str>,
    ) -> Result<bool, RotationError> {
        match pending {
            Some(text) if UserSigSecret::from_json(text).is_ok() => {
                self.is_copy_of_current(secret_id, text).await
            }
            _ => Ok(true),
        }
    }

    /// Whether `pending` is exactly AWSCURRENT's value.
    async fn is_copy_of_current(
        &self,
        secret_id: &str,
        pending: &str,
    ) -> Result<bool, RotationError> {
        match self.store.get_value(secret_id, None, AWSCURRENT).await {
            Ok(current) => Ok(current == pending),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e).on(secret_id),
        }
    }
}
