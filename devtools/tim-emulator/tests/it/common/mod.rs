//! Set-up shared by the emulator's HTTP tests: an emulator at a fixed
//! clock, admin UserSigs, conforming calls and their variations.
#![allow(dead_code)] // each test module uses its own subset

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::Value;
use tim::usersig::{FixedClock, SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};

pub const APP: u64 = 1_400_000_000;
pub const KEY: &str = "emulator-test-key-0123456789abcdef";
/// 2026-05-28T20:26:40Z: "today" is 2026-05-28, so days run 05-27 back to 04-28.
pub const NOW: u64 = 1_780_000_000;
pub const APPINFO: &str = "openconfigsvr/getappinfo";
pub const PUSH: &str = "timpush/all_member_push_statistics";
pub const DAY: i64 = 86_400;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub async fn start() -> Emulator {
    start_with(EmulatorConfig::default().with_app(APP, KEY)).await
}

pub async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_clock(Arc::new(FixedClock(NOW))))
        .await
        .unwrap()
}

pub fn sign(sdkappid: u64, key: &str, identifier: &str, expire: u64, time: u64) -> String {
    Signer::new(sdkappid, SecretKey::new(key))
        .sign(identifier, expire, time)
        .expose_secret()
        .to_owned()
}

pub fn admin_sig() -> String {
    sign(APP, KEY, "admin", 86_400, NOW)
}

/// The query of a conforming call, as (name, value) pairs to tamper with.
pub fn good_params(usersig: &str) -> Vec<(String, String)> {
    [
        ("sdkappid", APP.to_string()),
        ("identifier", "admin".to_owned()),
        ("usersig", usersig.to_owned()),
        ("random", "3141592653".to_owned()),
        ("contenttype", "json".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub fn url_with(emu: &Emulator, command: &str, params: &[(String, String)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&format!("{}/v4/{command}", emu.base_url())).unwrap();
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url
}

pub async fn post_raw(
    client: &reqwest::Client,
    url: reqwest::Url,
    body: &str,
) -> reqwest::Response {
    client.post(url).body(body.to_owned()).send().await.unwrap()
}

/// POST with the given params; asserts HTTP 200 and returns the JSON body.
pub async fn post_json(
    client: &reqwest::Client,
    emu: &Emulator,
    command: &str,
    params: &[(String, String)],
    body: &str,
) -> Value {
    let response = post_raw(client, url_with(emu, command, params), body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn call(client: &reqwest::Client, emu: &Emulator, command: &str, body: Value) -> Value {
    post_json(
        client,
        emu,
        command,
        &good_params(&admin_sig()),
        &body.to_string(),
    )
    .await
}

pub fn assert_fail(answer: &Value, code: i64) {
    assert_eq!(answer["ErrorCode"], code, "{answer}");
    assert_eq!(answer["ActionStatus"], "FAIL", "{answer}");
    assert!(
        answer["ErrorInfo"].as_str().is_some_and(|s| !s.is_empty()),
        "{answer}"
    );
}

pub fn with_param(
    params: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<_> = params.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(value) = value {
        out.push((name.to_owned(), value.to_owned()));
    }
    out
}
