//! The configured apps, each with the source of its statistics
//! ([`PushStatsSource`]), and which of them a request is for.
//!
//! An app is known by its SDKAppID only once its secret is read (the secret
//! holds `sdkappid`; the environment names secrets, not apps). So the apps
//! are resolved lazily, on the request that needs them, and concurrently:
//! the answer comes as soon as the asked-for app's secret has been read,
//! whatever the other apps' secrets do (slow, unreadable, malformed). The
//! providers cache what they read, so a warm function reads no secret again.

use std::future::Future;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};

use crate::error::{ApiError, ErrorCode};
use crate::request::SDKAPPID;

/// One app's push statistics: Tencent in production, fakes in tests.
pub trait PushStatsSource: Send + Sync {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send;

    /// The app's SDKAppID, from its credentials (read on first use, then
    /// cached by the provider).
    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send;
}

impl PushStatsSource for tim::Client {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        self.all_member_push_statistics(request, deadline)
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        self.credentials().credentials().await.map(|c| c.sdkappid)
    }
}

impl<S: PushStatsSource> PushStatsSource for &S {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        (**self).push_statistics(request, deadline)
    }

    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send {
        (**self).sdkappid()
    }
}

/// A configured app: the secret it is read from (for logs and messages: the
/// app's id is only known once it is read) and its statistics source.
#[derive(Debug)]
pub struct App<S> {
    pub secret_id: String,
    pub source: S,
}

/// Every configured app, in the order the environment names them.
#[derive(Debug)]
pub struct Apps<S> {
    apps: Vec<App<S>>,
}

/// The app a request is served by.
#[derive(Debug)]
pub struct Selected<'a, S> {
    pub sdkappid: u64,
    pub source: &'a S,
}

impl<S: PushStatsSource> Apps<S> {
    /// The apps, one per secret (the configuration names at least one).
    pub fn new(apps: Vec<App<S>>) -> Self {
        Self { apps }
    }

    /// A single app (the key-secret mode, tests).
    pub fn one(secret_id: impl Into<String>, source: S) -> Self {
        let secret_id = secret_id.into();
        Self::new(vec![App { secret_id, source }])
    }

    /// The apps, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &App<S>> {
        self.apps.iter()
    }

    /// The app for `requested` (`None`: the caller named none).
    ///
    /// - One app: `requested` is optional; if given it must be that app's.
    /// - Several: `requested` is required (`sdkappid_required`).
    /// - An id no readable secret holds is `unknown_sdkappid` only when every
    ///   secret could be read; otherwise it may be an unreadable one's, and
    ///   the answer is `credentials_unavailable` (502, worth retrying).
    pub async fn select(
        &self,
        requested: Option<u64>,
        request_id: &str,
    ) -> Result<Selected<'_, S>, ApiError> {
        let wanted = match (requested, self.apps.as_slice()) {
            (None, [only]) => {
                let sdkappid = only.source.sdkappid().await.map_err(|error| {
                    log_unreadable(request_id, only, &error);
                    ApiError::from_upstream(&error)
                })?;
                let source = &only.source;
                return Ok(Selected { sdkappid, source });
            }
            (None, apps) => {
                let message = format!(
                    "this endpoint serves {} apps: name one with sdkappid (a query parameter in a GET, a JSON field in a POST)",
                    apps.len()
                );
                return Err(ApiError::param(
                    ErrorCode::SdkappidRequired,
                    SDKAPPID,
                    message,
                ));
            }
            (Some(id), _) => id,
        };
        let mut pending: FuturesUnordered<_> = self
            .apps
            .iter()
            .map(|app| async move { (app, app.source.sdkappid().await) })
            .collect();
        let (mut readable, mut unreadable) = (Vec::new(), 0);
        while let Some((app, resolved)) = pending.next().await {
            match resolved {
                // The others' reads are dropped unfinished: the providers'
                // caches are cancellation-safe, and the next request that
                // needs them reads again.
                Ok(sdkappid) if sdkappid == wanted => {
                    let source = &app.source;
                    return Ok(Selected { sdkappid, source });
                }
                Ok(sdkappid) => readable.push(sdkappid.to_string()),
                Err(error) => {
                    log_unreadable(request_id, app, &error);
                    unreadable += 1;
                }
            }
        }
        if unreadable > 0 {
            // It may be an unreadable one's: the service's failure (retry),
            // not the caller's mistake.
            let message = format!(
                "sdkappid {wanted} is none of the apps whose credentials could be read, and {unreadable} of the \
                 {} configured credentials secrets could not be read (it may be one of those): retry later; \
                 operator: check those secrets (TIM_USERSIG_SECRET_ID), their rotation and the function's \
                 permission to read them",
                self.apps.len()
            );
            return Err(ApiError::new(
                ErrorCode::CredentialsUnavailable,
                None,
                message,
            ));
        }
        readable.sort_unstable();
        readable.dedup();
        let message = format!(
            "sdkappid {wanted} is not served here; the apps served: {}",
            readable.join(", ")
        );
        Err(ApiError::param(
            ErrorCode::UnknownSdkappid,
            SDKAPPID,
            message,
        ))
    }
}

fn log_unreadable<S>(request_id: &str, app: &App<S>, error: &tim::Error) {
    // tim::Error's Display carries no secret value.
    tracing::warn!(request_id, secret_id = %app.secret_id, error_type = error.error_type(), error = %error,
        "an app's credentials secret could not be read");
}

#[cfg(test)]
mod tests;
