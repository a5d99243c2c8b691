//! The Lambda wiring, for `lambda_kit::start`: what is read at init, what
//! the first invocation builds, and how an event reaches [`OpsPull::handle`].

use aws_config::SdkConfig;
use lambda_kit::metrics::Metrics;
use lambda_kit::usersig_hours::report_rotated;
use lambda_kit::{Env, Function, Invocation, Setup, StartupError};
use serde_json::Value;
use tim::ClientConfig;
use tim::secrets::CredentialsSource;

use crate::config::{OpsConfig, s3_client};
use crate::{App, Deadlines, OpsPull, RunError, RunSummary, S3Store, TencentApp};

/// What the environment says, read and checked once at init.
#[derive(Debug)]
pub struct Settings {
    pub ops: OpsConfig,
    pub credentials: CredentialsSource,
    pub client_config: ClientConfig,
    /// One HTTP client (connection pool) for every app's Tencent calls.
    pub http: reqwest::Client,
    /// EMF documents to stdout, namespace from `METRICS_NAMESPACE`.
    pub metrics: Metrics,
}

impl Settings {
    /// Every variable ops-pull reads; the first missing or unusable one
    /// stops the cold start.
    pub fn from_env(env: &Env) -> Result<Self, StartupError> {
        let client_config = ClientConfig::from_env(env)?;
        Ok(Self {
            ops: OpsConfig::read(env)?,
            credentials: CredentialsSource::from_env(env)?,
            http: lambda_kit::http_client(&client_config)?,
            client_config,
            metrics: Metrics::from_env(env)?,
        })
    }
}

impl Setup for Settings {
    /// The deployed function: the real Tencent client and S3.
    type Function = OpsPull<TencentApp, S3Store>;

    /// One client per app, sharing the HTTP pool; the S3 store. No network
    /// here: the secrets are read on first use.
    async fn build(&self, aws: &SdkConfig) -> Self::Function {
        let secrets = aws_sdk_secretsmanager::Client::new(aws);
        let configured = self.credentials.apps(&secrets);
        let providers = configured.iter().map(|a| a.credentials.clone()).collect();
        let rotated = self.credentials.usersigs_rotate();
        let providers = report_rotated(rotated, providers, &self.metrics);
        // Each app is named in reports by the secret it comes from.
        let apps = configured.iter().zip(providers).map(|(app, provider)| App {
            name: app.secret_id.clone(),
            sdkappid: app.sdkappid,
            source: TencentApp {
                client: tim::Client::new(self.http.clone(), self.client_config.clone(), provider),
                secret: Some((secrets.clone(), app.secret_id.clone())),
            },
        });
        let client = s3_client(aws, self.ops.s3_endpoint_override);
        OpsPull {
            apps: apps.collect(),
            store: S3Store::new(client, self.ops.bucket.clone()),
            layout: self.ops.layout.clone(),
            push: self.ops.push_history,
            metrics: self.metrics.clone(),
        }
    }
}

impl Function for OpsPull<TencentApp, S3Store> {
    type Event = Value;
    type Output = RunSummary;
    type Error = RunError;

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<RunSummary, RunError> {
        let deadlines = Deadlines::within(invocation.time_left());
        self.handle_invocation(event, deadlines, Some(&invocation.request_id))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, StartupError> {
        Settings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    const BASE: [(&str, &str); 2] = [
        ("OPS_BUCKET", "ops-archive"),
        ("TIM_SDKAPPIDS", "1400000001, 1400000002"),
    ];

    /// OPS_* and PUSH_ARCHIVE_DAYS errors are `config`'s tests.
    #[test]
    fn every_variable_is_read_at_init_and_errors_name_it() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("OPS_PREFIX", "ops"),
            ("TIM_ENDPOINT", "http://127.0.0.1:9000"),
            ("TIM_REGION", "seoul"),
            ("METRICS_NAMESPACE", "Chat/Test"),
            ("PUSH_ARCHIVE_DAYS", "3"),
        ]);
        let s = settings(&pairs).unwrap();
        assert_eq!(s.ops.bucket, "ops-archive");
        assert_eq!(s.ops.layout.prefix(), "ops");
        assert_eq!(s.credentials.sdkappids(), [1_400_000_001, 1_400_000_002]);
        let endpoint = s.client_config.endpoint.as_ref().map(|e| e.primary.port());
        assert_eq!(endpoint, Some(Some(9000)));
        assert_eq!(s.client_config.region, Some(tim::Region::Seoul));
        assert_eq!(s.metrics.namespace(), "Chat/Test");
        assert_eq!(s.ops.push_history.days, 3);

        for (change, variable) in [
            (("TIM_SDKAPPIDS", " "), "TIM_SDKAPPIDS"),
            (
                ("TIM_USERSIG_SECRET_ID", "prod/app-1,prod/app-2"),
                "TIM_USERSIG_SECRET_ID",
            ),
            (("TIM_ENDPOINT", "ftp://x"), "TIM_ENDPOINT"),
            (("TIM_REGION", "mars"), "TIM_REGION"),
            (("METRICS_NAMESPACE", "AWS/Lambda"), "METRICS_NAMESPACE"),
        ] {
            let mut pairs: Vec<_> = BASE
                .iter()
                .filter(|(k, _)| *k != change.0)
                .copied()
                .collect();
            pairs.push(change);
            match settings(&pairs) {
                Err(StartupError::Config(e)) => assert_eq!(e.variable, variable, "{e}"),
                other => panic!("{change:?}: {other:?}"),
            }
        }
    }
}
