//! Issue 18 §4, the trail: every request leaves one log line naming who
//! asked and both request ids, and no secret.
//!
//! Only tests that install their own subscriber live in this binary. A
//! test logging with none, on another thread, could register a callsite
//! while a subscriber here is being set, and tracing would then keep that
//! callsite disabled for it: a line lost, a flaky count. So the window
//! tests are in `blame.rs`.

use crate::common;

use std::sync::{Arc, Mutex};

use crate::common::*;
use push_stats::window::RETENTION_SECS;
use push_stats::{Apps, handle};
use serde_json::{Value, json};
use tim::usersig::{Clock, FixedClock, SecretKey, SystemClock};
use tim::{ClientConfig, Endpoint, LocalSigner};
use tim_emulator::{Emulator, EmulatorConfig, Fault};
use tracing_subscriber::layer::SubscriberExt as _;

const CALLER: &str = "arn:aws:sts::123456789012:assumed-role/ops-dashboard/ops-dashboard";
const API_REQUEST_ID: &str = "Kd8x1iLmFiAEJvQ=";

/// Log lines captured in memory.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

/// The request lines (`push-stats answered|refused|failed`) among `lines`.
fn request_lines(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("push-stats "))
        })
        .collect()
}

#[tokio::test]
async fn every_request_logs_who_asked_and_both_request_ids_but_no_secret() {
    const APP: u64 = 1_400_000_000;
    const KEY: &str = "trail-test-key-0123456789abcdef";
    const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY000000/20261101/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef";
    const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";

    let emulator = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(&emulator.base_url()).unwrap()),
        retry: tim::RetryPolicy {
            max_attempts: 2,
            base_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(2),
        },
        ..ClientConfig::default()
    };
    let signer = LocalSigner::new(APP, "administrator", SecretKey::new(KEY), None)
        .with_clock(Arc::new(FixedClock(SystemClock.now_unix())));
    let usersig = tim::CredentialsProvider::credentials(&signer)
        .await
        .unwrap()
        .usersig;
    let client = tim::Client::new(testkit::http_client(&config), config, Arc::new(signer));
    let apps = Apps::one(APP, &client);

    let logs = Logs::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(
            "push_stats=trace,tim=trace,tim_emulator=off",
        ))
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_ansi(false)
                .with_writer(logs.clone()),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    let signed = |mut event: Value| {
        event["headers"]["authorization"] = json!(AUTHORIZATION);
        event["headers"]["x-amz-security-token"] = json!(SESSION_TOKEN);
        event
    };
    // 200, 400 (before Tencent), 502 (Tencent failed through the retries).
    let before = get_window(FIXTURE_NOW - RETENTION_SECS - 1, FIXTURE_NOW - 86_400);
    let answered = [(signed(fixture("get")), 200), (signed(before), 400)];
    for (event, status) in answered {
        let response = handle(&common::event(&event), &invocation(), &apps).await;
        assert_eq!(response.status_code, status, "{:?}", response.body);
    }
    emulator.inject(Fault::HttpStatus(502), 10);
    let response = handle(
        &common::event(&signed(fixture("get"))),
        &invocation(),
        &apps,
    )
    .await;
    assert_eq!(response.status_code, 502);

    let lines = logs.lines();
    let requests = request_lines(&lines);
    assert_eq!(requests.len(), 3, "one line per request: {lines:#?}");
    let expected = [
        (200, None, "push-stats answered"),
        (400, Some("window_before_retention"), "push-stats refused"),
        (502, Some("upstream_error"), "push-stats failed"),
    ];
    for (line, (status, code, message)) in requests.iter().zip(expected) {
        let fields = &line["fields"];
        assert_eq!(fields["message"], message, "{line}");
        assert_eq!(line["target"], "push_stats::caller", "{line}");
        assert_eq!(fields["caller_arn"], CALLER, "{line}");
        assert_eq!(fields["api_request_id"], API_REQUEST_ID, "{line}");
        assert_eq!(fields["request_id"], REQUEST_ID, "{line}");
        assert_eq!(fields["status"], status, "{line}");
        assert_eq!(fields["code"].as_str(), code, "{line}");
    }

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    for secret in [
        usersig.expose_secret(),
        KEY,
        AUTHORIZATION,
        "Signature=",
        SESSION_TOKEN,
        "ASIAEXAMPLEKEY000000",
    ] {
        assert!(!text.contains(secret), "{secret:?} logged: {text}");
    }
    emulator.shutdown().await;
}

/// A request without the IAM context (a test event, a misconfigured route)
/// still logs its line, with the identity marked missing rather than left out.
#[tokio::test]
async fn a_request_without_the_iam_context_says_so() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .json()
            .with_ansi(false)
            .with_writer(logs.clone()),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut event = fixture("get");
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let source = FakeSource::default();
    handle(
        &common::event(&event),
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    )
    .await;
    let lines = logs.lines();
    let requests = request_lines(&lines);
    assert_eq!(requests.len(), 1, "{lines:#?}");
    assert_eq!(requests[0]["fields"]["caller_arn"], "-");
    assert_eq!(requests[0]["fields"]["api_request_id"], API_REQUEST_ID);
}
