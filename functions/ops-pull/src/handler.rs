//! The function: its state, built once per cold start, and one invocation
//! (payload, ledger, run, heartbeat).

use lambda_kit::metrics::Metrics;
use serde_json::Value;

use crate::archive::layout::Layout;
use crate::archive::store::ArchiveStore;
use crate::error::RunError;
use crate::input::RunRequest;
use crate::ledger;
use crate::report::metrics;
use crate::report::summary::RunSummary;
use crate::run::deadlines::Deadlines;
use crate::run::run;
use crate::tencent::push_history::PushHistory;
use crate::tencent::source::{App, OpsSource};

/// The function's state, built once per cold start.
#[derive(Debug)]
pub struct OpsPull<S, A> {
    pub apps: Vec<App<S>>,
    pub store: A,
    pub layout: Layout,
    /// How much push history each run archives.
    pub push: PushHistory,
    /// Where the EMF documents go (stdout in Lambda).
    pub metrics: Metrics,
}

impl<S: OpsSource, A: ArchiveStore> OpsPull<S, A> {
    /// One invocation without a Lambda request id (tests, local runs): see
    /// [`OpsPull::handle_invocation`].
    pub async fn handle(
        &self,
        payload: Value,
        deadlines: Deadlines,
    ) -> Result<RunSummary, RunError> {
        self.handle_invocation(payload, deadlines, None).await
    }

    /// One invocation: validates the payload (nothing is called before it
    /// passes), answers a retry of an event that already failed
    /// permanently from the ledger (see [`ledger`]), then runs, and records
    /// a permanent failure. Reports `RunSucceeded` for every invocation but
    /// a dry run (which archives nothing, so must not feed the heartbeat);
    /// an invalid payload counts as a run that did not succeed.
    pub async fn handle_invocation(
        &self,
        payload: Value,
        deadlines: Deadlines,
        request_id: Option<&str>,
    ) -> Result<RunSummary, RunError> {
        let ledger_key =
            ledger::RunKey::of(&payload, request_id).map(|key| self.layout.ledger_key(&key));
        let mut request = match RunRequest::from_payload(payload) {
            Ok(request) => request,
            Err(error) => {
                tracing::error!(error = %error, "invalid input");
                metrics::emit_run(&self.metrics, false);
                return Err(error.into());
            }
        };
        request.run_id = request_id.map(str::to_owned);
        let ledger_key = ledger_key.filter(|_| !request.dry_run);
        if let Some(key) = &ledger_key
            && let Some(error) = ledger::recorded(&self.store, key, chrono::Utc::now()).await
        {
            metrics::emit_run(&self.metrics, false);
            return Err(error);
        }
        let result = run(
            &self.apps,
            &self.store,
            &self.layout,
            &request,
            self.push,
            deadlines,
            &self.metrics,
        )
        .await;
        if let (Some(key), Err(error)) = (&ledger_key, &result) {
            ledger::record(&self.store, key, error).await;
        }
        if !request.dry_run {
            metrics::emit_run(&self.metrics, result.is_ok());
        }
        result
    }
}
