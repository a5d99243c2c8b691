//! Reading the key secret that signs a UserSig secret's UserSigs.
//!
//! Which key secret that is comes from `TIM_ROTATION_TARGETS` alone (see
//! [`crate::targets`]); a secret's tags choose nothing. A key secret is read (GetSecretValue, a KMS
//! decryption) once per version: before each use, DescribeSecret (no value,
//! no decryption) says which version `AWSCURRENT` labels, and the key read
//! from that version is reused. So a warm refresher rotating several apps
//! reads each key once, and still signs with the key secret as it is *now*
//! (a key the operator has just changed is read at once). If DescribeSecret
//! fails, the key is read: correct, only dearer.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tim::secrets::{KeySecret, UserSigSecret};

use crate::error::{RotationError, sm_error};
use crate::store::{AWSCURRENT, SecretStore};

/// A key secret as read, and the version it was read from.
struct CachedKey {
    version: String,
    key: KeySecret,
}

/// Key secrets read, by id, each with the version it was read from; the
/// `Rotator` keeps one from its cold start on.
#[derive(Default)]
pub(super) struct KeyCache(Mutex<HashMap<String, CachedKey>>);

impl KeyCache {
    /// The key secret `key_id` as it is now in `store` (read once per version).
    pub(super) async fn read<S: SecretStore>(
        &self,
        store: &S,
        key_id: &str,
    ) -> Result<KeySecret, RotationError> {
        let version = match store.describe(key_id).await {
            Ok(metadata) => metadata
                .versions_with(AWSCURRENT)
                .first()
                .map(|v| (*v).to_owned()),
            Err(error) => {
                tracing::info!(key_secret_id = key_id, error = %error, "DescribeSecret of the key secret failed; reading it");
                None
            }
        };
        if let Some(version) = &version
            && let Some(key) = self.cached(key_id, version)
        {
            return Ok(key);
        }
        // Read after the version was seen: should the key change in
        // between, the next DescribeSecret shows another version.
        let key = parse_key(key_id, &key_value(store, key_id).await?)?;
        if let Some(version) = version {
            self.lock().insert(
                key_id.to_owned(),
                CachedKey {
                    version,
                    key: key.clone(),
                },
            );
        }
        Ok(key)
    }

    fn cached(&self, key_id: &str, version: &str) -> Option<KeySecret> {
        self.lock()
            .get(key_id)
            .filter(|cached| cached.version == version)
            .map(|cached| cached.key.clone())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, CachedKey>> {
        // A poisoned lock only means a panic elsewhere; the map stays usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
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
        Err(e) => return Err(sm_error(secret_id)(e)),
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
