//! The Lambda wiring, for `lambda_kit::start`: what is read at init, what
//! the first invocation builds, and how an event reaches [`Rotator::handle`].

use std::time::Duration;

use aws_config::SdkConfig;
use lambda_kit::metrics::Metrics;
use lambda_kit::{Env, Function, Invocation, Setup, StartupError};

use crate::config::Config;
use crate::error::RotationError;
use crate::event::RotationEvent;
use crate::rotation::{Rotator, StepReport};
use crate::store::SecretStore;

/// Time kept back from Lambda's deadline to report a failure.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

/// What the environment says, read and checked once at init:
/// `TIM_ROTATION_APPS` + `TIM_ROTATION_TARGET_<id>` (the only UserSig secrets
/// rotated, each with its key secret and app; `TIM_KEY_SECRET_ID` and
/// `TIM_ROTATION_TARGETS` are not read), `USERSIG_VALIDITY_DAYS`, `MIN_VALIDITY_HOURS`, `LIVE_CHECK`,
/// `TIM_ENDPOINT` / `TIM_REGION` and `METRICS_NAMESPACE`.
#[derive(Debug)]
pub struct Settings {
    pub config: Config,
    /// The HTTP client (keep-alive pool) of testSecret's live check.
    pub http: reqwest::Client,
    /// `UserSigHoursLeft` after testSecret and finishSecret (EMF on stdout,
    /// namespace from `METRICS_NAMESPACE`).
    pub metrics: Metrics,
}

impl Settings {
    /// Every variable usersig-refresher reads; the first missing or
    /// unusable one stops the cold start.
    pub fn from_env(env: &Env) -> Result<Self, StartupError> {
        let config = Config::read(env)?;
        Ok(Self {
            http: lambda_kit::http_client(&config.client)?,
            metrics: Metrics::from_env(env)?,
            config,
        })
    }
}

impl Setup for Settings {
    type Function = Rotator<aws_sdk_secretsmanager::Client>;

    /// No network here: the key secrets are read by the steps that need them.
    async fn build(&self, aws: &SdkConfig) -> Self::Function {
        Rotator::new(
            aws_sdk_secretsmanager::Client::new(aws),
            self.config.clone(),
            self.http.clone(),
            self.metrics.clone(),
        )
    }
}

impl<S: SecretStore + 'static> Function for Rotator<S> {
    type Event = RotationEvent;
    type Output = StepReport;
    type Error = RotationError;

    async fn handle(
        &self,
        event: RotationEvent,
        invocation: &Invocation,
    ) -> Result<StepReport, RotationError> {
        let outcome = Rotator::handle(self, &event, invocation.deadline(DEADLINE_MARGIN)).await;
        if let Err(e) = &outcome {
            tracing::error!(error_type = e.error_type(), error = %e, "rotation step failed");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: (&str, &str) = ("TIM_ROTATION_APPS", "1");
    const PAIR: (&str, &str) = (
        "TIM_ROTATION_TARGET_1",
        "tencent-chat/1/usersig=tencent-chat/1/key",
    );

    #[test]
    fn settings_are_the_config_plus_the_http_client() {
        let env = Env::from_pairs([APP, PAIR, ("LIVE_CHECK", "no")]);
        let settings = Settings::from_env(&env).unwrap();
        assert_eq!(
            settings.config.targets[0].key_secret_id,
            "tencent-chat/1/key"
        );
        assert!(!settings.config.live_check);
        assert_eq!(settings.metrics.namespace(), "TencentChat");

        for (extra, variable) in [
            (("METRICS_NAMESPACE", "AWS/Chat"), "METRICS_NAMESPACE"),
            (("TIM_REGION", "mars"), "TIM_REGION"),
        ] {
            match Settings::from_env(&Env::from_pairs([APP, PAIR, extra])) {
                Err(StartupError::Config(e)) => assert_eq!(e.variable, variable),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_cold_start_fails_without_rotation_apps_even_with_a_key_secret() {
        // TIM_KEY_SECRET_ID (the old fallback) is not read: no secret is
        // rotated with a key that no pair names.
        let env = Env::from_pairs([("TIM_KEY_SECRET_ID", "tencent-chat/key")]);
        match Settings::from_env(&env) {
            Err(StartupError::Config(e)) => {
                assert!(
                    e.to_string().starts_with("TIM_ROTATION_APPS: required"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
