//! The Lambda binary. Start-up (logging, settings read once at init, AWS
//! clients built on the first request) is `lambda_kit`'s; what push-stats
//! reads and builds is in `push_stats::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    lambda_kit::start(push_stats::lambda::Settings::from_env).await
}
