//! Reading the key secret that signs a UserSig secret's UserSigs.
//!
//! Which key secret that is comes from the configured pairs alone (see
//! [`crate::targets`]); a secret's tags choose nothing. It is read (one
//! GetSecretValue, one KMS decryption) by each step that needs it, so a
//! step always signs and checks with the key secret as it is *now*.

use tim::secrets::KeySecret;

use super::{Rotator, Version};
use crate::error::RotationError;
use crate::store::{AWSCURRENT, SecretStore};

impl<S: SecretStore> Rotator<S> {
    /// The key secret of the pair as it is now, refused when it is another
    /// app's than the one the stack names for the pair.
    pub(super) async fn read_key(&self, v: &Version<'_>) -> Result<KeySecret, RotationError> {
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
}
