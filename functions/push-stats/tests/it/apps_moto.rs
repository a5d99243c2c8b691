//! Several apps through the deployed wiring (`lambda::Settings` →
//! `Setup::build` → `Function::handle`): UserSig secrets in moto_server,
//! Tencent emulated. Each request reaches Tencent as the app it names, the
//! 200 body says which, and one app's unreadable (or another app's) secret
//! costs the others nothing.

use crate::common;

use crate::common::*;
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_kit::metrics::Metrics;
use lambda_kit::{Env, Function, Setup};
use push_stats::lambda::{PushStats, Settings};
use serde_json::{Value, json};
use tim::Region;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};

const A: u64 = 1_400_000_001;
const B: u64 = 1_400_000_002;
/// An app with a readable secret that the emulated Tencent does not know.
const C: u64 = 1_400_000_003;
const DAY: u64 = 86_400;
const ADMIN: &str = "administrator";
const NAMESPACE: &str = "PushStatsAppsTest";

fn key_of(app: u64) -> String {
    format!("key-of-{app}-0123456789abcdef")
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn rfc3339(t: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(t).unwrap(), 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A name pattern no other test's secrets match.
fn unique_pattern() -> String {
    format!(
        "{}/{{sdkappid}}",
        testkit::unique_name("push-stats-usersig")
    )
}

/// The UserSig secret usersig-refresher would have written for `app`,
/// stored under `pattern`'s name for `under`.
async fn usersig_secret(sm: &aws_sdk_secretsmanager::Client, pattern: &str, under: u64, app: u64) {
    let value = UserSigSecret {
        sdkappid: app,
        identifier: ADMIN.into(),
        region: Region::Singapore,
        usersig: Signer::new(app, SecretKey::new(key_of(app))).sign(ADMIN, 30 * DAY, now()),
        issued_at: rfc3339(now()),
        expires_at: rfc3339(now() + 30 * DAY),
    };
    let name = pattern.replace("{sdkappid}", &under.to_string());
    let create = sm.create_secret().name(name).secret_string(value.to_json());
    create.send().await.unwrap();
}

/// The deployed function serving `sdkappids` from `pattern`'s secrets.
async fn function(
    emulator: &Emulator,
    sdkappids: &str,
    pattern: &str,
) -> (PushStats, lambda_kit::metrics::Captured) {
    let base_url = emulator.base_url();
    let env = Env::from_pairs([
        ("TIM_SDKAPPIDS", sdkappids),
        ("TIM_USERSIG_SECRET_ID", pattern),
        ("TIM_ENDPOINT", base_url.as_str()),
        ("METRICS_NAMESPACE", NAMESPACE),
    ]);
    let mut settings = Settings::from_env(&env).unwrap();
    let (metrics, lines) = Metrics::capture(settings.metrics.namespace());
    settings.metrics = metrics;
    let function = settings.build(&testkit::moto().sdk_config().await).await;
    (function, lines)
}

async fn invoke(function: &PushStats, event: Value) -> (i64, Value) {
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    let invocation = lambda_kit::Invocation {
        request_id: REQUEST_ID.to_owned(),
        deadline_ms: now_ms + 10_000,
        cold_start: false,
    };
    let response: ApiGatewayV2httpResponse = function
        .handle(common::event(&event), &invocation)
        .await
        .unwrap();
    (response.status_code, body_json(&response))
}

fn get(sdkappid: u64) -> Value {
    get_with_query(&format!(
        "sdkappid={sdkappid}&start=2026-10-25&end=2026-11-01&task_id=a1b2c3d4-push-001"
    ))
}

fn post(sdkappid: Value) -> Value {
    post_with_body(
        &json!({"sdkappid": sdkappid, "start": "2026-10-25", "end": "2026-11-01"}).to_string(),
    )
}

#[tokio::test]
async fn each_request_reaches_tencent_as_the_app_it_names() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_app(A, key_of(A))
            .with_app(B, key_of(B)),
    )
    .await
    .unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await);
    let pattern = unique_pattern();
    for app in [A, B, C] {
        usersig_secret(&sm, &pattern, app, app).await;
    }
    let (function, lines) = function(&emulator, &format!("{A},{B},{C}"), &pattern).await;

    let mut totals = Vec::new();
    for (event, app) in [
        (get(A), A),
        (get(B), B),
        (post(json!(B)), B),
        (post(json!(A.to_string())), A),
    ] {
        let (status, body) = invoke(&function, event.clone()).await;
        assert_eq!(status, 200, "{event}: {body}");
        assert_eq!(body["sdkappid"], json!(app), "{body}");
        totals.push((app, body["results"][0]["total"].clone()));
    }
    assert_eq!(emulator.stats().requests, 4);
    assert_eq!(
        emulator
            .stats()
            .calls_of("timpush/all_member_push_statistics", A),
        2
    );
    assert_eq!(
        emulator
            .stats()
            .calls_of("timpush/all_member_push_statistics", B),
        2
    );
    // The emulator's numbers depend on the app: each body has its own app's.
    let first_total = |app: u64| {
        totals
            .iter()
            .find(|(a, t)| *a == app && t.is_u64())
            .map(|(_, t)| t.clone())
    };
    assert_ne!(first_total(A), first_total(B), "{totals:?}");

    // C's secret reads, but Tencent knows no app C: the emulator refusing
    // SDKAppID C (60006) shows the request went out as C, not as A or B.
    let (status, body) = invoke(&function, get(C)).await;
    assert_eq!(
        (status, body["error"]["tencent_error_code"].as_i64()),
        (502, Some(60006)),
        "{body}"
    );

    // The two 400s, without a call to Tencent.
    emulator.reset_stats();
    for (event, code) in [
        (fixture("get"), "sdkappid_required"),
        (fixture("post"), "sdkappid_required"),
        (get(7), "unknown_sdkappid"),
        (post(json!("1400000009")), "unknown_sdkappid"),
    ] {
        let (status, body) = invoke(&function, event.clone()).await;
        assert_eq!(
            (
                status,
                body["error"]["code"].as_str(),
                body["error"]["parameter"].as_str()
            ),
            (400, Some(code), Some("sdkappid")),
            "{event}: {body}"
        );
    }
    assert_eq!(emulator.stats().requests, 0);

    // Every document is valid EMF of infra/metrics.json; the UserSig hours
    // are reported per app, under that app's SDKAppID.
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "push-stats", NAMESPACE);
    let mut reported: Vec<u64> = docs
        .iter()
        .filter(|d| d.get("UserSigHoursLeft").is_some())
        .filter_map(|d| d["SDKAppID"].as_str()?.parse().ok())
        .collect();
    reported.sort_unstable();
    reported.dedup();
    assert_eq!(reported, [A, B, C], "{docs:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unreadable_or_wrong_secret_costs_the_other_app_nothing() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(A, key_of(A)))
        .await
        .unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await);
    // B's secret was never created; C's holds A's credentials.
    let pattern = unique_pattern();
    usersig_secret(&sm, &pattern, A, A).await;
    usersig_secret(&sm, &pattern, C, A).await;
    let (function, _) = function(&emulator, &format!("{B},{A},{C}"), &pattern).await;

    let (status, body) = invoke(&function, get(A)).await;
    assert_eq!((status, &body["sdkappid"]), (200, &json!(A)), "{body}");

    for app in [B, C] {
        let (status, body) = invoke(&function, get(app)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (502, Some("credentials_unavailable")),
            "{app}: {body}"
        );
    }
    assert_eq!(emulator.stats().requests, 1, "C is not asked as A");
    // An id not configured is the caller's mistake, whatever the secrets do.
    let (status, body) = invoke(&function, get(7)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_sdkappid"))
    );

    // And A keeps answering.
    let (status, _) = invoke(&function, post(json!(A))).await;
    assert_eq!(status, 200);
    emulator.shutdown().await;
}
