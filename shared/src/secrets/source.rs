//! Which apps the environment configures, the secret each is read from, and
//! the providers reading them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigError, Env};
use crate::credentials::{AppCredentials, CredentialsProvider};
use crate::error::Error;

use super::key_secret::KeySecretProvider;
use super::usersig_secret::UserSigSecretProvider;

/// The apps' SDKAppIDs, comma-separated.
pub const SDKAPPIDS_ENV: &str = "TIM_SDKAPPIDS";
/// The UserSig secrets' name pattern (`{sdkappid}` for the id).
pub const USERSIG_SECRET_ENV: &str = "TIM_USERSIG_SECRET_ID";
/// The key secrets' name pattern (sign locally).
pub const KEY_SECRET_ENV: &str = "TIM_KEY_SECRET_ID";
/// Where a pattern takes each app's SDKAppID.
const SDKAPPID_PLACEHOLDER: &str = "{sdkappid}";
/// The template's UserSig secret names.
const DEFAULT_USERSIG_SECRET: &str = "tencent-chat/{sdkappid}/usersig";

/// One configured app.
pub struct ConfiguredApp {
    /// Its SDKAppID.
    pub sdkappid: u64,
    /// The secret it is read from: its name in reports and logs.
    pub secret_id: String,
    /// That secret's reader, refusing another app's credentials.
    pub credentials: Arc<dyn CredentialsProvider>,
}

/// Which apps the environment configures, and their secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsSource {
    /// Each app's SDKAppID and secret id, in configuration order.
    secrets: Vec<(u64, String)>,
    /// UserSig secrets (rotated), else key secrets (sign locally).
    usersig_secrets: bool,
}

impl CredentialsSource {
    /// `TIM_SDKAPPIDS` with the pattern of `TIM_USERSIG_SECRET_ID` (default
    /// `tencent-chat/{sdkappid}/usersig`), or of `TIM_KEY_SECRET_ID` when
    /// only that is set.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let sdkappids = sdkappids(env)?;
        let (variable, pattern, usersig_secrets) =
            match (env.get(USERSIG_SECRET_ENV), env.get(KEY_SECRET_ENV)) {
                (None, Some(key)) => (KEY_SECRET_ENV, key, false),
                (usersig, _) => (
                    USERSIG_SECRET_ENV,
                    usersig.unwrap_or_else(|| DEFAULT_USERSIG_SECRET.into()),
                    true,
                ),
            };
        let problem = match (
            pattern.contains(','),
            pattern.contains(SDKAPPID_PLACEHOLDER),
        ) {
            (true, _) => "a list of secret names is no longer read".to_owned(),
            (false, false) if sdkappids.len() > 1 => {
                format!("one secret name cannot serve {} apps", sdkappids.len())
            }
            _ => {
                let name = |id: u64| pattern.replace(SDKAPPID_PLACEHOLDER, &id.to_string());
                let secrets = sdkappids.into_iter().map(|id| (id, name(id))).collect();
                return Ok(Self {
                    secrets,
                    usersig_secrets,
                });
            }
        };
        let default = match usersig_secrets {
            true => format!(" (default {DEFAULT_USERSIG_SECRET})"),
            false => String::new(),
        };
        Err(ConfigError::new(
            variable,
            format!(
                "{problem}: set {SDKAPPIDS_ENV} to the apps' SDKAppIDs and {variable} to the names' \
             pattern with {SDKAPPID_PLACEHOLDER}{default}"
            ),
        ))
    }

    /// The apps' SDKAppIDs, in configuration order.
    pub fn sdkappids(&self) -> Vec<u64> {
        self.secrets.iter().map(|(id, _)| *id).collect()
    }

    /// Whether the UserSigs come from rotated secrets, so that their hours
    /// left say when rotation stopped. A key secret's are signed locally,
    /// short-lived, and say nothing about rotation.
    pub fn usersigs_rotate(&self) -> bool {
        self.usersig_secrets
    }

    /// One provider per app, refusing another app's credentials. Nothing is
    /// read until first use.
    pub fn apps(&self, secrets: &aws_sdk_secretsmanager::Client) -> Vec<ConfiguredApp> {
        let provider = |id: &String| -> Arc<dyn CredentialsProvider> {
            match self.usersig_secrets {
                true => Arc::new(UserSigSecretProvider::new(secrets.clone(), id.clone())),
                false => Arc::new(KeySecretProvider::new(secrets.clone(), id.clone())),
            }
        };
        let app = |(sdkappid, secret_id): &(u64, String)| ConfiguredApp {
            sdkappid: *sdkappid,
            secret_id: secret_id.clone(),
            credentials: Arc::new(OneApp {
                sdkappid: *sdkappid,
                secret_id: secret_id.clone(),
                inner: provider(secret_id),
            }),
        };
        self.secrets.iter().map(app).collect()
    }
}

/// `TIM_SDKAPPIDS`: positive, distinct, at least one.
fn sdkappids(env: &Env) -> Result<Vec<u64>, ConfigError> {
    let refused = |problem: String| ConfigError::new(SDKAPPIDS_ENV, problem);
    let mut ids = Vec::new();
    for item in env.list(SDKAPPIDS_ENV) {
        let id = (item.parse::<u64>().ok().filter(|&id| id > 0)).ok_or_else(|| {
            refused(format!(
                "{item:?} is not an SDKAppID (a positive whole number)"
            ))
        })?;
        if ids.contains(&id) {
            return Err(refused(format!("{id} is listed twice")));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(refused(
            "required: the apps' SDKAppIDs, comma-separated".into(),
        ));
    }
    Ok(ids)
}

/// Refuses credentials of another app than the configured one: a secret
/// holding the wrong app's would serve (and archive) that app's data as
/// this one's.
struct OneApp {
    sdkappid: u64,
    secret_id: String,
    inner: Arc<dyn CredentialsProvider>,
}

impl OneApp {
    fn check(&self, credentials: AppCredentials) -> Result<AppCredentials, Error> {
        if credentials.sdkappid == self.sdkappid {
            return Ok(credentials);
        }
        Err(Error::credentials(format!(
            "secret {:?} holds the credentials of SDKAppID {}, not of the configured SDKAppID {}: check the \
             secret and {SDKAPPIDS_ENV}",
            self.secret_id, credentials.sdkappid, self.sdkappid
        )))
    }
}

#[async_trait]
impl CredentialsProvider for OneApp {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.check(self.inner.credentials().await?)
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.check(self.inner.refresh(rejected).await?)
    }

    fn note_refusal(&self, code: i64) {
        self.inner.note_refusal(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::StaticCredentials;
    use crate::usersig::UserSig;

    fn source(pairs: &[(&str, &str)]) -> Result<CredentialsSource, ConfigError> {
        CredentialsSource::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    fn secrets(pairs: &[(&str, &str)]) -> Vec<(u64, String)> {
        source(pairs).unwrap().secrets
    }

    #[test]
    fn each_id_names_its_secret_through_the_pattern() {
        let ids = (SDKAPPIDS_ENV, " 1400000002, ,1400000001 ");
        assert_eq!(
            secrets(&[ids, (USERSIG_SECRET_ENV, "prod/{sdkappid}/sig")]),
            [
                (1_400_000_002, "prod/1400000002/sig".into()),
                (1_400_000_001, "prod/1400000001/sig".into())
            ]
        );
        // Unset: the template's names.
        let usersig = source(&[ids]).unwrap();
        assert_eq!(usersig.sdkappids(), [1_400_000_002, 1_400_000_001]);
        assert_eq!(usersig.secrets[0].1, "tencent-chat/1400000002/usersig");
        assert!(usersig.usersigs_rotate());
        // One app: any name or ARN.
        let one = [
            (SDKAPPIDS_ENV, "7"),
            (USERSIG_SECRET_ENV, "arn:aws:secretsmanager:x:1:secret:s"),
        ];
        assert_eq!(
            secrets(&one),
            [(7, "arn:aws:secretsmanager:x:1:secret:s".into())]
        );
    }

    #[test]
    fn the_key_secrets_sign_locally_unless_usersig_secrets_are_named() {
        let key = source(&[(SDKAPPIDS_ENV, "1,2"), (KEY_SECRET_ENV, "k/{sdkappid}")]).unwrap();
        assert_eq!(key.secrets, [(1, "k/1".into()), (2, "k/2".into())]);
        assert!(!key.usersigs_rotate());
        let both = [
            (SDKAPPIDS_ENV, "1"),
            (KEY_SECRET_ENV, "k"),
            (USERSIG_SECRET_ENV, "u"),
        ];
        assert_eq!(source(&both).unwrap().secrets, [(1, "u".into())]);
        assert!(source(&both).unwrap().usersigs_rotate());
    }

    #[test]
    fn the_ids_are_required_positive_and_distinct() {
        for ids in [
            None,
            Some(" , "),
            Some("1,x"),
            Some("0"),
            Some("-1"),
            Some("1, 2, 1"),
        ] {
            let pairs: Vec<_> = ids.map(|ids| (SDKAPPIDS_ENV, ids)).into_iter().collect();
            let err = source(&pairs).unwrap_err();
            assert_eq!(err.variable, SDKAPPIDS_ENV, "{ids:?}: {err}");
        }
        let twice = source(&[(SDKAPPIDS_ENV, "1, 2, 1")]).unwrap_err();
        assert!(twice.to_string().contains("1 is listed twice"), "{twice}");
    }

    #[test]
    fn a_list_of_names_or_one_name_for_several_apps_is_refused_naming_the_replacement() {
        for (variable, value, ids) in [
            (USERSIG_SECRET_ENV, "prod/app-1, prod/app-2", "1"),
            (USERSIG_SECRET_ENV, "prod/app", "1,2"),
            (KEY_SECRET_ENV, "a,b", "1,2"),
        ] {
            let err = source(&[(SDKAPPIDS_ENV, ids), (variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable, "{value}");
            let message = err.to_string();
            assert!(
                message.contains("TIM_SDKAPPIDS") && message.contains("{sdkappid}"),
                "{message}"
            );
        }
        let list = source(&[(SDKAPPIDS_ENV, "1"), (USERSIG_SECRET_ENV, "a,b")]).unwrap_err();
        assert!(
            list.to_string().contains("no longer read")
                && list.to_string().contains(DEFAULT_USERSIG_SECRET)
        );
    }

    fn credentials_of(sdkappid: u64) -> Arc<dyn CredentialsProvider> {
        Arc::new(StaticCredentials(AppCredentials {
            sdkappid,
            identifier: "administrator".into(),
            usersig: UserSig::new("sig"),
            region: None,
            expires_at: None,
        }))
    }

    /// App 1, read from secret `s/1`.
    fn one_app(inner: Arc<dyn CredentialsProvider>) -> OneApp {
        let secret_id = "s/1".into();
        OneApp {
            sdkappid: 1,
            secret_id,
            inner,
        }
    }

    #[tokio::test]
    async fn another_apps_credentials_are_refused_for_good() {
        let own = one_app(credentials_of(1));
        assert_eq!(own.credentials().await.unwrap().sdkappid, 1);
        let wrong = one_app(credentials_of(2));
        for result in [
            wrong.credentials().await,
            wrong.refresh(&own.credentials().await.unwrap()).await,
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, Error::Credentials { .. }) && !err.is_retryable(),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains("\"s/1\"")
                    && message.contains("SDKAppID 2")
                    && message.contains("SDKAppID 1"),
                "{message}"
            );
        }
    }
}
