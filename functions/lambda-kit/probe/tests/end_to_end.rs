//! lambda_kit end to end: the probe function (src/main.rs) run as Lambda
//! runs it, against a Runtime API on loopback, with JSON logs at TRACE.
//!
//! These run the test build of the probe; `LAMBDA_KIT_PROBE_BIN` runs them
//! against another, e.g. the release build (`cargo build --release -p
//! lambda-kit-probe`), which is what proves a panic is caught with the
//! release profile:
//!
//! ```sh
//! cargo build --release -p lambda-kit-probe
//! LAMBDA_KIT_PROBE_BIN=$PWD/target/release/lambda-kit-probe cargo test -p lambda-kit-probe
//! ```

mod support;

use serde_json::{Value, json};
use support::{RuntimeApi, spawn_probe};

const ROTATION_TOKEN: &str = "rotation-token-4f1c9a";
const USERSIG: &str = "eJwtzF1vgjAUBuC-QnPpqjsmbj-usersig";
const PANIC_TEXT: &str = "panicked holding key 7bd3e0";

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

fn line_with<'a>(lines: &'a [Value], message: &str, request_id: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["message"] == message && l["requestId"] == request_id)
        .unwrap_or_else(|| panic!("no {message:?} line for {request_id}: {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_reported_and_the_same_process_serves_the_next_event() {
    let mut api = RuntimeApi::start().await;
    let probe = spawn_probe(api.address, &[("PROBE_SETTING", "x".into())]);

    api.invoke(
        "req-1",
        json!({"action": "log", "sdkappid": 1_400_000_001_u64, "RotationToken": ROTATION_TOKEN}),
    );
    let first = api.next_post().await;
    assert_eq!(first.path, "/2018-06-01/runtime/invocation/req-1/response");
    let pid = first.body["pid"].clone();
    assert!(pid.is_u64(), "{first:?}");

    api.invoke("req-2", json!({"action": "panic", "text": PANIC_TEXT}));
    let panicked = api.next_post().await;
    assert_eq!(panicked.path, "/2018-06-01/runtime/invocation/req-2/error");
    assert_eq!(panicked.body["errorType"], "Panic", "{panicked:?}");
    assert_eq!(
        panicked.body["errorMessage"],
        "the handler panicked; the function's log has the detail under requestId req-2"
    );

    api.invoke("req-3", json!({"action": "log", "sdkappid": 7}));
    let third = api.next_post().await;
    assert_eq!(third.path, "/2018-06-01/runtime/invocation/req-3/response");
    assert_eq!(
        third.body["pid"], pid,
        "a new process answered after the panic"
    );

    let (stdout, stderr) = probe.finish();
    let lines = json_lines(&stdout);
    for line in &lines {
        for key in ["timestamp", "level", "message"] {
            assert!(line[key].is_string(), "{key}: {line}");
        }
    }
    // The release that runs, once per cold start: the workspace's version.
    let starting: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "starting")
        .collect();
    assert_eq!(starting.len(), 1, "{lines:#?}");
    assert_eq!(starting[0]["version"], env!("CARGO_PKG_VERSION"));
    let handled = line_with(&lines, "probe handled", "req-1");
    assert_eq!(
        (
            &handled["level"],
            &handled["cold_start"],
            &handled["sdkappid"]
        ),
        (&json!("INFO"), &json!(true), &json!(1_400_000_001_u64))
    );
    assert_eq!(
        line_with(&lines, "probe handled", "req-3")["cold_start"],
        false
    );
    let panic_line = line_with(&lines, "the handler panicked", "req-2");
    assert_eq!(
        (
            &panic_line["level"],
            &panic_line["error_type"],
            &panic_line["panic"]
        ),
        (&json!("ERROR"), &json!("Panic"), &json!(PANIC_TEXT))
    );
    assert!(
        !stdout.contains(ROTATION_TOKEN),
        "the raw event was logged: {stdout}"
    );
    assert!(!stderr.contains(ROTATION_TOKEN), "{stderr}");
    let hook_line = line_with(&lines, "panicked", "req-2");
    assert_eq!(
        (&hook_line["level"], &hook_line["panic"]),
        (&json!("ERROR"), &json!(PANIC_TEXT))
    );
    assert!(
        hook_line["location"]
            .as_str()
            .is_some_and(|at| at.contains("main.rs")),
        "{hook_line}"
    );
    // Every panic line is JSON on stdout: no plain-text panic on stderr.
    assert!(!stderr.contains(PANIC_TEXT), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_manager_bodies_stay_out_of_the_logs_at_trace() {
    let moto = testkit::moto();
    let mut api = RuntimeApi::start().await;
    let mut env = vec![("PROBE_SETTING", "x".to_owned())];
    env.extend(moto.env());
    let probe = spawn_probe(api.address, &env);

    let secret_id = testkit::unique_name("lambda-kit-probe");
    api.invoke(
        "req-s",
        json!({"action": "secret", "secret_id": secret_id, "value": USERSIG}),
    );
    let answer = api.next_post().await;
    assert_eq!(
        (answer.path.as_str(), &answer.body),
        (
            "/2018-06-01/runtime/invocation/req-s/response",
            &json!({"read_back": true})
        )
    );
    let (stdout, stderr) = probe.finish();
    // The SDK's own TRACE lines ran (their INFO and above are kept), but
    // none with a body.
    assert!(
        !stdout.contains(USERSIG),
        "a UserSig reached the logs: {stdout}"
    );
    assert!(!stderr.contains(USERSIG), "{stderr}");
    json_lines(&stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_error_is_reported_to_the_init_error_endpoint() {
    let mut api = RuntimeApi::start().await;
    let mut probe = spawn_probe(api.address, &[]);

    let report = api.next_post().await;
    assert_eq!(report.path, "/2018-06-01/runtime/init/error");
    assert_eq!(report.error_type_header.as_deref(), Some("ConfigError"));
    assert_eq!(report.body["errorType"], "ConfigError");
    let message = report.body["errorMessage"].as_str().unwrap_or_default();
    assert!(message.starts_with("PROBE_SETTING: "), "{message}");
    assert!(!probe.exit_status().success());
    let (stdout, _) = probe.finish();
    let lines = json_lines(&stdout);
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "cannot start" && l["error_type"] == "ConfigError"),
        "{stdout}"
    );
}

/// The release profile (what `cargo lambda build --release` and `sam
/// build` use) must unwind: with `panic = "abort"` no panic can be caught.
#[test]
fn the_release_profile_unwinds() {
    let manifest = include_str!("../../../../Cargo.toml");
    let release = manifest
        .split("\n[")
        .find(|section| section.starts_with("profile.release]"))
        .expect("a [profile.release] section");
    let panic_settings: Vec<&str> = release
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("panic"))
        .collect();
    assert_eq!(panic_settings, ["panic = \"unwind\""], "{release}");
}
