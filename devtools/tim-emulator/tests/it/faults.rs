//! Injected faults over real HTTP: error codes consumed in order and by
//! command, HTTP statuses and broken bodies, delays.

use std::time::Duration;

use serde_json::{Value, json};
use tim_emulator::Fault;

use crate::common::*;

#[tokio::test]
async fn error_code_faults_are_consumed_in_order_and_by_command() {
    let emu = start().await;
    let client = reqwest::Client::new();
    emu.inject_for(PUSH, Fault::ErrorCode(90102), 1);
    emu.inject(Fault::ErrorCode(60007), 2);
    let push_body = json!({"StartTime": NOW as i64 - DAY, "EndTime": NOW});

    // The getappinfo call skips the push-only fault and takes the next one.
    assert_fail(&call(&client, &emu, APPINFO, json!({})).await, 60007);
    assert_fail(&call(&client, &emu, PUSH, push_body.clone()).await, 90102);
    assert_fail(&call(&client, &emu, PUSH, push_body.clone()).await, 60007);
    assert_eq!(
        call(&client, &emu, PUSH, push_body.clone()).await["ErrorCode"],
        0
    );
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );

    emu.inject(Fault::ErrorCode(60007), 5);
    assert_eq!(emu.pending_faults().len(), 1);
    emu.clear_faults();
    assert!(emu.pending_faults().is_empty());
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );
    // Faults answer before any check: even an unsigned request gets them.
    emu.inject(Fault::ErrorCode(60007), 1);
    let unsigned = post_json(&client, &emu, APPINFO, &[], "{}").await;
    assert_fail(&unsigned, 60007);
}

#[tokio::test]
async fn http_status_and_body_faults() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let url = url_with(&emu, APPINFO, &good_params(&admin_sig()));

    emu.inject_for(APPINFO, Fault::HttpStatus(502), 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));

    emu.inject(Fault::NonJsonBody, 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let full = post_raw(&client, url.clone(), "{}")
        .await
        .bytes()
        .await
        .unwrap();
    emu.inject(Fault::TruncatedBody, 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some((full.len() / 2) as u64));
    let truncated = response.bytes().await.unwrap();
    assert_eq!(&truncated[..], &full[..full.len() / 2]);
    assert!(serde_json::from_slice::<Value>(&truncated).is_err());

    // The framing stayed correct: the same connection answers normally after.
    let after = post_raw(&client, url, "{}").await.bytes().await.unwrap();
    assert_eq!(after, full);
    assert_eq!(emu.stats().connections, 1);
}

#[tokio::test]
async fn delay_fault_outlasts_a_client_timeout_then_answers_normally() {
    let emu = start().await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let patient = reqwest::Client::new();
    let url = url_with(&emu, APPINFO, &good_params(&admin_sig()));
    emu.inject(Fault::Delay(Duration::from_millis(600)), 1);
    let err = impatient
        .post(url.clone())
        .body("{}")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(emu.pending_faults().is_empty(), "the delay was used up");

    // The delayed answer is the normal one, however long it took.
    emu.inject(Fault::Delay(Duration::from_millis(20)), 1);
    let answer: Value = patient
        .post(url)
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["Result"].as_array().unwrap().len(), 30);
    assert_eq!(emu.stats().requests, 2);
}
