//! The Lambda binary: read configuration once, build clients once, serve.

use lambda_runtime::{LambdaEvent, service_fn};
use ops_pull::config::{OpsConfig, s3_client};
use ops_pull::{App, Deadlines, OpsPull, S3Store};
use serde_json::Value;
use tim::secrets::CredentialsSource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Level and format from Lambda's logging controls (AWS_LAMBDA_LOG_LEVEL,
    // AWS_LAMBDA_LOG_FORMAT=JSON, set by the template's LoggingConfig) or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();
    let function = match build().await {
        Ok(function) => function,
        Err(e) => {
            tracing::error!(error = %e, "configuration error");
            return Err(e);
        }
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadlines = Deadlines::from_lambda(event.context.deadline);
        function.handle(event.payload, deadlines).await
    }))
    .await
}

/// Everything read and built once per cold start. No network here: the
/// secrets are read on first use.
async fn build() -> Result<OpsPull<tim::Client, S3Store>, lambda_runtime::Error> {
    let ops = OpsConfig::from_env()?;
    let credentials = CredentialsSource::from_env()?;
    let client_config = tim::ClientConfig::from_env()?;

    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let http = tim::client::http_client(&client_config);
    let names = match &credentials {
        CredentialsSource::UserSigSecrets(ids) => ids.clone(),
        CredentialsSource::KeySecret(id) => vec![id.clone()],
    };
    let apps = names
        .into_iter()
        .zip(credentials.providers(&secrets))
        .map(|(name, provider)| {
            App::new(
                name,
                tim::Client::new(http.clone(), client_config.clone(), provider),
            )
        })
        .collect();
    Ok(OpsPull {
        apps,
        store: S3Store::new(s3_client(&aws), ops.bucket),
        layout: ops.layout,
    })
}
