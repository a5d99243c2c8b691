//! One API Gateway HTTP API (payload 2.0) request in, one response out.
//!
//! The handler never fails: every outcome, including our own bugs, is an
//! HTTP answer with a JSON body and the Lambda request id in `x-request-id`.

use std::time::{Duration, Instant};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use aws_lambda_events::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};

use crate::apps::{App, Apps, PushStatsSource};
use crate::context::CallContext;
use crate::error::{ApiError, ErrorCode};
// Checked where the event is read (`event`, a private module); public
// from here, with the response headers they go with.
pub use crate::event::{ALLOWED_METHODS, ROUTE};
use crate::request::StatsQuery;
use tim::api::push::PushStatsRequest;

/// The header that carries the Lambda request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Answers one request for one of `apps`.
pub async fn handle<S: PushStatsSource>(
    event: &ApiGatewayV2httpRequest,
    call: &CallContext,
    apps: &Apps<S>,
) -> ApiGatewayV2httpResponse {
    answer(event, call, apps).await.response
}

/// An answer, and what the request cost upstream (for the metrics).
#[derive(Debug, Clone, Default)]
pub struct Answered {
    pub response: ApiGatewayV2httpResponse,
    /// Time spent in the Tencent call (retries and the credentials look-up
    /// included), when Tencent was called.
    pub upstream: Option<Duration>,
}

/// Answers one request, timing the Tencent call.
pub async fn answer<S: PushStatsSource>(
    event: &ApiGatewayV2httpRequest,
    call: &CallContext,
    apps: &Apps<S>,
) -> Answered {
    // When API Gateway received it (a test event's is fixed), else our clock.
    let now = match event.request_context.time_epoch {
        millis if millis > 0 => millis.div_euclid(1_000),
        _ => call.now_unix,
    };
    let mut answered = Answered::default();
    // For the log line: the app served, else the one asked for.
    let mut sdkappid = None;
    let outcome = async {
        let query = crate::event::read_request(event)?;
        // The window's reach is the caller's business: refused before any
        // app is selected (no secret read) and before Tencent is called.
        crate::window::check_reach(query.start, query.end, now)?;
        sdkappid = query.sdkappid;
        let app = apps.select(query.sdkappid)?;
        let started = Instant::now();
        sdkappid = Some(app.sdkappid);
        let fetched = fetch(&query, app, call).await;
        answered.upstream = Some(started.elapsed());
        fetched
    }
    .await;
    log_outcome(call, event, sdkappid, outcome.as_ref().err());
    answered.response = match outcome {
        Ok(body) => json_response(200, body, &call.request_id),
        Err(error) => error_response(&error, &call.request_id),
    };
    answered
}

async fn fetch<S: PushStatsSource>(
    query: &StatsQuery,
    app: &App<S>,
    call: &CallContext,
) -> Result<String, ApiError> {
    let request = PushStatsRequest {
        start_time: query.start,
        end_time: query.end,
        task_ids: query.task_ids.clone(),
    };
    let stats = app.source.push_statistics(&request, call.deadline).await.map_err(|error| {
        let api = ApiError::from_upstream(&error);
        // tim::Error's Display carries no secret (no URL, no UserSig).
        tracing::warn!(request_id = %call.request_id, sdkappid = app.sdkappid, status = api.status(),
            code = api.code.as_str(), error_type = error.error_type(), tencent_error_code = error.code(),
            error = %error, "Tencent push statistics failed");
        api
    })?;
    Ok(crate::response::body(app.sdkappid, query, &stats).to_string())
}

/// A JSON answer with the request id; statistics move, so callers and
/// proxies must ask again (`no-store`).
fn json_response(status: u16, body: String, request_id: &str) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.body = Some(Body::Text(body));
    let headers = &mut response.headers;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let id =
        HeaderValue::from_str(request_id).unwrap_or(HeaderValue::from_static("invalid-request-id"));
    headers.insert(REQUEST_ID_HEADER, id);
    response
}

/// The JSON error answer (`{"error": {...}}`) with its status and headers.
pub fn error_response(error: &ApiError, request_id: &str) -> ApiGatewayV2httpResponse {
    let body = error.body(request_id).to_string();
    let mut response = json_response(error.status(), body, request_id);
    if let Some(secs) = error.retry_after_secs {
        response
            .headers
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if error.code == ErrorCode::MethodNotAllowed {
        response
            .headers
            .insert(ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    }
    response
}

// The request log: on-call joins it with API Gateway's access log
// (`api_request_id` = `$context.requestId`, `request_id` = `$context.integration.requestId`)
// and the IAM caller (`caller_arn`). Only identifiers: never a header (the
// SigV4 `Authorization`, the session token), the caller's access key, a
// UserSig or a key.

/// The request's line: `push-stats answered` (200, info), `push-stats
/// refused` (4xx, info) or `push-stats failed` (5xx, warn), each with
/// `request_id`, `api_request_id`, `caller_arn`
/// (`requestContext.authorizer.iam.userArn`), `method`, `sdkappid` (the
/// app served, else the one asked for), `status`, and for errors `code` and
/// `parameter` or `tencent_error_code`. An absent identity is logged as
/// `-`, so a missing field is visible rather than silently gone.
/// The request log's target, as the README documents it.
const LOG_TARGET: &str = "push_stats::caller";

fn log_outcome(
    call: &CallContext,
    event: &ApiGatewayV2httpRequest,
    sdkappid: Option<u64>,
    error: Option<&ApiError>,
) {
    let context = &event.request_context;
    let iam = context.authorizer.as_ref().and_then(|a| a.iam.as_ref());
    let caller_arn = iam.and_then(|iam| iam.user_arn.as_deref()).unwrap_or("-");
    let api_request_id = context.request_id.as_deref().unwrap_or("-");
    let (request_id, method) = (call.request_id.as_str(), context.http.method.as_str());
    let status = error.map_or(200, ApiError::status);
    let code = error.map(|e| e.code.as_str());
    let parameter = error.and_then(|e| e.parameter.as_deref());
    let tencent_error_code = error.and_then(|e| e.tencent_error_code);
    if status >= 500 {
        tracing::warn!(
            target: LOG_TARGET,
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status,
            code,
            tencent_error_code,
            "push-stats failed"
        );
    } else {
        let message = if code.is_some() {
            "push-stats refused"
        } else {
            "push-stats answered"
        };
        tracing::info!(
            target: LOG_TARGET,
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status,
            code,
            parameter,
            "{message}"
        );
    }
}
