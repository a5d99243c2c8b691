//! The admin HTTP API under `/__emulator/`, for scripts and out-of-process
//! tests. Admin calls are not API requests: they are never faulted and not
//! counted in `requests` (their TCP connections are counted).
//!
//! - `GET /__emulator/health` → `{"ok":true}`
//! - `GET /__emulator/stats` → `{"requests":N,"connections":N,"per_command":{...},`
//!   `"calls":{...},"calls_per_second_max":{...},"rate_limited":{...}}` (the
//!   last three by command, then by SDKAppID: see [`Stats`](crate::Stats))
//! - `GET /__emulator/faults` → the pending faults
//! - `POST /__emulator/faults` `{"fault":"error_code","value":60007,"times":3,"command":"openconfigsvr/getappinfo"}`
//!   (`fault`: `error_code`, `http_status`, `delay` (value in ms),
//!   `truncated_body`, `non_json_body`; `times` default 1; `command` optional)
//! - `DELETE /__emulator/faults` → clears them
//! - `POST /__emulator/ops` `{"sdkappid":1400000000,"date":"2026-11-01","field":"ActiveUserNum","value":"123"}`
//! - `POST /__emulator/reset` → clears faults, counters and ops overrides
//!
//! Errors are HTTP 400 (bad body) or 404/405 with `{"error":"..."}`.

use chrono::NaiveDate;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::FaultSpec;
use crate::reply::{HttpResponse, json_response};
use crate::state::State;

/// Where the admin API lives.
pub const PREFIX: &str = "/__emulator/";

const MAX_ADMIN_BODY: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
struct OpsOverride {
    sdkappid: u64,
    date: NaiveDate,
    field: String,
    value: Value,
}

pub(crate) async fn handle(state: &State, request: Request<Incoming>) -> HttpResponse {
    let method = request.method().clone();
    let route = request
        .uri()
        .path()
        .trim_start_matches(PREFIX)
        .trim_end_matches('/')
        .to_owned();
    let body = match Limited::new(request.into_body(), MAX_ADMIN_BODY)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "body too large or unreadable".into(),
            );
        }
    };
    match (route.as_str(), &method) {
        ("health", &Method::GET) => ok(json!({"ok": true})),
        ("stats", &Method::GET) => match serde_json::to_value(state.counters.snapshot()) {
            Ok(stats) => ok(stats),
            Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        },
        ("faults", &Method::GET) => ok(json!({"faults": state.faults.pending()})),
        ("faults", &Method::POST) => {
            let spec: FaultSpec = match parse(&body) {
                Ok(spec) => spec,
                Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
            };
            match spec.to_fault() {
                Ok(fault) => {
                    state.faults.push(fault, spec.times, spec.command.clone());
                    ok(json!({"ok": true, "faults": state.faults.pending()}))
                }
                Err(reason) => error(StatusCode::BAD_REQUEST, reason),
            }
        }
        ("faults", &Method::DELETE) => {
            state.faults.clear();
            ok(json!({"ok": true}))
        }
        ("ops", &Method::POST) => {
            let change: OpsOverride = match parse(&body) {
                Ok(change) => change,
                Err(reason) => return error(StatusCode::BAD_REQUEST, reason),
            };
            // Tencent's values are strings; a number is taken as its text,
            // and null is served as null (an odd answer for clients).
            let value = match change.value {
                Value::String(text) => Some(text),
                Value::Number(n) => Some(n.to_string()),
                Value::Null => None,
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "value must be a string, a number or null".into(),
                    );
                }
            };
            state
                .overrides
                .set(change.sdkappid, change.date, change.field, value);
            ok(json!({"ok": true}))
        }
        ("reset", &Method::POST) => {
            state.reset();
            ok(json!({"ok": true}))
        }
        ("health" | "stats" | "faults" | "ops" | "reset", _) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} not allowed on {PREFIX}{route}"),
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no admin route {PREFIX}{route}"),
        ),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("bad JSON body: {err}"))
}

fn ok(body: Value) -> HttpResponse {
    json_response(StatusCode::OK, &body)
}

fn error(status: StatusCode, reason: String) -> HttpResponse {
    json_response(status, &json!({ "error": reason }))
}
