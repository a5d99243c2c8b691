//! One API Gateway HTTP API (payload 2.0) request in, one response out.
//!
//! The handler never fails: every outcome, including our own bugs, is an
//! HTTP answer with a JSON body and the Lambda request id in `x-request-id`.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderName, RETRY_AFTER,
};
use aws_lambda_events::http::{HeaderValue, Method};
use base64::Engine as _;
use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};

use crate::apps::{Apps, Selected};
use crate::error::{ApiError, ErrorCode};
use crate::request::{MAX_BODY_BYTES, StatsQuery};
use crate::response::StatsResponse;

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
    let method = &event.request_context.http.method;
    let mut upstream = None;
    let mut selected_app = None;
    // For the log line: the app served, else the one asked for.
    let mut log_sdkappid = None;
    let outcome = match read_request(event) {
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
    let response = match outcome {
        Ok(body) => {
            tracing::info!(request_id = %invocation.request_id, %method, sdkappid = log_sdkappid, status = 200,
                "push-stats answered");
            json_response(200, body)
        }
        Err(error) => {
            if error.status() < 500 {
                tracing::info!(request_id = %invocation.request_id, %method, sdkappid = log_sdkappid,
                    status = error.status(), code = error.code.as_str(), parameter = error.parameter.as_deref(),
                    "push-stats refused");
            }
            error_response(&error, &invocation.request_id)
        }
    };
    Answered {
        response: with_request_id(response, &invocation.request_id),
        upstream,
        sdkappid: selected_app,
    }
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

/// The request's path without the stage prefix a named stage adds
/// (`/prod/push-stats` → `/push-stats`).
fn route_path(event: &ApiGatewayV2httpRequest) -> &str {
    let path = event
        .raw_path
        .as_deref()
        .or(event.request_context.http.path.as_deref())
        .unwrap_or("/");
    match event.request_context.stage.as_deref() {
        Some(stage) if stage != "$default" && !stage.is_empty() => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    }
}

fn read_request(event: &ApiGatewayV2httpRequest) -> Result<StatsQuery, ApiError> {
    if route_path(event) != ROUTE {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            None,
            format!("no such route; this API serves {ROUTE}"),
        ));
    }
    let method = &event.request_context.http.method;
    if *method == Method::GET {
        StatsQuery::from_query_string(&raw_query(event))
    } else if *method == Method::POST {
        let query = raw_query(event);
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes()).next() {
            return Err(ApiError::param(
                ErrorCode::UnknownParameter,
                &name,
                "a POST takes its parameters in the JSON body, not in the query string",
            ));
        }
        check_content_type(event)?;
        StatsQuery::from_json_body(&body_bytes(event)?)
    } else {
        Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            None,
            format!(
                "{ROUTE} answers {ALLOWED_METHODS}, not {}",
                crate::error::echo(method.as_str())
            ),
        ))
    }
}

/// `rawQueryString`, or — should a test event lack it — the parsed parameters re-encoded.
fn raw_query(event: &ApiGatewayV2httpRequest) -> Cow<'_, str> {
    match event.raw_query_string.as_deref() {
        Some(raw) => Cow::Borrowed(raw),
        None => {
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            for (key, value) in event.query_string_parameters.iter() {
                encoded.append_pair(key, value);
            }
            Cow::Owned(encoded.finish())
        }
    }
}

/// JSON or nothing said. `curl -d` sends `application/x-www-form-urlencoded`
/// by default: the message tells the caller which header to add.
fn check_content_type(event: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
    let Some(value) = event.headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        Some(e) if e.starts_with("application/") && e.ends_with("+json") => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            None,
            "the body must be JSON: send Content-Type: application/json",
        )),
    }
}

/// The body as bytes, base64-decoded when API Gateway encoded it, at most
/// [`MAX_BODY_BYTES`].
fn body_bytes(event: &ApiGatewayV2httpRequest) -> Result<Cow<'_, [u8]>, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::BodyTooLarge,
            None,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let body = event.body.as_deref().unwrap_or("");
    let bytes = if event.is_base64_encoded {
        // Check before decoding: no point decoding megabytes to refuse them.
        if body.len() > MAX_BODY_BYTES.div_ceil(3) * 4 {
            return Err(too_large());
        }
        Cow::Owned(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|_| {
                    ApiError::new(
                        ErrorCode::InvalidJson,
                        None,
                        "the body is marked base64-encoded but is not valid base64",
                    )
                })?,
        )
    } else {
        Cow::Borrowed(body.as_bytes())
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
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
