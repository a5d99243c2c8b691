#![doc = include_str!("../README.md")]

mod function;
mod invocation;
pub mod logging;
pub mod metrics;
mod panic;
mod startup;
pub mod usersig_hours;

pub use function::{Function, Setup};
pub use invocation::Invocation;
pub use lambda_runtime::{Diagnostic, Error};
pub use startup::{StartupError, http_client};
pub use tim::config::{ConfigError, Env};

use function::Runner;

/// Runs a function in Lambda: the one start-up every function's `main` calls.
///
/// 1. Logging: [`logging::init`] (level from `AWS_LAMBDA_LOG_LEVEL`, else
///    `RUST_LOG`, else INFO, the [`logging::PINNED_TARGETS`] held at INFO;
///    one JSON object a line when `AWS_LAMBDA_LOG_FORMAT=JSON`, as the
///    template's `LoggingConfig` sets).
/// 2. `read_settings` once, from the process environment: a failure is
///    logged with the variable it names, reported to the Runtime API's
///    init-error endpoint, and ends the cold start.
/// 3. On the first invocation: the AWS SDK config, then [`Setup::build`].
/// 4. Each event: [`Function::handle`] with its [`Invocation`], in a span
///    carrying `cold_start`; a panic is caught and answered by
///    [`Function::on_panic`].
pub async fn start<S: Setup>(
    read_settings: impl FnOnce(&Env) -> Result<S, StartupError>,
) -> Result<(), Error> {
    let env = Env::from_process();
    logging::init(&env);
    panic::log_panics();
    // One line per cold start naming the release (CHANGELOG.md) that runs.
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
    let setup = read_settings(&env);
    if let Err(error) = &setup {
        startup::report(&env, error).await;
    }
    let runner = Runner::new(setup?);
    lambda_runtime::run(lambda_runtime::service_fn(|event| runner.invoke(event))).await
}
