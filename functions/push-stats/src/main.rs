//! Lambda entry point: configuration read and checked once per cold start,
//! AWS clients built on the first request, then one [`push_stats::handle`]
//! per request.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{LambdaEvent, service_fn};
use push_stats::config::{self, ConfigError};
use push_stats::{Invocation, handle};
use tim::secrets::CredentialsSource;
use tokio::sync::OnceCell;

/// What the environment says, checked before the first request.
struct Settings {
    source: CredentialsSource,
    client_config: tim::ClientConfig,
    http: reqwest::Client,
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Level and format from Lambda's logging controls (AWS_LAMBDA_LOG_LEVEL,
    // AWS_LAMBDA_LOG_FORMAT=JSON, set by the template's LoggingConfig) or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();

    let settings = match read_settings() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(%error, "push-stats cannot start");
            return Err(error.into());
        }
    };
    // The AWS SDK's config loading and HTTPS client (which reads the OS trust
    // store) are deferred to the first request: they are not needed before it,
    // and the init phase stays close to a bare runtime's.
    let client = OnceCell::new();
    let (settings, client) = (&settings, &client);

    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            let client = client
                .get_or_try_init(|| connect(settings))
                .await
                .map_err(lambda_runtime::Error::from)?;
            let invocation = Invocation::from_context(&event.context);
            Ok::<_, lambda_runtime::Error>(handle(&event.payload, &invocation, client).await)
        },
    ))
    .await
}

fn read_settings() -> Result<Settings, ConfigError> {
    let env = tim::config::Env::from_process();
    let source = CredentialsSource::from_env(&env)?;
    let apps = match &source {
        CredentialsSource::UserSigSecrets(ids) => ids.len(),
        CredentialsSource::KeySecret(_) => 1,
    };
    match apps {
        0 => return Err(ConfigError::NoApp),
        1 => {}
        n => return Err(ConfigError::SeveralApps(n)),
    }
    let client_config = tim::ClientConfig::from_env(&env)?;
    let http = tim::client::try_http_client(&client_config)
        .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
    Ok(Settings {
        source,
        client_config,
        http,
    })
}

async fn connect(settings: &Settings) -> Result<tim::Client, ConfigError> {
    let aws = aws_config::load_from_env().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let credentials = config::single_app(settings.source.providers(&secrets))?;
    Ok(tim::Client::new(
        settings.http.clone(),
        settings.client_config.clone(),
        credentials,
    ))
}
