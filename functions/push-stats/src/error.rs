//! Every answer other than 200: a stable `code`, its HTTP status, and a
//! message that says what to do. Upstream (Tencent) failures are mapped here.
//!
//! Messages never carry a UserSig, a key or a URL: they are built from our
//! own text, Tencent's numeric `ErrorCode`, `tim::Error::hint()` (static
//! text) and, for requests Tencent refused as malformed, its `ErrorInfo`.

use std::time::Duration;

use serde_json::json;

/// Stable, documented error codes (snake_case on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // 400: the request is wrong.
    MissingParameter,
    InvalidTime,
    InvalidWindow,
    WindowTooLong,
    TooManyTaskIds,
    InvalidTaskId,
    UnknownParameter,
    DuplicateParameter,
    InvalidJson,
    // Other client errors.
    NotFound,
    MethodNotAllowed,
    BodyTooLarge,
    UnsupportedMediaType,
    RateLimited,
    // Tencent or the service's own configuration failed.
    UpstreamAuth,
    UpstreamConfiguration,
    CredentialsUnavailable,
    UpstreamRejected,
    UpstreamError,
    UpstreamTimeout,
    InternalError,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::MissingParameter,
        ErrorCode::InvalidTime,
        ErrorCode::InvalidWindow,
        ErrorCode::WindowTooLong,
        ErrorCode::TooManyTaskIds,
        ErrorCode::InvalidTaskId,
        ErrorCode::UnknownParameter,
        ErrorCode::DuplicateParameter,
        ErrorCode::InvalidJson,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::BodyTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::UpstreamAuth,
        ErrorCode::UpstreamConfiguration,
        ErrorCode::CredentialsUnavailable,
        ErrorCode::UpstreamRejected,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamTimeout,
        ErrorCode::InternalError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingParameter => "missing_parameter",
            ErrorCode::InvalidTime => "invalid_time",
            ErrorCode::InvalidWindow => "invalid_window",
            ErrorCode::WindowTooLong => "window_too_long",
            ErrorCode::TooManyTaskIds => "too_many_task_ids",
            ErrorCode::InvalidTaskId => "invalid_task_id",
            ErrorCode::UnknownParameter => "unknown_parameter",
            ErrorCode::DuplicateParameter => "duplicate_parameter",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UpstreamAuth => "upstream_auth",
            ErrorCode::UpstreamConfiguration => "upstream_configuration",
            ErrorCode::CredentialsUnavailable => "credentials_unavailable",
            ErrorCode::UpstreamRejected => "upstream_rejected",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::InternalError => "internal_error",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MissingParameter
            | ErrorCode::InvalidTime
            | ErrorCode::InvalidWindow
            | ErrorCode::WindowTooLong
            | ErrorCode::TooManyTaskIds
            | ErrorCode::InvalidTaskId
            | ErrorCode::UnknownParameter
            | ErrorCode::DuplicateParameter
            | ErrorCode::InvalidJson => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::BodyTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::UpstreamAuth
            | ErrorCode::UpstreamConfiguration
            | ErrorCode::CredentialsUnavailable
            | ErrorCode::UpstreamRejected
            | ErrorCode::UpstreamError => 502,
            ErrorCode::UpstreamTimeout => 504,
            ErrorCode::InternalError => 500,
        }
    }
}

/// A failed request, ready to become an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request parameter at fault (`start`, `task_ids`, …), if any.
    pub parameter: Option<String>,
    /// Seconds, for `Retry-After` (429 only).
    pub retry_after_secs: Option<u64>,
    /// Tencent's `ErrorCode`, when Tencent answered with one.
    pub tencent_error_code: Option<i64>,
    /// Tencent's `ErrorInfo`, only for requests it refused as malformed.
    pub tencent_error_info: Option<String>,
}

/// Longest caller-supplied text echoed back in a message.
const ECHO_CHARS: usize = 40;

/// `text` shortened and quoted/escaped for a message (`"abc…"`).
pub fn echo(text: &str) -> String {
    let mut short: String = text.chars().take(ECHO_CHARS).collect();
    if text.chars().nth(ECHO_CHARS).is_some() {
        short.push('…');
    }
    format!("{short:?}")
}

impl ApiError {
    pub fn new(code: ErrorCode, parameter: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            parameter: parameter.map(|p| p.chars().take(ECHO_CHARS).collect()),
            retry_after_secs: None,
            tencent_error_code: None,
            tencent_error_info: None,
        }
    }

    /// A 4xx about one parameter.
    pub fn param(code: ErrorCode, parameter: &str, message: impl Into<String>) -> Self {
        Self::new(code, Some(parameter), message)
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body. `parameter` is always present (null when none).
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        let mut error = json!({
            "code": self.code.as_str(),
            "message": self.message,
            "parameter": self.parameter,
            "request_id": request_id,
        });
        if let Some(code) = self.tencent_error_code {
            error["tencent_error_code"] = json!(code);
        }
        if let Some(info) = &self.tencent_error_info {
            error["tencent_error_info"] = json!(info);
        }
        json!({ "error": error })
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalError,
            None,
            "internal error; report the request_id to the operators of this endpoint",
        )
    }

    /// Maps a failed Tencent call to the honest HTTP answer.
    pub fn from_upstream(error: &tim::Error) -> Self {
        use tim::ErrorClass;

        let tencent_code = error.code();
        let code_note = tencent_code
            .map(|c| format!(" (Tencent ErrorCode {c})"))
            .unwrap_or_default();
        let hint = error.hint().map(|h| format!(": {h}")).unwrap_or_default();

        if error.is_rate_limited() || matches!(error.last(), tim::Error::Http { status: 429, .. }) {
            let wait = error.retry_after().unwrap_or(Duration::from_secs(1));
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut api = Self::new(
                ErrorCode::RateLimited,
                None,
                format!(
                    "Tencent's rate limit for push statistics was reached{code_note}; retry after {secs} s"
                ),
            );
            api.retry_after_secs = Some(secs.max(1));
            api.tencent_error_code = tencent_code;
            return api;
        }

        let mut api = match (error, error.class()) {
            (tim::Error::Credentials { .. }, _) => Self::new(
                ErrorCode::CredentialsUnavailable,
                None,
                "the service could not load its Tencent credentials; operator: check the UserSig secret \
                 (TIM_USERSIG_SECRET_ID / TIM_KEY_SECRET_ID), its rotation and the function's permission to read it",
            ),
            (tim::Error::Config { .. }, _) => Self::new(
                ErrorCode::UpstreamConfiguration,
                None,
                "the service cannot reach Tencent with its configuration; operator: check TIM_REGION, \
                 TIM_ENDPOINT and the region in the credentials secret",
            ),
            (_, ErrorClass::UserSigRejected) => Self::new(
                ErrorCode::UpstreamAuth,
                None,
                format!(
                    "Tencent rejected the service's UserSig{code_note}{hint}; operator: check that the UserSig secret \
                     is current (usersig-refresher rotation) and signed for this SDKAppID, admin and region"
                ),
            ),
            (_, ErrorClass::Configuration) => Self::new(
                ErrorCode::UpstreamConfiguration,
                None,
                format!(
                    "Tencent refused the service's app configuration{code_note}{hint}; operator: check the SDKAppID, \
                     admin identifier, region and IP allowlist"
                ),
            ),
            _ if error.is_timeout() => Self::new(
                ErrorCode::UpstreamTimeout,
                None,
                format!("Tencent did not answer in time{code_note}; retry later"),
            ),
            (tim::Error::Api { info, .. }, ErrorClass::BadRequest) => {
                let mut api = Self::new(
                    ErrorCode::UpstreamRejected,
                    None,
                    format!(
                        "Tencent refused a request this endpoint had validated{code_note}; this is a bug or a change \
                         on Tencent's side: report it with the request_id"
                    ),
                );
                api.tencent_error_info = Some(info.chars().take(200).collect());
                api
            }
            _ => Self::new(
                ErrorCode::UpstreamError,
                None,
                format!("Tencent failed to answer{code_note} after retries; retry later"),
            ),
        };
        api.tencent_error_code = tencent_code;
        api
    }
}

/// The innermost error: a `Deadline` stands for the last failure it saw.
trait LastError {
    fn last(&self) -> &tim::Error;
}

impl LastError for tim::Error {
    fn last(&self) -> &tim::Error {
        match self {
            tim::Error::Deadline {
                last: Some(last), ..
            } => last.last(),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64) -> tim::Error {
        tim::Error::Api {
            command: "timpush/all_member_push_statistics".into(),
            code,
            info: "info from Tencent".into(),
        }
    }

    fn mapped(error: tim::Error) -> (u16, &'static str, Option<u64>) {
        let api = ApiError::from_upstream(&error);
        (api.status(), api.code.as_str(), api.retry_after_secs)
    }

    #[test]
    fn codes_are_unique_snake_case_and_every_status_is_an_error() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?}");
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
            );
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn rate_limits_become_429_with_retry_after() {
        assert_eq!(mapped(api(60007)), (429, "rate_limited", Some(1)));
        assert_eq!(mapped(api(70050)), (429, "rate_limited", Some(60)));
        let http429 = tim::Error::Http {
            command: "x".into(),
            status: 429,
        };
        assert_eq!(mapped(http429), (429, "rate_limited", Some(1)));
        let deadline = tim::Error::Deadline {
            command: "x".into(),
            attempts: 4,
            last: Some(Box::new(api(60007))),
        };
        assert_eq!(mapped(deadline), (429, "rate_limited", Some(1)));
    }

    #[test]
    fn usersig_and_configuration_problems_name_what_to_fix() {
        let auth = ApiError::from_upstream(&api(70001));
        assert_eq!((auth.status(), auth.code), (502, ErrorCode::UpstreamAuth));
        assert_eq!(auth.tencent_error_code, Some(70001));
        assert!(auth.message.contains("UserSig secret"));
        assert_eq!(
            auth.tencent_error_info, None,
            "Tencent's text is not echoed for auth failures"
        );

        let config = ApiError::from_upstream(&api(90045));
        assert_eq!(
            (config.status(), config.code),
            (502, ErrorCode::UpstreamConfiguration)
        );
        assert!(
            config.message.contains("push is not enabled"),
            "{}",
            config.message
        );

        let creds =
            ApiError::from_upstream(&tim::Error::credentials("secret arn:…:psst not found"));
        assert_eq!(creds.code, ErrorCode::CredentialsUnavailable);
        assert!(
            !creds.message.contains("psst"),
            "the reason stays in the logs"
        );
    }

    #[test]
    fn timeouts_server_errors_and_refusals() {
        let timeout = tim::Error::Network {
            command: "x".into(),
            kind: tim::error::NetworkFailure::Timeout,
            detail: "timed out".into(),
        };
        assert_eq!(mapped(timeout).0, 504);
        let deadline = tim::Error::Deadline {
            command: "x".into(),
            attempts: 2,
            last: None,
        };
        assert_eq!(mapped(deadline), (504, "upstream_timeout", None));
        assert_eq!(mapped(api(60008)), (504, "upstream_timeout", None));
        let bad_gateway = tim::Error::Http {
            command: "x".into(),
            status: 502,
        };
        assert_eq!(mapped(bad_gateway), (502, "upstream_error", None));
        assert_eq!(mapped(api(90102)), (502, "upstream_error", None));
        let garbled = tim::Error::Decode {
            command: "x".into(),
            reason: "EOF".into(),
        };
        assert_eq!(mapped(garbled), (502, "upstream_error", None));

        let refused = ApiError::from_upstream(&api(90100));
        assert_eq!(
            (refused.status(), refused.code),
            (502, ErrorCode::UpstreamRejected)
        );
        assert_eq!(
            refused.tencent_error_info.as_deref(),
            Some("info from Tencent")
        );
    }

    #[test]
    fn body_has_a_stable_shape() {
        let body = ApiError::param(ErrorCode::InvalidTime, "start", "start is bad").body("req-1");
        assert_eq!(
            body,
            json!({"error": {"code": "invalid_time", "message": "start is bad", "parameter": "start", "request_id": "req-1"}})
        );
        let body = ApiError::new(ErrorCode::NotFound, None, "no").body("req-2");
        assert_eq!(body["error"]["parameter"], serde_json::Value::Null);
    }

    #[test]
    fn echo_shortens_and_escapes() {
        assert_eq!(echo("a\u{7}b"), "\"a\\u{7}b\"");
        assert_eq!(echo(&"x".repeat(100)).chars().count(), 43);
    }
}
