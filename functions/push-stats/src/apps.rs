//! The configured apps, each with the source of its statistics
//! ([`PushStatsSource`]), and which of them a request is for.
//!
//! Each app's SDKAppID comes from the configuration (`TIM_SDKAPPIDS`), so a
//! request finds its app without reading any secret: only the app asked for
//! reads its secret, when Tencent is called (the provider caches it), and
//! another app's unreadable secret costs it nothing.

use std::future::Future;

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
}

impl PushStatsSource for tim::Client {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        self.all_member_push_statistics(request, deadline)
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
}

/// A configured app: its SDKAppID and its statistics source.
#[derive(Debug)]
pub struct App<S> {
    pub sdkappid: u64,
    pub source: S,
}

/// Every configured app, in the order the environment names them.
#[derive(Debug)]
pub struct Apps<S> {
    apps: Vec<App<S>>,
}

impl<S: PushStatsSource> Apps<S> {
    /// The apps (the configuration names at least one, each once).
    pub fn new(apps: Vec<App<S>>) -> Self {
        Self { apps }
    }

    /// A single app (tests).
    pub fn one(sdkappid: u64, source: S) -> Self {
        Self::new(vec![App { sdkappid, source }])
    }

    /// The apps, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &App<S>> {
        self.apps.iter()
    }

    /// The app for `requested` (`None`: the caller named none).
    ///
    /// - One app: `requested` is optional; if given it must be that app's.
    /// - Several: `requested` is required (`sdkappid_required`).
    /// - An id not configured is `unknown_sdkappid`.
    pub fn select(&self, requested: Option<u64>) -> Result<&App<S>, ApiError> {
        let wanted = match (requested, self.apps.as_slice()) {
            (None, [only]) => return Ok(only),
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
        if let Some(app) = self.apps.iter().find(|app| app.sdkappid == wanted) {
            return Ok(app);
        }
        let served: Vec<String> = self
            .apps
            .iter()
            .map(|app| app.sdkappid.to_string())
            .collect();
        let message = format!(
            "sdkappid {wanted} is not served here; the apps served: {}",
            served.join(", ")
        );
        Err(ApiError::param(
            ErrorCode::UnknownSdkappid,
            SDKAPPID,
            message,
        ))
    }
}

#[cfg(test)]
mod tests;
