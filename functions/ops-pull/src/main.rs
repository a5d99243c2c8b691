//! The Lambda binary: read and check configuration once, build the AWS
//! clients on the first invocation, then serve.

use lambda_runtime::{LambdaEvent, service_fn};
use ops_pull::config::{OpsConfig, s3_client};
use ops_pull::{App, Deadlines, OpsPull, S3Store};
use serde_json::Value;
use tim::secrets::CredentialsSource;
use tokio::sync::OnceCell;

/// What the environment says, checked before the first invocation.
struct Settings {
    ops: OpsConfig,
    credentials: CredentialsSource,
    client_config: tim::ClientConfig,
    /// One HTTP client (connection pool) for every app's Tencent calls.
    http: reqwest::Client,
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Level and format from Lambda's logging controls (AWS_LAMBDA_LOG_LEVEL,
    // AWS_LAMBDA_LOG_FORMAT=JSON, set by the template's LoggingConfig) or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();
    let settings = match read_settings() {
        Ok(settings) => settings,
        Err(e) => {
            tracing::error!(error = %e, "configuration error");
            return Err(e);
        }
    };
    // The AWS SDK's config loading and HTTPS client (which reads the OS trust
    // store) are deferred to the first invocation: nothing needs them before,
    // and the init phase stays close to a bare runtime's.
    let function = OnceCell::new();
    let (settings, function) = (&settings, &function);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadlines = Deadlines::from_lambda(event.context.deadline);
        let function = function.get_or_init(|| build(settings)).await;
        function.handle(event.payload, deadlines).await
    }))
    .await
}

fn read_settings() -> Result<Settings, lambda_runtime::Error> {
    let env = tim::config::Env::from_process();
    let client_config = tim::ClientConfig::from_env(&env)?;
    Ok(Settings {
        ops: OpsConfig::from_env()?,
        credentials: CredentialsSource::from_env(&env)?,
        http: tim::client::try_http_client(&client_config)?,
        client_config,
    })
}

/// The clients, built once per cold start. No network here: the secrets are
/// read on first use.
async fn build(settings: &Settings) -> OpsPull<tim::Client, S3Store> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let names = match &settings.credentials {
        CredentialsSource::UserSigSecrets(ids) => ids.clone(),
        CredentialsSource::KeySecret(id) => vec![id.clone()],
    };
    let apps = names
        .into_iter()
        .zip(settings.credentials.providers(&secrets))
        .map(|(name, provider)| {
            App::new(
                name,
                tim::Client::new(
                    settings.http.clone(),
                    settings.client_config.clone(),
                    provider,
                ),
            )
        })
        .collect();
    OpsPull {
        apps,
        store: S3Store::new(s3_client(&aws), settings.ops.bucket.clone()),
        layout: settings.ops.layout.clone(),
    }
}
