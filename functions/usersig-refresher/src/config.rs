//! Configuration from the environment, read once per cold start through
//! the shared layer (`tim::config::Env`: trimmed, empty = unset).

use tim::ClientConfig;
use tim::config::{ConfigError, Env};

pub use crate::targets::ROTATION_TARGETS_ENV;
use crate::targets::RotationTargets;

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
    /// `TIM_ROTATION_TARGETS`: the only UserSig secrets this function
    /// rotates, each with its key secret (see [`crate::targets`]).
    pub targets: RotationTargets,
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

/// The app ids whose `TIM_ROTATION_TARGET_<id>` pairs are read when
/// `TIM_ROTATION_TARGETS` is unset.
pub const ROTATION_APPS_ENV: &str = "TIM_ROTATION_APPS";

/// Every `TIM_ROTATION_TARGET_<id>` of `TIM_ROTATION_APPS`, one pair each,
/// for app `<id>`.
fn per_app_targets(env: &Env) -> Result<RotationTargets, ConfigError> {
    let fail = |problem: String| ConfigError::new(ROTATION_APPS_ENV, problem);
    let (mut pairs, mut ids) = (Vec::new(), Vec::new());
    for id in env.list(ROTATION_APPS_ENV) {
        let variable = format!("TIM_ROTATION_TARGET_{id}");
        ids.push(
            id.parse()
                .map_err(|_| fail(format!("{id:?} is not an SDKAppID")))?,
        );
        match env.get(&variable) {
            None => return Err(fail(format!("{variable} is not set"))),
            Some(pair) if pair.contains(',') => {
                return Err(fail(format!("{variable} holds more than one pair")));
            }
            Some(pair) => pairs.push(pair),
        }
    }
    let targets = RotationTargets::parse(&pairs.join(",")).map_err(fail)?;
    Ok(targets.for_apps(&ids))
}

impl Config {
    /// Reads every variable through the shared configuration layer; the
    /// error names the first missing or unusable one.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let targets = match (env.get(ROTATION_TARGETS_ENV), env.get(ROTATION_APPS_ENV)) {
            // The stack's form: CloudFormation cannot build one list of pairs
            // over SdkAppIds, so it sets TIM_ROTATION_APPS (the ids) and one
            // TIM_ROTATION_TARGET_<id> pair per app (Fn::ForEach).
            (None, Some(_)) => per_app_targets(env)?,
            _ => {
                let what = "the UserSig secrets to rotate, each with its key secret: \
                    <UserSig secret ARN or name>=<key secret ARN or name>,…";
                let text = env.required(ROTATION_TARGETS_ENV, what)?;
                let fail = |problem| ConfigError::new(ROTATION_TARGETS_ENV, problem);
                RotationTargets::parse(&text).map_err(fail)?
            }
        };
        let validity_days = env.positive(VALIDITY_DAYS_ENV, DEFAULT_VALIDITY_DAYS)?;
        let validity_hours = validity_days * 24;
        let min_hours = env.positive(MIN_VALIDITY_HOURS_ENV, DEFAULT_MIN_VALIDITY_HOURS)?;
        let (variable, problem) = if validity_days > MAX_VALIDITY_DAYS {
            let problem = format!("at most {MAX_VALIDITY_DAYS} days, got {validity_days}");
            (VALIDITY_DAYS_ENV, problem)
        } else if min_hours >= validity_hours {
            let problem = format!(
                "{min_hours} h must be less than USERSIG_VALIDITY_DAYS \
                ({validity_days} d = {validity_hours} h), or every test would fail"
            );
            (MIN_VALIDITY_HOURS_ENV, problem)
        } else {
            return Ok(Self {
                targets,
                usersig_validity_secs: validity_days * 86_400,
                min_validity_secs: min_hours * 3_600,
                live_check: env.flag(LIVE_CHECK_ENV, true)?,
                client: ClientConfig::from_env(env)?,
            });
        };
        Err(ConfigError::new(variable, problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: &str = "tencent-chat/usersig=tencent-chat/key";

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::read(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = config(&[(ROTATION_TARGETS_ENV, TARGETS)]).unwrap();
        assert_eq!(c.targets.targets().len(), 1);
        assert_eq!(c.targets.targets()[0].key_secret_id, "tencent-chat/key");
        assert_eq!(c.usersig_validity_secs, 30 * 86_400);
        assert_eq!(c.min_validity_secs, 24 * 3_600);
        assert!(c.live_check);
        assert_eq!(c.client.endpoint, None);
    }

    #[test]
    fn every_variable_is_read_and_errors_name_it() {
        let c = config(&[
            (ROTATION_TARGETS_ENV, TARGETS),
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
                &[(ROTATION_TARGETS_ENV, TARGETS), (VALIDITY_DAYS_ENV, "0")][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[
                    (ROTATION_TARGETS_ENV, TARGETS),
                    (VALIDITY_DAYS_ENV, "thirty"),
                ][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[(ROTATION_TARGETS_ENV, TARGETS), (VALIDITY_DAYS_ENV, "3651")][..],
                VALIDITY_DAYS_ENV,
            ),
            (
                &[
                    (ROTATION_TARGETS_ENV, TARGETS),
                    (VALIDITY_DAYS_ENV, "1"),
                    (MIN_VALIDITY_HOURS_ENV, "24"),
                ][..],
                MIN_VALIDITY_HOURS_ENV,
            ),
            (
                &[(ROTATION_TARGETS_ENV, TARGETS), (LIVE_CHECK_ENV, "maybe")][..],
                LIVE_CHECK_ENV,
            ),
            (
                &[(ROTATION_TARGETS_ENV, TARGETS), ("TIM_ENDPOINT", "ftp://x")][..],
                "TIM_ENDPOINT",
            ),
        ] {
            let err = config(pairs).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().starts_with(variable), "{err}");
        }
    }

    #[test]
    fn the_stacks_per_app_pairs_are_read_through_the_app_list() {
        let env = Env::from_pairs([
            ("TIM_ROTATION_APPS", "1,2"),
            (
                "TIM_ROTATION_TARGET_1",
                "tencent-chat/1/usersig=tencent-chat/1/key",
            ),
            (
                "TIM_ROTATION_TARGET_2",
                "tencent-chat/2/usersig=tencent-chat/2/key",
            ),
        ]);
        let c = Config::read(&env).unwrap();
        let keys: Vec<&str> = c
            .targets
            .targets()
            .iter()
            .map(|t| t.key_secret_id.as_str())
            .collect();
        assert_eq!(keys, ["tencent-chat/1/key", "tencent-chat/2/key"]);
        let missing = Env::from_pairs([
            ("TIM_ROTATION_APPS", "1,2"),
            (
                "TIM_ROTATION_TARGET_1",
                "tencent-chat/1/usersig=tencent-chat/1/key",
            ),
        ]);
        let e = Config::read(&missing).unwrap_err();
        assert_eq!(e.variable, "TIM_ROTATION_APPS");
        assert!(e.to_string().contains("TIM_ROTATION_TARGET_2"), "{e}");
        // Each pair is for the app it is named after: an id must be one.
        let e = Config::read(&Env::from_pairs([("TIM_ROTATION_APPS", "app-1")])).unwrap_err();
        assert_eq!(e.variable, "TIM_ROTATION_APPS");
        assert_eq!(c.targets.targets()[1].sdkappid, Some(2));
    }

    #[test]
    fn rotation_targets_are_required_and_a_bad_list_fails_naming_the_variable() {
        for (value, problem) in [
            (None, "required"),
            (Some("  "), "required"),
            (Some("tencent-chat/usersig"), "no `=`"),
            (
                Some("tencent-chat/usersig=tencent-chat/key,"),
                "entry 2 is empty",
            ),
            (
                Some("=tencent-chat/key"),
                "one UserSig secret and one key secret",
            ),
            (
                Some("tencent-chat/usersig= "),
                "one UserSig secret and one key secret",
            ),
            (Some("a=b=c"), "one UserSig secret and one key secret"),
            (Some("a=k1,a=k2"), "listed twice"),
            (
                Some("arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf=k1,a=k2"),
                "listed twice",
            ),
            (
                Some("arn:aws:secretsmanager:us-east-1:1:secret:a=k"),
                "not a full secret ARN",
            ),
        ] {
            let mut pairs = vec![(LIVE_CHECK_ENV, "false")];
            pairs.extend(value.map(|v| (ROTATION_TARGETS_ENV, v)));
            let err = config(&pairs).unwrap_err();
            assert_eq!(err.variable, ROTATION_TARGETS_ENV, "{value:?}");
            let message = err.to_string();
            assert!(
                message.starts_with("TIM_ROTATION_TARGETS: ") && message.contains(problem),
                "{value:?}: {message}"
            );
        }
        // Both forms, trimmed; the key side is kept as given.
        let c = config(&[(
            ROTATION_TARGETS_ENV,
            " arn:aws:secretsmanager:us-east-1:123:secret:tencent-chat/1/usersig-AbCdEf = tencent-chat/1/key ,tencent-chat/2/usersig=arn:aws:secretsmanager:us-east-1:123:secret:tencent-chat/2/key-XyZ123",
        )])
        .unwrap();
        let targets = c.targets.targets();
        assert_eq!(targets.len(), 2);
        assert_eq!(
            targets[0].usersig,
            crate::targets::SecretRef::Arn(
                "arn:aws:secretsmanager:us-east-1:123:secret:tencent-chat/1/usersig-AbCdEf".into()
            )
        );
        assert_eq!(targets[0].key_secret_id, "tencent-chat/1/key");
        assert_eq!(
            targets[1].usersig,
            crate::targets::SecretRef::Name("tencent-chat/2/usersig".into())
        );
        assert_eq!(
            targets[1].key_secret_id,
            "arn:aws:secretsmanager:us-east-1:123:secret:tencent-chat/2/key-XyZ123"
        );
    }
}
