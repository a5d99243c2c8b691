//! Who asked, and the one log line per request that says so: on-call joins
//! it with API Gateway's access log (`api_request_id` is the access log's
//! `$context.requestId`; the access log's `$context.integration.requestId`
//! is this line's `request_id`) and with the IAM caller (`caller_arn`).
//!
//! Only identifiers are logged: the caller's ARN and the two request ids.
//! Never a header (the SigV4 `Authorization`, the session token), the
//! caller's access key, a UserSig or a key.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;

use crate::context::CallContext;
use crate::error::ApiError;

/// The request's line: `push-stats answered` (200, info), `push-stats
/// refused` (4xx, info) or `push-stats failed` (5xx, warn), each with
/// `request_id`, `api_request_id`, `caller_arn`
/// (`requestContext.authorizer.iam.userArn`), `method`, `sdkappid` (the
/// app served, else the one asked for), `status`, and for errors `code` and
/// `parameter` or `tencent_error_code`. An absent identity is logged as
/// `-`, so a missing field is visible rather than silently gone.
pub(crate) fn log_outcome(
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
    match error {
        None => tracing::info!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status,
            "push-stats answered"
        ),
        Some(e) if status < 500 => tracing::info!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status,
            code,
            parameter = e.parameter.as_deref(),
            "push-stats refused"
        ),
        Some(e) => tracing::warn!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status,
            code,
            tencent_error_code = e.tencent_error_code,
            "push-stats failed"
        ),
    }
}
