//! The Lambda binary. Start-up (logging, settings read once at init, AWS
//! clients built on the first invocation) is `lambda_kit`'s; what ops-pull
//! reads and builds is in `ops_pull::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    lambda_kit::start(ops_pull::lambda::Settings::from_env).await
}
