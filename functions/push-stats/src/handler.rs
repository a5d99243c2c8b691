//! One API Gateway HTTP API (payload 2.0) request in, one response out.
//!
//! The handler never fails: every outcome, including our own bugs, is an
//! HTTP answer with a JSON body and the Lambda request id in `x-request-id`.

use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use aws_lambda_events::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderName, RETRY_AFTER,
};

use crate::apps::{Apps, PushStatsSource, Selected};
use crate::caller::{Caller, Outcome, log_outcome};
use crate::context::CallContext;
use crate::error::{ApiError, ErrorCode};
use crate::event::read_request;
// Checked where the event is read (`event`, a private module); public
// from here, with the response headers they go with.
pub use crate::event::{ALLOWED_METHODS, ROUTE};
use crate::request::StatsQuery;
use crate::response::StatsResponse;
use crate::window;

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
#[derive(Debug, Clone)]
pub struct Answered {
    pub response: ApiGatewayV2httpResponse,
    /// Time spent in the Tencent call (retries and credentials look-ups,
    /// the app's selection included), when Tencent was called.
    pub upstream: Option<Duration>,
    /// The app that served the request, once selected.
    pub sdkappid: Option<u64>,
}

/// Answers one request, timing the Tencent call.
pub async fn answer<S: PushStatsSource>(
    event: &ApiGatewayV2httpRequest,
    call: &CallContext,
    apps: &Apps<S>,
) -> Answered {
    let method = event.request_context.http.method.as_str();
    let mut upstream = None;
    let mut selected_app = None;
    // For the log line: the app served, else the one asked for.
    let mut log_sdkappid = None;
    let now = request_time(event).unwrap_or(call.now_unix);
    // The window's reach is the caller's business: refused before any app
    // is selected (no secret read) and before Tencent is called.
    let query = read_request(event).and_then(|query| {
        window::check_reach(query.start, query.end, now)?;
        Ok(query)
    });
    let outcome = match query {
        Ok(query) => {
            log_sdkappid = query.sdkappid;
            let started = std::time::Instant::now();
            match select(apps, query.sdkappid, call).await {
                Ok(selected) => {
                    selected_app = Some(selected.sdkappid);
                    log_sdkappid = selected_app;
                    let fetched = fetch(&query, &selected, call).await;
                    upstream = Some(started.elapsed());
                    fetched
                }
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    };
    let logged = Outcome {
        method,
        sdkappid: log_sdkappid,
        error: outcome.as_ref().err(),
    };
    log_outcome(call, &Caller::of(event), &logged);
    let response = match outcome {
        Ok(body) => json_response(200, body),
        Err(error) => error_response(&error, &call.request_id),
    };
    Answered {
        response: with_request_id(response, &call.request_id),
        upstream,
        sdkappid: selected_app,
    }
}

/// When API Gateway received the request (`requestContext.timeEpoch`,
/// milliseconds), in unix seconds; `None` when the event does not say.
fn request_time(event: &ApiGatewayV2httpRequest) -> Option<i64> {
    let millis = event.request_context.time_epoch;
    (millis > 0).then(|| millis.div_euclid(1_000))
}

/// The app for `requested`, within the request's deadline (reading a secret
/// that hangs must not outlive the invocation).
async fn select<'a, S: PushStatsSource>(
    apps: &'a Apps<S>,
    requested: Option<u64>,
    call: &CallContext,
) -> Result<Selected<'a, S>, ApiError> {
    let selecting = apps.select(requested, &call.request_id);
    match tokio::time::timeout(call.deadline.remaining(), selecting).await {
        Ok(selected) => selected,
        Err(_) => {
            tracing::warn!(request_id = %call.request_id, sdkappid = requested,
                "reading the apps' credentials secrets did not finish before the deadline");
            Err(ApiError::new(
                ErrorCode::UpstreamTimeout,
                None,
                "reading the service's credentials did not finish in time; retry later",
            ))
        }
    }
}

async fn fetch<S: PushStatsSource>(
    query: &StatsQuery,
    app: &Selected<'_, S>,
    call: &CallContext,
) -> Result<String, ApiError> {
    let stats = app
        .source
        .push_statistics(&query.tencent_request(), call.deadline)
        .await
        .map_err(|error| {
            let api = ApiError::from_upstream(&error);
            // tim::Error's Display carries no secret (no URL, no UserSig).
            tracing::warn!(request_id = %call.request_id, sdkappid = app.sdkappid, status = api.status(),
                code = api.code.as_str(), error_type = error.error_type(), tencent_error_code = error.code(),
                error = %error, "Tencent push statistics failed");
            api
        })?;
    serde_json::to_string(&StatsResponse::new(app.sdkappid, query, stats)).map_err(|error| {
        tracing::error!(request_id = %call.request_id, %error, "could not serialise the response");
        ApiError::internal()
    })
}

fn json_response(status: u16, body: String) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Statistics move; callers and proxies should ask again.
    response
        .headers
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.body = Some(Body::Text(body));
    response
}

/// The JSON error answer (`{"error": {...}}`) with its status and headers.
pub fn error_response(error: &ApiError, request_id: &str) -> ApiGatewayV2httpResponse {
    let mut response = json_response(error.status(), error.body(request_id).to_string());
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

fn with_request_id(
    mut response: ApiGatewayV2httpResponse,
    request_id: &str,
) -> ApiGatewayV2httpResponse {
    let value = HeaderValue::from_str(request_id)
        .unwrap_or_else(|_| HeaderValue::from_static("invalid-request-id"));
    response
        .headers
        .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    response
}
