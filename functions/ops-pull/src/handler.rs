//! The function: its state, built once per cold start, and one invocation
//! (payload, run, heartbeat).

use futures::future::OptionFuture;
use serde_json::Value;

use crate::archive::layout::Layout;
use crate::archive::store::ArchiveStore;
use crate::lease;
use crate::report::metrics;
use crate::run::run;
use crate::tencent::source::{App, OpsSource};
use crate::{Deadlines, PushHistory, RunError, RunSummary};

/// The function's state, built once per cold start.
#[derive(Debug)]
pub struct OpsPull<S, A> {
    pub apps: Vec<App<S>>,
    pub store: A,
    pub layout: Layout,
    /// How much push history each run archives.
    pub push: PushHistory,
    /// Where the EMF documents go (stdout in Lambda).
    pub metrics: lambda_kit::metrics::Metrics,
}

impl<S: OpsSource, A: ArchiveStore> OpsPull<S, A> {
    /// One invocation: validates the payload (nothing is called before it
    /// passes), then runs. Only a full run (the scheduled event, `{}`,
    /// `manual.json`) feeds the heartbeat: a dry run or a field subset
    /// archives less than a day's work, so one such run must not hide a day
    /// of failed scheduled runs. An invalid payload counts as a run that did
    /// not succeed. `request_id`: Lambda's, in the raw copies' keys; `None`
    /// (tests, local runs): the run makes one up.
    pub async fn handle(
        &self,
        event: Value,
        deadlines: Deadlines,
        request_id: Option<&str>,
    ) -> Result<RunSummary, RunError> {
        let request = crate::input::RunRequest::from_payload(event);
        // (An invalid request counts as a full run.)
        let full_run = request.iter().all(|r| !r.dry_run && r.fields.is_none());
        // The run, holding the lease (a dry run writes nothing, not even the lease).
        let result = async {
            let mut request =
                request.inspect_err(|error| tracing::error!(%error, "invalid input"))?;
            let run_id = request_id.map_or_else(crate::run::new_run_id, str::to_owned);
            request.run_id = Some(run_id.clone());
            let acquire = lease::acquire(&self.store, self.layout.lease_key(), &run_id, deadlines);
            let lease = OptionFuture::from((!request.dry_run).then_some(acquire)).await;
            let no_lease = |e: &_| tracing::error!(error = %e, "no lease: this run did not start");
            let lease = lease.transpose().inspect_err(no_lease)?;
            let (apps, store, layout, metrics) =
                (&self.apps, &self.store, &self.layout, &self.metrics);
            let result = run(apps, store, layout, &request, self.push, deadlines, metrics).await;
            OptionFuture::from(lease.map(|lease| lease.release(&self.store))).await;
            result
        }
        .await;
        // A run in which no app is set up yet pulled nothing: the heartbeat
        // waits for the first real pull.
        let pulled = result.iter().all(|s| s.apps_not_set_up() < s.apps.len());
        if full_run && pulled {
            metrics::emit_run(&self.metrics, "RunSucceeded", result.is_ok().into());
        }
        result
    }
}
