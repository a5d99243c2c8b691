//! The handler with the real `tim::Client` against the in-process Tencent
//! emulator: real UserSigs, real HTTP, injected faults.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::*;
use async_trait::async_trait;
use push_stats::request::StatsQuery;
use push_stats::{Apps, CallContext, handle};
use serde_json::{Value, json};
use tim::api::push::PushStatistics;
use tim::usersig::{Clock, FixedClock, SecretKey, SystemClock};
use tim::{AppCredentials, ClientConfig, CredentialsProvider, Deadline, LocalSigner, RetryPolicy};
use tim_emulator::pushstats::{PushStatsQuery, answer};
use tim_emulator::{Emulator, EmulatorConfig, Fault, ResultFault};

const SDKAPPID: u64 = 1_400_000_000;
const KEY: &str = "emulator-test-key-0123456789abcdef";
const ATTEMPTS: u32 = 3;

/// A `LocalSigner` that counts the refreshes the client asks for. Its clock
/// stands still, so each re-sign happens in the second the refused UserSig
/// was signed in, as in a real request: the re-signed UserSig must differ
/// all the same (issue 17 §6).
struct CountingSigner {
    inner: LocalSigner,
    refreshes: AtomicUsize,
}

#[async_trait]
impl CredentialsProvider for CountingSigner {
    async fn credentials(&self) -> Result<AppCredentials, tim::Error> {
        self.inner.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, tim::Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        self.inner.refresh(rejected).await
    }
}

struct Setup {
    emulator: Emulator,
    client: tim::Client,
    signer: Arc<CountingSigner>,
}

/// The client configuration the deployed function builds (`lambda::Settings`)
/// for `emulator`.
fn deployed_config(emulator: &Emulator) -> ClientConfig {
    let base_url = emulator.base_url();
    let env = lambda_kit::Env::from_pairs([
        ("TIM_SDKAPPIDS", "1400000000"),
        ("TIM_KEY_SECRET_ID", "unused-here"),
        ("TIM_ENDPOINT", base_url.as_str()),
    ]);
    push_stats::lambda::Settings::from_env(&env)
        .unwrap()
        .client_config
}

async fn setup() -> Setup {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(SDKAPPID, KEY))
        .await
        .unwrap();
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: ATTEMPTS,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..deployed_config(&emulator)
    };
    let clock = Arc::new(FixedClock(SystemClock.now_unix()));
    let signer = Arc::new(CountingSigner {
        inner: LocalSigner::new(SDKAPPID, "administrator", SecretKey::new(KEY), None)
            .with_clock(clock),
        refreshes: AtomicUsize::new(0),
    });
    let http = testkit::http_client(&config);
    let client = tim::Client::new(http, config, signer.clone());
    Setup {
        emulator,
        client,
        signer,
    }
}

/// What the endpoint must answer for `event`: the emulator's deterministic
/// statistics for the same query, rendered by our response type.
fn expected_body(event: &Value) -> Value {
    let e = common::event(event);
    let query = match e.request_context.http.method.as_str() {
        "GET" => StatsQuery::from_query_string(e.raw_query_string.as_deref().unwrap_or("")),
        _ => StatsQuery::from_json_body(e.body.as_deref().unwrap_or("").as_bytes()),
    }
    .unwrap();
    let envelope = answer(
        SDKAPPID,
        &PushStatsQuery {
            start_time: query.start,
            end_time: query.end,
            task_ids: query.task_ids.clone(),
        },
    );
    push_stats::response::body(
        SDKAPPID,
        &query,
        &PushStatistics::from_envelope(&envelope).unwrap(),
    )
}

#[tokio::test]
async fn good_gets_and_posts_with_and_without_task_ids() {
    let Setup {
        emulator,
        client,
        signer,
    } = setup().await;
    let overall_post =
        post_with_body(&json!({"start": "2026-10-25", "end": "2026-11-01"}).to_string());
    let cases = [
        ("GET with task IDs", fixture("get"), 2),
        ("GET overall", fixture("get-overall"), 1),
        ("POST with task IDs", fixture("post"), 2),
        ("POST overall", overall_post, 1),
    ];
    for (name, event, results) in cases {
        let response = handle(
            &common::event(&event),
            &invocation(),
            &Apps::one(SDKAPPID, &client),
        )
        .await;
        assert_eq!(response.status_code, 200, "{name}: {:?}", response.body);
        assert_eq!(
            header(&response, "x-request-id"),
            Some(REQUEST_ID),
            "{name}"
        );
        let body = body_json(&response);
        assert_eq!(body, expected_body(&event), "{name}");
        let tasks = body["results"].as_array().unwrap();
        assert_eq!(tasks.len(), results, "{name}");
        for task in tasks {
            // The emulator reports every vendor channel plus online push.
            assert_eq!(
                task["platforms"].as_array().map(Vec::len),
                Some(9),
                "{name}"
            );
            assert!(
                task["delivery_rate"]
                    .as_f64()
                    .is_some_and(|r| (0.0..=1.0).contains(&r)),
                "{name}: {task}"
            );
        }
        if results == 1 {
            assert_eq!(tasks[0]["task_id"], Value::Null, "{name}");
        }
    }
    assert_eq!(emulator.stats().requests, 4);
    assert_eq!(signer.refreshes.load(Ordering::SeqCst), 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_is_answered_429_at_once_with_retry_after() {
    let Setup { emulator, .. } = setup().await;
    // The deployed retry policy as is: a retried rate limit would wait
    // about its 2 s cap before the next attempt.
    let config = deployed_config(&emulator);
    let signer = LocalSigner::new(SDKAPPID, "administrator", SecretKey::new(KEY), None);
    let client = tim::Client::new(testkit::http_client(&config), config, Arc::new(signer));
    for (fault, code, retry_after) in [
        (Fault::ErrorCode(60007), Some(60007), "1"),
        (Fault::ErrorCode(60011), Some(60011), "1"),
        (Fault::ErrorCode(60018), Some(60018), "1"),
        (Fault::ErrorCode(60019), Some(60019), "1"),
        (Fault::HttpStatus(429), None, "1"),
        (Fault::ErrorCode(70050), Some(70050), "60"),
    ] {
        emulator.reset_stats();
        emulator.inject(fault.clone(), 10);
        let started = std::time::Instant::now();
        let response = handle(
            &common::event(&fixture("get")),
            &invocation(),
            &Apps::one(SDKAPPID, &client),
        )
        .await;
        let took = started.elapsed();
        emulator.clear_faults();
        let body = body_json(&response);
        assert_eq!(response.status_code, 429, "{fault:?}: {body}");
        assert_eq!(
            header(&response, "retry-after"),
            Some(retry_after),
            "{fault:?}"
        );
        assert_eq!(body["error"]["code"], "rate_limited");
        assert_eq!(body["error"]["tencent_error_code"].as_i64(), code, "{body}");
        assert_eq!(emulator.stats().requests, 1, "{fault:?}: not retried");
        assert!(took < Duration::from_millis(900), "{fault:?}: {took:?}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn tencents_error_info_reaches_neither_the_answer_nor_the_logs_with_the_usersig() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let Setup {
        emulator,
        client,
        signer,
    } = setup().await;
    let logs = testkit_logs::Buffer::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(
            "push_stats=trace,tim=trace,tim_emulator=off",
        ))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(logs.clone()),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    // 90100: refused as malformed, so its ErrorInfo is echoed in the body.
    emulator.inject(Fault::EchoingErrorCode(90100), 1);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_rejected")),
        "{body}"
    );
    let info = body["error"]["tencent_error_info"].as_str().unwrap();
    assert!(
        info.contains("/v4/timpush/all_member_push_statistics?")
            && info.contains("usersig=<redacted>"),
        "the echo is kept, its UserSig is not: {info}"
    );
    let usersig = signer.inner.credentials().await.unwrap().usersig;
    let secret = usersig.expose_secret();
    let logged = logs.text();
    assert!(logged.contains("ErrorCode 90100"), "{logged}");
    assert!(!body.to_string().contains(secret), "{body}");
    assert!(!logged.contains(secret), "{logged}");
    emulator.shutdown().await;
}

/// Log lines captured in memory.
mod testkit_logs {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    pub struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Buffer {
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }
}

#[tokio::test]
async fn a_rejected_usersig_is_refreshed_once_and_the_call_succeeds() {
    let Setup {
        emulator,
        client,
        signer,
    } = setup().await;
    emulator.inject(Fault::ErrorCode(70001), 1);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(signer.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        emulator.stats().requests,
        2,
        "the refused request and one retry"
    );
    assert_eq!(body_json(&response), expected_body(&fixture("get")));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_usersig_rejected_again_after_the_refresh_is_upstream_auth() {
    let Setup {
        emulator,
        client,
        signer,
    } = setup().await;
    emulator.inject(Fault::ErrorCode(70001), 5);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_auth")),
        "{body}"
    );
    assert_eq!(signer.refreshes.load(Ordering::SeqCst), 1);
    let text = body.to_string();
    let usersig = signer.inner.credentials().await.unwrap().usersig;
    assert!(
        !text.contains(usersig.expose_secret()) && !text.contains(KEY),
        "no secret in the answer"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn gateway_errors_beyond_the_retries_become_502() {
    let Setup {
        emulator, client, ..
    } = setup().await;
    emulator.inject(Fault::HttpStatus(502), 10);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_error")),
        "{body}"
    );
    assert_eq!(body["error"]["request_id"], REQUEST_ID);
    assert_eq!(emulator.stats().requests, u64::from(ATTEMPTS));
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_answer_without_its_results_is_502_never_zero_pushes() {
    let Setup {
        emulator, client, ..
    } = setup().await;
    emulator.inject(Fault::Result(ResultFault::Missing), 10);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_error")),
        "{body}"
    );
    assert_eq!(
        emulator.stats().requests,
        1,
        "the caller retries, not the endpoint"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn tencent_slower_than_the_deadline_is_504() {
    let Setup {
        emulator, client, ..
    } = setup().await;
    emulator.inject(Fault::Delay(Duration::from_secs(3)), 10);
    let call = CallContext {
        request_id: REQUEST_ID.to_owned(),
        deadline: Deadline::after(Duration::from_millis(300)),
        now_unix: FIXTURE_NOW,
    };
    let response = handle(
        &common::event(&fixture("get")),
        &call,
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (504, Some("upstream_timeout")),
        "{body}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn push_not_enabled_is_a_configuration_problem_with_a_hint() {
    let Setup {
        emulator, client, ..
    } = setup().await;
    emulator.inject(Fault::ErrorCode(90045), 1);
    let response = handle(
        &common::event(&fixture("get")),
        &invocation(),
        &Apps::one(SDKAPPID, &client),
    )
    .await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_configuration"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("push is not enabled"),
        "{body}"
    );
    assert_eq!(
        emulator.stats().requests,
        1,
        "configuration problems are not retried"
    );
    emulator.shutdown().await;
}
