//! The JSON document inside a UserSig: written when signing, read when
//! verifying, without building a `serde_json::Value` map.
//!
//! Reading keeps the exact rules of parsing into a `Value` and looking the
//! members up (`document/tests.rs` checks the two against each other): any
//! valid JSON, members in any order, the last of duplicate members wins,
//! unknown members ignored but still validated, `null` for `TLS.userbuf`
//! means absent, integers as JSON numbers or digit strings.

use std::borrow::Cow;
use std::fmt;

use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::claims::Claims;
use super::error::UserSigError;

/// What signing writes. The members are in alphabetical order, the order
/// the `serde_json::Map` used before wrote them in, so the JSON is the same
/// byte for byte.
#[derive(Serialize)]
pub(super) struct SignedDocument<'a> {
    #[serde(rename = "TLS.expire")]
    pub expire: u64,
    #[serde(rename = "TLS.identifier")]
    pub identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    pub sdkappid: u64,
    /// The HMAC, written as standard base64.
    #[serde(rename = "TLS.sig", serialize_with = "standard_base64")]
    pub sig: &'a [u8],
    #[serde(rename = "TLS.time")]
    pub time: u64,
    #[serde(rename = "TLS.userbuf", skip_serializing_if = "Option::is_none")]
    pub userbuf: Option<&'a str>,
    #[serde(rename = "TLS.ver")]
    pub version: &'a str,
}

impl SignedDocument<'_> {
    /// About the JSON's length (more if the identifier needs escapes).
    pub(super) fn json_len_hint(&self) -> usize {
        192 + self.identifier.len() + self.userbuf.map_or(0, str::len)
    }

    /// Appends the JSON to `out`.
    pub(super) fn write_json(&self, out: &mut Vec<u8>) {
        // Strings and integers always serialise, and a Vec takes every write.
        serde_json::to_writer(out, self)
            .unwrap_or_else(|_| unreachable!("serialising strings and integers into a Vec"));
    }
}

/// Base64 straight into the JSON, without a String in between.
fn standard_base64<S: Serializer>(bytes: &&[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Base64Display::new(bytes, &STANDARD))
}

/// A decoded token, borrowing from the inflated JSON where it can.
pub(super) struct DecodedToken<'a> {
    pub version: Cow<'a, str>,
    pub identifier: Cow<'a, str>,
    pub sdkappid: Integer<'a>,
    pub time: Integer<'a>,
    pub expire: Integer<'a>,
    pub sig: Cow<'a, str>,
    pub userbuf: Option<Cow<'a, str>>,
}

/// A numeric member as the signer wrote it: the HMAC covers its decimal
/// text, which for a digit string is the string itself (leading zeros too).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Integer<'a> {
    Number(u64),
    Digits(Cow<'a, str>),
}

impl Integer<'_> {
    /// The decimal text the HMAC covers (`buffer` holds a number's text).
    pub(super) fn text<'b>(&'b self, buffer: &'b mut itoa::Buffer) -> &'b str {
        match self {
            Self::Number(n) => buffer.format(*n),
            Self::Digits(digits) => digits,
        }
    }

    fn value(&self, name: &str) -> Result<u64, UserSigError> {
        match self {
            Self::Number(n) => Ok(*n),
            Self::Digits(digits) => digits.parse().map_err(|_| {
                UserSigError::Malformed(format!("TLS.{name} is not a non-negative integer"))
            }),
        }
    }
}

impl DecodedToken<'_> {
    pub(super) fn claims(&self) -> Result<Claims, UserSigError> {
        let mut claims = Claims {
            identifier: self.identifier.clone().into_owned(),
            sdkappid: self.sdkappid.value("sdkappid")?,
            time: self.time.value("time")?,
            expire: self.expire.value("expire")?,
            expires_at: None,
            userbuf: self.userbuf.as_deref().map(str::to_owned),
        };
        claims.expires_at = claims
            .expires_at_utc()
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(claims)
    }
}

/// Parses the inflated JSON and checks each member's presence and type.
pub(super) fn parse(json: &[u8]) -> Result<DecodedToken<'_>, UserSigError> {
    let members = match serde_json::from_slice::<Document<'_>>(json) {
        Ok(Document::Object(members)) => members,
        Ok(Document::NotObject) => {
            return Err(UserSigError::Malformed(
                "inflated UserSig is not a JSON object".into(),
            ));
        }
        Err(_) => {
            return Err(UserSigError::Malformed(
                "inflated UserSig is not JSON".into(),
            ));
        }
    };
    Ok(DecodedToken {
        version: text("TLS.ver", members.version)?,
        identifier: text("TLS.identifier", members.identifier)?,
        sdkappid: integer("TLS.sdkappid", members.sdkappid)?,
        time: integer("TLS.time", members.time)?,
        expire: integer("TLS.expire", members.expire)?,
        sig: text("TLS.sig", members.sig)?,
        userbuf: match members.userbuf {
            None | Some(Member::Null) => None,
            Some(Member::Text(userbuf)) => Some(userbuf),
            Some(_) => {
                return Err(UserSigError::Malformed(
                    "TLS.userbuf is not a string".into(),
                ));
            }
        },
    })
}

fn text<'a>(name: &str, member: Option<Member<'a>>) -> Result<Cow<'a, str>, UserSigError> {
    match member {
        Some(Member::Text(text)) => Ok(text),
        Some(_) => Err(UserSigError::Malformed(format!("{name} is not a string"))),
        None => Err(UserSigError::Malformed(format!("{name} is missing"))),
    }
}

/// Integers as JSON numbers (every reference library) or, leniently, as
/// decimal strings.
fn integer<'a>(name: &str, member: Option<Member<'a>>) -> Result<Integer<'a>, UserSigError> {
    match member {
        Some(Member::Unsigned(n)) => Ok(Integer::Number(n)),
        Some(Member::Text(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Integer::Digits(s))
        }
        Some(_) => Err(UserSigError::Malformed(format!(
            "{name} is not a non-negative integer"
        ))),
        None => Err(UserSigError::Malformed(format!("{name} is missing"))),
    }
}

/// The whole document: an object's members, or valid JSON that is not an
/// object (told apart from invalid JSON, as the error messages are).
enum Document<'a> {
    Object(Members<'a>),
    NotObject,
}

/// The members the checks read; `None` when absent.
#[derive(Default)]
struct Members<'a> {
    version: Option<Member<'a>>,
    identifier: Option<Member<'a>>,
    sdkappid: Option<Member<'a>>,
    time: Option<Member<'a>>,
    expire: Option<Member<'a>>,
    sig: Option<Member<'a>>,
    userbuf: Option<Member<'a>>,
}

/// A member's value, as far as the checks tell values apart. Strings are
/// borrowed from the JSON unless they hold escapes.
enum Member<'a> {
    Text(Cow<'a, str>),
    /// A JSON number that is an integer in `u64` (what `Value::is_u64` says).
    Unsigned(u64),
    Null,
    /// Anything else: negative or fractional numbers, booleans, arrays,
    /// objects.
    Other,
}

/// A top-level key: one of the members read, or another (ignored) one.
enum Key {
    Version,
    Identifier,
    SdkAppId,
    Time,
    Expire,
    Sig,
    Userbuf,
    Ignored,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            // Escaped names arrive unescaped (`"TLS.v\u0065r"` is `TLS.ver`).
            fn visit_str<E>(self, name: &str) -> Result<Key, E> {
                Ok(match name {
                    "TLS.ver" => Key::Version,
                    "TLS.identifier" => Key::Identifier,
                    "TLS.sdkappid" => Key::SdkAppId,
                    "TLS.time" => Key::Time,
                    "TLS.expire" => Key::Expire,
                    "TLS.sig" => Key::Sig,
                    "TLS.userbuf" => Key::Userbuf,
                    _ => Key::Ignored,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Document<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Members::default();
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Version => &mut members.version,
                Key::Identifier => &mut members.identifier,
                Key::SdkAppId => &mut members.sdkappid,
                Key::Time => &mut members.time,
                Key::Expire => &mut members.expire,
                Key::Sig => &mut members.sig,
                Key::Userbuf => &mut members.userbuf,
                Key::Ignored => {
                    // Parsed as a Value so that it is validated exactly as
                    // before (serde's IgnoredAny skips strings unchecked).
                    map.next_value::<Value>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(Document::Object(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Document::NotObject)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Document::NotObject)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(text)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Member::Unsigned(n))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        // serde_json hands non-negative integers to visit_u64; this mirrors
        // `Value`, which stores a non-negative i64 as an unsigned number.
        Ok(u64::try_from(n).map_or(Member::Other, Member::Unsigned))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Member::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| Member::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<String, Value>()?.is_some() {}
        Ok(Member::Other)
    }
}

/// Reads an array whose content does not matter, validating it as a Value.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Value>()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests;
