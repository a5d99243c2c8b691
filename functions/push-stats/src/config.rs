//! Which app push-stats serves, read once at init through the shared
//! configuration layer (`tim::config::Env`); every failure names the variable.

use std::sync::Arc;

use tim::CredentialsProvider;
use tim::config::{ConfigError, Env};
use tim::secrets::{
    CredentialsSource, KeySecretProvider, USERSIG_SECRET_ENV, UserSigSecretProvider,
};

/// The one app's secret. Several apps are refused at start-up rather than
/// picked per request: a caller cannot choose another app's data by
/// accident, and a misconfiguration shows at deploy time, not at 3 a.m.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSecret {
    /// `TIM_USERSIG_SECRET_ID`: the UserSig secret usersig-refresher writes.
    UserSig(String),
    /// `TIM_KEY_SECRET_ID`: sign UserSigs locally from the key secret.
    Key(String),
}

impl AppSecret {
    /// `TIM_USERSIG_SECRET_ID` (exactly one id) or `TIM_KEY_SECRET_ID`.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        match CredentialsSource::from_env(env)? {
            CredentialsSource::KeySecret(id) => Ok(Self::Key(id)),
            CredentialsSource::UserSigSecrets(ids) => match <[String; 1]>::try_from(ids) {
                Ok([id]) => Ok(Self::UserSig(id)),
                Err(ids) => Err(ConfigError::new(
                    USERSIG_SECRET_ENV,
                    format!(
                        "names {} secrets, but push-stats serves exactly one app: deploy one \
                         push-stats per app, each with one secret id",
                        ids.len()
                    ),
                )),
            },
        }
    }

    /// The app's credentials. Nothing is read until first use.
    pub fn provider(
        &self,
        secrets: &aws_sdk_secretsmanager::Client,
    ) -> Arc<dyn CredentialsProvider> {
        match self {
            Self::UserSig(id) => Arc::new(UserSigSecretProvider::new(secrets.clone(), id.clone())),
            Self::Key(id) => Arc::new(KeySecretProvider::new(secrets.clone(), id.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<AppSecret, ConfigError> {
        AppSecret::read(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn exactly_one_app_is_served() {
        assert_eq!(
            read(&[("TIM_USERSIG_SECRET_ID", " tencent-chat/usersig ")]),
            Ok(AppSecret::UserSig("tencent-chat/usersig".into()))
        );
        assert_eq!(
            read(&[("TIM_KEY_SECRET_ID", "tencent-chat/key")]),
            Ok(AppSecret::Key("tencent-chat/key".into()))
        );
        let err = read(&[("TIM_USERSIG_SECRET_ID", "a,b")]).unwrap_err();
        assert_eq!(err.variable, "TIM_USERSIG_SECRET_ID");
        assert!(
            err.to_string().starts_with(
                "TIM_USERSIG_SECRET_ID: names 2 secrets, but push-stats serves exactly one app"
            ),
            "{err}"
        );
        // Neither variable (or only empty values): refused, naming them.
        for pairs in [&[][..], &[("TIM_USERSIG_SECRET_ID", " , ")][..]] {
            let err = read(pairs).unwrap_err();
            assert_eq!(err.variable, "TIM_USERSIG_SECRET_ID");
            assert!(err.to_string().contains("TIM_KEY_SECRET_ID"), "{err}");
        }
    }
}
