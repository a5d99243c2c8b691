//! The cold-start floor for `devtools/bench/run.sh`: the smallest useful Rust
//! Lambda (the runtime, tokio, serde_json; an echo handler). Every function's
//! start-up, size and memory are compared with this binary, built with the
//! same release profile by the same `cargo lambda build`.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(event.payload)
    }))
    .await
}
