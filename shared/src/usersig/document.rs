//! The JSON document inside a UserSig: written when signing, read when
//! verifying as the reference libraries read it (any valid JSON object,
//! members in any order, the last of duplicates wins, unknown members
//! ignored, `null` for `TLS.userbuf` means absent), plus integers as
//! decimal strings; and what a UserSig says about itself ([`Claims`]).

use chrono::{DateTime, SecondsFormat};
use serde::Serialize;
use serde_json::{Map, Value};

use super::UserSigError;

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
}

/// What signing writes, members in alphabetical order (the order of a
/// `serde_json::Map`, which the tokens have always had).
#[derive(Serialize)]
pub(super) struct SignedDocument<'a> {
    #[serde(rename = "TLS.expire")]
    pub expire: u64,
    #[serde(rename = "TLS.identifier")]
    pub identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    pub sdkappid: u64,
    /// The HMAC, as standard base64.
    #[serde(rename = "TLS.sig")]
    pub sig: String,
    #[serde(rename = "TLS.time")]
    pub time: u64,
    #[serde(rename = "TLS.userbuf", skip_serializing_if = "Option::is_none")]
    pub userbuf: Option<&'a str>,
    #[serde(rename = "TLS.ver")]
    pub version: &'a str,
}

/// A decoded token. Integers keep the decimal text the HMAC covers, which
/// for a digit string is the string itself (leading zeros too).
pub(super) struct DecodedToken {
    pub version: String,
    pub identifier: String,
    pub sdkappid: (u64, String),
    pub time: (u64, String),
    pub expire: (u64, String),
    pub sig: String,
    pub userbuf: Option<String>,
}

impl DecodedToken {
    pub(super) fn claims(&self) -> Claims {
        // `None` past the calendar.
        let expires_at = i64::try_from(self.time.0.saturating_add(self.expire.0)).ok();
        Claims {
            identifier: self.identifier.clone(),
            sdkappid: self.sdkappid.0,
            time: self.time.0,
            expire: self.expire.0,
            expires_at: expires_at
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            userbuf: self.userbuf.clone(),
        }
    }
}

/// Parses the inflated JSON and checks each member's presence and type.
pub(super) fn parse(json: &[u8]) -> Result<DecodedToken, UserSigError> {
    let malformed = |what: &str| UserSigError::Malformed(what.into());
    let mut members = match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(members)) => members,
        Ok(_) => return Err(malformed("inflated UserSig is not a JSON object")),
        Err(_) => return Err(malformed("inflated UserSig is not JSON")),
    };
    let userbuf = match members.remove("TLS.userbuf") {
        None | Some(Value::Null) => None,
        Some(Value::String(userbuf)) => Some(userbuf),
        Some(_) => return Err(malformed("TLS.userbuf is not a string")),
    };
    Ok(DecodedToken {
        version: text(&mut members, "TLS.ver")?,
        identifier: text(&mut members, "TLS.identifier")?,
        sdkappid: integer(&mut members, "TLS.sdkappid")?,
        time: integer(&mut members, "TLS.time")?,
        expire: integer(&mut members, "TLS.expire")?,
        sig: text(&mut members, "TLS.sig")?,
        userbuf,
    })
}

fn text(members: &mut Map<String, Value>, name: &str) -> Result<String, UserSigError> {
    match members.remove(name) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(UserSigError::Malformed(format!("{name} is not a string"))),
        None => Err(UserSigError::Malformed(format!("{name} is missing"))),
    }
}

/// Integers as JSON numbers (every reference library) or, leniently, as
/// decimal strings; with the text the HMAC covers.
fn integer(members: &mut Map<String, Value>, name: &str) -> Result<(u64, String), UserSigError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let integer = match members.remove(name) {
        Some(Value::Number(n)) => n.as_u64().map(|n| (n, n.to_string())),
        Some(Value::String(s)) if digits(&s) => s.parse().ok().map(|n| (n, s)),
        Some(_) => None,
        None => return Err(UserSigError::Malformed(format!("{name} is missing"))),
    };
    integer.ok_or_else(|| UserSigError::Malformed(format!("{name} is not a non-negative integer")))
}
