#![doc = include_str!("../README.md")]

pub mod archive;
pub mod config;
pub mod error;
pub mod freshness;
pub mod input;
pub mod lambda;
pub mod metrics;
mod pull;
pub mod run;
pub mod source;
pub mod store;
pub mod summary;

use lambda_kit::metrics::Metrics;
use serde_json::Value;

pub use error::{FailureKind, RunError};
pub use freshness::Warning;
pub use input::RunRequest;
pub use run::{Deadlines, run};
pub use source::{App, OpsSource};
pub use store::{ArchiveStore, S3Store};
pub use summary::{AppSummary, RunSummary};

/// The function's state, built once per cold start.
#[derive(Debug)]
pub struct OpsPull<S, A> {
    pub apps: Vec<App<S>>,
    pub store: A,
    pub layout: archive::Layout,
    /// Where the EMF documents go (stdout in Lambda).
    pub metrics: Metrics,
}

impl<S: OpsSource, A: ArchiveStore> OpsPull<S, A> {
    /// One invocation: validates the payload (nothing is called before it
    /// passes), then runs. Reports `RunSucceeded` for every invocation but a
    /// dry run (which archives nothing, so must not feed the heartbeat);
    /// an invalid payload counts as a run that did not succeed.
    pub async fn handle(
        &self,
        payload: Value,
        deadlines: Deadlines,
    ) -> Result<RunSummary, RunError> {
        let request = match RunRequest::from_payload(payload) {
            Ok(request) => request,
            Err(error) => {
                tracing::error!(error = %error, "invalid input");
                metrics::emit_run(&self.metrics, false);
                return Err(error.into());
            }
        };
        let result = run(
            &self.apps,
            &self.store,
            &self.layout,
            &request,
            deadlines,
            &self.metrics,
        )
        .await;
        if !request.dry_run {
            metrics::emit_run(&self.metrics, result.is_ok());
        }
        result
    }
}
