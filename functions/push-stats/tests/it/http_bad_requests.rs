//! The HTTP contract for bad requests, driven with the events in
//! `events/push-stats/` and a fake statistics source: a table of them, each
//! with the documented status, code and parameter and never reaching
//! Tencent, and messages that name the problem.

use crate::common::*;
use serde_json::{Value, json};

/// One bad request and what it must produce.
struct Case {
    name: &'static str,
    event: Value,
    status: i64,
    code: &'static str,
    parameter: Option<&'static str>,
}

fn case(
    name: &'static str,
    event: Value,
    status: i64,
    code: &'static str,
    parameter: Option<&'static str>,
) -> Case {
    Case {
        name,
        event,
        status,
        code,
        parameter,
    }
}

fn bad_requests() -> Vec<Case> {
    let window = |extra: &str| format!("start={OCT_25}&end={NOV_1}{extra}");
    let body = |value: Value| post_with_body(&value.to_string());
    let mut bad_content_type = fixture("post");
    bad_content_type["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
    let mut post_with_query = fixture("post");
    post_with_query["rawQueryString"] = json!("start=1");
    let padded_body = format!(
        "{{\"start\": {OCT_25}, \"end\": {NOV_1}}}{}",
        " ".repeat(16 * 1024)
    );

    vec![
        // GET: presence and time format.
        case(
            "GET without start",
            get_with_query(&format!("end={NOV_1}")),
            400,
            "missing_parameter",
            Some("start"),
        ),
        case(
            "GET without end",
            get_with_query(&format!("start={OCT_25}")),
            400,
            "missing_parameter",
            Some("end"),
        ),
        case(
            "GET with no query at all",
            get_with_query(""),
            400,
            "missing_parameter",
            Some("start"),
        ),
        case(
            "start is a word",
            get_with_query(&format!("start=yesterday&end={NOV_1}")),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "start is empty",
            get_with_query(&format!("start=&end={NOV_1}")),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "timestamp without offset",
            get_with_query("start=2026-10-25T00:00:00&end=2026-11-01"),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "February 30th",
            get_with_query("start=2026-02-30&end=2026-03-05"),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "milliseconds instead of seconds",
            get_with_query(&format!("start={OCT_25}000&end={NOV_1}")),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "negative start",
            get_with_query(&format!("start=-1&end={NOV_1}")),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "month 13 in end",
            get_with_query("start=2026-10-25&end=2026-13-01"),
            400,
            "invalid_time",
            Some("end"),
        ),
        case(
            "fractional unix seconds",
            get_with_query(&format!("start={OCT_25}.5&end={NOV_1}")),
            400,
            "invalid_time",
            Some("start"),
        ),
        // GET: the window.
        case(
            "start equals end",
            get_with_query(&format!("start={NOV_1}&end={NOV_1}")),
            400,
            "invalid_window",
            Some("end"),
        ),
        case(
            "start after end",
            get_with_query("start=2026-11-01&end=2026-10-25"),
            400,
            "invalid_window",
            Some("end"),
        ),
        case(
            "31 days",
            get_with_query("start=2026-10-01&end=2026-11-01"),
            400,
            "window_too_long",
            Some("end"),
        ),
        case(
            "30 days and a second",
            get_with_query(&format!("start={OCT_25}&end={}", OCT_25 + 30 * DAY + 1)),
            400,
            "window_too_long",
            Some("end"),
        ),
        // GET: task IDs.
        case(
            "six comma-separated task IDs",
            get_with_query(&window("&task_id=a,b,c,d,e,f")),
            400,
            "too_many_task_ids",
            Some("task_id"),
        ),
        case(
            "six repeated task IDs",
            get_with_query(&window(
                "&task_id=a&task_id=b&task_id=c&task_id=d&task_id=e&task_id=f",
            )),
            400,
            "too_many_task_ids",
            Some("task_id"),
        ),
        case(
            "empty task_id",
            get_with_query(&window("&task_id=")),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        case(
            "empty piece between commas",
            get_with_query(&window("&task_id=a,,b")),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        case(
            "trailing comma",
            get_with_query(&window("&task_id=a,")),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        case(
            "control character in a task ID",
            get_with_query(&window("&task_id=a%07b")),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        case(
            "space in a task ID",
            get_with_query(&window("&task_id=a%20b")),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        case(
            "129-character task ID",
            get_with_query(&window(&format!("&task_id={}", "x".repeat(129)))),
            400,
            "invalid_task_id",
            Some("task_id"),
        ),
        // GET: parameter names.
        case(
            "unknown parameter",
            get_with_query(&window("&foo=1")),
            400,
            "unknown_parameter",
            Some("foo"),
        ),
        case(
            "task_ids (plural) in a GET",
            get_with_query(&window("&task_ids=a")),
            400,
            "unknown_parameter",
            Some("task_ids"),
        ),
        case(
            "start given twice",
            get_with_query(&format!("start={OCT_25}&start={OCT_25}&end={NOV_1}")),
            400,
            "duplicate_parameter",
            Some("start"),
        ),
        // POST: the body as a document.
        case(
            "body is not JSON",
            post_with_body("{\"start\": "),
            400,
            "invalid_json",
            None,
        ),
        case(
            "body is empty",
            post_with_body(""),
            400,
            "invalid_json",
            None,
        ),
        case(
            "body is an array",
            post_with_body("[]"),
            400,
            "invalid_json",
            None,
        ),
        case(
            "body is a string",
            post_with_body("\"start\""),
            400,
            "invalid_json",
            None,
        ),
        case(
            "body is not valid base64",
            {
                let mut e = post_with_body("%%%not base64");
                e["isBase64Encoded"] = json!(true);
                e
            },
            400,
            "invalid_json",
            None,
        ),
        case(
            "base64 body that is not UTF-8 JSON",
            post_with_base64_body(&[0xff, 0xfe, 0x00]),
            400,
            "invalid_json",
            None,
        ),
        case(
            "repeated key",
            post_with_body(&format!(
                "{{\"start\": {OCT_25}, \"end\": {NOV_1}, \"end\": {NOV_1}}}"
            )),
            400,
            "duplicate_parameter",
            Some("end"),
        ),
        // POST: fields.
        case(
            "unknown key",
            body(json!({"start": OCT_25, "end": NOV_1, "foo": 1})),
            400,
            "unknown_parameter",
            Some("foo"),
        ),
        case(
            "Tencent's own field name",
            body(json!({"StartTime": OCT_25, "end": NOV_1})),
            400,
            "unknown_parameter",
            Some("StartTime"),
        ),
        case(
            "start is a boolean",
            body(json!({"start": true, "end": NOV_1})),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "start is an object",
            body(json!({"start": {"unix": OCT_25}, "end": NOV_1})),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "start has a fraction",
            body(json!({"start": 1_792_886_400.5, "end": NOV_1})),
            400,
            "invalid_time",
            Some("start"),
        ),
        case(
            "end is huge",
            body(json!({"start": OCT_25, "end": u64::MAX})),
            400,
            "invalid_time",
            Some("end"),
        ),
        case(
            "null start",
            body(json!({"start": null, "end": NOV_1})),
            400,
            "missing_parameter",
            Some("start"),
        ),
        case(
            "missing end",
            body(json!({"start": OCT_25})),
            400,
            "missing_parameter",
            Some("end"),
        ),
        case(
            "empty object",
            body(json!({})),
            400,
            "missing_parameter",
            Some("start"),
        ),
        case(
            "task_ids is a string",
            body(json!({"start": OCT_25, "end": NOV_1, "task_ids": "a,b"})),
            400,
            "invalid_task_id",
            Some("task_ids"),
        ),
        case(
            "task_ids holds a number",
            body(json!({"start": OCT_25, "end": NOV_1, "task_ids": ["a", 7]})),
            400,
            "invalid_task_id",
            Some("task_ids"),
        ),
        case(
            "task_ids holds a newline",
            body(json!({"start": OCT_25, "end": NOV_1, "task_ids": ["a\nb"]})),
            400,
            "invalid_task_id",
            Some("task_ids"),
        ),
        case(
            "six task_ids",
            body(
                json!({"start": OCT_25, "end": NOV_1, "task_ids": ["a", "b", "c", "d", "e", "f"]}),
            ),
            400,
            "too_many_task_ids",
            Some("task_ids"),
        ),
        case(
            "window too long in JSON",
            body(json!({"start": "2026-09-01", "end": "2026-11-01"})),
            400,
            "window_too_long",
            Some("end"),
        ),
        case(
            "POST with query parameters",
            post_with_query,
            400,
            "unknown_parameter",
            Some("start"),
        ),
        // Size and media type.
        case(
            "body over 16 KiB",
            post_with_body(&padded_body),
            413,
            "body_too_large",
            None,
        ),
        case(
            "base64 body over 16 KiB",
            post_with_base64_body(padded_body.as_bytes()),
            413,
            "body_too_large",
            None,
        ),
        case(
            "form-encoded content type",
            bad_content_type,
            415,
            "unsupported_media_type",
            None,
        ),
        // Routing.
        case(
            "another path",
            with_path(fixture("get"), "/push-statistics"),
            404,
            "not_found",
            None,
        ),
        case(
            "root path",
            with_path(fixture("get"), "/"),
            404,
            "not_found",
            None,
        ),
        case(
            "DELETE",
            with_method(fixture("get"), "DELETE"),
            405,
            "method_not_allowed",
            None,
        ),
        case(
            "PUT",
            with_method(fixture("post"), "PUT"),
            405,
            "method_not_allowed",
            None,
        ),
        case(
            "HEAD",
            with_method(fixture("get"), "HEAD"),
            405,
            "method_not_allowed",
            None,
        ),
        // The shipped bad event: 40 days (and six task IDs; the window is reported first).
        case(
            "events/push-stats/bad-request.json",
            fixture("bad-request"),
            400,
            "window_too_long",
            Some("end"),
        ),
    ]
}

#[tokio::test]
async fn bad_requests_get_the_documented_status_and_code_and_never_reach_tencent() {
    let cases = bad_requests();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for case in &cases {
        let source = FakeSource::default();
        let response = handle_with(&case.event, &source).await;
        let body = body_json(&response);
        let error = &body["error"];
        let got = (
            response.status_code,
            error["code"].as_str(),
            error["parameter"].as_str(),
        );
        if got != (case.status, Some(case.code), case.parameter) {
            failures.push(format!(
                "{}: expected {:?}, got {got:?} ({})",
                case.name,
                (case.status, case.code, case.parameter),
                error["message"]
            ));
        }
        if !source.calls().is_empty() {
            failures.push(format!("{}: Tencent was called", case.name));
        }
        // The shape every error shares.
        let message_ok = error["message"].as_str().is_some_and(|m| !m.is_empty());
        if !message_ok
            || error["request_id"] != REQUEST_ID
            || !error
                .as_object()
                .is_some_and(|o| o.contains_key("parameter"))
        {
            failures.push(format!("{}: malformed error body {body}", case.name));
        }
        if header(&response, "x-request-id") != Some(REQUEST_ID)
            || header(&response, "content-type") != Some("application/json")
        {
            failures.push(format!("{}: headers {:?}", case.name, response.headers));
        }
        let allow = header(&response, "allow");
        if (case.status == 405) != (allow == Some("GET, POST")) {
            failures.push(format!("{}: Allow header {allow:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn messages_name_the_problem_precisely() {
    let expectations = [
        (
            get_with_query("start=2026-10-25T00:00:00&end=2026-11-01"),
            "offset",
        ),
        (
            get_with_query(&format!("start={OCT_25}000&end={NOV_1}")),
            "not milliseconds",
        ),
        (get_with_query("start=2026-10-01&end=2026-11-01"), "30 days"),
        (
            get_with_query(&format!("start={OCT_25}&end={NOV_1}&task_ids=a")),
            "use task_id",
        ),
        (post_with_body("{\"start\": 1,"), "not valid JSON"),
        (
            post_with_body(
                &json!({"start": OCT_25, "end": NOV_1, "task_ids": ["a b"]}).to_string(),
            ),
            "\"a b\" contains whitespace",
        ),
    ];
    for (e, needle) in expectations {
        let response = handle_with(&e, &FakeSource::default()).await;
        let message = body_json(&response)["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}
