//! The one error type of Tencent REST calls, and how each failure is classed.
//!
//! No variant carries a URL, a UserSig or a key: `reqwest::Error` prints the
//! request URL (which holds the UserSig), so transport errors are reduced to
//! a [`NetworkFailure`] kind plus a sanitised description before they get here.
//!
//! Kinds are types: [`Error::class`] gives an [`ErrorClass`] to match on, and
//! what Tencent's numeric `ErrorCode`s mean comes from one table,
//! [`TENCENT_CODES`].

mod codes;

use std::time::Duration;

pub use codes::{TENCENT_CODES, TencentCode};

/// Generates [`ErrorClass`] and its name and retry tables from one list, so
/// that a class cannot be added without its `error_type` and retry rule.
macro_rules! error_classes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $error_type:literal, retried: $retried:literal;
    )+) => {
        /// What a caller should do about a failure.
        ///
        /// Match on this rather than on
        /// [`Error::error_type`](crate::Error::error_type)'s strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorClass {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl ErrorClass {
            /// Every class, in the order of the table above.
            pub const ALL: &'static [ErrorClass] = &[$(ErrorClass::$variant),+];

            /// A stable identifier for Lambda's `errorType` and for logs
            /// (`TencentRetryable`, …).
            pub const fn error_type(self) -> &'static str {
                match self {
                    $(ErrorClass::$variant => $error_type,)+
                }
            }

            /// Whether the client retries failures of this class (with
            /// backoff, within the deadline).
            pub const fn is_retryable(self) -> bool {
                match self {
                    $(ErrorClass::$variant => $retried,)+
                }
            }
        }
    };
}

error_classes! {
    /// Transient on Tencent's side (rate limits, timeouts, 5xx, storage
    /// errors): back off and retry.
    Retryable => "TencentRetryable", retried: true;
    /// The UserSig was refused: get a fresh one once, then fail.
    UserSigRejected => "TencentUserSigRejected", retried: false;
    /// Wrong SDKAppID, admin account, key, region or source IP: an operator
    /// must fix the configuration. Never retried.
    Configuration => "TencentConfiguration", retried: false;
    /// The request itself is wrong (a bug or a caller's mistake). Never retried.
    BadRequest => "TencentBadRequest", retried: false;
    /// The connection failed (refused, DNS, reset, timeout). Retried.
    Network => "TencentNetwork", retried: true;
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
        /// The command called.
        command: String,
        /// Tencent's `ErrorCode` (see [`TENCENT_CODES`]).
        code: i64,
        /// Tencent's `ErrorInfo`, as sent (may be empty).
        info: String,
    },
    /// An HTTP status other than 200 (Tencent's gateway answers 502 and kin).
    #[error("Tencent {command} answered HTTP {status}")]
    Http {
        /// The command called.
        command: String,
        /// The HTTP status.
        status: u16,
    },
    /// The request body could not be serialised as JSON (a bug in the caller's
    /// type, e.g. a map with non-string keys). Never retried.
    #[error("Tencent {command}: request body is not serialisable as JSON: {reason}")]
    Encode {
        /// The command called.
        command: String,
        /// serde_json's message.
        reason: String,
    },
    /// The body was not Tencent's JSON envelope (truncated, not JSON, …).
    #[error("Tencent {command} answered a body that is not its JSON envelope: {reason}")]
    Decode {
        /// The command called.
        command: String,
        /// What was wrong (never the body itself).
        reason: String,
    },
    /// The request did not complete at the transport level.
    #[error("network error calling Tencent {command} ({kind:?}): {detail}")]
    Network {
        /// The command called.
        command: String,
        /// Connect, timeout or other.
        kind: NetworkFailure,
        /// The transport's description, without URL or UserSig.
        detail: String,
    },
    /// The caller's deadline came before a successful answer.
    #[error("Tencent {command}: deadline reached after {attempts} attempt(s){}", last.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default())]
    Deadline {
        /// The command called.
        command: String,
        /// HTTP attempts made.
        attempts: u32,
        /// The last attempt's failure, if an attempt failed.
        last: Option<Box<Error>>,
    },
    /// No usable credentials (secret missing or malformed, signing failed…),
    /// or none other than a UserSig Tencent refused.
    #[error("Tencent credentials unavailable: {reason}{}", refused_with.map(|code| format!(" (Tencent refused the UserSig with ErrorCode {code})")).unwrap_or_default())]
    Credentials {
        /// What failed (names the secret, never its value).
        reason: String,
        /// Whether it may pass ([`ErrorClass::Retryable`]) or needs an operator.
        class: ErrorClass,
        /// Tencent's `ErrorCode` when this failure ends a call whose UserSig
        /// Tencent refused (the source had no other one): set by the client,
        /// so that callers can report Tencent's code ([`Error::code`]).
        refused_with: Option<i64>,
    },
    /// The client is not configured to reach Tencent (no region, bad URL).
    #[error("Tencent client configuration: {reason}")]
    Config {
        /// What is missing or wrong.
        reason: String,
    },
}

impl Error {
    /// How to treat this failure. `Deadline` takes the class of its last error
    /// (a deadline hit while Tencent was rate-limiting is still a rate limit).
    pub fn class(&self) -> ErrorClass {
        match self {
            // Codes the table does not list are the request's fault.
            Error::Api { .. } => self
                .tencent_code()
                .map_or(ErrorClass::BadRequest, |k| k.class),
            // "always 200 unless a network error (such as error 502)
            // occurs": any other status is the gateway's, not the request's.
            Error::Http { .. } => ErrorClass::Retryable,
            Error::Encode { .. } => ErrorClass::BadRequest,
            Error::Decode { .. } => ErrorClass::Retryable,
            Error::Network { .. } => ErrorClass::Network,
            Error::Deadline {
                last: Some(last), ..
            } => last.class(),
            Error::Deadline { last: None, .. } => ErrorClass::Retryable,
            Error::Credentials { class, .. } => *class,
            Error::Config { .. } => ErrorClass::Configuration,
        }
    }

    /// Whether the client retries it (with backoff, within the deadline).
    pub fn is_retryable(&self) -> bool {
        self.class().is_retryable()
    }

    /// Tencent's `ErrorCode`, for an API error (or the last one before a
    /// deadline, or the refusal a credentials failure ended).
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            Error::Deadline { last, .. } => last.as_ref().and_then(|e| e.code()),
            Error::Credentials { refused_with, .. } => *refused_with,
            _ => None,
        }
    }

    /// What the table says about [`Error::code`], when Tencent sent a known one.
    fn tencent_code(&self) -> Option<&'static TencentCode> {
        self.code().and_then(TencentCode::lookup)
    }

    /// Tencent is asking us to slow down (frequency limits).
    pub fn is_rate_limited(&self) -> bool {
        self.retry_after().is_some()
    }

    /// How long a caller should wait before trying again, when Tencent said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.tencent_code().and_then(|known| known.retry_after)
    }

    /// Tencent's (or the gateway's) answer was a timeout rather than an error.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Network { kind, .. } => *kind == NetworkFailure::Timeout,
            Error::Deadline { .. } => true,
            Error::Api { .. } => self.tencent_code().is_some_and(|known| known.timeout),
            Error::Http { status, .. } => *status == 504,
            _ => false,
        }
    }

    /// A stable identifier for Lambda's `errorType` and for logs: the
    /// class's [`ErrorClass::error_type`]. Match on [`Error::class`] instead
    /// of comparing these strings.
    pub fn error_type(&self) -> &'static str {
        self.class().error_type()
    }

    /// This credentials failure ended a call after Tencent refused the
    /// UserSig with `refusal`: it keeps Tencent's code. Other errors are
    /// returned as they are.
    pub fn after_refusal(mut self, refusal: &Error) -> Self {
        if let Error::Credentials { refused_with, .. } = &mut self {
            *refused_with = refusal.code();
        }
        self
    }

    /// An operator's hint for configuration and UserSig failures.
    pub fn hint(&self) -> Option<&'static str> {
        self.tencent_code().and_then(|known| known.hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn any_http_status_of_the_gateway_is_retryable() {
        for status in [403, 404, 429, 502] {
            let err = Error::Http {
                command: "x".into(),
                status,
            };
            assert_eq!(err.class(), ErrorClass::Retryable, "{status}");
        }
    }

    #[test]
    fn error_types_are_the_documented_strings() {
        let names: Vec<(&str, bool)> = ErrorClass::ALL
            .iter()
            .map(|class| (class.error_type(), class.is_retryable()))
            .collect();
        assert_eq!(
            names,
            [
                ("TencentRetryable", true),
                ("TencentUserSigRejected", false),
                ("TencentConfiguration", false),
                ("TencentBadRequest", false),
                ("TencentNetwork", true),
            ]
        );
        let api = |code| Error::Api {
            command: "x".into(),
            code,
            info: String::new(),
        };
        assert_eq!(api(60006).error_type(), "TencentConfiguration");
        assert_eq!(api(70001).error_type(), "TencentUserSigRejected");
        assert_eq!(api(90100).error_type(), "TencentBadRequest");
        assert_eq!(
            serde_json::to_value(ErrorClass::UserSigRejected).unwrap(),
            "user_sig_rejected"
        );
    }

    #[test]
    fn rate_limits_timeouts_and_hints_come_from_the_code_table() {
        let api = |code| Error::Api {
            command: "x".into(),
            code,
            info: String::new(),
        };
        for code in [60007, 60011, 60018, 60019] {
            assert!(api(code).is_rate_limited(), "{code}");
            assert_eq!(api(code).retry_after(), Some(Duration::from_secs(1)));
        }
        assert!(api(70050).is_rate_limited());
        assert_eq!(api(70050).retry_after(), Some(Duration::from_secs(60)));
        assert_eq!(api(70050).class(), ErrorClass::Configuration);
        assert!(!api(60008).is_rate_limited());
        assert!(api(60008).is_timeout() && api(70169).is_timeout());
        assert!(!api(60007).is_timeout());
        for code in [
            70004, 70006, 70010, 70013, 70014, 70016, 70020, 60006, 60010,
        ] {
            assert!(api(code).hint().is_some(), "{code}");
        }
        for code in [90009, 60016, 60017, 60020, 60021, 90045] {
            assert!(api(code).hint().is_some(), "{code}");
        }
        for code in [70001, 70005, 60007, 90100] {
            assert_eq!(api(code).hint(), None, "{code}");
        }
    }
}
