//! The Lambda binary: read and check configuration once, build the clients
//! on the first invocation, then serve.

use std::time::Duration;

use lambda_runtime::{LambdaEvent, service_fn};
use tim::Deadline;
use tokio::sync::OnceCell;
use usersig_refresher::{Config, RotationEvent, Rotator};

/// Time kept back from Lambda's deadline to report a failure.
const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Level and format from Lambda's logging controls (AWS_LAMBDA_LOG_LEVEL,
    // AWS_LAMBDA_LOG_FORMAT=JSON, set by the template's LoggingConfig) or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(error = %e, "configuration error");
            return Err(e.into());
        }
    };
    let http = match tim::client::try_http_client(&config.client) {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client");
            return Err(e.into());
        }
    };
    // The AWS SDK's config loading and HTTPS client (which reads the OS trust
    // store) are deferred to the first invocation: nothing needs them before,
    // and the init phase stays close to a bare runtime's.
    let rotator = OnceCell::new();
    let (config, http, rotator) = (&config, &http, &rotator);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<RotationEvent>| async move {
            let deadline = Deadline::from_epoch_millis(event.context.deadline, DEADLINE_MARGIN);
            let rotator = rotator
                .get_or_init(|| async {
                    let aws =
                        aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
                    Rotator::new(secrets, config.clone(), http.clone())
                })
                .await;
            let outcome = rotator.handle(&event.payload, deadline).await;
            if let Err(e) = &outcome {
                tracing::error!(error_type = e.error_type(), error = %e, "rotation step failed");
            }
            outcome
        },
    ))
    .await
}
