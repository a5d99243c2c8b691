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

use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

/// Validity the reference libraries default to: 180 days.
pub const DEFAULT_EXPIRE_SECS: u64 = 15_552_000;

/// The only version this algorithm produces and accepts.
pub const VERSION: &str = "2.0";

/// Inflated JSON larger than this is refused: a UserSig is a few hundred
/// bytes, and a verifier must not be a zip bomb's target.
const MAX_INFLATED_LEN: u64 = 64 * 1024;

/// Token text longer than this is refused before decoding. Deflate never
/// grows data by more than a few bytes per 16 KiB block, so any token that
/// inflates within [`MAX_INFLATED_LEN`] fits well under this.
const MAX_USERSIG_LEN: usize = 2 * MAX_INFLATED_LEN as usize;

/// Lenient standard base64: accepts input with or without `=` padding.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

/// The app's secret key from the Chat console. `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key text, for signing only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A signed UserSig. `Debug` and `Display` redact it: it is a bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSig(String);

impl UserSig {
    pub fn new(usersig: impl Into<String>) -> Self {
        Self(usersig.into())
    }

    /// The token text, for the request URL (and the UserSig secret) only.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserSig(<redacted>)")
    }
}

impl fmt::Display for UserSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted UserSig>")
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

/// What a UserSig says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub identifier: String,
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

/// Why a UserSig was refused. [`UserSigError::reason`] gives the stable word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserSigError {
    #[error("malformed UserSig: {0}")]
    Malformed(String),
    #[error("unsupported UserSig version {found:?} (expected \"2.0\")")]
    Version { found: String },
    #[error("sdkappid mismatch: UserSig is for {found}, expected {expected}")]
    SdkAppId { expected: u64, found: u64 },
    #[error("identifier mismatch: UserSig is for {found:?}, expected {expected:?}")]
    Identifier { expected: String, found: String },
    #[error("UserSig expired at {expired_at} (now {now})")]
    Expired { expired_at: u64, now: u64 },
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

/// Signs UserSigs for one app admin (or any identifier) with one key.
#[derive(Debug, Clone)]
pub struct Signer {
    sdkappid: u64,
    key: SecretKey,
}

impl Signer {
    pub fn new(sdkappid: u64, key: SecretKey) -> Self {
        Self { sdkappid, key }
    }

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
        let fields = SignedFields {
            identifier,
            sdkappid: &self.sdkappid.to_string(),
            time: &time.to_string(),
            expire: &expire.to_string(),
            userbuf: userbuf_b64.as_deref(),
        };
        let sig = STANDARD.encode(hmac_of(&self.key, &fields).finalize().into_bytes());

        let mut doc = serde_json::Map::new();
        doc.insert("TLS.ver".into(), Value::from(VERSION));
        doc.insert("TLS.identifier".into(), Value::from(identifier));
        doc.insert("TLS.sdkappid".into(), Value::from(self.sdkappid));
        doc.insert("TLS.expire".into(), Value::from(expire));
        doc.insert("TLS.time".into(), Value::from(time));
        doc.insert("TLS.sig".into(), Value::from(sig));
        if let Some(buf) = userbuf_b64 {
            doc.insert("TLS.userbuf".into(), Value::from(buf));
        }
        // Serialising a map of strings and integers cannot fail.
        let json = Value::Object(doc).to_string();
        UserSig(encode_token(json.as_bytes()))
    }

    /// As [`Signer::sign`], issued at the clock's "now".
    pub fn sign_with_clock(&self, identifier: &str, expire: u64, clock: &dyn Clock) -> UserSig {
        self.sign(identifier, expire, clock.now_unix())
    }

    /// As [`Signer::verify`], checked at the clock's "now".
    pub fn verify_with_clock(
        &self,
        usersig: &str,
        identifier: &str,
        clock: &dyn Clock,
    ) -> Result<Claims, UserSigError> {
        self.verify(usersig, identifier, clock.now_unix())
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
        let token = decode_token(usersig)?;
        if token.version != VERSION {
            return Err(UserSigError::Version {
                found: token.version,
            });
        }
        let claims = token.claims()?;
        if claims.sdkappid != self.sdkappid {
            return Err(UserSigError::SdkAppId {
                expected: self.sdkappid,
                found: claims.sdkappid,
            });
        }
        if claims.identifier != identifier {
            return Err(UserSigError::Identifier {
                expected: identifier.to_owned(),
                found: claims.identifier,
            });
        }
        let expected_sig = STANDARD_LENIENT
            .decode(token.sig.as_bytes())
            .map_err(|_| UserSigError::Signature)?;
        let fields = SignedFields {
            identifier: &token.identifier,
            sdkappid: &token.sdkappid_text,
            time: &token.time_text,
            expire: &token.expire_text,
            userbuf: token.userbuf.as_deref(),
        };
        hmac_of(&self.key, &fields)
            .verify_slice(&expected_sig)
            .map_err(|_| UserSigError::Signature)?;
        if now > claims.expires_at_unix() {
            return Err(UserSigError::Expired {
                expired_at: claims.expires_at_unix(),
                now,
            });
        }
        Ok(claims)
    }
}

/// Reads a UserSig's claims without checking its signature.
pub fn inspect(usersig: &str) -> Result<Claims, UserSigError> {
    decode_token(usersig)?.claims()
}

/// The lines the HMAC covers, as text exactly as they appear in the token.
struct SignedFields<'a> {
    identifier: &'a str,
    sdkappid: &'a str,
    time: &'a str,
    expire: &'a str,
    userbuf: Option<&'a str>,
}

fn hmac_of(key: &SecretKey, fields: &SignedFields<'_>) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for (name, value) in [
        ("identifier", fields.identifier),
        ("sdkappid", fields.sdkappid),
        ("time", fields.time),
        ("expire", fields.expire),
    ] {
        mac.update(b"TLS.");
        mac.update(name.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        mac.update(b"\n");
    }
    if let Some(userbuf) = fields.userbuf {
        mac.update(b"TLS.userbuf:");
        mac.update(userbuf.as_bytes());
        mac.update(b"\n");
    }
    mac
}

fn encode_token(json: &[u8]) -> String {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let compressed = zlib
        .write_all(json)
        .and_then(|()| zlib.finish())
        .unwrap_or_else(|_| unreachable!("zlib into a Vec is infallible"));
    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect()
}

/// Inflates one complete zlib stream of at most [`MAX_INFLATED_LEN`] bytes
/// with nothing after it (trailing bytes would give one token two spellings).
fn inflate(compressed: &[u8]) -> Result<Vec<u8>, UserSigError> {
    let mut json = Vec::new();
    let mut limited = flate2::bufread::ZlibDecoder::new(compressed).take(MAX_INFLATED_LEN + 1);
    limited
        .read_to_end(&mut json)
        .map_err(|_| UserSigError::Malformed("not zlib data".into()))?;
    if json.len() as u64 > MAX_INFLATED_LEN {
        return Err(UserSigError::Malformed(
            "inflated UserSig is too large".into(),
        ));
    }
    // The bufread decoder consumes its input exactly up to the stream's end.
    if !limited.into_inner().get_ref().is_empty() {
        return Err(UserSigError::Malformed("data after the zlib stream".into()));
    }
    Ok(json)
}

/// A decoded token: each numeric member both as a number and as the text the
/// HMAC was computed over (a signer may have written it as a JSON string).
struct DecodedToken {
    version: String,
    identifier: String,
    sdkappid_text: String,
    time_text: String,
    expire_text: String,
    sig: String,
    userbuf: Option<String>,
}

impl DecodedToken {
    fn claims(&self) -> Result<Claims, UserSigError> {
        let number = |name: &str, text: &str| {
            text.parse::<u64>().map_err(|_| {
                UserSigError::Malformed(format!("TLS.{name} is not a non-negative integer"))
            })
        };
        let mut claims = Claims {
            identifier: self.identifier.clone(),
            sdkappid: number("sdkappid", &self.sdkappid_text)?,
            time: number("time", &self.time_text)?,
            expire: number("expire", &self.expire_text)?,
            expires_at: None,
            userbuf: self.userbuf.clone(),
        };
        claims.expires_at = claims
            .expires_at_utc()
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(claims)
    }
}

fn decode_token(usersig: &str) -> Result<DecodedToken, UserSigError> {
    let usersig = usersig.trim();
    if usersig.is_empty() {
        return Err(UserSigError::Malformed("empty UserSig".into()));
    }
    if usersig.len() > MAX_USERSIG_LEN {
        return Err(UserSigError::Malformed("UserSig is too long".into()));
    }
    // Only Tencent's alphabet: a `+`, `/` or `=` would decode to the same
    // bytes as its `*`, `-`, `_` twin, and one token should have one spelling.
    if !usersig
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'_'))
    {
        return Err(UserSigError::Malformed(
            "not base64 in Tencent's URL alphabet".into(),
        ));
    }
    let standard: String = usersig
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect();
    let compressed = STANDARD_LENIENT
        .decode(standard.as_bytes())
        .map_err(|_| UserSigError::Malformed("not base64 in Tencent's URL alphabet".into()))?;
    let json = inflate(&compressed)?;
    let doc: Value = serde_json::from_slice(&json)
        .map_err(|_| UserSigError::Malformed("inflated UserSig is not JSON".into()))?;
    let Value::Object(doc) = doc else {
        return Err(UserSigError::Malformed(
            "inflated UserSig is not a JSON object".into(),
        ));
    };

    let text = |name: &str| -> Result<String, UserSigError> {
        match doc.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(UserSigError::Malformed(format!("{name} is not a string"))),
            None => Err(UserSigError::Malformed(format!("{name} is missing"))),
        }
    };
    // Integers as JSON numbers (every reference library) or, leniently, as
    // decimal strings; the HMAC covers their decimal text either way.
    let integer_text = |name: &str| -> Result<String, UserSigError> {
        match doc.get(name) {
            Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(s.clone())
            }
            Some(_) => Err(UserSigError::Malformed(format!(
                "{name} is not a non-negative integer"
            ))),
            None => Err(UserSigError::Malformed(format!("{name} is missing"))),
        }
    };
    Ok(DecodedToken {
        version: text("TLS.ver")?,
        identifier: text("TLS.identifier")?,
        sdkappid_text: integer_text("TLS.sdkappid")?,
        time_text: integer_text("TLS.time")?,
        expire_text: integer_text("TLS.expire")?,
        sig: text("TLS.sig")?,
        userbuf: match doc.get("TLS.userbuf") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(UserSigError::Malformed(
                    "TLS.userbuf is not a string".into(),
                ));
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const SDKAPPID: u64 = 1_400_000_000;
    const TIME: u64 = 1_700_000_000;
    const REFERENCE_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_";

    fn signer() -> Signer {
        Signer::new(SDKAPPID, SecretKey::new(KEY))
    }

    fn sig_of(usersig: &UserSig) -> String {
        let token = decode_token(usersig.expose_secret()).expect("decodes");
        token.sig
    }

    #[test]
    fn known_answers_from_the_reference_library() {
        let admin = signer().sign("admin", 15_552_000, TIME);
        assert_eq!(
            sig_of(&admin),
            "3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI="
        );
        let administrator = signer().sign("administrator", 86_400, TIME);
        assert_eq!(
            sig_of(&administrator),
            "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
        );
    }

    #[test]
    fn reference_token_verifies_until_its_last_second() {
        let last = TIME + 15_552_000;
        let claims = signer()
            .verify(REFERENCE_ADMIN, "admin", TIME)
            .expect("valid");
        assert_eq!(claims.identifier, "admin");
        assert_eq!(claims.expires_at_unix(), last);
        assert!(signer().verify(REFERENCE_ADMIN, "admin", last).is_ok());
        assert_eq!(
            signer().verify(REFERENCE_ADMIN, "admin", last + 1),
            Err(UserSigError::Expired {
                expired_at: last,
                now: last + 1
            })
        );
    }

    #[test]
    fn our_token_is_url_safe_and_zlib_framed() {
        let token = signer().sign("admin", 15_552_000, TIME);
        let text = token.expose_secret();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"*-_".contains(&b))
        );
        assert!(text.starts_with("eJ"), "78 9c header encodes as eJ");
    }

    #[test]
    fn largest_acceptable_document_fits_the_token_length_limit() {
        // Incompressible userbuf: the inflated JSON lands just under the
        // inflate limit, so the token is as long as a valid one can get.
        let mut rng = fastrand::Rng::with_seed(7);
        let userbuf: Vec<u8> = (0..48_000).map(|_| rng.u8(..)).collect();
        let token = signer().sign_with_userbuf("admin", 60, TIME, Some(&userbuf));
        let json = inflate(
            &STANDARD
                .decode(
                    token
                        .expose_secret()
                        .replace('*', "+")
                        .replace('-', "/")
                        .replace('_', "="),
                )
                .unwrap(),
        )
        .unwrap();
        assert!(
            json.len() as u64 > MAX_INFLATED_LEN - 2_000,
            "{}",
            json.len()
        );
        assert!(token.expose_secret().len() < MAX_USERSIG_LEN);
        assert!(
            signer()
                .verify(token.expose_secret(), "admin", TIME)
                .is_ok()
        );
    }

    #[test]
    fn inflate_refuses_trailing_bytes_and_oversized_output() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(b"{}").unwrap();
        let mut stream = zlib.finish().unwrap();
        assert_eq!(inflate(&stream).unwrap(), b"{}");
        stream.push(0);
        assert!(matches!(inflate(&stream), Err(UserSigError::Malformed(_))));

        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        zlib.write_all(&vec![b' '; MAX_INFLATED_LEN as usize + 1])
            .unwrap();
        assert!(matches!(
            inflate(&zlib.finish().unwrap()),
            Err(UserSigError::Malformed(_))
        ));
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let token = signer().sign("admin", 60, TIME);
        assert!(!format!("{token:?} {token}").contains(token.expose_secret()));
        assert!(!format!("{:?}", signer()).contains(KEY));
    }
}
