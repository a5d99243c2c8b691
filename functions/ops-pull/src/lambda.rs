//! The Lambda wiring, for `lambda_kit::start`: what is read at init, what
//! the first invocation builds, and how an event reaches [`OpsPull::handle`].

use aws_config::SdkConfig;
use lambda_kit::{Env, Function, Invocation, Setup, StartupError};
use serde_json::Value;
use tim::ClientConfig;
use tim::secrets::CredentialsSource;

use crate::config::{OpsConfig, s3_client};
use crate::{App, Deadlines, OpsPull, RunError, RunSummary, S3Store};

/// What the environment says, read and checked once at init.
#[derive(Debug)]
pub struct Settings {
    pub ops: OpsConfig,
    pub credentials: CredentialsSource,
    pub client_config: ClientConfig,
    /// One HTTP client (connection pool) for every app's Tencent calls.
    pub http: reqwest::Client,
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
        })
    }

    /// The report name of each app: the secret it comes from.
    fn app_names(&self) -> Vec<String> {
        match &self.credentials {
            CredentialsSource::UserSigSecrets(ids) => ids.clone(),
            CredentialsSource::KeySecret(id) => vec![id.clone()],
        }
    }
}

/// The deployed function: the real Tencent client and S3.
pub type Lambda = OpsPull<tim::Client, S3Store>;

impl Setup for Settings {
    type Function = Lambda;

    /// One client per app, sharing the HTTP pool; the S3 store. No network
    /// here: the secrets are read on first use.
    async fn build(&self, aws: &SdkConfig) -> Lambda {
        let secrets = aws_sdk_secretsmanager::Client::new(aws);
        let apps = self
            .app_names()
            .into_iter()
            .zip(self.credentials.providers(&secrets))
            .map(|(name, provider)| {
                App::new(
                    name,
                    tim::Client::new(self.http.clone(), self.client_config.clone(), provider),
                )
            })
            .collect();
        OpsPull {
            apps,
            store: S3Store::new(
                s3_client(aws, self.ops.s3_endpoint_override),
                self.ops.bucket.clone(),
            ),
            layout: self.ops.layout.clone(),
        }
    }
}

impl Function for Lambda {
    type Event = Value;
    type Output = RunSummary;
    type Error = RunError;

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<RunSummary, RunError> {
        OpsPull::handle(self, event, Deadlines::for_invocation(invocation)).await
    }
}
