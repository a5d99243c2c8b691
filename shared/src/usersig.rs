//! UserSig (Tencent's TLSSigAPIv2): sign, verify and inspect.
//!
//! A UserSig is `base64url'(zlib(json))` where the JSON carries the claims
//! and `TLS.sig = base64(HMAC-SHA256(key, content))`. `content` is the fixed
//! `TLS.name:value\n` lines; the HMAC key is the key string's UTF-8 bytes
//! (never hex-decoded). The URL-safe alphabet is Tencent's own: `+`→`*`,
//! `/`→`-`, `=`→`_`.
//!
//! Secrets are wrapped ([`SecretKey`], [`UserSig`]) so that neither can reach
//! a log line or an error message through `Debug` or `Display`.
//!
//! The HMAC key schedule is computed once per [`Signer`]; the JSON is
//! serde_json's, the zlib layer flate2's (module `framing`).

use std::fmt;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

mod document;
mod framing;

pub use document::Claims;

/// Validity the reference libraries default to: 180 days.
pub const DEFAULT_EXPIRE_SECS: u64 = 15_552_000;

/// The only version this algorithm produces and accepts.
pub const VERSION: &str = "2.0";

/// Lenient standard base64: accepts input with or without `=` padding. It
/// reads `TLS.sig` when verifying.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

/// A secret text whose `Debug` shows only the type's name.
macro_rules! redacted_text {
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps the text exactly as given.
            pub fn new(text: impl Into<String>) -> Self {
                Self(text.into())
            }

            /// The text, only for where it must go (signing, the request
            /// URL, the UserSig secret).
            pub fn expose_secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

redacted_text! {
    /// The app's secret key from the Chat console. `Debug` redacts it.
    SecretKey
}

redacted_text! {
    /// A signed UserSig. `Debug` and `Display` redact it: it is a bearer token.
    UserSig
}

impl fmt::Display for UserSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted UserSig>")
    }
}

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

/// Where "now" comes from, so tests can freeze time.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> u64 {
        // A clock before 1970 is a broken host; 0 makes every UserSig look
        // fresh, which signing tolerates and verification reports honestly.
        u64::try_from(Utc::now().timestamp()).unwrap_or(0)
    }
}

/// A clock frozen at one instant (tests, `--time`, `--now`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now_unix(&self) -> u64 {
        self.0
    }
}

/// Signs UserSigs for one app admin (or any identifier) with one key.
#[derive(Clone)]
pub struct Signer {
    sdkappid: u64,
    /// HMAC state with the key already absorbed, cloned for each signature:
    /// the key schedule (two SHA-256 blocks) is paid once, not per call.
    keyed_mac: HmacSha256,
}

impl Signer {
    /// A signer for `sdkappid` with the app's key. The HMAC key state is
    /// computed here once and copied for each signature.
    ///
    /// ```
    /// use tim::usersig::{SecretKey, Signer};
    ///
    /// let signer = Signer::new(1_400_000_000, SecretKey::new("the-app-key"));
    /// let usersig = signer.sign("administrator", 86_400, 1_700_000_000);
    /// let claims = signer
    ///     .verify(usersig.expose_secret(), "administrator", 1_700_000_100)
    ///     .unwrap();
    /// assert_eq!((claims.sdkappid, claims.expire), (1_400_000_000, 86_400));
    /// // Tampering or another key is refused, with a stable reason.
    /// let other = Signer::new(1_400_000_000, SecretKey::new("another-key"));
    /// let err = other.verify(usersig.expose_secret(), "administrator", 1_700_000_100);
    /// assert_eq!(err.unwrap_err().reason(), "signature");
    /// ```
    pub fn new(sdkappid: u64, key: SecretKey) -> Self {
        // HMAC accepts keys of any length; this cannot fail.
        let keyed_mac = HmacSha256::new_from_slice(key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Self {
            sdkappid,
            keyed_mac,
        }
    }

    /// The app this signer signs for.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// A UserSig for `identifier`, valid `expire` seconds from `time`.
    pub fn sign(&self, identifier: &str, expire: u64, time: u64) -> UserSig {
        self.sign_with_userbuf(identifier, expire, time, None)
    }

    /// As [`Signer::sign`], with a TRTC `userbuf` (PrivateMapKey).
    pub fn sign_with_userbuf(
        &self,
        identifier: &str,
        expire: u64,
        time: u64,
        userbuf: Option<&[u8]>,
    ) -> UserSig {
        let userbuf_b64 = userbuf.map(|buf| STANDARD.encode(buf));
        let numbers = [self.sdkappid, time, expire].map(|n| n.to_string());
        let mac = self.mac_of(identifier, numbers.each_ref(), userbuf_b64.as_deref());
        let document = document::SignedDocument {
            expire,
            identifier,
            sdkappid: self.sdkappid,
            sig: STANDARD.encode(mac.finalize().into_bytes()),
            time,
            userbuf: userbuf_b64.as_deref(),
            version: VERSION,
        };
        // Strings and integers always serialise.
        let json = serde_json::to_vec(&document)
            .unwrap_or_else(|_| unreachable!("serialising strings and integers"));
        UserSig(framing::encode(&json))
    }

    /// Verifies `usersig` for `sdkappid`/`identifier` at `now` (unix seconds).
    ///
    /// Checks, in order: decoding, version, sdkappid, identifier, signature
    /// (constant-time), then expiry (`now <= time + expire` is valid). The
    /// signature comes before expiry so a forged token is never reported as
    /// merely stale.
    pub fn verify(
        &self,
        usersig: &str,
        identifier: &str,
        now: u64,
    ) -> Result<Claims, UserSigError> {
        let token = document::parse(&framing::decode(usersig)?)?;
        if token.version != VERSION {
            let found = token.version;
            return Err(UserSigError::Version { found });
        }
        let claims = token.claims();
        if claims.sdkappid != self.sdkappid {
            let (expected, found) = (self.sdkappid, claims.sdkappid);
            return Err(UserSigError::SdkAppId { expected, found });
        }
        if claims.identifier != identifier {
            let (expected, found) = (identifier.to_owned(), claims.identifier);
            return Err(UserSigError::Identifier { expected, found });
        }
        // Not base64: no HMAC matches an empty one either.
        let expected_sig = STANDARD_LENIENT.decode(&token.sig).unwrap_or_default();
        let numbers = [&token.sdkappid.1, &token.time.1, &token.expire.1];
        self.mac_of(&token.identifier, numbers, token.userbuf.as_deref())
            .verify_slice(&expected_sig)
            .map_err(|_| UserSigError::Signature)?;
        let expired_at = claims.expires_at_unix();
        if now > expired_at {
            return Err(UserSigError::Expired { expired_at, now });
        }
        Ok(claims)
    }

    /// The HMAC over the content lines (sdkappid, time and expire as text
    /// exactly as they appear in the token), from the precomputed key state.
    fn mac_of(&self, identifier: &str, numbers: [&String; 3], userbuf: Option<&str>) -> HmacSha256 {
        let [sdkappid, time, expire] = numbers;
        let mut mac = self.keyed_mac.clone();
        mac.update(
            format!(
                "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
            )
            .as_bytes(),
        );
        if let Some(userbuf) = userbuf {
            mac.update(format!("TLS.userbuf:{userbuf}\n").as_bytes());
        }
        mac
    }
}

/// Reads a UserSig's claims without checking its signature.
pub fn inspect(usersig: &str) -> Result<Claims, UserSigError> {
    Ok(document::parse(&framing::decode(usersig)?)?.claims())
}

#[cfg(test)]
mod tests;
