//! Configuration from the environment, read once per cold start through
//! the shared layer (`tim::config::Env`: trimmed, empty = unset).

use tim::ClientConfig;
use tim::config::{ConfigError, Env};

use crate::targets::RotationTarget;

pub const ROTATION_APPS_ENV: &str = "TIM_ROTATION_APPS";
/// The old list of pairs, refused: it named no app, so a key secret of
/// another app could only be caught against the UserSig the secret held.
pub const REMOVED_TARGETS_ENV: &str = "TIM_ROTATION_TARGETS";
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
    /// The only UserSig secrets this function rotates, each with its key
    /// secret and app (see [`crate::targets`]).
    pub targets: Vec<RotationTarget>,
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

/// `TIM_ROTATION_APPS` (the SDKAppIDs) and one `TIM_ROTATION_TARGET_<id>`
/// pair each: CloudFormation cannot build one list of pairs over
/// `SdkAppIds`, so the stack sets one variable per app (Fn::ForEach).
fn targets(env: &Env) -> Result<Vec<RotationTarget>, ConfigError> {
    let fail = |problem: String| ConfigError::new(ROTATION_APPS_ENV, problem);
    if env.get(REMOVED_TARGETS_ENV).is_some() {
        let problem = "no longer read: set TIM_ROTATION_APPS (the SDKAppIDs) and one \
            TIM_ROTATION_TARGET_<id>=<UserSig secret>=<key secret> per app instead";
        return Err(ConfigError::new(REMOVED_TARGETS_ENV, problem));
    }
    let what = "the SDKAppIDs whose TIM_ROTATION_TARGET_<id> pairs name the secrets to rotate";
    let ids = env.list(ROTATION_APPS_ENV);
    if ids.is_empty() {
        return Err(fail(format!("required: {what}")));
    }
    let mut targets: Vec<RotationTarget> = Vec::new();
    for id in ids {
        let variable = format!("TIM_ROTATION_TARGET_{id}");
        let problem = match (id.parse(), env.get(&variable)) {
            (Err(_), _) => format!("{id:?} is not an SDKAppID"),
            (_, None) => format!("{variable} is not set"),
            (Ok(app), Some(pair)) => match RotationTarget::parse(app, &pair) {
                Err(e) => format!("{variable}: {e}"),
                // An ARN and the name of the same secret are the same secret.
                Ok(t) if targets.iter().any(|seen| seen.name() == t.name()) => {
                    format!("UserSig secret {} is listed twice", t.usersig)
                }
                Ok(target) => {
                    targets.push(target);
                    continue;
                }
            },
        };
        return Err(fail(problem));
    }
    Ok(targets)
}

impl Config {
    /// Reads every variable through the shared configuration layer; the
    /// error names the first missing or unusable one.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let targets = targets(env)?;
        let days = env.positive(VALIDITY_DAYS_ENV, DEFAULT_VALIDITY_DAYS)?;
        let min_hours = env.positive(MIN_VALIDITY_HOURS_ENV, DEFAULT_MIN_VALIDITY_HOURS)?;
        if days > MAX_VALIDITY_DAYS {
            let problem = format!("at most {MAX_VALIDITY_DAYS} days, got {days}");
            return Err(ConfigError::new(VALIDITY_DAYS_ENV, problem));
        }
        if min_hours >= days * 24 {
            let problem = format!(
                "{min_hours} h must be less than USERSIG_VALIDITY_DAYS ({days} d = {} h), \
                or every test would fail",
                days * 24
            );
            return Err(ConfigError::new(MIN_VALIDITY_HOURS_ENV, problem));
        }
        Ok(Self {
            targets,
            usersig_validity_secs: days * 86_400,
            min_validity_secs: min_hours * 3_600,
            live_check: env.flag(LIVE_CHECK_ENV, true)?,
            client: ClientConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: (&str, &str) = (ROTATION_APPS_ENV, "1");
    const PAIR: (&str, &str) = (
        "TIM_ROTATION_TARGET_1",
        "tencent-chat/1/usersig=tencent-chat/1/key",
    );

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::read(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = config(&[APP, PAIR]).unwrap();
        assert_eq!(c.targets[0].key_secret_id, "tencent-chat/1/key");
        assert_eq!(c.usersig_validity_secs, 30 * 86_400);
        assert_eq!(c.min_validity_secs, 24 * 3_600);
        assert!(c.live_check);
        assert_eq!(c.client.endpoint, None);
    }

    #[test]
    fn every_variable_is_read_and_errors_name_it() {
        let c = config(&[
            APP,
            PAIR,
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

        for (extra, variable) in [
            ((VALIDITY_DAYS_ENV, "0"), VALIDITY_DAYS_ENV),
            ((VALIDITY_DAYS_ENV, "thirty"), VALIDITY_DAYS_ENV),
            ((VALIDITY_DAYS_ENV, "3651"), VALIDITY_DAYS_ENV),
            ((MIN_VALIDITY_HOURS_ENV, "720"), MIN_VALIDITY_HOURS_ENV),
            ((LIVE_CHECK_ENV, "maybe"), LIVE_CHECK_ENV),
            (("TIM_ENDPOINT", "ftp://x"), "TIM_ENDPOINT"),
        ] {
            let err = config(&[APP, PAIR, extra]).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().starts_with(variable), "{err}");
        }
    }

    #[test]
    fn the_removed_list_of_pairs_is_refused_naming_its_replacement() {
        let old = (
            REMOVED_TARGETS_ENV,
            "tencent-chat/1/usersig=tencent-chat/1/key",
        );
        for pairs in [&[old][..], &[old, APP, PAIR][..]] {
            let err = config(pairs).unwrap_err();
            assert_eq!(err.variable, "TIM_ROTATION_TARGETS");
            let message = err.to_string();
            assert!(
                message.contains("TIM_ROTATION_APPS")
                    && message.contains("TIM_ROTATION_TARGET_<id>"),
                "{message}"
            );
        }
    }

    #[test]
    fn each_app_has_one_pair_and_a_bad_one_fails_naming_the_variable() {
        let arn = "arn:aws:secretsmanager:us-east-1:123:secret:tencent-chat/2/usersig-AbCdEf";
        let second = format!(" {arn} = tencent-chat/2/key ");
        let c = config(&[
            (ROTATION_APPS_ENV, "1, 2"),
            PAIR,
            ("TIM_ROTATION_TARGET_2", &second),
        ])
        .unwrap();
        let t = &c.targets[1];
        assert_eq!(
            (t.sdkappid, t.usersig.as_str(), t.key_secret_id.as_str()),
            (2, arn, "tencent-chat/2/key")
        );

        for (apps, pair, problem) in [
            (None, None, "required"),
            (Some(" , "), None, "required"),
            (Some("app-1"), None, "not an SDKAppID"),
            (Some("1,2"), None, "TIM_ROTATION_TARGET_2 is not set"),
            (
                Some("2"),
                Some("tencent-chat/2/usersig"),
                "one UserSig secret and one key secret",
            ),
            (
                Some("2"),
                Some("=tencent-chat/2/key"),
                "one UserSig secret and one key secret",
            ),
            (
                Some("2"),
                Some("a=b=c"),
                "one UserSig secret and one key secret",
            ),
            (Some("2"), Some("a=k1,b=k2"), "more than one pair"),
            (
                Some("2"),
                Some("arn:aws:secretsmanager:us-east-1:1:secret:a=k"),
                "not a full secret ARN",
            ),
            (
                Some("1,2"),
                Some("tencent-chat/1/usersig=k2"),
                "listed twice",
            ),
            (
                Some("1,2"),
                Some("arn:aws:secretsmanager:us-east-1:1:secret:tencent-chat/1/usersig-AbCdEf=k2"),
                "listed twice",
            ),
        ] {
            let mut pairs = vec![PAIR];
            pairs.extend(apps.map(|a| (ROTATION_APPS_ENV, a)));
            pairs.extend(pair.map(|p| ("TIM_ROTATION_TARGET_2", p)));
            let err = config(&pairs).unwrap_err();
            assert_eq!(err.variable, ROTATION_APPS_ENV, "{pair:?}");
            assert!(err.to_string().contains(problem), "{pair:?}: {err}");
        }
    }
}
