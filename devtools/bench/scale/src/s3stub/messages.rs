//! The stub's HTTP side: a PUT's headers into a [`PutObject`], objects and
//! errors into responses with S3's headers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{HeaderMap, Response, StatusCode};

use super::objects::{Object, PutObject};
use super::wire;

pub(super) type HttpResponse = Response<Full<Bytes>>;

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

pub(super) fn put_request(headers: &HeaderMap, body: Bytes) -> Result<PutObject, String> {
    let encodings: Vec<String> = header(headers, "content-encoding")
        .unwrap_or_default()
        .split(',')
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    let chunked = encodings.iter().any(|e| e == "aws-chunked")
        || header(headers, "x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"));
    let body = if chunked {
        Bytes::from(wire::decode_aws_chunked(&body)?)
    } else {
        body
    };
    let stored_encoding: Vec<String> = encodings
        .into_iter()
        .filter(|e| e != "aws-chunked")
        .collect();
    let metadata = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    Ok(PutObject {
        body,
        content_type: header(headers, "content-type"),
        content_encoding: (!stored_encoding.is_empty()).then(|| stored_encoding.join(", ")),
        metadata,
        if_none_match_any: header(headers, "if-none-match").is_some_and(|v| v.trim() == "*"),
        if_match: header(headers, "if-match"),
    })
}

pub(super) fn object_response(object: Object, with_body: bool) -> HttpResponse {
    let mut headers = vec![
        ("etag", object.etag.clone()),
        ("last-modified", wire::http_date(object.last_modified)),
        ("content-length", object.body.len().to_string()),
        (
            "content-type",
            object
                .content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".to_owned()),
        ),
    ];
    if let Some(encoding) = &object.content_encoding {
        headers.push(("content-encoding", encoding.clone()));
    }
    let metadata: Vec<(String, String)> = object
        .metadata
        .iter()
        .map(|(name, value)| (format!("x-amz-meta-{name}"), value.clone()))
        .collect();
    let mut response = respond(
        StatusCode::OK,
        &headers,
        if with_body { object.body } else { Bytes::new() },
    );
    for (name, value) in metadata {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

pub(super) fn error(status: StatusCode, code: &str, message: &str, resource: &str) -> HttpResponse {
    respond(
        status,
        &[("content-type", "application/xml".to_owned())],
        Bytes::from(wire::error_xml(code, message, resource)),
    )
}

pub(super) fn respond(status: StatusCode, headers: &[(&str, String)], body: Bytes) -> HttpResponse {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Full::new(body)).unwrap_or_else(|_| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}
