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

/// The request's origin, as API Gateway's IAM authorisation saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// `requestContext.authorizer.iam.userArn`: the signing principal.
    pub arn: Option<&'a str>,
    /// `requestContext.requestId`: API Gateway's id of the request.
    pub api_request_id: Option<&'a str>,
}

impl<'a> Caller<'a> {
    pub fn of(event: &'a ApiGatewayV2httpRequest) -> Self {
        let context = &event.request_context;
        Self {
            arn: context
                .authorizer
                .as_ref()
                .and_then(|a| a.iam.as_ref())
                .and_then(|iam| iam.user_arn.as_deref()),
            api_request_id: context.request_id.as_deref(),
        }
    }
}

/// What the request came to, for [`log_outcome`].
pub(crate) struct Outcome<'a> {
    pub method: &'a str,
    /// The app served, else the one asked for.
    pub sdkappid: Option<u64>,
    /// `None`: answered 200.
    pub error: Option<&'a ApiError>,
}

/// The request's line: `push-stats answered` (200, info), `push-stats
/// refused` (4xx, info) or `push-stats failed` (5xx, warn), each with
/// `request_id`, `api_request_id`, `caller_arn`, `method`, `sdkappid`,
/// `status`, and for errors `code` and `parameter`. An absent identity is
/// logged as `-`, so a missing field is visible rather than silently gone.
pub(crate) fn log_outcome(call: &CallContext, caller: &Caller<'_>, outcome: &Outcome<'_>) {
    let request_id = call.request_id.as_str();
    let api_request_id = caller.api_request_id.unwrap_or("-");
    let caller_arn = caller.arn.unwrap_or("-");
    let Outcome {
        method, sdkappid, ..
    } = *outcome;
    match outcome.error {
        None => tracing::info!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status = 200,
            "push-stats answered"
        ),
        Some(error) if error.status() < 500 => tracing::info!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status = error.status(),
            code = error.code.as_str(),
            parameter = error.parameter.as_deref(),
            "push-stats refused"
        ),
        Some(error) => tracing::warn!(
            request_id,
            api_request_id,
            caller_arn,
            method,
            sdkappid,
            status = error.status(),
            code = error.code.as_str(),
            tencent_error_code = error.tencent_error_code,
            "push-stats failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_is_read_from_the_iam_context_and_absent_without_it() {
        let mut value: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/push-stats/get.json")).unwrap();
        let event: ApiGatewayV2httpRequest = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(
            Caller::of(&event),
            Caller {
                arn: Some("arn:aws:sts::123456789012:assumed-role/ops-dashboard/ops-dashboard"),
                api_request_id: Some("Kd8x1iLmFiAEJvQ="),
            }
        );
        value["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("authorizer");
        let event: ApiGatewayV2httpRequest = serde_json::from_value(value).unwrap();
        assert_eq!(Caller::of(&event).arn, None);
    }
}
