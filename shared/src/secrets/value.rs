//! The two secrets' JSON values: the UserSig secret and the key secret.
//!
//! Read by explicit code, not serde's derived `Deserialize`: its messages
//! quote the offending value (`invalid type: string "…", expected u64`),
//! which for a secret could be the key or the UserSig. Errors name the
//! field at fault and what is wrong with it, never the value.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::credentials::AppCredentials;
use crate::region::Region;
use crate::usersig::{SecretKey, UserSig};

/// A secret's text is not the JSON we expect. The message names the field at
/// fault and what is wrong with it, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedSecret(pub String);

/// The UserSig secret's JSON value (written by usersig-refresher, read by
/// the functions), its members in this order. `Debug` shows the UserSig
/// redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSigSecret {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account the UserSig is signed for.
    pub identifier: String,
    /// The app's region.
    pub region: Region,
    /// The admin UserSig.
    #[serde(serialize_with = "expose")]
    pub usersig: UserSig,
    /// When the UserSig was signed, RFC 3339.
    pub issued_at: String,
    /// Last valid second of the UserSig, RFC 3339.
    pub expires_at: String,
}

/// Only the secret's own text carries the UserSig.
fn expose<S: Serializer>(usersig: &UserSig, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(usersig.expose_secret())
}

impl UserSigSecret {
    /// Parses the secret's text, naming the field at fault on error.
    pub fn from_json(text: &str) -> Result<Self, MalformedSecret> {
        let fields = Fields::parse(text)?;
        Ok(Self {
            sdkappid: fields.u64("sdkappid")?,
            identifier: fields.text("identifier")?.to_owned(),
            region: fields.region("region")?,
            usersig: UserSig::new(fields.text("usersig")?),
            issued_at: fields.timestamp("issued_at")?,
            expires_at: fields.timestamp("expires_at")?,
        })
    }

    /// The secret's text (holds the UserSig: store it, never log it).
    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("UserSigSecret serialises"))
    }

    /// `expires_at` as unix seconds (`None` if it is not RFC 3339).
    pub fn expires_at_unix(&self) -> Option<u64> {
        rfc3339_unix(&self.expires_at)
    }

    /// What a client needs to call Tencent with this secret.
    pub fn to_credentials(&self) -> AppCredentials {
        AppCredentials {
            sdkappid: self.sdkappid,
            identifier: self.identifier.clone(),
            usersig: self.usersig.clone(),
            region: Some(self.region),
            expires_at: self.expires_at_unix(),
        }
    }
}

/// The key secret's JSON value (set by the operator; read by
/// usersig-refresher, or by the functions in simple setups). `Debug` shows
/// the key redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySecret {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account to sign UserSigs for.
    pub identifier: String,
    /// The app's key, as the Chat console shows it (never hex-decoded).
    pub key: SecretKey,
    /// The app's region.
    pub region: Region,
}

impl KeySecret {
    /// Parses the secret's text, naming the field at fault on error.
    pub fn from_json(text: &str) -> Result<Self, MalformedSecret> {
        let fields = Fields::parse(text)?;
        Ok(Self {
            sdkappid: fields.u64("sdkappid")?,
            identifier: fields.text("identifier")?.to_owned(),
            key: SecretKey::new(fields.text("key")?),
            region: fields.region("region")?,
        })
    }
}

/// Typed, value-free access to a secret's JSON object.
struct Fields(Map<String, Value>);

fn malformed(field: &str, problem: &str) -> MalformedSecret {
    MalformedSecret(format!("field `{field}` {problem}"))
}

impl Fields {
    fn parse(text: &str) -> Result<Self, MalformedSecret> {
        let problem = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => return Ok(Self(map)),
            Ok(_) => "JSON but not a JSON object".to_owned(),
            // Only the position: serde_json's syntax messages do not quote the
            // input today, but nothing promises that.
            Err(e) => format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        };
        Err(MalformedSecret(format!("the secret value is {problem}")))
    }

    /// A JSON number or a decimal string: the console shows SDKAppIDs as
    /// text and operators paste them so.
    fn u64(&self, field: &str) -> Result<u64, MalformedSecret> {
        match self.0.get(field) {
            None | Some(Value::Null) => return Err(malformed(field, "is missing")),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        }
        .ok_or_else(|| malformed(field, "must be a non-negative integer"))
    }

    fn text(&self, field: &str) -> Result<&str, MalformedSecret> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(malformed(field, "is missing")),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
            Some(Value::String(_)) => Err(malformed(field, "is empty")),
            Some(_) => Err(malformed(field, "must be a string")),
        }
    }

    fn region(&self, field: &str) -> Result<Region, MalformedSecret> {
        self.text(field)?.parse().map_err(|_| {
            malformed(field, "is not a Tencent Chat region (expected one of: china, singapore, seoul, tokyo, frankfurt, silicon-valley, jakarta, mumbai)")
        })
    }

    fn timestamp(&self, field: &str) -> Result<String, MalformedSecret> {
        let text = self.text(field)?;
        let example = "must be an RFC 3339 timestamp (e.g. 2026-12-01T00:00:00Z)";
        rfc3339_unix(text)
            .map(|_| text.to_owned())
            .ok_or_else(|| malformed(field, example))
    }
}

/// Unix seconds of an RFC 3339 timestamp (`None` if it is not one, or
/// before 1970).
fn rfc3339_unix(text: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|at| u64::try_from(at.timestamp()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERSIG_JSON: &str = r#"{"sdkappid":1400000000,"identifier":"administrator","region":"singapore","usersig":"eJw-SECRET-SIG","issued_at":"2026-11-01T00:00:00Z","expires_at":"2026-12-01T00:00:00Z"}"#;

    #[test]
    fn usersig_secret_parses_and_round_trips() {
        let secret = UserSigSecret::from_json(USERSIG_JSON).unwrap();
        assert_eq!(secret.sdkappid, 1_400_000_000);
        assert_eq!(secret.region, Region::Singapore);
        assert_eq!(secret.expires_at_unix(), Some(1_796_083_200));
        assert_eq!(UserSigSecret::from_json(&secret.to_json()).unwrap(), secret);
        let creds = secret.to_credentials();
        assert_eq!(creds.expires_at, Some(1_796_083_200));
        assert_eq!(creds.region, Some(Region::Singapore));
        assert!(!format!("{secret:?}").contains("SECRET-SIG"));
    }

    #[test]
    fn usersig_secret_is_written_with_its_members_in_order() {
        let secret = UserSigSecret::from_json(USERSIG_JSON).unwrap();
        assert_eq!(secret.to_json(), USERSIG_JSON);
    }

    #[test]
    fn malformed_secrets_name_the_field_and_never_the_value() {
        let cases = [
            (
                r#"{"sdkappid":"SECRET-A","identifier":"a","key":"SECRET-K","region":"tokyo"}"#,
                Some("sdkappid"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","region":"tokyo"}"#,
                Some("key"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","key":7,"region":"tokyo"}"#,
                Some("key"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","key":"SECRET-K","region":"SECRET-R"}"#,
                Some("region"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"","key":"SECRET-K","region":"tokyo"}"#,
                Some("identifier"),
            ),
            (r#"{"sdkappid": SECRET-K"#, None),
            (r#"["SECRET-K"]"#, None),
        ];
        for (text, field) in cases {
            let err = KeySecret::from_json(text).unwrap_err();
            let named = field.map(|field| format!("field `{field}`"));
            assert_eq!(err.0.starts_with("field"), named.is_some(), "{text}");
            if let Some(named) = named {
                assert!(err.to_string().starts_with(&named), "{err}");
            }
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
        let err =
            UserSigSecret::from_json(&USERSIG_JSON.replace("2026-12-01T00:00:00Z", "SECRET-T"))
                .unwrap_err();
        assert!(err.to_string().starts_with("field `expires_at`"), "{err}");
        assert!(!err.to_string().contains("SECRET"));
    }

    #[test]
    fn sdkappid_may_be_a_decimal_string() {
        let key = KeySecret::from_json(
            r#"{"sdkappid":"1400000000","identifier":"admin","key":"k","region":"china"}"#,
        )
        .unwrap();
        assert_eq!(key.sdkappid, 1_400_000_000);
        assert_eq!(key.key.expose_secret(), "k");
    }
}
