//! Configuration from the environment, read once per cold start through
//! the shared layer (`tim::config::Env`: trimmed, empty = unset).

use tim::ClientConfig;
use tim::config::{ConfigError, Env};

/// The key secret's id or ARN for UserSig secrets without the
/// [`crate::rotation::KEY_SECRET_TAG`] tag (optional).
pub const KEY_SECRET_ENV: &str = tim::secrets::KEY_SECRET_ENV;
pub const VALIDITY_DAYS_ENV: &str = "USERSIG_VALIDITY_DAYS";
pub const MIN_VALIDITY_HOURS_ENV: &str = "MIN_VALIDITY_HOURS";
pub const LIVE_CHECK_ENV: &str = "LIVE_CHECK";

/// Validity of a new UserSig unless `USERSIG_VALIDITY_DAYS` says otherwise:
/// well above a 7-day rotation interval, so a failed rotation leaves weeks
/// to notice and fix it.
pub const DEFAULT_VALIDITY_DAYS: u64 = 30;
/// testSecret refuses a pending UserSig with less validity left than this.
pub const DEFAULT_MIN_VALIDITY_HOURS: u64 = 24;
/// Tencent's reference libraries default to 180 days; beyond ten years is a typo.
const MAX_VALIDITY_DAYS: u64 = 3650;

#[derive(Debug, Clone)]
pub struct Config {
    /// `TIM_KEY_SECRET_ID`: the key secret of a UserSig secret that has no
    /// `tim:key-secret` tag. Each tagged secret names its own app's key.
    pub key_secret_id: Option<String>,
    /// Validity of each new UserSig, seconds.
    pub usersig_validity_secs: u64,
    /// Minimum validity testSecret demands of the pending UserSig, seconds.
    pub min_validity_secs: u64,
    /// testSecret also calls Tencent once (`getappinfo`, field `Date`).
    pub live_check: bool,
    /// How the live check reaches Tencent (`TIM_ENDPOINT` overrides the
    /// region's domains; the region comes from the key secret).
    pub client: ClientConfig,
}

impl Config {
    /// Reads every variable through the shared configuration layer; the
    /// error names the first missing or unusable one.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let key_secret_id = env.get(KEY_SECRET_ENV);
        let validity_days = env.positive(VALIDITY_DAYS_ENV, DEFAULT_VALIDITY_DAYS)?;
        if validity_days > MAX_VALIDITY_DAYS {
            return Err(ConfigError::new(
                VALIDITY_DAYS_ENV,
                format!("at most {MAX_VALIDITY_DAYS} days, got {validity_days}"),
            ));
        }
        let min_hours = env.positive(MIN_VALIDITY_HOURS_ENV, DEFAULT_MIN_VALIDITY_HOURS)?;
        if min_hours >= validity_days * 24 {
            return Err(ConfigError::new(
                MIN_VALIDITY_HOURS_ENV,
                format!(
                    "{min_hours} h must be less than USERSIG_VALIDITY_DAYS ({validity_days} d = {} h), or every test would fail",
                    validity_days * 24
                ),
            ));
        }
        Ok(Self {
            key_secret_id,
            usersig_validity_secs: validity_days * 86_400,
            min_validity_secs: min_hours * 3_600,
            live_check: env.flag(LIVE_CHECK_ENV, true)?,
            client: ClientConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::read(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = config(&[(KEY_SECRET_ENV, "tencent-chat/key")]).unwrap();
        assert_eq!(c.key_secret_id.as_deref(), Some("tencent-chat/key"));
        // Optional: tagged UserSig secrets name their own key secret.
        assert_eq!(config(&[]).unwrap().key_secret_id, None);
        assert_eq!(
            config(&[(KEY_SECRET_ENV, "  ")]).unwrap().key_secret_id,
            None
        );
        assert_eq!(c.usersig_validity_secs, 30 * 86_400);
        assert_eq!(c.min_validity_secs, 24 * 3_600);
        assert!(c.live_check);
        assert_eq!(c.client.endpoint, None);
    }

    #[test]
    fn every_variable_is_read_and_errors_name_it() {
        let c = config(&[
            (KEY_SECRET_ENV, "k"),
            (VALIDITY_DAYS_ENV, "10"),
            (MIN_VALIDITY_HOURS_ENV, "48"),
            (LIVE_CHECK_ENV, "False"),
            ("TIM_ENDPOINT", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        assert_eq!(
            (c.usersig_validity_secs, c.min_validity_secs, c.live_check),
            (864_000, 172_800, false)
        );
        assert_eq!(c.client.endpoint.unwrap().primary.port(), Some(9000));

        for (pairs, variable) in [
            (
                &[(KEY_SECRET_ENV, "k"), (VALIDITY_DAYS_ENV, "0")][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[(KEY_SECRET_ENV, "k"), (VALIDITY_DAYS_ENV, "thirty")][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[(KEY_SECRET_ENV, "k"), (VALIDITY_DAYS_ENV, "3651")][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[
                    (KEY_SECRET_ENV, "k"),
                    (VALIDITY_DAYS_ENV, "1"),
                    (MIN_VALIDITY_HOURS_ENV, "24"),
                ][..],
                MIN_VALIDITY_HOURS_ENV,
            ),
            (
                &[(KEY_SECRET_ENV, "k"), (LIVE_CHECK_ENV, "maybe")][..],
                LIVE_CHECK_ENV,
            ),
            (
                &[(KEY_SECRET_ENV, "k"), ("TIM_ENDPOINT", "ftp://x")][..],
                "TIM_ENDPOINT",
            ),
        ] {
            let err = config(pairs).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().starts_with(variable), "{err}");
        }
    }
}
