//! The HTTP contract, driven with the events in `events/push-stats/` and a
//! fake statistics source: good requests, a table of bad ones, upstream
//! failure mapping, and property tests (no panic, no 5xx for any input).

mod common;

use common::*;
use push_stats::{Apps, handle};
use serde_json::{Value, json};

const OCT_25: i64 = 1_792_886_400; // 2026-10-25T00:00:00Z
const NOV_1: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z
const DAY: i64 = 86_400;

async fn run(
    event_json: &Value,
    source: &FakeSource,
) -> aws_lambda_events::apigw::ApiGatewayV2httpResponse {
    handle(
        &event(event_json),
        &invocation(),
        &Apps::one("fake", source),
    )
    .await
}

#[tokio::test]
async fn get_fixture_asks_tencent_for_the_two_tasks_and_answers_200() {
    let source = FakeSource::default();
    let response = run(&fixture("get"), &source).await;

    assert_eq!(response.status_code, 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
    let calls = source.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].start_time, calls[0].end_time), (OCT_25, NOV_1));
    assert_eq!(
        calls[0].task_ids,
        ["a1b2c3d4-push-001", "a1b2c3d4-push-002"]
    );

    let body = body_json(&response);
    assert_eq!(
        body["window"],
        json!({"start": OCT_25, "end": NOV_1, "start_iso": "2026-10-25T00:00:00Z", "end_iso": "2026-11-01T00:00:00Z"})
    );
    let first = &body["results"][0];
    assert_eq!(first["task_id"], "a1b2c3d4-push-001");
    // The fake answers total 117, sent 107, delivered 67, clicked 5.
    assert_eq!(
        (first["total"].as_u64(), first["sent"].as_u64()),
        (Some(117), Some(107))
    );
    assert_eq!(first["delivery_rate"], json!(0.6262));
    assert_eq!(first["click_rate"], json!(0.0746));
    assert_eq!(first["platforms"][0]["event"], "offline");
    assert_eq!(first["platforms"][0]["platform"], "apns");
    assert_eq!(first["platforms"][0]["delivery_rate"], json!(0.6667));
    assert_eq!(first["platforms"][1]["event"], "online");
    assert_eq!(first["platforms"][1]["platform"], "unknown");
    assert_eq!(first["platforms"][1]["delivery_rate"], Value::Null);
    assert_eq!(first["platforms"][1]["click_rate"], Value::Null);
}

#[tokio::test]
async fn post_and_base64_post_fixtures_mean_the_same_as_the_get() {
    let get = FakeSource::default();
    let get_response = run(&fixture("get"), &get).await;
    for name in ["post", "post-base64"] {
        let source = FakeSource::default();
        let response = run(&fixture(name), &source).await;
        assert_eq!(response.status_code, 200, "{name}: {:?}", response.body);
        assert_eq!(source.calls(), get.calls(), "{name}");
        assert_eq!(body_json(&response), body_json(&get_response), "{name}");
    }
}

#[tokio::test]
async fn without_task_ids_the_overall_statistics_come_back_with_a_null_task_id() {
    let source = FakeSource::default();
    let response = run(&fixture("get-overall"), &source).await;
    assert_eq!(response.status_code, 200);
    // 2026-10-25T00:00:00+08:00 is 16:00 UTC the day before.
    assert_eq!(source.calls()[0].start_time, OCT_25 - 8 * 3600);
    assert!(source.calls()[0].task_ids.is_empty());
    let body = body_json(&response);
    assert_eq!(body["window"]["start_iso"], "2026-10-24T16:00:00Z");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["results"][0]["task_id"], Value::Null);

    let post = FakeSource::default();
    let body = json!({"start": OCT_25, "end": NOV_1}).to_string();
    assert_eq!(run(&post_with_body(&body), &post).await.status_code, 200);
    assert!(post.calls()[0].task_ids.is_empty());
}

#[tokio::test]
async fn a_named_stage_prefix_is_part_of_the_route() {
    let mut e = with_path(fixture("get"), "/prod/push-stats");
    e["requestContext"]["stage"] = json!("prod");
    assert_eq!(run(&e, &FakeSource::default()).await.status_code, 200);
    // Without the stage named, the same path is not ours.
    let e = with_path(fixture("get"), "/prod/push-stats");
    assert_eq!(run(&e, &FakeSource::default()).await.status_code, 404);
}

#[tokio::test]
async fn content_type_with_parameters_or_a_json_suffix_is_accepted_and_absence_too() {
    for content_type in [
        Some("application/json; charset=utf-8"),
        Some("application/vnd.api+json"),
        None,
    ] {
        let mut e = fixture("post");
        match content_type {
            Some(ct) => e["headers"]["content-type"] = json!(ct),
            None => {
                e["headers"].as_object_mut().unwrap().remove("content-type");
            }
        }
        assert_eq!(
            run(&e, &FakeSource::default()).await.status_code,
            200,
            "{content_type:?}"
        );
    }
}

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
        let response = run(&case.event, &source).await;
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
        let response = run(&e, &FakeSource::default()).await;
        let message = body_json(&response)["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}

#[tokio::test]
async fn tencent_failures_map_to_honest_statuses_with_headers() {
    let api = |code: i64| tim::Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code,
        info: "from Tencent".into(),
    };
    let cases = [
        (api(60007), 429, "rate_limited"),
        (api(70001), 502, "upstream_auth"),
        (api(90009), 502, "upstream_configuration"),
        (api(90100), 502, "upstream_rejected"),
        (api(90102), 502, "upstream_error"),
        (
            tim::Error::Http {
                command: "x".into(),
                status: 503,
            },
            502,
            "upstream_error",
        ),
        (
            tim::Error::Deadline {
                command: "x".into(),
                attempts: 3,
                last: None,
            },
            504,
            "upstream_timeout",
        ),
        (
            tim::Error::credentials("secret not found"),
            502,
            "credentials_unavailable",
        ),
    ];
    for (error, status, code) in cases {
        let source = FakeSource::failing(error);
        let response = run(&fixture("get"), &source).await;
        assert_eq!(source.calls().len(), 1);
        let body = body_json(&response);
        assert_eq!(
            (response.status_code, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert_eq!(body["error"]["request_id"], REQUEST_ID);
        assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
        assert_eq!(
            header(&response, "retry-after").is_some(),
            status == 429,
            "{code}"
        );
    }
    let response = run(&fixture("get"), &FakeSource::failing(api(60007))).await;
    assert_eq!(header(&response, "retry-after"), Some("1"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Runs the handler and checks what must hold for any input.
    fn check(e: &Value) -> Result<(), TestCaseError> {
        let Ok(request) = serde_json::from_value(e.clone()) else {
            return Ok(()); // not an API Gateway event: the runtime refuses it before us
        };
        let source = FakeSource::default();
        let response = runtime().block_on(push_stats::handle(
            &request,
            &invocation(),
            &Apps::one("fake", &source),
        ));
        prop_assert!(
            (200..500).contains(&response.status_code),
            "status {} for {e}",
            response.status_code
        );
        prop_assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
        let body = body_json(&response);
        if response.status_code == 200 {
            prop_assert_eq!(source.calls().len(), 1);
            prop_assert!(body["results"].is_array());
        } else {
            prop_assert!(source.calls().is_empty());
            prop_assert!(body["error"]["code"].is_string());
        }
        Ok(())
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            (OCT_25 - 40 * DAY..NOV_1 + 40 * DAY).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
            "20[0-9]{2}-[01][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][01][0-9]:[0-5][0-9])?)?".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..7).prop_map(Value::Array),
                prop::collection::btree_map("start|end|task_ids|\\PC{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn query_piece() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("start"),
            Just("end"),
            Just("task_id"),
            Just("task_ids"),
            Just("x"),
            Just("")
        ];
        let value = prop_oneof![
            (OCT_25 - 40 * DAY..NOV_1 + 40 * DAY).prop_map(|n| n.to_string()),
            "20[0-9]{2}-[01][0-9]-[0-3][0-9]".prop_map(String::from),
            "[a-z0-9,%+ -]{0,12}".prop_map(String::from),
            "\\PC{0,10}".prop_map(String::from),
        ];
        (key, value).prop_map(|(k, v)| format!("{k}={v}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_query_string(raw in "\\PC{0,80}") {
            check(&get_with_query(&raw))?;
        }

        #[test]
        fn plausible_query_strings(pieces in prop::collection::vec(query_piece(), 0..8)) {
            check(&get_with_query(&pieces.join("&")))?;
        }

        #[test]
        fn any_body_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), as_text in any::<bool>()) {
            if as_text {
                check(&post_with_body(&String::from_utf8_lossy(&bytes)))?;
            } else {
                check(&post_with_base64_body(&bytes))?;
            }
        }

        #[test]
        fn any_json_body(value in json_value()) {
            check(&post_with_body(&value.to_string()))?;
        }

        #[test]
        fn any_method_path_and_content_type(
            method in "[A-Z]{1,8}",
            path in "/[a-z/-]{0,20}",
            content_type in "\\PC{0,30}",
        ) {
            let mut e = with_path(with_method(fixture("post"), &method), &path);
            e["headers"]["content-type"] = json!(content_type);
            check(&e)?;
        }
    }
}
