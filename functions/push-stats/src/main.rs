//! Lambda entry point: configuration and clients once per cold start, then
//! one [`push_stats::handle`] per request.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{LambdaEvent, service_fn};
use push_stats::config::{self, ConfigError};
use push_stats::{Invocation, handle};
use tim::secrets::CredentialsSource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Level and format from Lambda's logging controls (AWS_LAMBDA_LOG_LEVEL,
    // AWS_LAMBDA_LOG_FORMAT=JSON, set by the template's LoggingConfig) or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();

    let client = match build_client().await {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "push-stats cannot start");
            return Err(error.into());
        }
    };

    lambda_runtime::run(service_fn(|event: LambdaEvent<ApiGatewayV2httpRequest>| {
        let client = client.clone();
        async move {
            let invocation = Invocation::from_context(&event.context);
            Ok::<_, std::convert::Infallible>(handle(&event.payload, &invocation, &client).await)
        }
    }))
    .await
}

async fn build_client() -> Result<tim::Client, ConfigError> {
    let source = CredentialsSource::from_env()?;
    let client_config = tim::ClientConfig::from_env()?;
    let aws = aws_config::load_from_env().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let credentials = config::single_app(source.providers(&secrets))?;
    let http = tim::client::try_http_client(&client_config)
        .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
    Ok(tim::Client::new(http, client_config, credentials))
}
