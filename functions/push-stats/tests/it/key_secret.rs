//! Issue 17 §6: push-stats with `TIM_KEY_SECRET_ID` (UserSigs signed
//! locally from the key secret in moto_server), Tencent emulated. A refused
//! UserSig is re-signed and the request retried once, so the caller gets
//! its 200 after exactly two Tencent requests.

use crate::common;

use std::sync::Arc;

use crate::common::*;
use lambda_kit::{Env, Function, Setup};
use push_stats::lambda::Settings;
use tim::secrets::KeySecretProvider;
use tim::usersig::{Clock, FixedClock, SystemClock};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

const APP: u64 = 1_400_000_000;
const KEY: &str = "key-secret-test-key-0123456789abcdef";

async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await)
}

/// A key secret as the operator creates it; returns its name.
async fn create_key_secret(sm: &aws_sdk_secretsmanager::Client) -> String {
    let name = testkit::unique_name("push-stats-key");
    let value = serde_json::json!({
        "sdkappid": APP, "identifier": "administrator", "key": KEY, "region": "singapore",
    });
    sm.create_secret()
        .name(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
    name
}

fn settings(emulator: &Emulator, key_secret: &str) -> Settings {
    let base_url = emulator.base_url();
    Settings::from_env(&Env::from_pairs([
        ("TIM_SDKAPPIDS", "1400000000"),
        ("TIM_KEY_SECRET_ID", key_secret),
        ("TIM_ENDPOINT", base_url.as_str()),
    ]))
    .unwrap()
}

/// The deployed wiring, as Lambda runs it: `Settings::from_env` →
/// `Setup::build` → `Function::handle`.
#[tokio::test]
async fn a_refused_usersig_signed_from_the_key_secret_is_re_signed_and_answered_200() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let id = create_key_secret(&secrets_manager().await).await;
    let settings = settings(&emulator, &id);
    let function = settings.build(&testkit::moto().sdk_config().await).await;

    emulator.inject(Fault::ErrorCode(70001), 1);
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    let invocation = lambda_kit::Invocation {
        request_id: REQUEST_ID.to_owned(),
        deadline_ms: now_ms + 10_000,
        cold_start: true,
    };
    let response = function
        .handle(common::event(&fixture("get")), &invocation)
        .await
        .unwrap();
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(
        emulator.stats().requests,
        2,
        "the refused request and one retry with the re-signed UserSig"
    );
    emulator.shutdown().await;
}

/// The same with the signing clock standing still, so the re-sign surely
/// falls in the second the refused UserSig was signed in (where signing
/// anew would repeat it byte for byte).
#[tokio::test]
async fn the_re_sign_in_the_same_second_is_a_new_usersig() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let id = create_key_secret(&sm).await;
    let settings = settings(&emulator, &id);
    let provider = Arc::new(
        KeySecretProvider::new(sm, &id).with_clock(Arc::new(FixedClock(SystemClock.now_unix()))),
    );
    let client = tim::Client::new(
        settings.http.clone(),
        settings.client_config.clone(),
        provider.clone(),
    );
    let apps = push_stats::Apps::one(APP, &client);

    emulator.inject(Fault::ErrorCode(70001), 1);
    let response = push_stats::handle(&common::event(&fixture("get")), &invocation(), &apps).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(emulator.stats().requests, 2);
    assert_eq!(
        provider.reads(),
        2,
        "the key, then once more after the refusal"
    );

    // Refused again after the re-sign: 502 upstream_auth after two requests.
    emulator.reset_stats();
    emulator.inject(Fault::ErrorCode(70001), 2);
    let response = push_stats::handle(&common::event(&fixture("get")), &invocation(), &apps).await;
    let body = body_json(&response);
    assert_eq!(
        (response.status_code, body["error"]["code"].as_str()),
        (502, Some("upstream_auth")),
        "{body}"
    );
    assert_eq!(body["error"]["tencent_error_code"], 70001);
    assert_eq!(emulator.stats().requests, 2);
    emulator.shutdown().await;
}
