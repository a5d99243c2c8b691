//! infra/facts.json `logs.<function>`: the messages and fields the
//! template's saved Logs Insights queries read (devtools/infra-check checks
//! the queries against the list). Each function's `tests/facts.rs` uses
//! this module, captures its log lines as Lambda gets them (lambda_kit's JSON
//! format) while it runs the function, and asserts every listed message and
//! field is among them.
//!
//! Here rather than in lambda-kit: a test helper, not part of any function.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use lambda_kit::logging::{LogSettings, subscriber};
use serde_json::{Map, Value};

/// Everything written, shared with the subscriber's writers.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The function's log lines while this lives (this thread's subscriber).
pub struct Capture {
    sink: Sink,
    _guard: tracing::subscriber::DefaultGuard,
}

pub fn capture() -> Capture {
    let sink = Sink::default();
    let settings = LogSettings {
        json: true,
        directives: "info".into(),
    };
    let writer = sink.clone();
    let guard = tracing::subscriber::set_default(subscriber(&settings, move || writer.clone()));
    Capture {
        sink,
        _guard: guard,
    }
}

impl Capture {
    fn lines(&self) -> Vec<Map<String, Value>> {
        let text = String::from_utf8(self.sink.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// Every message and field infra/facts.json lists for `function` is in
    /// one of the lines captured so far.
    pub fn assert_facts(&self, function: &str) {
        let facts: Value = serde_json::from_str(include_str!("../../../infra/facts.json")).unwrap();
        let listed = |kind: &str| -> Vec<String> {
            serde_json::from_value(facts["logs"][function][kind].clone())
                .unwrap_or_else(|e| panic!("infra/facts.json logs.{function}.{kind}: {e}"))
        };
        let lines = self.lines();
        let messages: BTreeSet<&str> = lines
            .iter()
            .filter_map(|l| l.get("message")?.as_str())
            .collect();
        let fields: BTreeSet<&str> = lines
            .iter()
            .flat_map(|l| l.keys().map(String::as_str))
            .collect();
        let (want_messages, want_fields) = (listed("messages"), listed("fields"));
        assert!(
            !want_fields.is_empty(),
            "infra/facts.json lists no log fields of {function}"
        );
        for message in &want_messages {
            assert!(
                messages.contains(message.as_str()),
                "{function} never logged {message:?}; it logged {messages:?}"
            );
        }
        for field in &want_fields {
            assert!(
                fields.contains(field.as_str()),
                "{function} never logged a {field:?} field; it logged {fields:?}"
            );
        }
    }
}
