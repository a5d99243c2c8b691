//! The two secrets' JSON values: the UserSig secret and the key secret.
//!
//! Parsed by explicit code ([`super::fields`]) and written through a private
//! wire struct: neither type derives serde's traits, so no serde error
//! message can ever quote a key or a UserSig.

use serde::Serialize;

use crate::credentials::AppCredentials;
use crate::region::Region;
use crate::usersig::{SecretKey, UserSig};

use super::fields::{Fields, MalformedSecret, rfc3339_unix};

/// The UserSig secret's JSON value (written by usersig-refresher, read by
/// the functions). `Debug` shows the UserSig redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSigSecret {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account the UserSig is signed for.
    pub identifier: String,
    /// The app's region.
    pub region: Region,
    /// The admin UserSig.
    pub usersig: UserSig,
    /// When the UserSig was signed, RFC 3339.
    pub issued_at: String,
    /// Last valid second of the UserSig, RFC 3339.
    pub expires_at: String,
}

/// The UserSig secret as written: the members in this order.
#[derive(Serialize)]
struct UserSigSecretWire<'a> {
    sdkappid: u64,
    identifier: &'a str,
    region: Region,
    usersig: &'a str,
    issued_at: &'a str,
    expires_at: &'a str,
}

impl UserSigSecret {
    /// Parses the secret's text, naming the field at fault on error.
    pub fn from_json(text: &str) -> Result<Self, MalformedSecret> {
        let fields = Fields::parse(text)?;
        let secret = Self {
            sdkappid: fields.u64("sdkappid")?,
            identifier: fields.text("identifier")?.to_owned(),
            region: fields.region("region")?,
            usersig: UserSig::new(fields.text("usersig")?),
            issued_at: fields.timestamp("issued_at")?.0,
            expires_at: fields.timestamp("expires_at")?.0,
        };
        Ok(secret)
    }

    /// The secret's text (holds the UserSig: store it, never log it).
    pub fn to_json(&self) -> String {
        let wire = UserSigSecretWire {
            sdkappid: self.sdkappid,
            identifier: &self.identifier,
            region: self.region,
            usersig: self.usersig.expose_secret(),
            issued_at: &self.issued_at,
            expires_at: &self.expires_at,
        };
        // A struct of strings and integers always serialises.
        serde_json::to_string(&wire).unwrap_or_else(|_| unreachable!("UserSigSecret serialises"))
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
            assert_eq!(err.field, field, "{text}");
            if let Some(field) = field {
                assert!(err.to_string().contains(field));
            }
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
        let err =
            UserSigSecret::from_json(&USERSIG_JSON.replace("2026-12-01T00:00:00Z", "SECRET-T"))
                .unwrap_err();
        assert_eq!(err.field, Some("expires_at"));
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
