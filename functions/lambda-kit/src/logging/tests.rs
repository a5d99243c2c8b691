use std::io;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tracing::Level;

use super::*;

/// Lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Captured {
        self.clone()
    }
}

fn settings(pairs: &[(&str, &str)]) -> LogSettings {
    LogSettings::from_env(&Env::from_pairs(pairs.iter().copied()))
}

/// Runs `log` under the subscriber `pairs` configure; returns what it wrote.
fn capture(pairs: &[(&str, &str)], log: impl FnOnce()) -> Captured {
    let captured = Captured::default();
    tracing::subscriber::with_default(subscriber(&settings(pairs), captured.clone()), log);
    captured
}

/// The spans an invocation runs in: `lambda_runtime`'s own (the real
/// function, so its field names are the runtime's) and lambda_kit's.
fn in_invocation(request_id: &str, cold_start: bool, log: impl FnOnce()) {
    let mut context = lambda_runtime::Context::default();
    context.request_id = request_id.into();
    let runtime = lambda_runtime::layers::trace::request_span(&context);
    let _runtime = runtime.enter();
    let kit = tracing::info_span!("invocation", cold_start);
    let _kit = kit.enter();
    log();
}

#[test]
fn the_level_comes_from_lambda_then_rust_log_then_info() {
    assert_eq!(settings(&[]).directives, "info");
    assert!(!settings(&[]).json);
    assert_eq!(
        settings(&[("RUST_LOG", "tim=debug")]).directives,
        "tim=debug"
    );
    let lambda = settings(&[
        ("AWS_LAMBDA_LOG_LEVEL", "DEBUG"),
        ("RUST_LOG", "tim=trace"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ]);
    assert_eq!(
        lambda,
        LogSettings {
            json: true,
            directives: "debug".into(),
        }
    );
    assert_eq!(
        settings(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]).directives,
        "error"
    );
}

#[test]
fn a_json_line_has_its_fields_and_the_invocation_s_at_the_top_level() {
    let captured = capture(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")], || {
        tracing::info!("before any invocation");
        in_invocation("req-1", true, || {
            tracing::info!(sdkappid = 1_400_000_000_u64, days_written = 3, "pulled");
        });
        in_invocation("req-2", false, || {
            tracing::warn!(
                error_type = "Throttled",
                code = 70_398,
                step = "fetch",
                "retrying"
            );
        });
    });
    let lines = captured.json_lines();
    assert_eq!(lines.len(), 3, "{}", captured.text());
    for line in &lines {
        assert!(
            line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
    }
    assert_eq!(lines[0]["message"], "before any invocation");
    assert_eq!(lines[0]["level"], "INFO");
    assert_eq!(lines[0].get("requestId"), None);
    assert_eq!(lines[0].get("cold_start"), None);

    let mut first = lines[1].clone();
    first.as_object_mut().unwrap().remove("timestamp");
    assert_eq!(
        first,
        json!({
            "level": "INFO",
            "message": "pulled",
            "requestId": "req-1",
            "cold_start": true,
            "sdkappid": 1_400_000_000_u64,
            "days_written": 3,
            "target": "lambda_kit::logging::tests",
        })
    );
    assert_eq!(lines[2]["level"], "WARN");
    assert_eq!(lines[2]["requestId"], "req-2");
    assert_eq!(lines[2]["cold_start"], false);
    assert_eq!(
        (
            &lines[2]["error_type"],
            &lines[2]["code"],
            &lines[2]["step"]
        ),
        (&json!("Throttled"), &json!(70_398), &json!("fetch"))
    );
}

#[test]
fn an_error_only_level_still_gives_each_line_its_request_id() {
    let captured = capture(
        &[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
        ],
        || {
            in_invocation("req-3", false, || {
                tracing::info!("dropped");
                tracing::error!("kept");
            });
        },
    );
    let lines = captured.json_lines();
    assert_eq!(lines.len(), 1, "{}", captured.text());
    assert_eq!(
        (&lines[0]["message"], &lines[0]["requestId"]),
        (&json!("kept"), &json!("req-3"))
    );
}

#[test]
fn text_lines_stay_readable() {
    let captured = capture(&[], || {
        in_invocation("req-4", true, || tracing::info!(sdkappid = 7, "pulled"));
    });
    let text = captured.text();
    assert!(text.contains("INFO"), "{text}");
    assert!(text.contains("requestId=\"req-4\""), "{text}");
    assert!(text.contains("cold_start=true"), "{text}");
    assert!(text.contains("pulled sdkappid=7"), "{text}");
    assert!(
        serde_json::from_str::<Value>(text.trim()).is_err(),
        "{text}"
    );
}

/// Emits one event at each level below INFO for every pinned target, and
/// one TRACE event of the functions' own.
fn below_info_everywhere() {
    for target in PINNED_TARGETS {
        // `event!` needs a literal target; the callsite's target is what
        // filters see, so each pinned crate gets one of its own.
        macro_rules! below_info {
            ($($t:literal),*) => {$(
                if *target == $t {
                    tracing::event!(target: $t, Level::TRACE, "leaked-{}", $t);
                    tracing::event!(target: $t, Level::DEBUG, "leaked-{}", $t);
                    tracing::event!(target: $t, Level::INFO, "kept-{}", $t);
                }
            )*};
        }
        below_info!(
            "lambda_runtime",
            "aws_smithy",
            "aws_sdk",
            "aws_sigv4",
            "aws_runtime",
            "aws_config",
            "aws_credential_types",
            "hyper",
            "h2",
            "reqwest",
            "rustls",
            "tokio_rustls",
            "tower"
        );
    }
    tracing::event!(target: "lambda_runtime::layers::api_response", Level::TRACE, "leaked-raw-event");
    tracing::event!(target: "aws_smithy_runtime::client::orchestrator", Level::TRACE, "leaked-request");
    tracing::event!(target: "hyper_util::client", Level::DEBUG, "leaked-hyper-util");
    tracing::event!(target: "tim::client", Level::TRACE, "ours");
}

#[test]
fn pinned_targets_stay_at_info_whatever_the_operator_asks() {
    for pairs in [
        &[("AWS_LAMBDA_LOG_LEVEL", "TRACE")][..],
        &[(
            "RUST_LOG",
            "trace,lambda_runtime=trace,aws_smithy_runtime::client::orchestrator=trace,hyper_util=trace",
        )][..],
    ] {
        let text = capture(pairs, below_info_everywhere).text();
        assert!(!text.contains("leaked"), "{pairs:?}: {text}");
        assert!(text.contains("ours"), "{pairs:?}: {text}");
        for target in PINNED_TARGETS {
            assert!(text.contains(&format!("kept-{target}")), "{target}: {text}");
        }
    }
}

#[test]
fn the_operator_can_still_lower_a_pinned_target() {
    let text = capture(&[("RUST_LOG", "info,hyper=warn")], below_info_everywhere).text();
    assert!(!text.contains("kept-hyper"), "{text}");
    assert!(text.contains("kept-h2"), "{text}");
}
