//! The REST client against the in-process Tencent emulator: calling
//! convention, retries, failover, re-signing, deadline, connection reuse and
//! the typed APIs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use testkit::http_client;
use tim::api::appinfo::{AppInfoRequest, OpsValue};
use tim::api::push::{EventType, PushPlatform, PushStatsRequest};
use tim::error::NetworkFailure;
use tim::region::Endpoint;
use tim::usersig::{Clock, FixedClock, SecretKey, SystemClock};
use tim::{
    AppCredentials, Client, ClientConfig, CredentialsProvider, Deadline, Error, ErrorClass,
    LocalSigner, RetryPolicy, StaticCredentials,
};
use tim_emulator::{Emulator, EmulatorConfig, Fault};
use tokio::time::Instant;

const APP: u64 = 1_400_000_000;
const KEY: &str = "emulator-test-key-5f0c2a9e";
const GET_APP_INFO: &str = "openconfigsvr/getappinfo";

/// Small delays so that retry tests take milliseconds.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn config(endpoint: &str) -> ClientConfig {
    ClientConfig {
        endpoint: Some(Endpoint::parse_override(endpoint).unwrap()),
        retry: fast_retries(),
        ..ClientConfig::default()
    }
}

/// Counts refreshes around a [`LocalSigner`].
struct Counting {
    inner: LocalSigner,
    refreshes: AtomicU32,
}

impl Counting {
    fn new(inner: LocalSigner) -> Arc<Self> {
        Arc::new(Self {
            inner,
            refreshes: AtomicU32::new(0),
        })
    }

    fn refreshes(&self) -> u32 {
        self.refreshes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CredentialsProvider for Counting {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.inner.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        self.inner.refresh(rejected).await
    }
}

/// A [`LocalSigner`] whose clock stands still: every re-sign happens in the
/// second the refused UserSig was signed in, as it does in a real request
/// (Tencent answers within milliseconds). Signing is deterministic, so this
/// is where a re-sign could repeat the refused UserSig (issue 17 §6).
fn frozen_signer(key: &str) -> Arc<Counting> {
    let now = Arc::new(FixedClock(SystemClock.now_unix()));
    Counting::new(LocalSigner::new(APP, "administrator", SecretKey::new(key), None).with_clock(now))
}

fn signer() -> LocalSigner {
    LocalSigner::new(APP, "administrator", SecretKey::new(KEY), None)
}

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap()
}

fn client(endpoint: &str, credentials: Arc<dyn CredentialsProvider>) -> Client {
    let config = config(endpoint);
    Client::new(http_client(&config), config, credentials)
}

fn soon() -> Deadline {
    Deadline::after(Duration::from_secs(10))
}

/// A loopback port nothing listens on: connections to it are refused.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn retries_rate_limit_then_succeeds() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 2);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(
        emu.stats().requests,
        3,
        "two rate-limited answers, then success"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 60007, .. }), "{err:?}");
    assert!(err.is_rate_limited());
    assert_eq!(emu.stats().requests, u64::from(fast_retries().max_attempts));
    emu.shutdown().await;
}

#[tokio::test]
async fn configuration_errors_are_not_retried() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60006), 5);
    let provider = Counting::new(signer());
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 60006, .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert!(err.hint().is_some());
    assert_eq!(emu.stats().requests, 1, "exactly one request");
    assert_eq!(provider.refreshes(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_non_admin_identifier_is_a_configuration_error() {
    let emu = emulator().await;
    let provider = Arc::new(LocalSigner::new(APP, "alice", SecretKey::new(KEY), None));
    let client = client(&emu.base_url(), provider);

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(60010), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn http_502_is_retried() {
    let emu = emulator().await;
    emu.inject_for(GET_APP_INFO, Fault::HttpStatus(502), 2);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_bad_status_that_persists_is_an_http_error() {
    let emu = emulator().await;
    emu.inject(Fault::HttpStatus(503), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Http { status: 503, .. }), "{err:?}");
    assert_eq!(emu.stats().requests, 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn truncated_and_non_json_bodies_are_retried() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    emu.inject(Fault::TruncatedBody, 1);
    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 2);

    emu.inject(Fault::NonJsonBody, 2);
    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 5);

    emu.inject(Fault::NonJsonBody, 10);
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn fails_over_to_the_backup_when_the_primary_refuses_connections() {
    let emu = emulator().await;
    let endpoint = format!("{},{}", closed_port_url(), emu.base_url());
    let client = client(&endpoint, Counting::new(signer()));

    for _ in 0..3 {
        let info = client
            .get_app_info(&AppInfoRequest::all_fields(), soon())
            .await
            .unwrap();
        assert_eq!(info.days.len(), 30);
    }

    assert_eq!(
        emu.stats().requests,
        3,
        "every call answered by the backup, none retried"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn refused_connections_without_a_backup_are_retried_then_fail() {
    let client = client(&closed_port_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::Network {
                kind: NetworkFailure::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Network);
    assert!(!err.to_string().contains("usersig"), "{err}");
}

#[tokio::test]
async fn re_signs_once_when_tencent_rejects_the_usersig() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(70001), 1);
    let provider = frozen_signer(KEY);
    let client = client(&emu.base_url(), provider.clone());

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// Every UserSig-rejected code gets one re-sign and one retry, the
/// re-signed UserSig being a new one even within the same second.
#[tokio::test]
async fn every_usersig_refusal_is_followed_by_one_retry_with_a_new_signature() {
    let emu = emulator().await;
    for code in [70001, 70002, 70003, 70004, 70009, 70052, 60004] {
        emu.reset_stats();
        emu.inject(Fault::ErrorCode(code), 1);
        let provider = frozen_signer(KEY);
        let refused = provider.credentials().await.unwrap();
        let client = client(&emu.base_url(), provider.clone());

        client
            .get_app_info(&AppInfoRequest::only(["Date"]), soon())
            .await
            .unwrap_or_else(|e| panic!("{code}: {e:?}"));

        assert_eq!(provider.refreshes(), 1, "{code}");
        assert_eq!(emu.stats().requests, 2, "{code}");
        let used = provider.credentials().await.unwrap();
        assert_ne!(used.usersig, refused.usersig, "{code}: a new UserSig");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_second_rejection_fails_after_exactly_one_refresh() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(70001), 5);
    let provider = frozen_signer(KEY);
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 70001, .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// A clock that can be moved: signs in the past until the refresh.
struct MovableClock(AtomicU64);

impl Clock for MovableClock {
    fn now_unix(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Signs with a clock two days behind until asked to refresh, then with the
/// real time: Tencent (the emulator) really finds the first UserSig expired.
struct ExpiredFirst {
    clock: Arc<MovableClock>,
    signer: Counting,
}

#[async_trait]
impl CredentialsProvider for ExpiredFirst {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.signer.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.clock.0.store(SystemClock.now_unix(), Ordering::SeqCst);
        self.signer.refresh(rejected).await
    }
}

#[tokio::test]
async fn an_expired_usersig_is_re_signed_once() {
    let emu = emulator().await;
    let clock = Arc::new(MovableClock(AtomicU64::new(
        SystemClock.now_unix() - 2 * 86_400,
    )));
    let inner = signer().with_validity(86_400).with_clock(clock.clone());
    let provider = Arc::new(ExpiredFirst {
        clock,
        signer: Counting {
            inner,
            refreshes: AtomicU32::new(0),
        },
    });
    let client = client(&emu.base_url(), provider.clone());

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(provider.signer.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_fails_with_70009_after_one_refresh() {
    let emu = emulator().await;
    let provider = frozen_signer("not-the-key");
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(70009), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert!(err.hint().is_some());
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// A provider whose refresh hands back the very credentials Tencent refused
/// (usersig-refresher's live check: exactly the pending UserSig).
struct SameAgain {
    credentials: AppCredentials,
    refreshes: AtomicU32,
}

#[async_trait]
impl CredentialsProvider for SameAgain {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        StaticCredentials(self.credentials.clone())
            .credentials()
            .await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        StaticCredentials(self.credentials.clone())
            .refresh(rejected)
            .await
    }
}

#[tokio::test]
async fn a_refresh_that_yields_the_same_usersig_sends_one_request_per_refusal() {
    let emu = emulator().await;
    // Signed with the wrong key: Tencent answers 70009.
    let wrong = LocalSigner::new(APP, "administrator", SecretKey::new("not-the-key"), None)
        .credentials()
        .await
        .unwrap();
    let provider = Arc::new(SameAgain {
        credentials: wrong,
        refreshes: AtomicU32::new(0),
    });
    let err = client(&emu.base_url(), provider.clone())
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(70009), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        emu.stats().requests,
        1,
        "the same UserSig is not sent twice"
    );

    // The same with StaticCredentials itself, on an injected refusal.
    emu.inject(Fault::ErrorCode(70001), 1);
    let fine = signer().credentials().await.unwrap();
    let err = client(&emu.base_url(), Arc::new(StaticCredentials(fine)))
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { code: 70001, .. }), "{err:?}");
    assert_eq!(emu.stats().requests, 2, "one more request, not two");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_deadline_is_respected() {
    let emu = emulator().await;
    emu.inject(Fault::Delay(Duration::from_secs(3)), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));
    let budget = Duration::from_millis(300);

    let started = Instant::now();
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), Deadline::after(budget))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    // A correctness bound (never run past the deadline), not a speed test:
    // the slack is generous for a loaded CI machine.
    assert!(
        elapsed < budget + Duration::from_millis(500),
        "took {elapsed:?}"
    );
    match &err {
        Error::Deadline { attempts, last, .. } => {
            assert!(*attempts >= 1);
            let last = last.as_deref().unwrap();
            assert!(
                matches!(
                    last,
                    Error::Network {
                        kind: NetworkFailure::Timeout,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("expected a deadline error, got {other:?}"),
    }
    assert!(err.is_timeout());
    emu.shutdown().await;
}

#[tokio::test]
async fn backoff_never_sleeps_past_the_deadline() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 10);
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(2),
        },
        ..config(&emu.base_url())
    };
    let client = Client::new(http_client(&config), config, Counting::new(signer()));
    let budget = Duration::from_millis(400);

    let started = Instant::now();
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), Deadline::after(budget))
        .await
        .unwrap_err();

    // The rate-limit pause (at least 1 s here) does not fit: give up at once.
    assert!(started.elapsed() < budget, "took {:?}", started.elapsed());
    assert!(
        matches!(err, Error::Deadline { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), Some(60007));
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_past_deadline_sends_nothing() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(
            &AppInfoRequest::all_fields(),
            Deadline::after(Duration::ZERO),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::Deadline {
                attempts: 0,
                last: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.stats().requests, 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn one_tcp_connection_serves_sequential_calls() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    for _ in 0..20 {
        client
            .get_app_info(&AppInfoRequest::all_fields(), soon())
            .await
            .unwrap();
    }

    let stats = emu.stats();
    assert_eq!(stats.requests, 20);
    assert_eq!(
        stats.connections, 1,
        "keep-alive: one connection for all calls"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn get_app_info_is_typed() {
    let emu = emulator().await;
    let days = emu.ops_days();
    emu.set_ops_value(APP, days[0], "ActiveUserNum", "123");
    emu.set_ops_value(APP, days[1], "BrandNewCounter", "77");
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    let mut dates: Vec<_> = info.days.iter().map(|d| d.date.clone().unwrap()).collect();
    dates.sort_unstable();
    dates.dedup();
    assert_eq!(dates.len(), 30, "30 distinct days");
    for day in &info.days {
        assert!(day.is_well_formed(), "{day:?}");
        assert!(day.number("ActiveUserNum").is_some());
        assert_eq!(day.number("AppId"), Some(i64::try_from(APP).unwrap()));
        assert!(matches!(day.get("AppName"), Some(OpsValue::Text(_))));
    }
    let first = info.days.iter().find(|d| d.date == Ok(days[0])).unwrap();
    assert_eq!(first.number("ActiveUserNum"), Some(123));
    let second = info.days.iter().find(|d| d.date == Ok(days[1])).unwrap();
    assert_eq!(
        second.number("BrandNewCounter"),
        Some(77),
        "unknown fields are kept"
    );
    let raw: serde_json::Value = serde_json::from_slice(&info.raw).unwrap();
    assert_eq!(
        raw["ErrorCode"], 0,
        "the raw body is Tencent's answer as sent"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn get_app_info_honours_a_field_subset() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    let request = AppInfoRequest::only(["ChainIncrease", "ChainDecrease"]);
    let info = client.get_app_info(&request, soon()).await.unwrap();

    assert_eq!(info.days.len(), 30);
    for day in &info.days {
        assert!(day.date.is_ok());
        let names: Vec<&str> = day.values.keys().map(String::as_str).collect();
        assert_eq!(names, ["ChainDecrease", "ChainIncrease"]);
        assert!(day.number("ChainIncrease").is_some());
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn push_statistics_are_typed() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));
    let end = 1_762_000_000;
    let request = PushStatsRequest {
        start_time: end - 7 * 86_400,
        end_time: end,
        task_ids: vec!["task-a".into(), "task-b".into()],
    };

    let stats = client
        .all_member_push_statistics(&request, soon())
        .await
        .unwrap();

    let ids: Vec<&str> = stats.results.iter().map(|r| r.task_id.as_str()).collect();
    assert_eq!(ids, ["task-a", "task-b"]);
    for task in &stats.results {
        assert!(task.counts.total >= task.counts.sent);
        let platforms: Vec<PushPlatform> = task
            .platforms
            .iter()
            .filter(|p| p.event == EventType::Offline)
            .map(|p| p.platform)
            .collect();
        assert!(
            platforms.contains(&PushPlatform::Apns) && platforms.contains(&PushPlatform::Honor)
        );
        assert!(
            platforms
                .iter()
                .all(|p| !matches!(p, PushPlatform::Unknown(_)))
        );
        let online: Vec<_> = task
            .platforms
            .iter()
            .filter(|p| p.event == EventType::Online)
            .collect();
        assert!(!online.is_empty());
        assert!(
            online
                .iter()
                .all(|p| p.platform == PushPlatform::Unspecified)
        );
        let delivered: u64 = task.platforms.iter().map(|p| p.counts.delivered).sum();
        assert_eq!(delivered, task.counts.delivered);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn push_statistics_with_too_many_task_ids_is_a_bad_request() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));
    let request = PushStatsRequest {
        start_time: 1_762_000_000 - 86_400,
        end_time: 1_762_000_000,
        task_ids: (0..6).map(|i| format!("task-{i}")).collect(),
    };

    let err = client
        .all_member_push_statistics(&request, soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(90100), "{err:?}");
    assert_eq!(err.class(), ErrorClass::BadRequest);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn no_region_and_no_endpoint_is_a_configuration_error() {
    let config = ClientConfig::default();
    let client = Client::new(http_client(&config), config, Arc::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert!(err.to_string().contains("TIM_REGION"), "{err}");
}

/// Fails `failures` times with the given error, then signs.
struct Flaky {
    failures: AtomicU32,
    error: Error,
    inner: LocalSigner,
}

#[async_trait]
impl CredentialsProvider for Flaky {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(self.error.clone());
        }
        self.inner.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.inner.refresh(rejected).await
    }
}

#[tokio::test]
async fn transient_credentials_failures_are_retried_and_others_are_not() {
    let emu = emulator().await;
    let transient = Arc::new(Flaky {
        failures: AtomicU32::new(2),
        error: Error::credentials_transient("Secrets Manager throttled"),
        inner: signer(),
    });
    let info = client(&emu.base_url(), transient)
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 1);

    let broken = Arc::new(Flaky {
        failures: AtomicU32::new(10),
        error: Error::credentials("the key secret is not JSON"),
        inner: signer(),
    });
    let err = client(&emu.base_url(), broken.clone())
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert_eq!(
        broken.failures.load(Ordering::SeqCst),
        9,
        "asked once, not retried"
    );
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}
