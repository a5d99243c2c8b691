//! The one error type of Tencent REST calls, and how each failure is classed.
//!
//! No variant carries a URL, a UserSig or a key: `reqwest::Error` prints the
//! request URL (which holds the UserSig), so transport errors are reduced to
//! a [`NetworkFailure`] kind plus a sanitised description before they get here.

use std::time::Duration;

/// What a caller should do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Transient on Tencent's side (rate limits, timeouts, 5xx, storage
    /// errors): back off and retry.
    Retryable,
    /// The UserSig was refused: get a fresh one once, then fail.
    UserSigRejected,
    /// Wrong SDKAppID, admin account, key, region or source IP: an operator
    /// must fix the configuration. Never retried.
    Configuration,
    /// The request itself is wrong (a bug or a caller's mistake). Never retried.
    BadRequest,
    /// The connection failed (refused, DNS, reset, timeout). Retried.
    Network,
}

/// Why a transport-level failure happened, without the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkFailure {
    /// Could not connect: refused, unreachable, DNS failure, TLS handshake.
    Connect,
    /// No (complete) answer within the per-request timeout.
    Timeout,
    /// Connection dropped or another transport error mid-request.
    Other,
}

/// A failed Tencent REST call. `command` is e.g. `openconfigsvr/getappinfo`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Tencent answered with a non-zero `ErrorCode`.
    #[error("Tencent {command} failed with ErrorCode {code}: {info}")]
    Api {
        command: String,
        code: i64,
        info: String,
    },
    /// An HTTP status other than 200 (Tencent's gateway answers 502 and kin).
    #[error("Tencent {command} answered HTTP {status}")]
    Http { command: String, status: u16 },
    /// The request body could not be serialised as JSON (a bug in the caller's
    /// type, e.g. a map with non-string keys). Never retried.
    #[error("Tencent {command}: request body is not serialisable as JSON: {reason}")]
    Encode { command: String, reason: String },
    /// The body was not Tencent's JSON envelope (truncated, not JSON, …).
    #[error("Tencent {command} answered a body that is not its JSON envelope: {reason}")]
    Decode { command: String, reason: String },
    /// The request did not complete at the transport level.
    #[error("network error calling Tencent {command} ({kind:?}): {detail}")]
    Network {
        command: String,
        kind: NetworkFailure,
        detail: String,
    },
    /// The caller's deadline came before a successful answer.
    #[error("Tencent {command}: deadline reached after {attempts} attempt(s){}", last.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default())]
    Deadline {
        command: String,
        attempts: u32,
        last: Option<Box<Error>>,
    },
    /// No usable credentials (secret missing or malformed, signing failed…).
    #[error("Tencent credentials unavailable: {reason}")]
    Credentials { reason: String, class: ErrorClass },
    /// The client is not configured to reach Tencent (no region, bad URL).
    #[error("Tencent client configuration: {reason}")]
    Config { reason: String },
}

/// Tencent error codes that mean "slow down".
const RATE_LIMIT_CODES: [i64; 4] = [60007, 60011, 60018, 60019];

impl Error {
    /// How to treat this failure. `Deadline` takes the class of its last error
    /// (a deadline hit while Tencent was rate-limiting is still a rate limit).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Api { code, .. } => class_of_code(*code),
            Error::Http { status, .. } if *status >= 500 || *status == 429 => ErrorClass::Retryable,
            Error::Http { .. } => ErrorClass::BadRequest,
            Error::Encode { .. } => ErrorClass::BadRequest,
            Error::Decode { .. } => ErrorClass::Retryable,
            Error::Network { .. } => ErrorClass::Network,
            Error::Deadline { last, .. } => {
                last.as_ref().map_or(ErrorClass::Retryable, |e| e.class())
            }
            Error::Credentials { class, .. } => *class,
            Error::Config { .. } => ErrorClass::Configuration,
        }
    }

    /// Whether the client retries it (with backoff, within the deadline).
    pub fn is_retryable(&self) -> bool {
        matches!(self.class(), ErrorClass::Retryable | ErrorClass::Network)
    }

    /// Tencent's `ErrorCode`, for an API error (or the last one before a deadline).
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            Error::Deadline { last, .. } => last.as_ref().and_then(|e| e.code()),
            _ => None,
        }
    }

    /// Tencent's `ErrorInfo`, for an API error.
    pub fn info(&self) -> Option<&str> {
        match self {
            Error::Api { info, .. } => Some(info),
            Error::Deadline { last, .. } => last.as_ref().and_then(|e| e.info()),
            _ => None,
        }
    }

    /// Tencent is asking us to slow down (frequency limits).
    pub fn is_rate_limited(&self) -> bool {
        self.code()
            .is_some_and(|c| RATE_LIMIT_CODES.contains(&c) || c == 70050)
    }

    /// How long a caller should wait before trying again, when Tencent said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.code() {
            // "too many failed verifications: wait at least 60 s"
            Some(70050) => Some(Duration::from_secs(60)),
            Some(c) if RATE_LIMIT_CODES.contains(&c) => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    /// Tencent's (or the gateway's) answer was a timeout rather than an error.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Network { kind, .. } => *kind == NetworkFailure::Timeout,
            Error::Deadline { .. } => true,
            Error::Api { code, .. } => matches!(code, 60008 | 70169),
            Error::Http { status, .. } => *status == 504,
            _ => false,
        }
    }

    /// A stable identifier for Lambda's `errorType` and for logs.
    pub fn error_type(&self) -> &'static str {
        match self.class() {
            ErrorClass::Retryable => "TencentRetryable",
            ErrorClass::UserSigRejected => "TencentUserSigRejected",
            ErrorClass::Configuration => "TencentConfiguration",
            ErrorClass::BadRequest => "TencentBadRequest",
            ErrorClass::Network => "TencentNetwork",
        }
    }

    /// An operator's hint for configuration and UserSig failures.
    pub fn hint(&self) -> Option<&'static str> {
        match self.code()? {
            70004 | 70006..=70010 => Some(
                "the UserSig does not verify: check that the key belongs to this SDKAppID and that the region matches the app's",
            ),
            70013 => Some("the admin identifier in the request differs from the UserSig's"),
            70014 => Some("the SDKAppID in the request differs from the UserSig's"),
            70016 | 70020 | 60006 => {
                Some("the SDKAppID (or its key) is unknown to Tencent in this region")
            }
            60010 | 90009 => Some("the identifier is not an app admin account"),
            60016 | 60017 | 60020 => Some("the app is disabled or its edition has expired"),
            60021 => Some("Tencent refuses this source IP: check the app's IP allowlist"),
            90045 => Some("push is not enabled for this app"),
            _ => None,
        }
    }
}

/// Classifies a Tencent `ErrorCode` (`usersig.md`, `tencent-chat-rest.md`).
pub fn class_of_code(code: i64) -> ErrorClass {
    match code {
        // Rate limits, timeouts, transient Tencent-side failures.
        60007 | 60008 | 60011 | 60013 | 60014 | 60018 | 60019 => ErrorClass::Retryable,
        70169 | 70202 | 70500 => ErrorClass::Retryable,
        130009..=130012 => ErrorClass::Retryable,
        90102 | 91000 => ErrorClass::Retryable,
        // The UserSig itself is refused: a fresh one may fix it.
        60004 | 60005 => ErrorClass::UserSigRejected,
        70001..=70010 | 70019 | 70052 => ErrorClass::UserSigRejected,
        // Someone must fix the configuration.
        60006 | 60010 | 60016 | 60017 | 60020 | 60021 => ErrorClass::Configuration,
        70013 | 70014 | 70016 | 70020 | 70050 => ErrorClass::Configuration,
        90009 | 90045 => ErrorClass::Configuration,
        // Everything else is the request's fault (60002, 60003, 90100, …).
        _ => ErrorClass::BadRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fall_into_the_documented_classes() {
        for code in [
            60007, 60008, 60011, 60018, 60019, 70169, 70202, 70500, 130009, 130012, 90102, 91000,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::Retryable, "{code}");
        }
        for code in [
            70001, 70002, 70003, 70005, 70019, 70052, 70004, 70006, 70009, 70010, 60004,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::UserSigRejected, "{code}");
        }
        for code in [
            60006, 60010, 60021, 70013, 70014, 70016, 70020, 90009, 90045,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::Configuration, "{code}");
        }
        for code in [60002, 60003, 60009, 60012, 90100, 130001] {
            assert_eq!(class_of_code(code), ErrorClass::BadRequest, "{code}");
        }
    }

    #[test]
    fn deadline_keeps_the_class_and_code_of_its_last_error() {
        let last = Error::Api {
            command: "x".into(),
            code: 60007,
            info: "limit".into(),
        };
        let err = Error::Deadline {
            command: "x".into(),
            attempts: 3,
            last: Some(Box::new(last)),
        };
        assert_eq!(err.class(), ErrorClass::Retryable);
        assert!(err.is_rate_limited());
        assert_eq!(err.code(), Some(60007));
        assert!(err.to_string().contains("60007"));
    }
}
