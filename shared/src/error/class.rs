//! [`ErrorClass`]: what a caller should do about a failure. Its own module
//! so that the code table (`codes`) and [`Error`](crate::Error) both read it
//! without depending on each other.

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
