//! The API Gateway event → the caller's question: the route, the method,
//! the query string or the JSON body (content type, base64, size).

use std::borrow::Cow;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::Method;
use aws_lambda_events::http::header::CONTENT_TYPE;
use base64::Engine as _;

use crate::error::{ApiError, ErrorCode};
use crate::request::{MAX_BODY_BYTES, StatsQuery};

/// The one route.
pub const ROUTE: &str = "/push-stats";
/// The methods it answers (the `Allow` header of a 405).
pub const ALLOWED_METHODS: &str = "GET, POST";

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

pub(crate) fn read_request(event: &ApiGatewayV2httpRequest) -> Result<StatsQuery, ApiError> {
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
