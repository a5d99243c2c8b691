//! ops-pull: pulls Tencent Cloud Chat operations data (`getappinfo`, the last
//! 30 days) for every configured app and archives it in S3 as dated JSON
//! Lines in Hive-style `dt=` partitions, ready for Athena.
//!
//! - [`input`]: what an invocation asks for (scheduled event or manual input).
//! - [`config`]: the function's own environment variables.
//! - [`archive`]: object keys, line format, content hash, gzip.
//! - [`source`] / [`store`]: the two small traits the run is written over
//!   (Tencent's `getappinfo`; the S3 calls).
//! - [`run`](mod@run): one run; [`summary`]: what it reports; [`error`]: how it fails.

pub mod archive;
pub mod config;
pub mod error;
pub mod input;
pub mod run;
pub mod source;
pub mod store;
pub mod summary;

use serde_json::Value;

pub use error::RunError;
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
