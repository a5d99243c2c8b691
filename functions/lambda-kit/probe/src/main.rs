//! A lambda_kit function for lambda_kit's end-to-end tests, never
//! deployed. Its event says what to do:
//!
//! - `{"action": "log", "sdkappid": N}`: one INFO line with `sdkappid`;
//!   answers `{"pid": <this process>}` (the tests see whether a later
//!   invocation reached the same process);
//! - `{"action": "panic", "text": "..."}`: panics with that text;
//! - `{"action": "secret", "secret_id": "...", "value": "..."}`: creates
//!   the secret in Secrets Manager, puts `value` as a new version and reads
//!   it back (the SDK's request and response bodies carry it).
//!
//! `PROBE_SETTING` must be set (any value): the start-up error case.

use aws_config::SdkConfig;
use lambda_kit::{Env, Function, Invocation, Setup, StartupError};
use serde_json::{Value, json};

struct Settings;

impl Settings {
    fn from_env(env: &Env) -> Result<Self, StartupError> {
        env.required("PROBE_SETTING", "any value")?;
        Ok(Self)
    }
}

struct Probe {
    secrets: aws_sdk_secretsmanager::Client,
}

impl Setup for Settings {
    type Function = Probe;

    async fn build(&self, aws: &SdkConfig) -> Probe {
        Probe {
            secrets: aws_sdk_secretsmanager::Client::new(aws),
        }
    }
}

impl Function for Probe {
    type Event = Value;
    type Output = Value;
    type Error = String;

    async fn handle(&self, event: Value, _: &Invocation) -> Result<Value, String> {
        let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
        match event["action"].as_str() {
            Some("panic") => panic!("{}", text("text")),
            Some("secret") => {
                self.secret_round_trip(&text("secret_id"), &text("value"))
                    .await
            }
            _ => {
                tracing::info!(sdkappid = event["sdkappid"].as_u64(), "probe handled");
                Ok(json!({ "pid": std::process::id() }))
            }
        }
    }
}

impl Probe {
    async fn secret_round_trip(&self, id: &str, value: &str) -> Result<Value, String> {
        let failed = |step: &str| format!("{step} failed");
        self.secrets
            .create_secret()
            .name(id)
            .secret_string("initial")
            .send()
            .await
            .map_err(|_| failed("CreateSecret"))?;
        self.secrets
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .send()
            .await
            .map_err(|_| failed("PutSecretValue"))?;
        let read = self
            .secrets
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|_| failed("GetSecretValue"))?;
        Ok(json!({ "read_back": read.secret_string() == Some(value) }))
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    lambda_kit::start(Settings::from_env).await
}
