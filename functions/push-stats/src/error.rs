//! Every answer other than 200: a stable `code`, its HTTP status, and a
//! message that says what to do. Upstream (Tencent) failures are mapped here.
//!
//! Messages never carry a UserSig, a key or a URL: they are built from our
//! own text, Tencent's numeric `ErrorCode`, `tim::Error::hint()` (static
//! text) and, for requests Tencent refused as malformed, its `ErrorInfo`.

use std::num::NonZeroI64;
use std::time::Duration;

use serde_json::json;

/// Generates [`ErrorCode`] and its tables (every code, its wire name, its
/// HTTP status) from one list, so that a code cannot be added without its
/// name and status, nor listed twice with different ones.
macro_rules! error_codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $name:literal, $status:literal;
    )+) => {
        /// Stable, documented error codes (snake_case on the wire).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code on the wire (`error.code`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)+
                }
            }

            /// The HTTP status it is answered with.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }
        }
    };
}

error_codes! {
    // 400: the request is wrong.
    /// `start` or `end` absent.
    MissingParameter => "missing_parameter", 400;
    /// A time that cannot be read.
    InvalidTime => "invalid_time", 400;
    /// `start` is not before `end`.
    InvalidWindow => "invalid_window", 400;
    /// More than Tencent's 30 days.
    WindowTooLong => "window_too_long", 400;
    /// `start` older than Tencent keeps statistics (30 days before now);
    /// `bound` is the oldest start allowed.
    WindowBeforeRetention => "window_before_retention", 400;
    /// `end` later than now (plus a minute for clock skew); `bound` is now.
    WindowInFuture => "window_in_future", 400;
    /// More than 5 distinct task IDs.
    TooManyTaskIds => "too_many_task_ids", 400;
    /// A task ID Tencent would not take.
    InvalidTaskId => "invalid_task_id", 400;
    /// A parameter or key not documented.
    UnknownParameter => "unknown_parameter", 400;
    /// A parameter or key given twice.
    DuplicateParameter => "duplicate_parameter", 400;
    /// A body that is not a JSON object.
    InvalidJson => "invalid_json", 400;
    /// An `sdkappid` that is not a whole number.
    InvalidSdkappid => "invalid_sdkappid", 400;
    /// Several apps are served and the request named none.
    SdkappidRequired => "sdkappid_required", 400;
    /// An `sdkappid` that is no configured app's.
    UnknownSdkappid => "unknown_sdkappid", 400;
    // Other client errors.
    /// Another path.
    NotFound => "not_found", 404;
    /// Another method.
    MethodNotAllowed => "method_not_allowed", 405;
    /// A body over 16 KiB.
    BodyTooLarge => "body_too_large", 413;
    /// A POST body that is not JSON.
    UnsupportedMediaType => "unsupported_media_type", 415;
    /// Tencent's frequency limit: answered at once, with `Retry-After`.
    RateLimited => "rate_limited", 429;
    // Tencent or the service's own configuration failed.
    /// Tencent refused the UserSig, also after one re-read / re-sign.
    UpstreamAuth => "upstream_auth", 502;
    /// Tencent refused the app's configuration, or ours is unusable.
    UpstreamConfiguration => "upstream_configuration", 502;
    /// The credentials secret could not be read.
    CredentialsUnavailable => "credentials_unavailable", 502;
    /// Tencent refused a request this endpoint had validated.
    UpstreamRejected => "upstream_rejected", 502;
    /// Tencent failed (5xx, garbage, network) through all retries.
    UpstreamError => "upstream_error", 502;
    /// Tencent did not answer before the deadline.
    UpstreamTimeout => "upstream_timeout", 504;
    /// A bug here.
    InternalError => "internal_error", 500;
}

/// A failed request, ready to become an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request parameter at fault (`start`, `task_ids`, …), if any.
    pub parameter: Option<String>,
    /// Seconds, for `Retry-After` (429, and 502 `upstream_auth`).
    pub retry_after_secs: Option<u64>,
    /// Tencent's `ErrorCode`, when Tencent answered with one.
    pub tencent_error_code: Option<i64>,
    /// Tencent's `ErrorInfo`, only for requests it refused as malformed.
    pub tencent_error_info: Option<String>,
    /// The limit a window crossed (unix seconds): `bound` and `bound_iso`
    /// in the body. Non-zero so that the error stays small (clippy's
    /// `result_large_err`): a bound is "now" or 30 days before it, never 1970.
    pub bound: Option<NonZeroI64>,
}

/// `Retry-After` of an `upstream_auth`: a refused UserSig is mended by a
/// rotation, so a caller polling faster only adds refused calls.
pub const UPSTREAM_AUTH_RETRY_AFTER_SECS: u64 = 60;

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
            bound: None,
        }
    }

    /// With the limit the request crossed (`bound`, `bound_iso` in the body).
    pub fn with_bound(mut self, bound: i64) -> Self {
        self.bound = NonZeroI64::new(bound);
        self
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
        if let Some(bound) = self.bound.map(NonZeroI64::get) {
            error["bound"] = json!(bound);
            error["bound_iso"] = json!(crate::window::to_iso(bound));
        }
        json!({ "error": error })
    }

    pub fn internal() -> Self {
        let message = "internal error; report the request_id to the operators of this endpoint";
        Self::new(ErrorCode::InternalError, None, message)
    }

    /// Maps a failed Tencent call to the honest HTTP answer.
    pub fn from_upstream(error: &tim::Error) -> Self {
        use tim::Error as E;
        use tim::ErrorClass as Class;
        let tencent = error.code();
        let note = tencent
            .map(|c| format!(" (Tencent ErrorCode {c})"))
            .unwrap_or_default();
        let hint = error.hint().map(|h| format!(": {h}")).unwrap_or_default();
        // A `Deadline` stands for the last failure it saw.
        let last = match error {
            E::Deadline {
                last: Some(last), ..
            } => last,
            other => other,
        };
        // Answered at once: the client does not retry rate limits for
        // push-stats (`OnRateLimit::ReturnAtOnce`), the caller waits.
        let rate_limited = error.is_rate_limited() || matches!(last, E::Http { status: 429, .. });
        // Whole seconds, rounded up, at least one.
        let wait = |default: u64| {
            let wait = error.retry_after().unwrap_or(Duration::from_secs(default));
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        };
        // The class decides before the variant: a UserSig Tencent refused
        // stays `upstream_auth` even when the client reports it as the
        // credentials failure of the one re-read (the secret still holds
        // the refused UserSig), which carries Tencent's code.
        let (code, message) = match (error.class(), error) {
            _ if rate_limited => (ErrorCode::RateLimited, format!(
                "Tencent's rate limit for push statistics was reached{note}; retry after {} s", wait(1))),
            (Class::UserSigRejected, _) => (ErrorCode::UpstreamAuth, format!(
                "Tencent rejected the service's UserSig{note}{hint}; operator: check that the UserSig secret is \
                 current (usersig-refresher rotation) and signed for this SDKAppID, admin and region")),
            (_, E::Credentials { .. }) => (ErrorCode::CredentialsUnavailable,
                "the service could not load its Tencent credentials; operator: check the app's secret \
                 (TIM_USERSIG_SECRET_ID / TIM_KEY_SECRET_ID for its id in TIM_SDKAPPIDS), its rotation and the \
                 function's permission to read it".into()),
            (_, E::Config { .. }) => (ErrorCode::UpstreamConfiguration,
                "the service cannot reach Tencent with its configuration; operator: check TIM_REGION, TIM_ENDPOINT \
                 and the region in the credentials secret".into()),
            (Class::Configuration, _) => (ErrorCode::UpstreamConfiguration, format!(
                "Tencent refused the service's app configuration{note}{hint}; operator: check the SDKAppID, admin \
                 identifier, region and IP allowlist")),
            _ if error.is_timeout() => (ErrorCode::UpstreamTimeout,
                format!("Tencent did not answer in time{note}; retry later")),
            (Class::BadRequest, E::Api { .. }) => (ErrorCode::UpstreamRejected, format!(
                "Tencent refused a request this endpoint had validated{note}; this is a bug or a change on \
                 Tencent's side: report it with the request_id")),
            _ => (ErrorCode::UpstreamError, format!("Tencent failed to answer{note} after retries; retry later")),
        };
        let mut api = Self::new(code, None, message);
        api.tencent_error_code = tencent;
        if let (ErrorCode::UpstreamRejected, E::Api { info, .. }) = (code, error) {
            // tim scrubbed it (no UserSig, no usersig= parameter).
            api.tencent_error_info = Some(info.chars().take(200).collect());
        }
        api.retry_after_secs = match code {
            ErrorCode::RateLimited => Some(wait(1)),
            ErrorCode::UpstreamAuth => Some(wait(UPSTREAM_AUTH_RETRY_AFTER_SECS)),
            _ => None,
        };
        api
    }
}

#[cfg(test)]
mod tests;
