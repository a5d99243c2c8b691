//! `UserSigHoursLeft`: how long the UserSig a function uses stays valid.
//!
//! [`ReportHoursLeft`] wraps any credentials provider and emits the metric
//! (dimension `SDKAppID`) whenever the function starts using a UserSig it
//! had not reported yet (so at least once per cold start, and after every
//! rotation it picks up), and again at most once an hour while it keeps
//! using the same one, so a long-lived warm environment stays visible to the
//! alarm.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tim::{AppCredentials, CredentialsProvider, Error, usersig::Clock, usersig::SystemClock};

use crate::metrics::{Metrics, Unit};

/// The metric's name (listed in `infra/metrics.json`).
pub const METRIC: &str = "UserSigHoursLeft";
/// Re-report the same UserSig at most this often.
pub const REPEAT_SECS: u64 = 3_600;

/// The apps' providers, each wrapped in [`ReportHoursLeft`] when their
/// UserSigs are `rotated` (read from UserSig secrets: tim's
/// `CredentialsSource::usersigs_rotate`). Locally signed, short-lived
/// UserSigs are not reported: their hours say nothing about rotation and
/// would trip the alarm.
pub fn report_rotated(
    rotated: bool,
    providers: Vec<Arc<dyn CredentialsProvider>>,
    metrics: &Metrics,
) -> Vec<Arc<dyn CredentialsProvider>> {
    if !rotated {
        return providers;
    }
    providers
        .into_iter()
        .map(|provider| Arc::new(ReportHoursLeft::new(provider, metrics.clone())) as _)
        .collect()
}

/// A credentials provider that reports `UserSigHoursLeft` for what it hands out.
pub struct ReportHoursLeft {
    inner: Arc<dyn CredentialsProvider>,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    /// What was reported last: which UserSig (by app and expiry: no secret
    /// is kept here) and when.
    last: Mutex<Option<(u64, u64, u64)>>,
}

impl ReportHoursLeft {
    /// Wraps `inner`; documents go to `metrics`, hours count by the system
    /// clock.
    pub fn new(inner: Arc<dyn CredentialsProvider>, metrics: Metrics) -> Self {
        Self {
            inner,
            metrics,
            clock: Arc::new(SystemClock),
            last: Mutex::new(None),
        }
    }

    fn observe(&self, credentials: &AppCredentials) {
        let Some(expires_at) = credentials.expires_at else {
            return;
        };
        let (now, sdkappid) = (self.clock.now_unix(), credentials.sdkappid);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|(app, expiry, at)| {
            (app, expiry) != (sdkappid, expires_at) || now.saturating_sub(at) >= REPEAT_SECS
        });
        if due {
            *last = Some((sdkappid, expires_at, now));
            drop(last);
            emit_hours_left(&self.metrics, sdkappid, expires_at, now);
        }
    }
}

/// Emits one `UserSigHoursLeft` document: hours from `now` to `expires_at`
/// (negative once expired), to one decimal.
pub fn emit_hours_left(metrics: &Metrics, sdkappid: u64, expires_at: u64, now: u64) {
    let seconds = i128::from(expires_at) - i128::from(now);
    // Seconds fit an f64 exactly for any realistic UserSig.
    let hours = (seconds as f64 / 360.0).round() / 10.0;
    let document = metrics
        .document()
        .dimension("SDKAppID", sdkappid.to_string());
    metrics.emit(document.metric(METRIC, Unit::None, hours));
}

#[async_trait]
impl CredentialsProvider for ReportHoursLeft {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let credentials = self.inner.credentials().await?;
        self.observe(&credentials);
        Ok(credentials)
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let credentials = self.inner.refresh(rejected).await?;
        self.observe(&credentials);
        Ok(credentials)
    }

    fn note_refusal(&self, code: i64) {
        self.inner.note_refusal(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tim::StaticCredentials;
    use tim::usersig::UserSig;

    struct Ticking(AtomicU64);
    impl Clock for Ticking {
        fn now_unix(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn credentials(expires_at: Option<u64>) -> AppCredentials {
        AppCredentials {
            sdkappid: 1_400_000_000,
            identifier: "administrator".into(),
            usersig: UserSig::new("sig"),
            region: None,
            expires_at,
        }
    }

    /// Reports what a static provider hands out, by `clock`.
    fn on_clock(given: AppCredentials, metrics: Metrics, clock: &Arc<Ticking>) -> ReportHoursLeft {
        ReportHoursLeft {
            clock: clock.clone(),
            ..ReportHoursLeft::new(Arc::new(StaticCredentials(given)), metrics)
        }
    }

    fn hours(lines: &[String]) -> Vec<f64> {
        lines
            .iter()
            .map(|l| {
                let doc: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(doc["SDKAppID"], "1400000000");
                doc[METRIC].as_f64().unwrap()
            })
            .collect()
    }

    #[tokio::test]
    async fn only_usersigs_from_rotated_secrets_are_reported() {
        let expires = SystemClock.now_unix() + 48 * 3_600;
        let provider = || {
            Arc::new(StaticCredentials(credentials(Some(expires)))) as Arc<dyn CredentialsProvider>
        };
        let (metrics, lines) = Metrics::capture("NS");
        for wrapped in report_rotated(true, vec![provider(), provider()], &metrics) {
            wrapped.credentials().await.unwrap();
        }
        assert_eq!(hours(&lines.take()).len(), 2, "one report per app");

        for unwrapped in report_rotated(false, vec![provider()], &metrics) {
            unwrapped.credentials().await.unwrap();
        }
        assert!(
            lines.take().is_empty(),
            "locally signed UserSigs are not reported"
        );
    }

    #[tokio::test]
    async fn reports_on_first_use_then_hourly_and_on_change() {
        const NOW: u64 = 1_800_000_000;
        let (metrics, lines) = Metrics::capture("NS");
        let clock = Arc::new(Ticking(AtomicU64::new(NOW)));
        let provider = on_clock(credentials(Some(NOW + 48 * 3_600)), metrics, &clock);

        provider.credentials().await.unwrap();
        provider.credentials().await.unwrap();
        assert_eq!(hours(&lines.take()), [48.0], "once per UserSig");

        clock.0.store(NOW + 1_800, Ordering::SeqCst);
        provider.credentials().await.unwrap();
        assert!(lines.take().is_empty(), "not again within the hour");

        clock.0.store(NOW + 3_600, Ordering::SeqCst);
        provider
            .refresh(&credentials(Some(NOW + 48 * 3_600)))
            .await
            .unwrap();
        assert_eq!(hours(&lines.take()), [47.0], "hourly while it is in use");
    }

    #[tokio::test]
    async fn a_new_usersig_is_reported_at_once_and_no_expiry_is_not_reported() {
        const NOW: u64 = 1_800_000_000;
        let (metrics, lines) = Metrics::capture("NS");
        let clock = Arc::new(Ticking(AtomicU64::new(NOW)));
        let first = on_clock(credentials(Some(NOW + 3_600)), metrics.clone(), &clock);
        first.credentials().await.unwrap();
        first.observe(&credentials(Some(NOW + 30 * 86_400)));
        first.observe(&credentials(Some(NOW - 5_400)));
        assert_eq!(hours(&lines.take()), [1.0, 720.0, -1.5]);

        let unknown = ReportHoursLeft::new(Arc::new(StaticCredentials(credentials(None))), metrics);
        unknown.credentials().await.unwrap();
        assert!(lines.take().is_empty());
    }
}
