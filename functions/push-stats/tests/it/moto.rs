//! The deployed wiring (`lambda::Settings` → `Setup::build` → `Function::handle`)
//! with the UserSig secret in moto_server and Tencent emulated: refused
//! UserSigs, an operator's rotation, and the metrics each request emits.

use crate::common;

use std::sync::Arc;

use crate::common::*;
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_kit::metrics::{Captured, Metrics};
use lambda_kit::{Env, Function, Setup};
use push_stats::lambda::{PushStats, Settings};
use serde_json::Value;
use tim::Region;
use tim::secrets::{UserSigSecret, UserSigSecretProvider};
use tim::usersig::{SecretKey, Signer, UserSig};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

const APP: u64 = 1_400_000_000;
const KEY: &str = "moto-test-key-0123456789abcdef";
const ADMIN: &str = "administrator";
const DAY: u64 = 86_400;
const NAMESPACE: &str = "PushStatsTest";

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn rfc3339(t: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(t).unwrap(), 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A UserSig secret whose `expires_at` says 30 days, holding `usersig`.
fn secret_with(usersig: UserSig) -> UserSigSecret {
    UserSigSecret {
        sdkappid: APP,
        identifier: ADMIN.into(),
        region: Region::Singapore,
        usersig,
        issued_at: rfc3339(now()),
        expires_at: rfc3339(now() + 30 * DAY),
    }
}

fn good_usersig() -> UserSig {
    Signer::new(APP, SecretKey::new(KEY)).sign(ADMIN, 30 * DAY, now())
}

async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await)
}

async fn create_secret(sm: &aws_sdk_secretsmanager::Client, value: &UserSigSecret) -> String {
    let name = testkit::unique_name("push-stats-usersig");
    sm.create_secret()
        .name(&name)
        .secret_string(value.to_json())
        .send()
        .await
        .unwrap();
    name
}

/// What usersig-refresher's finishSecret (or an operator's
/// `put-secret-value`) amounts to: a new AWSCURRENT version.
async fn put_current(sm: &aws_sdk_secretsmanager::Client, id: &str, value: &UserSigSecret) {
    sm.put_secret_value()
        .secret_id(id)
        .secret_string(value.to_json())
        .send()
        .await
        .unwrap();
}

/// The settings the deployed function reads, against the emulator and the
/// secret `id`, with metrics captured.
fn settings(emulator: &Emulator, id: &str) -> (Settings, Captured) {
    let base_url = emulator.base_url();
    let env = Env::from_pairs([
        ("TIM_SDKAPPIDS", "1400000000"),
        ("TIM_USERSIG_SECRET_ID", id),
        ("TIM_ENDPOINT", base_url.as_str()),
        ("METRICS_NAMESPACE", NAMESPACE),
    ]);
    let mut settings = Settings::from_env(&env).unwrap();
    let (metrics, lines) = Metrics::capture(settings.metrics.namespace());
    settings.metrics = metrics;
    (settings, lines)
}

/// A client with the deployed configuration over a provider the test can
/// count reads of.
fn client_over(settings: &Settings, provider: Arc<UserSigSecretProvider>) -> tim::Client {
    tim::Client::new(
        settings.http.clone(),
        settings.client_config.clone(),
        provider,
    )
}

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap()
}

async fn get(client: &tim::Client) -> (i64, Value) {
    let response = push_stats::handle(
        &common::event(&fixture("get")),
        &invocation(),
        &push_stats::Apps::one(APP, client),
    )
    .await;
    (response.status_code, body_json(&response))
}

#[tokio::test]
async fn a_usersig_tencent_refuses_after_the_re_read_is_upstream_auth_with_tencents_code() {
    let emulator = emulator().await;
    let sm = secrets_manager().await;
    let expired_but_the_secret_says_otherwise =
        Signer::new(APP, SecretKey::new(KEY)).sign(ADMIN, DAY, now() - 2 * DAY);
    for (usersig, code) in [
        (expired_but_the_secret_says_otherwise, 70001),
        (UserSig::new("eJw-hand-edited-not-a-usersig"), 70003),
        (
            Signer::new(APP, SecretKey::new("the-old-key")).sign(ADMIN, 30 * DAY, now()),
            70009,
        ),
    ] {
        let secret = secret_with(usersig);
        let id = create_secret(&sm, &secret).await;
        let (settings, _) = settings(&emulator, &id);
        let provider = Arc::new(UserSigSecretProvider::new(sm.clone(), &id));
        let client = client_over(&settings, provider.clone());
        emulator.reset_stats();

        let (status, body) = get(&client).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (502, Some("upstream_auth")),
            "{code}: {body}"
        );
        assert_eq!(body["error"]["tencent_error_code"], code, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("UserSig secret"), "{message}");
        assert_eq!(
            provider.reads(),
            2,
            "{code}: the first read and one re-read"
        );
        assert_eq!(
            emulator.stats().requests,
            1,
            "{code}: the same UserSig is not retried"
        );
        let text = body.to_string();
        assert!(!text.contains(secret.usersig.expose_secret()) && !text.contains(KEY));

        // The next request, the secret unchanged: refused again at once,
        // without Tencent, GetSecretValue or (within REFUSAL_CHECK_SECS)
        // DescribeSecret.
        let (status, body) = get(&client).await;
        assert_eq!(
            (status, body["error"]["tencent_error_code"].as_i64()),
            (502, Some(code))
        );
        assert_eq!(
            (provider.reads(), provider.version_checks()),
            (2, 0),
            "{code}"
        );
        assert_eq!(emulator.stats().requests, 1, "{code}");
    }
    emulator.shutdown().await;
}

/// A clock the test moves.
struct Moving(std::sync::atomic::AtomicU64);

impl tim::usersig::Clock for Moving {
    fn now_unix(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_usersig_the_operator_puts_after_a_refusal_serves_after_the_next_check() {
    let emulator = emulator().await;
    let sm = secrets_manager().await;
    let refused =
        secret_with(Signer::new(APP, SecretKey::new("the-old-key")).sign(ADMIN, 30 * DAY, now()));
    let id = create_secret(&sm, &refused).await;
    let (settings, _) = settings(&emulator, &id);
    let clock = Arc::new(Moving(now().into()));
    let provider = Arc::new(UserSigSecretProvider::new(sm.clone(), &id).with_clock(clock.clone()));
    let client = client_over(&settings, provider.clone());

    let (status, body) = get(&client).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("upstream_auth"))
    );
    assert_eq!(provider.reads(), 2);

    // The operator fixes it; the next DescribeSecret, at most
    // REFUSAL_CHECK_SECS later, sees the new version.
    let fixed = secret_with(good_usersig());
    put_current(&sm, &id, &fixed).await;
    emulator.reset_stats();
    clock.0.fetch_add(
        UserSigSecretProvider::REFUSAL_CHECK_SECS,
        std::sync::atomic::Ordering::SeqCst,
    );
    let (status, body) = get(&client).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(emulator.stats().requests, 1, "only the new UserSig is sent");
    assert_eq!((provider.reads(), provider.version_checks()), (3, 1));

    // And it stays: no refusal, no read.
    let (status, _) = get(&client).await;
    assert_eq!(status, 200);
    assert_eq!(provider.reads(), 3);
    emulator.shutdown().await;
}

/// The metrics documents in `lines`, checked against the EMF specification
/// and infra/metrics.json.
fn documents(lines: &Captured) -> Vec<Value> {
    let output = lines.take().join("\n");
    testkit::emf::check_output(&output, "push-stats", NAMESPACE)
}

async fn invoke(function: &PushStats, event: Value) -> ApiGatewayV2httpResponse {
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    let invocation = lambda_kit::Invocation {
        request_id: REQUEST_ID.to_owned(),
        deadline_ms: now_ms + 10_000,
        cold_start: false,
    };
    function
        .handle(common::event(&event), &invocation)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_request_reports_its_status_class_and_upstream_latency() {
    let emulator = emulator().await;
    let sm = secrets_manager().await;
    let id = create_secret(&sm, &secret_with(good_usersig())).await;
    let (settings, lines) = settings(&emulator, &id);
    let function = settings.build(&testkit::moto().sdk_config().await).await;

    // 200: Tencent called; the first use of the UserSig reports its hours.
    let started = std::time::Instant::now();
    assert_eq!(invoke(&function, fixture("get")).await.status_code, 200);
    let wall_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let docs = documents(&lines);
    let hours: Vec<f64> = docs
        .iter()
        .filter_map(|d| d["UserSigHoursLeft"].as_f64())
        .collect();
    assert_eq!(hours.len(), 1, "{docs:?}");
    assert!((719.0..=720.0).contains(&hours[0]), "{hours:?}");
    let requests: Vec<&Value> = docs
        .iter()
        .filter(|d| d.get("Requests").is_some())
        .collect();
    assert_eq!(requests.len(), 1, "{docs:?}");
    assert_eq!(requests[0]["StatusClass"], "2xx");
    assert_eq!(requests[0]["Requests"], 1);
    let latency = requests[0]["UpstreamLatency"].as_f64().unwrap();
    assert!(
        latency > 0.0 && latency <= wall_ms,
        "{latency} ms of {wall_ms} ms"
    );

    // 400: refused before Tencent: no latency.
    assert_eq!(
        invoke(&function, fixture("bad-request")).await.status_code,
        400
    );
    let docs = documents(&lines);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(
        (
            docs[0]["StatusClass"].as_str(),
            docs[0]["Requests"].as_i64()
        ),
        (Some("4xx"), Some(1))
    );
    assert!(docs[0].get("UpstreamLatency").is_none(), "{}", docs[0]);

    // 429 (Tencent's rate limit) is a 4xx that did call Tencent.
    emulator.inject(Fault::ErrorCode(60007), 1);
    assert_eq!(invoke(&function, fixture("get")).await.status_code, 429);
    let docs = documents(&lines);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["StatusClass"], "4xx");
    assert!(docs[0]["UpstreamLatency"].as_f64().is_some(), "{}", docs[0]);

    // 5xx: Tencent failed through the retries.
    emulator.inject(Fault::HttpStatus(502), 10);
    assert_eq!(invoke(&function, fixture("get")).await.status_code, 502);
    let docs = documents(&lines);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(
        (
            docs[0]["StatusClass"].as_str(),
            docs[0]["Requests"].as_i64()
        ),
        (Some("5xx"), Some(1))
    );
    assert!(
        docs[0]["UpstreamLatency"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0),
        "{}",
        docs[0]
    );
    // One dimension set, shared by both metrics.
    assert_eq!(
        docs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([["StatusClass"]])
    );
    emulator.shutdown().await;
}
