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
        Self::new(vec![App {
            secret_id: secret_id.into(),
            source,
        }])
    }

    /// How many apps are configured.
    pub fn len(&self) -> usize {
        self.apps.len()
    }

    /// Whether none is (never so when built from the configuration).
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
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
            (_, []) => {
                tracing::error!(request_id, "push-stats has no app configured");
                return Err(ApiError::internal());
            }
            (None, [only]) => {
                return match only.source.sdkappid().await {
                    Ok(sdkappid) => Ok(Selected {
                        sdkappid,
                        source: &only.source,
                    }),
                    Err(error) => {
                        log_unreadable(request_id, only, &error);
                        Err(ApiError::from_upstream(&error))
                    }
                };
            }
            (None, apps) => return Err(sdkappid_required(apps.len())),
            (Some(id), _) => id,
        };

        let mut pending: FuturesUnordered<_> = self
            .apps
            .iter()
            .map(|app| async move { (app, app.source.sdkappid().await) })
            .collect();
        let mut readable = Vec::new();
        let mut unreadable = 0_usize;
        while let Some((app, resolved)) = pending.next().await {
            match resolved {
                // The others' reads are dropped unfinished: the providers'
                // caches are cancellation-safe, and the next request that
                // needs them reads again.
                Ok(sdkappid) if sdkappid == wanted => {
                    return Ok(Selected {
                        sdkappid,
                        source: &app.source,
                    });
                }
                Ok(sdkappid) => readable.push(sdkappid),
                Err(error) => {
                    log_unreadable(request_id, app, &error);
                    unreadable += 1;
                }
            }
        }
        if unreadable > 0 {
            Err(ApiError::apps_unreadable(
                wanted,
                unreadable,
                self.apps.len(),
            ))
        } else {
            readable.sort_unstable();
            readable.dedup();
            Err(unknown_sdkappid(wanted, &readable))
        }
    }
}

fn log_unreadable<S>(request_id: &str, app: &App<S>, error: &tim::Error) {
    // tim::Error's Display carries no secret value.
    tracing::warn!(request_id, secret_id = %app.secret_id, error_type = error.error_type(), error = %error,
        "an app's credentials secret could not be read");
}

fn sdkappid_required(apps: usize) -> ApiError {
    ApiError::param(
        ErrorCode::SdkappidRequired,
        SDKAPPID,
        format!(
            "this endpoint serves {apps} apps: name one with sdkappid (a query parameter in a GET, a JSON \
             field in a POST)"
        ),
    )
}

fn unknown_sdkappid(wanted: u64, configured: &[u64]) -> ApiError {
    let list = configured
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::param(
        ErrorCode::UnknownSdkappid,
        SDKAPPID,
        format!("sdkappid {wanted} is not served here; the apps served: {list}"),
    )
}

impl ApiError {
    /// `wanted` is none of the readable apps, and `unreadable` of the `total`
    /// secrets could not be read: it may be one of theirs, so this is the
    /// service's failure (retry), not the caller's mistake.
    pub fn apps_unreadable(wanted: u64, unreadable: usize, total: usize) -> Self {
        Self::new(
            ErrorCode::CredentialsUnavailable,
            None,
            format!(
                "sdkappid {wanted} is none of the apps whose credentials could be read, and {unreadable} of the \
                 {total} configured credentials secrets could not be read (it may be one of those): retry later; \
                 operator: check those secrets (TIM_USERSIG_SECRET_ID), their rotation and the function's \
                 permission to read them"
            ),
        )
    }
}

#[cfg(test)]
mod tests;
