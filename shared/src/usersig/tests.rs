//! Signing and verifying as a whole: the reference library's answers, the
//! token's shape and size limits, redaction. The layers have their own:
//! `framing/tests.rs` (zlib and base64), `document/tests.rs` (the JSON).

use super::document;
use super::framing::{self, MAX_INFLATED_LEN, MAX_USERSIG_LEN, inflate, inflate_with_flate2};
use super::*;

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const SDKAPPID: u64 = 1_400_000_000;
const TIME: u64 = 1_700_000_000;
const REFERENCE_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_";

fn signer() -> Signer {
    Signer::new(SDKAPPID, SecretKey::new(KEY))
}

/// The zlib bytes of a token, decoded the way the reference libraries do.
fn zlib_bytes(token: &str) -> Vec<u8> {
    STANDARD
        .decode(token.replace('*', "+").replace('-', "/").replace('_', "="))
        .unwrap()
}

fn sig_of(usersig: &UserSig) -> String {
    let compressed = framing::decode(usersig.expose_secret()).expect("decodes");
    let json = inflate(&compressed).expect("inflates");
    document::parse(&json).expect("parses").sig.into_owned()
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
fn our_token_is_one_stored_block_of_the_unchanged_json() {
    let token = signer().sign("admin", 15_552_000, TIME);
    let text = token.expose_secret();
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"*-_".contains(&b))
    );
    // The JSON is byte for byte what the serde_json map wrote before.
    let json: &[u8] = br#"{"TLS.expire":15552000,"TLS.identifier":"admin","TLS.sdkappid":1400000000,"TLS.sig":"3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI=","TLS.time":1700000000,"TLS.ver":"2.0"}"#;
    let len = u16::try_from(json.len()).unwrap();
    let mut expected = vec![0x78, 0x01, 0x01];
    expected.extend_from_slice(&len.to_le_bytes());
    expected.extend_from_slice(&(!len).to_le_bytes());
    expected.extend_from_slice(json);
    expected.extend_from_slice(&adler2::adler32_slice(json).to_be_bytes());
    assert_eq!(zlib_bytes(text), expected);
    assert!(text.starts_with("eAEB"), "78 01 01 encodes as eAEB: {text}");
}

#[test]
fn largest_acceptable_document_fits_the_token_length_limit() {
    // Incompressible userbuf: the inflated JSON lands just under the
    // inflate limit, so the token is as long as a valid one can get.
    let mut rng = fastrand::Rng::with_seed(7);
    let userbuf: Vec<u8> = (0..48_000).map(|_| rng.u8(..)).collect();
    let token = signer().sign_with_userbuf("admin", 60, TIME, Some(&userbuf));
    let json = inflate_with_flate2(&zlib_bytes(token.expose_secret())).unwrap();
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
fn secrets_are_redacted_in_debug_and_display() {
    let token = signer().sign("admin", 60, TIME);
    assert!(!format!("{token:?} {token}").contains(token.expose_secret()));
    assert!(!format!("{:?}", signer()).contains(KEY));
    // The same Debug text as when the Signer held the SecretKey itself.
    assert_eq!(
        format!("{:?}", signer()),
        "Signer { sdkappid: 1400000000, key: SecretKey(<redacted>) }"
    );
}
