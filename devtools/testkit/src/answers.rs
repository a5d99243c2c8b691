//! Records the HTTP answers tests see, so that devtools/openapi-check can
//! validate each one against `infra/openapi.yaml`. Off unless
//! `PUSH_STATS_ANSWERS_DIR` names a folder (the test command sets it); a
//! failure to record fails the test, so the check never silently sees less.

use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the folder answers are written to.
pub const DIR_VARIABLE: &str = "PUSH_STATS_ANSWERS_DIR";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Writes one answer (`status`, `headers`, text `body`) as
/// `{pid}-{n}.json`, named after the running test, when recording is on.
pub fn record<'a>(
    method: Option<&str>,
    status: i64,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &str,
) {
    let Some(dir) = std::env::var_os(DIR_VARIABLE) else {
        return;
    };
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .into_iter()
        .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
        .collect();
    let answer = serde_json::json!({
        "source": std::thread::current().name().unwrap_or("?"),
        "method": method,
        "status": status,
        "headers": headers,
        "body": body,
    });
    let path = std::path::Path::new(&dir).join(format!("{}-{n}.json", std::process::id()));
    std::fs::write(&path, answer.to_string())
        .unwrap_or_else(|e| panic!("{DIR_VARIABLE}: cannot write {}: {e}", path.display()));
}
