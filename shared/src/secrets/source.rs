//! Which secret(s) the environment names, and the providers reading them.

use std::sync::Arc;

use crate::config::{ConfigError, Env};
use crate::credentials::CredentialsProvider;

use super::key_secret::KeySecretProvider;
use super::usersig_secret::UserSigSecretProvider;

/// Names one or more UserSig secrets (comma-separated: one app each).
pub const USERSIG_SECRET_ENV: &str = "TIM_USERSIG_SECRET_ID";
/// Names the key secret (sign locally).
pub const KEY_SECRET_ENV: &str = "TIM_KEY_SECRET_ID";

/// Which secret(s) the environment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// `TIM_USERSIG_SECRET_ID`: one secret id (or ARN) per app.
    UserSigSecrets(Vec<String>),
    /// `TIM_KEY_SECRET_ID`: sign locally from the key.
    KeySecret(String),
}

impl CredentialsSource {
    /// `TIM_USERSIG_SECRET_ID` (comma-separated, one id per app) wins over
    /// `TIM_KEY_SECRET_ID`; with neither, the error names both.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let usersig_ids = env.list(USERSIG_SECRET_ENV);
        if !usersig_ids.is_empty() {
            return Ok(Self::UserSigSecrets(usersig_ids));
        }
        match env.get(KEY_SECRET_ENV) {
            Some(id) => Ok(Self::KeySecret(id)),
            None => Err(ConfigError::new(
                USERSIG_SECRET_ENV,
                "set TIM_USERSIG_SECRET_ID (the UserSig secret, one id per app, comma-separated) \
                 or TIM_KEY_SECRET_ID (the key secret)",
            )),
        }
    }

    /// The secret each app is read from, in the providers' order: the
    /// apps' names in reports and logs.
    pub fn secret_ids(&self) -> Vec<String> {
        match self {
            Self::UserSigSecrets(ids) => ids.clone(),
            Self::KeySecret(id) => vec![id.clone()],
        }
    }

    /// Whether the UserSigs come from rotated secrets, so that their hours
    /// left say when rotation stopped. A key secret's are signed locally,
    /// short-lived, and say nothing about rotation.
    pub fn usersigs_rotate(&self) -> bool {
        matches!(self, Self::UserSigSecrets(_))
    }

    /// One provider per app. Nothing is read until first use.
    pub fn providers(
        &self,
        secrets: &aws_sdk_secretsmanager::Client,
    ) -> Vec<Arc<dyn CredentialsProvider>> {
        match self {
            Self::UserSigSecrets(ids) => ids
                .iter()
                .map(|id| {
                    Arc::new(UserSigSecretProvider::new(secrets.clone(), id.clone()))
                        as Arc<dyn CredentialsProvider>
                })
                .collect(),
            Self::KeySecret(id) => vec![Arc::new(KeySecretProvider::new(
                secrets.clone(),
                id.clone(),
            ))],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_prefers_the_usersig_secret() {
        let source = |pairs: &[(&str, &str)]| {
            CredentialsSource::from_env(&Env::from_pairs(pairs.iter().copied()))
        };
        assert_eq!(
            source(&[(USERSIG_SECRET_ENV, " a, ,b "), (KEY_SECRET_ENV, "k")]),
            Ok(CredentialsSource::UserSigSecrets(vec![
                "a".into(),
                "b".into()
            ]))
        );
        assert_eq!(
            source(&[(USERSIG_SECRET_ENV, " , "), (KEY_SECRET_ENV, "k")]),
            Ok(CredentialsSource::KeySecret("k".into()))
        );
        for pairs in [&[(KEY_SECRET_ENV, "  ")][..], &[][..]] {
            let err = source(pairs).unwrap_err();
            assert_eq!(err.variable, USERSIG_SECRET_ENV);
            assert!(err.to_string().contains("TIM_KEY_SECRET_ID"), "{err}");
        }
    }

    #[test]
    fn each_app_is_named_by_its_secret_and_only_secrets_rotate() {
        let secrets = CredentialsSource::UserSigSecrets(vec!["a".into(), "b".into()]);
        assert_eq!(secrets.secret_ids(), ["a", "b"]);
        assert!(secrets.usersigs_rotate());
        let key = CredentialsSource::KeySecret("k".into());
        assert_eq!(key.secret_ids(), ["k"]);
        assert!(!key.usersigs_rotate());
    }
}
