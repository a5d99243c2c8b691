//! The shapes of the emulator's answers: Tencent's JSON envelope, and the
//! gateway-style HTML pages that real failures look like.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// The emulator's response type.
pub type HttpResponse = Response<Full<Bytes>>;

/// A Tencent `ErrorCode` with its `ErrorInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i64,
    pub info: String,
}

impl ApiError {
    pub fn new(code: i64, info: impl Into<String>) -> Self {
        Self {
            code,
            info: info.into(),
        }
    }

    /// `{"ActionStatus":"FAIL","ErrorCode":N,"ErrorInfo":"..."}` as Tencent
    /// sends it: with HTTP 200.
    pub fn into_response(self) -> HttpResponse {
        json_response(
            StatusCode::OK,
            &json!({
                "ActionStatus": "FAIL",
                "ErrorCode": self.code,
                "ErrorInfo": self.info,
            }),
        )
    }
}

/// A JSON answer with the given status.
pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    bytes_response(status, "application/json", Bytes::from(body.to_string()))
}

/// Any answer; `Full` sets `Content-Length`, so framing is always correct.
pub fn bytes_response(status: StatusCode, content_type: &'static str, body: Bytes) -> HttpResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An nginx-style error page, as a gateway in front of Tencent answers.
pub fn gateway_page(status: StatusCode) -> HttpResponse {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    bytes_response(status, "text/html", Bytes::from(page))
}
