//! What a UserSig says about itself, read from its JSON document.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Lenient standard base64: accepts input with or without `=` padding. It
/// reads the userbuf here and `TLS.sig` when verifying.
pub(super) const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What a UserSig says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// The identifier the UserSig is for (`TLS.identifier`).
    pub identifier: String,
    /// The app it is for (`TLS.sdkappid`).
    pub sdkappid: u64,
    /// Issued at, unix seconds (`TLS.time`).
    pub time: u64,
    /// Seconds of validity after `time` (`TLS.expire`).
    pub expire: u64,
    /// `time + expire`, RFC 3339 (UTC); `None` if it overflows the calendar.
    pub expires_at: Option<String>,
    /// `TLS.userbuf` (TRTC PrivateMapKey), as its base64 text, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userbuf: Option<String>,
}

impl Claims {
    /// Last second at which the UserSig is still valid (`time + expire`).
    pub fn expires_at_unix(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }

    /// [`Claims::expires_at_unix`] as a UTC time; `None` past the calendar.
    pub fn expires_at_utc(&self) -> Option<DateTime<Utc>> {
        i64::try_from(self.expires_at_unix())
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
    }

    /// The userbuf's bytes; `None` without a userbuf or if its text is not
    /// standard base64 (the HMAC covers the text, so such a token can still
    /// carry a valid signature).
    pub fn userbuf_bytes(&self) -> Option<Vec<u8>> {
        self.userbuf
            .as_deref()
            .and_then(|text| STANDARD_LENIENT.decode(text).ok())
    }
}
