//! Why a UserSig was refused, with one stable word per reason.

/// Why a UserSig was refused. [`UserSigError::reason`] gives the stable word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserSigError {
    /// Not a UserSig at all (encoding, zlib, JSON, a missing member); says what.
    #[error("malformed UserSig: {0}")]
    Malformed(String),
    #[error("unsupported UserSig version {found:?} (expected \"2.0\")")]
    /// A `TLS.ver` other than `2.0`.
    Version {
        /// The version the token claims.
        found: String,
    },
    #[error("sdkappid mismatch: UserSig is for {found}, expected {expected}")]
    /// Signed for another app.
    SdkAppId {
        /// The verifier's SDKAppID.
        expected: u64,
        /// The token's.
        found: u64,
    },
    #[error("identifier mismatch: UserSig is for {found:?}, expected {expected:?}")]
    /// Signed for another identifier.
    Identifier {
        /// The identifier asked for.
        expected: String,
        /// The token's.
        found: String,
    },
    #[error("UserSig expired at {expired_at} (now {now})")]
    /// Valid signature, but past `time + expire`.
    Expired {
        /// Last valid second (unix).
        expired_at: u64,
        /// The verifier's now (unix).
        now: u64,
    },
    /// The HMAC does not match: another key, or an altered token.
    #[error("UserSig signature does not match (wrong key, or the token was altered)")]
    Signature,
}

impl UserSigError {
    /// One stable word per reason: `malformed`, `version`, `sdkappid`,
    /// `identifier`, `expired`, `signature`. Tools match on it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Version { .. } => "version",
            Self::SdkAppId { .. } => "sdkappid",
            Self::Identifier { .. } => "identifier",
            Self::Expired { .. } => "expired",
            Self::Signature => "signature",
        }
    }
}
