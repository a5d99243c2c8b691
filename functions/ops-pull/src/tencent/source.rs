//! Where operations data comes from: a small trait implemented by
//! `tim::Client` (tests add in-memory fakes).

use std::future::Future;

use tim::Deadline;
use tim::api::appinfo::{AppInfo, AppInfoRequest};
use tim::api::push::{PushStatistics, PushStatsRequest};

/// One app's `getappinfo`.
pub trait OpsSource: Sync {
    fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<AppInfo, tim::Error>> + Send;

    /// `all_member_push_statistics`, ONE attempt: the push history paces
    /// its calls itself (Tencent allows one a second), retries included.
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send;

    /// The app's SDKAppID (from its credentials: the data's `AppId` field is
    /// not sent when a field subset is asked for).
    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send;
}

/// An app at Tencent: two clients over one credentials provider and one
/// HTTP pool, the second without backoff retries (see
/// [`OpsSource::push_statistics`]).
#[derive(Debug, Clone)]
pub struct TencentApp {
    ops: tim::Client,
    push: tim::Client,
}

impl TencentApp {
    pub fn new(client: tim::Client) -> Self {
        let push = client.with_retry(tim::RetryPolicy {
            max_attempts: 1,
            ..client.config().retry
        });
        Self { ops: client, push }
    }
}

impl OpsSource for TencentApp {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> Result<AppInfo, tim::Error> {
        self.ops.get_app_info(request, deadline).await
    }

    async fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> Result<PushStatistics, tim::Error> {
        self.push
            .all_member_push_statistics(request, deadline)
            .await
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        // Cached by the provider after the first call of a cold start.
        self.ops
            .credentials()
            .credentials()
            .await
            .map(|c| c.sdkappid)
    }
}

/// A configured app: a name for reports (the secret it comes from), its
/// source, and the pacing of its push calls (shared by overlapping runs).
#[derive(Debug, Clone)]
pub struct App<S> {
    pub name: String,
    pub source: S,
    pub pacer: crate::tencent::pacer::Pacer,
}

impl<S> App<S> {
    pub fn new(name: impl Into<String>, source: S) -> Self {
        Self {
            name: name.into(),
            source,
            pacer: Default::default(),
        }
    }
}
