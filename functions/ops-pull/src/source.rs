//! Where operations data comes from: a small trait implemented by
//! `tim::Client` (tests add in-memory fakes).

use std::future::Future;

use tim::Deadline;
use tim::api::appinfo::{AppInfo, AppInfoRequest};

/// One app's `getappinfo`.
pub trait OpsSource: Sync {
    fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<AppInfo, tim::Error>> + Send;

    /// The app's SDKAppID (from its credentials: the data's `AppId` field is
    /// not sent when a field subset is asked for).
    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send;
}

impl OpsSource for tim::Client {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> Result<AppInfo, tim::Error> {
        tim::Client::get_app_info(self, request, deadline).await
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        // Cached by the provider after the first call of a cold start.
        self.credentials().credentials().await.map(|c| c.sdkappid)
    }
}

/// A configured app: a name for reports (the secret it comes from) and its source.
#[derive(Debug, Clone)]
pub struct App<S> {
    pub name: String,
    pub source: S,
}

impl<S> App<S> {
    pub fn new(name: impl Into<String>, source: S) -> Self {
        Self {
            name: name.into(),
            source,
        }
    }
}
