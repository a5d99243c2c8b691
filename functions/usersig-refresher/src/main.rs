//! The Lambda binary: read configuration once, build clients once, serve.

use std::time::Duration;

use lambda_runtime::{LambdaEvent, service_fn};
use tim::Deadline;
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
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let http = tim::client::http_client(&config.client);
    let rotator = Rotator::new(secrets, config, http);
    let rotator = &rotator;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<RotationEvent>| async move {
            let deadline = Deadline::from_epoch_millis(event.context.deadline, DEADLINE_MARGIN);
            let outcome = rotator.handle(&event.payload, deadline).await;
            if let Err(e) = &outcome {
                tracing::error!(error_type = e.error_type(), error = %e, "rotation step failed");
            }
            outcome
        },
    ))
    .await
}
