//! Where operations data comes from: a small trait implemented by
//! `tim::Client` (tests add in-memory fakes).

use tim::Deadline;
use tim::api::appinfo::{AppInfo, AppInfoRequest};
use tim::api::push::PushStatsRequest;
use tim::client::Response;

/// One app at Tencent. Only this crate and its tests implement it, and each
/// future is awaited where its concrete type (and so its `Send`) is known.
#[allow(async_fn_in_trait)]
pub trait OpsSource: Sync {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> Result<AppInfo, tim::Error>;

    /// `all_member_push_statistics` (the push history paces the calls:
    /// Tencent allows one a second): the envelope as Tencent sent it, read
    /// by `archive::push_rows`, kept byte for byte in the raw copy.
    async fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> Result<Response, tim::Error>;

    /// Reads the app's credentials (refused when they are another app's
    /// than the configured one).
    async fn credentials(&self) -> Result<(), tim::Error>;

    /// Whether the app's UserSig secret exists but has never held a value
    /// (the template creates it empty, the first rotation fills it): the app
    /// is not set up yet, which is no failure. Asked only after its
    /// credentials could not be read.
    async fn not_set_up(&self) -> bool;
}

/// An app at Tencent: its client (credentials, HTTP pool, retries) and the
/// UserSig secret its credentials come from, to tell "not set up" from a
/// failure.
#[derive(Debug, Clone)]
pub struct TencentApp {
    pub client: tim::Client,
    pub secret: Option<(aws_sdk_secretsmanager::Client, String)>,
}

impl OpsSource for TencentApp {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> Result<AppInfo, tim::Error> {
        self.client.get_app_info(request, deadline).await
    }

    async fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> Result<Response, tim::Error> {
        let command = tim::api::commands::ALL_MEMBER_PUSH_STATISTICS;
        self.client.call(command, request, deadline).await
    }

    async fn credentials(&self) -> Result<(), tim::Error> {
        // Cached by the provider after the first call of a cold start.
        self.client.credentials().credentials().await.map(drop)
    }

    async fn not_set_up(&self) -> bool {
        let Some((secrets, id)) = &self.secret else {
            return false;
        };
        // A secret that lost its value after a rotation still lists versions.
        match secrets.describe_secret().secret_id(id).send().await {
            Ok(secret) => secret
                .version_ids_to_stages()
                .is_none_or(|versions| versions.is_empty()),
            Err(error) => {
                tracing::warn!(secret_id = %id, error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&error), "DescribeSecret failed: the app counts as failed, not as not set up");
                false
            }
        }
    }
}

/// A configured app: a name for reports (the secret it comes from), its
/// SDKAppID and its source.
#[derive(Debug, Clone)]
pub struct App<S> {
    pub name: String,
    pub sdkappid: u64,
    pub source: S,
}
