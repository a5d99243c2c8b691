//! The Lambda binary. Start-up (logging, settings read once at init, AWS
//! clients built on the first invocation) is `lambda_kit`'s; what
//! usersig-refresher reads and builds is in `usersig_refresher::lambda`.

#[tokio::main]
async fn main() -> Result<(), lambda_kit::Error> {
    lambda_kit::start(usersig_refresher::lambda::Settings::from_env).await
}
