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
    /// than the configured one). `Ok(false)`: the app's UserSig secret
    /// exists but has never held a value (the template creates it empty,
    /// the first rotation fills it): the app is not set up yet, which is no
    /// failure.
    async fn credentials(&self) -> Result<bool, tim::Error>;
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

    async fn credentials(&self) -> Result<bool, tim::Error> {
        // Cached by the provider after the first call of a cold start.
        let error = match self.client.credentials().credentials().await {
            Ok(_) => return Ok(true),
            Err(error @ tim::Error::Credentials { .. }) => error,
            Err(error) => return Err(error),
        };
        let Some((secrets, id)) = &self.secret else {
            return Err(error);
        };
        // A secret that lost its value after a rotation still lists versions.
        match secrets.describe_secret().secret_id(id).send().await {
            Ok(secret) if secret.version_ids_to_stages().is_none_or(|v| v.is_empty()) => Ok(false),
            Ok(_) => Err(error),
            Err(e) => {
                tracing::warn!(secret_id = %id, error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&e), "DescribeSecret failed: the app counts as failed, not as not set up");
                Err(error)
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
