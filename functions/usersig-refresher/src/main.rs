//! The Lambda binary: read configuration once, build clients once, serve.

use std::time::Duration;

use lambda_runtime::{LambdaEvent, service_fn};
use tim::Deadline;
use usersig_refresher::{Config, RotationEvent, Rotator};

/// Time kept back from Lambda's deadline to report a failure.
const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
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
            rotator.handle(&event.payload, deadline).await.inspect_err(|e| {
            tracing::error!(error_type = e.error_type(), error = %e, "rotation step failed");
        })
        },
    ))
    .await
}

/// JSON lines on stdout (CloudWatch adds the timestamp). `RUST_LOG` or
/// Lambda's `AWS_LAMBDA_LOG_LEVEL` set the level (default info).
fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned())
        .to_lowercase();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .init();
}
