//! Reading the key secret that signs a UserSig secret's UserSigs.
//!
//! Which key secret that is comes from the configured pairs alone (see
//! [`crate::targets`]); a secret's tags choose nothing. It is read (one
//! GetSecretValue, one KMS decryption) by each step that needs it, so a
//! step always signs and checks with the key secret as it is *now*.

use tim::secrets::{KeySecret, UserSigSecret};

use crate::error::{OnSecret, RotationError};
use crate::store::{AWSCURRENT, SecretStore};

/// The key secret `key_id` as it is now in `store`.
pub(super) async fn read<S: SecretStore>(
    store: &S,
    key_id: &str,
) -> Result<KeySecret, RotationError> {
    parse_key(key_id, &key_value(store, key_id).await?)
}

/// The key secret's current value.
async fn key_value<S: SecretStore>(store: &S, key_id: &str) -> Result<String, RotationError> {
    store
        .get_value(key_id, None, AWSCURRENT)
        .await
        .map_err(|e| {
            if e.is_not_found() {
                RotationError::KeySecretUnset {
                    secret_id: key_id.to_owned(),
                    detail: e.failure.describe(),
                }
            } else {
                RotationError::KeySecret {
                    secret_id: key_id.to_owned(),
                    reason: e.to_string(),
                    transient: e.is_transient(),
                }
            }
        })
}

/// Refuses to sign for `key`'s app when the UserSig secret `secret_id`
/// currently holds another app's UserSig: a wrong pair in
/// `TIM_ROTATION_TARGETS` would otherwise silently turn one app's secret
/// into another's.
pub(super) async fn check_same_app<S: SecretStore>(
    store: &S,
    secret_id: &str,
    key_id: &str,
    key: &KeySecret,
) -> Result<(), RotationError> {
    let current = match store.get_value(secret_id, None, AWSCURRENT).await {
        Ok(text) => text,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e).on(secret_id),
    };
    // A placeholder (no UserSig yet) belongs to no app.
    match UserSigSecret::from_json(&current) {
        Ok(current) if current.sdkappid != key.sdkappid => Err(RotationError::KeyForAnotherApp {
            secret_id: secret_id.to_owned(),
            key_secret_id: key_id.to_owned(),
            expected: current.sdkappid,
            basis: "it holds that app's UserSig".to_owned(),
            key: key.sdkappid,
        }),
        _ => Ok(()),
    }
}

fn parse_key(key_id: &str, text: &str) -> Result<KeySecret, RotationError> {
    KeySecret::from_json(text).map_err(|e| RotationError::KeySecret {
        secret_id: key_id.to_owned(),
        reason: format!("malformed: {e}"),
        transient: false,
    })
}
