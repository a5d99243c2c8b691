//! One API Gateway HTTP API (payload 2.0) request in, one response out.
//!
//! The handler never fails: every outcome, including our own bugs, is an
//! HTTP answer with a JSON body and the Lambda request id in `x-request-id`.

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use aws_lambda_events::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderName, RETRY_AFTER,
};
use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};
use tim::usersig::{Clock, SystemClock};

use crate::apps::{Apps, Selected};
use crate::caller::{Caller, Outcome, log_outcome};
use crate::error::{ApiError, ErrorCode};
use crate::event::read_request;
use crate::request::StatsQuery;
use crate::response::StatsResponse;
use crate::window;

/// The one route.
pub const ROUTE: &str = "/push-stats";
/// The methods it answers (the `Allow` header of a 405).
pub const ALLOWED_METHODS: &str = "GET, POST";
/// The header that carries the Lambda request id on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// One app's push statistics: Tencent in production, fakes in tests.
pub trait PushStatsSource: Send + Sync {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send;

    /// The app's SDKAppID, from its credentials (read on first use, then
    /// cached by the provider).
    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send;
}

impl PushStatsSource for tim::Client {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        self.all_member_push_statistics(request, deadline)
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        self.credentials().credentials().await.map(|c| c.sdkappid)
    }
}

impl<S: PushStatsSource> PushStatsSource for &S {
    fn push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        (**self).push_statistics(request, deadline)
    }

    fn sdkappid(&self) -> impl Future<Output = Result<u64, tim::Error>> + Send {
        (**self).sdkappid()
    }
}

/// What the handler needs to know about this invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Lambda's request id (`Context::request_id`).
    pub request_id: String,
    pub deadline: Deadline,
    /// "Now" (unix seconds) for the window rules when the event does not
    /// carry API Gateway's `requestContext.timeEpoch`, which comes first:
    /// it is when the request arrived, and a test event's is fixed.
    pub now_unix: i64,
}

/// Margin kept before Lambda's deadline to answer with a 504 ourselves.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// API Gateway HTTP APIs give up on an integration after 30 s.
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(29);

impl Invocation {
    /// From Lambda's invocation: its deadline minus a margin, and never
    /// past API Gateway's own 30 s limit.
    pub fn from_lambda(invocation: &lambda_kit::Invocation) -> Self {
        Self {
            request_id: invocation.request_id.clone(),
            now_unix: i64::try_from(SystemClock.now_unix()).unwrap_or(i64::MAX),
            deadline: invocation
                .deadline(DEADLINE_MARGIN)
                .min(Deadline::after(GATEWAY_TIMEOUT)),
        }
    }
}

/// Answers one request for one of `apps`.
pub async fn handle<S: PushStatsSource>(
    event: &ApiGatewayV2httpRequest,
    invocation: &Invocation,
    apps: &Apps<S>,
) -> ApiGatewayV2httpResponse {
    answer(event, invocation, apps).await.response
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
    invocation: &Invocation,
    apps: &Apps<S>,
) -> Answered {
    let method = event.request_context.http.method.as_str();
    let mut upstream = None;
    let mut selected_app = None;
    // For the log line: the app served, else the one asked for.
    let mut log_sdkappid = None;
    let now = request_time(event).unwrap_or(invocation.now_unix);
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
            match select(apps, query.sdkappid, invocation).await {
                Ok(selected) => {
                    selected_app = Some(selected.sdkappid);
                    log_sdkappid = selected_app;
                    let fetched = fetch(&query, &selected, invocation).await;
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
    log_outcome(invocation, &Caller::of(event), &logged);
    let response = match outcome {
        Ok(body) => json_response(200, body),
        Err(error) => error_response(&error, &invocation.request_id),
    };
    Answered {
        response: with_request_id(response, &invocation.request_id),
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
    invocation: &Invocation,
) -> Result<Selected<'a, S>, ApiError> {
    let selecting = apps.select(requested, &invocation.request_id);
    match tokio::time::timeout(invocation.deadline.remaining(), selecting).await {
        Ok(selected) => selected,
        Err(_) => {
            tracing::warn!(request_id = %invocation.request_id, sdkappid = requested,
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
    invocation: &Invocation,
) -> Result<String, ApiError> {
    let stats = app
        .source
        .push_statistics(&query.tencent_request(), invocation.deadline)
        .await
        .map_err(|error| {
            let api = ApiError::from_upstream(&error);
            // tim::Error's Display carries no secret (no URL, no UserSig).
            tracing::warn!(request_id = %invocation.request_id, sdkappid = app.sdkappid, status = api.status(),
                code = api.code.as_str(), error_type = error.error_type(), tencent_error_code = error.code(),
                error = %error, "Tencent push statistics failed");
            api
        })?;
    serde_json::to_string(&StatsResponse::new(app.sdkappid, query, stats)).map_err(|error| {
        tracing::error!(request_id = %invocation.request_id, %error, "could not serialise the response");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda(deadline_in: Duration) -> lambda_kit::Invocation {
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
        lambda_kit::Invocation {
            request_id: "req-1".to_owned(),
            deadline_ms: now_ms + u64::try_from(deadline_in.as_millis()).unwrap(),
            cold_start: true,
        }
    }

    #[test]
    fn the_deadline_keeps_a_margin_before_lambdas_and_never_passes_the_gateways() {
        let short = Invocation::from_lambda(&lambda(Duration::from_secs(10)));
        assert_eq!(short.request_id, "req-1");
        let left = short.deadline.remaining();
        assert!(
            left <= Duration::from_secs(10) - DEADLINE_MARGIN,
            "{left:?}"
        );
        assert!(left > Duration::from_secs(8), "{left:?}");

        let long = Invocation::from_lambda(&lambda(Duration::from_secs(900)));
        assert!(long.deadline.remaining() <= GATEWAY_TIMEOUT);
        assert!(long.deadline.remaining() > GATEWAY_TIMEOUT - Duration::from_secs(2));
    }
}
