//! Issue 18 §4, the blame: a window Tencent cannot answer (older than it
//! keeps, or in the future, by API Gateway's time of the request, else the
//! invocation's clock) is the caller's 400 with the bound, decided before
//! Tencent is called. The log line each request leaves is checked in
//! `trail.rs`.

use crate::common;

use std::sync::Arc;

use crate::common::*;
use push_stats::window::{CLOCK_SKEW_SECS, RETENTION_SECS};
use push_stats::{Apps, handle};
use serde_json::json;
use tim::usersig::{Clock, FixedClock, SecretKey, SystemClock};
use tim::{ClientConfig, Endpoint, LocalSigner};
use tim_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn windows_tencent_cannot_answer_are_400_with_the_bound_and_nobody_is_asked() {
    let now = FIXTURE_NOW; // the fixtures' requestContext.timeEpoch
    let oldest = now - RETENTION_SECS;
    let cases = [
        (
            get_window(oldest - 1, oldest + 86_400),
            "window_before_retention",
            "start",
            oldest,
        ),
        (
            get_window(now - 86_400, now + CLOCK_SKEW_SECS + 1),
            "window_in_future",
            "end",
            now,
        ),
        (
            post_with_body(&json!({"start": oldest - 3_600, "end": oldest + 3_600}).to_string()),
            "window_before_retention",
            "start",
            oldest,
        ),
    ];
    for (event, code, parameter, bound) in cases {
        let source = FakeSource::default();
        let response = handle(
            &common::event(&event),
            &invocation(),
            &Apps::one(FAKE_APP, &source),
        )
        .await;
        let body = body_json(&response);
        assert_eq!(response.status_code, 400, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["parameter"], parameter, "{body}");
        assert_eq!(body["error"]["bound"], bound, "{body}");
        assert_eq!(
            body["error"]["bound_iso"],
            push_stats::window::to_iso(bound),
            "{body}"
        );
        assert!(source.calls().is_empty(), "{code}: Tencent not asked");
    }

    // The limits themselves pass.
    let source = FakeSource::default();
    let event = get_window(oldest + CLOCK_SKEW_SECS, now + CLOCK_SKEW_SECS);
    let response = handle(
        &common::event(&event),
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    )
    .await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    let event = get_window(oldest, oldest + 86_400);
    let response = handle(
        &common::event(&event),
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    )
    .await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(source.calls().len(), 2);
}

#[tokio::test]
async fn without_api_gateways_time_the_invocations_clock_decides() {
    let mut event = get_window(FIXTURE_NOW - 86_400, FIXTURE_NOW);
    event["requestContext"]["timeEpoch"] = json!(0);
    let source = FakeSource::default();
    let apps = Apps::one(FAKE_APP, &source);
    let response = handle(&common::event(&event), &invocation(), &apps).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);

    // Two days later, that end is fine but the start of a 30-day window is not.
    let mut later = invocation();
    later.now_unix = FIXTURE_NOW + 2 * 86_400;
    let mut event = get_window(FIXTURE_NOW - 29 * 86_400, FIXTURE_NOW);
    event["requestContext"]["timeEpoch"] = json!(0);
    let body = body_json(&handle(&common::event(&event), &later, &apps).await);
    assert_eq!(body["error"]["code"], "window_before_retention", "{body}");
    assert_eq!(body["error"]["bound"], later.now_unix - RETENTION_SECS);
    assert_eq!(source.calls().len(), 1, "the refused one asked nobody");
}

/// The real client and the emulator: the refusal costs no Tencent request,
/// where Tencent's own refusal used to become a 502.
#[tokio::test]
async fn a_window_before_retention_never_reaches_tencent() {
    const APP: u64 = 1_400_000_000;
    const KEY: &str = "blame-test-key-0123456789abcdef";
    let emulator = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(&emulator.base_url()).unwrap()),
        ..ClientConfig::default()
    };
    let signer = LocalSigner::new(APP, "administrator", SecretKey::new(KEY), None)
        .with_clock(Arc::new(FixedClock(SystemClock.now_unix())));
    let client = tim::Client::new(testkit::http_client(&config), config, Arc::new(signer));
    let event = get_window(FIXTURE_NOW - RETENTION_SECS - 86_400, FIXTURE_NOW - 86_400);
    let response = handle(
        &common::event(&event),
        &invocation(),
        &Apps::one(APP, &client),
    )
    .await;
    assert_eq!(response.status_code, 400, "{:?}", response.body);
    assert_eq!(emulator.stats().requests, 0);
    emulator.shutdown().await;
}
