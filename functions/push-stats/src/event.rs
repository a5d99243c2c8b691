//! The API Gateway event → the caller's question: the route, the method,
//! the query string or the JSON body (content type, base64, size).

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::Method;
use aws_lambda_events::http::header::CONTENT_TYPE;
use base64::Engine as _;

use crate::error::{ApiError, ErrorCode, echo};
use crate::request::{MAX_BODY_BYTES, StatsQuery};

/// The one route.
pub const ROUTE: &str = "/push-stats";
/// The methods it answers (the `Allow` header of a 405).
pub const ALLOWED_METHODS: &str = "GET, POST";

pub(crate) fn read_request(event: &ApiGatewayV2httpRequest) -> Result<StatsQuery, ApiError> {
    let context = &event.request_context;
    let path = event.raw_path.as_deref().or(context.http.path.as_deref());
    // A named stage prefixes the path (`/prod/push-stats`).
    let stage = context.stage.as_deref().map(|s| format!("/{s}{ROUTE}"));
    if path != Some(ROUTE) && path != stage.as_deref() {
        let message = format!("no such route; this API serves {ROUTE}");
        return Err(ApiError::new(ErrorCode::NotFound, None, message));
    }
    let query = match &event.raw_query_string {
        Some(raw) => raw.clone(),
        // A hand-made event may carry only the parsed parameters.
        None => form_urlencoded::Serializer::new(String::new())
            .extend_pairs(event.query_string_parameters.iter())
            .finish(),
    };
    match context.http.method {
        Method::GET => StatsQuery::from_query_string(&query),
        Method::POST => {
            if let Some((name, _)) = form_urlencoded::parse(query.as_bytes()).next() {
                let message =
                    "a POST takes its parameters in the JSON body, not in the query string";
                return Err(ApiError::param(ErrorCode::UnknownParameter, &name, message));
            }
            if !is_json(event) {
                let message = "the body must be JSON: send Content-Type: application/json";
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    None,
                    message,
                ));
            }
            StatsQuery::from_json_body(&body_bytes(event)?)
        }
        ref other => {
            let message = format!(
                "{ROUTE} answers {ALLOWED_METHODS}, not {}",
                echo(other.as_str())
            );
            Err(ApiError::new(ErrorCode::MethodNotAllowed, None, message))
        }
    }
}

/// JSON or nothing said. `curl -d` sends a form type by default: the
/// message says which header to add.
fn is_json(event: &ApiGatewayV2httpRequest) -> bool {
    let Some(value) = event.headers.get(CONTENT_TYPE) else {
        return true;
    };
    let value = value.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = value.split(';').next().unwrap_or("").trim();
    essence == "application/json"
        || essence.starts_with("application/") && essence.ends_with("+json")
}

/// The body as bytes, base64-decoded when API Gateway encoded it, at most
/// [`MAX_BODY_BYTES`].
fn body_bytes(event: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, ApiError> {
    let too_large = format!("the body is larger than {MAX_BODY_BYTES} bytes");
    let body = event.body.as_deref().unwrap_or("");
    let bytes = if !event.is_base64_encoded {
        body.as_bytes().to_vec()
    // Checked before decoding: no point decoding megabytes to refuse them.
    } else if body.len() > MAX_BODY_BYTES.div_ceil(3) * 4 {
        return Err(ApiError::new(ErrorCode::BodyTooLarge, None, too_large));
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| {
                let message = "the body is marked base64-encoded but is not valid base64";
                ApiError::new(ErrorCode::InvalidJson, None, message)
            })?
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(ErrorCode::BodyTooLarge, None, too_large));
    }
    Ok(bytes)
}
