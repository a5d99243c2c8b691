//! Shared by the integration tests: events from `events/push-stats/`, ways
//! to mutate them, and a fake statistics source.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use push_stats::{CallContext, PushStatsSource};
use serde_json::{Value, json};
use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};

pub const REQUEST_ID: &str = "5f0c6a4e-0d7b-4c1e-9a55-2f6d7e1c9b00";

/// `events/push-stats/{name}.json`, as JSON to mutate.
pub fn fixture(name: &str) -> Value {
    testkit::event("push-stats", name)
}

pub fn event(value: &Value) -> ApiGatewayV2httpRequest {
    serde_json::from_value(value.clone()).unwrap()
}

/// `get.json` with another query string (raw and parsed kept consistent).
pub fn get_with_query(raw: &str) -> Value {
    let mut e = fixture("get");
    e["rawQueryString"] = json!(raw);
    let mut parsed = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let joined = match parsed.get(k.as_ref()).and_then(Value::as_str) {
            Some(previous) => format!("{previous},{v}"),
            None => v.into_owned(),
        };
        parsed.insert(k.into_owned(), json!(joined));
    }
    e["queryStringParameters"] = Value::Object(parsed);
    e
}

/// `get.json` asking for `start..end` (unix seconds).
pub fn get_window(start: i64, end: i64) -> Value {
    get_with_query(&format!("start={start}&end={end}"))
}

/// `post.json` with another body (text, not base64).
pub fn post_with_body(body: &str) -> Value {
    let mut e = fixture("post");
    e["body"] = json!(body);
    e["headers"]["content-length"] = json!(body.len().to_string());
    e
}

/// `post.json` with `bytes` base64-encoded, as API Gateway sends binary bodies.
pub fn post_with_base64_body(bytes: &[u8]) -> Value {
    use base64::Engine as _;
    let mut e = post_with_body(&base64::engine::general_purpose::STANDARD.encode(bytes));
    e["isBase64Encoded"] = json!(true);
    e
}

pub fn with_method(mut e: Value, method: &str) -> Value {
    e["requestContext"]["http"]["method"] = json!(method);
    e["routeKey"] = json!(format!("{method} /push-stats"));
    e
}

pub fn with_path(mut e: Value, path: &str) -> Value {
    e["rawPath"] = json!(path);
    e["requestContext"]["http"]["path"] = json!(path);
    e
}

/// The fixtures' `requestContext.timeEpoch` (2026-11-01T09:00:00Z), in
/// seconds: "now" for an event whose timeEpoch a test removed.
pub const FIXTURE_NOW: i64 = 1_793_523_600;

/// 2026-10-25T00:00:00Z: with [`NOV_1`], a week the window rules accept
/// at [`FIXTURE_NOW`].
pub const OCT_25: i64 = 1_792_886_400;
/// 2026-11-01T00:00:00Z.
pub const NOV_1: i64 = 1_793_491_200;
pub const DAY: i64 = 86_400;

/// The call context of every test request: [`REQUEST_ID`], ten seconds
/// to answer, "now" at [`FIXTURE_NOW`].
pub fn invocation() -> CallContext {
    CallContext {
        request_id: REQUEST_ID.to_owned(),
        deadline: Deadline::after(Duration::from_secs(10)),
        now_unix: FIXTURE_NOW,
    }
}

/// The handler's answer to `event_json`, for one app served by `source`.
pub async fn handle_with(event_json: &Value, source: &FakeSource) -> ApiGatewayV2httpResponse {
    push_stats::handle(
        &event(event_json),
        &invocation(),
        &push_stats::Apps::one(FAKE_APP, source),
    )
    .await
}

pub fn header<'a>(response: &'a ApiGatewayV2httpResponse, name: &str) -> Option<&'a str> {
    response.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The answer's JSON body; the answer is also recorded for
/// devtools/openapi-check (see `testkit::answers`).
pub fn body_json(response: &ApiGatewayV2httpResponse) -> Value {
    match &response.body {
        Some(Body::Text(text)) => {
            let headers = response
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)));
            testkit::answers::record(None, response.status_code, headers, text);
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
        }
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// The SDKAppID [`handle_with`] serves.
pub const FAKE_APP: u64 = 1_400_000_000;

/// Answers like Tencent would: one result per requested task, or one overall
/// result (`TaskID` ""), with counts derived from the task ID. Records calls.
#[derive(Default)]
pub struct FakeSource {
    pub calls: Mutex<Vec<PushStatsRequest>>,
    pub failure: Option<tim::Error>,
}

impl FakeSource {
    pub fn failing(error: tim::Error) -> Self {
        Self {
            failure: Some(error),
            ..Self::default()
        }
    }

    pub fn calls(&self) -> Vec<PushStatsRequest> {
        self.calls.lock().unwrap().clone()
    }
}

pub fn envelope_for(request: &PushStatsRequest) -> Value {
    let ids: Vec<&str> = if request.task_ids.is_empty() {
        vec![""]
    } else {
        request.task_ids.iter().map(String::as_str).collect()
    };
    let results: Vec<Value> = ids
        .iter()
        .map(|id| {
            let n = 100 + id.len() as u64;
            json!({"TaskID": id, "TotalCount": n, "SentCount": n - 10, "DeliveredCount": n - 50, "ClickCount": 5,
                   "PlatformStatistics": [
                       {"EventType": 1, "PushPlatform": 1, "TotalCount": 40, "SentCount": 30, "DeliveredCount": 20, "ClickCount": 5},
                       {"EventType": 2, "PushPlatform": 0, "TotalCount": 0, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0}]})
        })
        .collect();
    json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "Results": results})
}

impl PushStatsSource for FakeSource {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        _deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        self.calls.lock().unwrap().push(request.clone());
        let answer = match &self.failure {
            Some(error) => Err(error.clone()),
            None => Ok(PushStatistics::from_envelope(&envelope_for(request)).unwrap()),
        };
        std::future::ready(answer)
    }
}
