#![doc = include_str!("../README.md")]

pub mod archive;
pub mod config;
pub mod error;
pub mod input;
pub mod lambda;
pub mod run;
pub mod source;
pub mod store;
pub mod summary;

use serde_json::Value;

pub use error::{FailureKind, RunError};
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
}

impl<S: OpsSource, A: ArchiveStore> OpsPull<S, A> {
    /// One invocation: validates the payload (nothing is called before it
    /// passes), then runs.
    pub async fn handle(
        &self,
        payload: Value,
        deadlines: Deadlines,
    ) -> Result<RunSummary, RunError> {
        let request = RunRequest::from_payload(payload)
            .inspect_err(|e| tracing::error!(error = %e, "invalid input"))?;
        run(&self.apps, &self.store, &self.layout, &request, deadlines).await
    }
}
