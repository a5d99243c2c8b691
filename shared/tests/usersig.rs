//! UserSig behaviour against the facts in docs/usersig.md.
//!
//! The helpers below are a second, independent implementation of the
//! reference algorithm (content lines, HMAC, JSON, zlib, Tencent's base64
//! alphabet), written the way the reference libraries do it, so that tokens
//! with any JSON layout, zlib level or tampered member can be built and fed
//! to the crate's verifier.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::Sha256;
use tim::usersig::{
    self, Clock, DEFAULT_EXPIRE_SECS, FixedClock, SecretKey, Signer, UserSig, UserSigError,
};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const SDKAPPID: u64 = 1_400_000_000;
const TIME: u64 = 1_700_000_000;
/// The UserSig the reference Python library made for `admin`, 15552000 s, at TIME.
const REFERENCE_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_";
const REFERENCE_ADMIN_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "admin", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1700000000, "TLS.sig": "3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI="}"#;

/// Identifiers that stress escaping and UTF-8 handling.
const AWKWARD_IDENTIFIERS: &[&str] = &[
    "admin",
    "administrator",
    "a",
    "user_1-2.3@example.com",
    "管理员",
    "管理員テスト한국어",
    "😀🚀👩‍👩‍👧",
    "مرحبا",
    "שלום\u{200f}עולם",
    "quote\"d",
    "single'quote",
    "<script>alert(1)</script>",
    "back\\slash",
    "tab\tnew\nline",
    "nul\u{0}byte",
    "a&b=c?d#e",
    " leading and trailing ",
    "\u{feff}bom",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ñandú",
];

fn signer() -> Signer {
    Signer::new(SDKAPPID, SecretKey::new(KEY))
}

fn reason(result: Result<usersig::Claims, UserSigError>) -> &'static str {
    match result {
        Ok(claims) => panic!("expected a rejection, got valid claims {claims:?}"),
        Err(err) => err.reason(),
    }
}

// ---------- the independent reference implementation ----------

fn reference_hmac(
    key: &str,
    identifier: &str,
    sdkappid: &str,
    time: &str,
    expire: &str,
    userbuf: Option<&str>,
) -> String {
    let mut content = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(userbuf) = userbuf {
        content.push_str(&format!("TLS.userbuf:{userbuf}\n"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(content.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The JSON document a reference library would make (as a Value).
fn reference_doc(
    key: &str,
    identifier: &str,
    sdkappid: u64,
    time: u64,
    expire: u64,
    userbuf: Option<&[u8]>,
) -> Value {
    let userbuf = userbuf.map(|b| STANDARD.encode(b));
    let sig = reference_hmac(
        key,
        identifier,
        &sdkappid.to_string(),
        &time.to_string(),
        &expire.to_string(),
        userbuf.as_deref(),
    );
    let mut doc = json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": time,
        "TLS.sig": sig,
    });
    if let Some(userbuf) = userbuf {
        doc["TLS.userbuf"] = Value::from(userbuf);
    }
    doc
}

fn encode_with_level(json_text: &[u8], level: u32) -> String {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    zlib.write_all(json_text).unwrap();
    to_tencent_base64(&zlib.finish().unwrap())
}

fn to_tencent_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

fn encode(json_text: &str) -> String {
    encode_with_level(json_text.as_bytes(), 6)
}

fn decode_json_text(token: &str) -> String {
    let standard = token.replace('*', "+").replace('-', "/").replace('_', "=");
    let compressed = STANDARD.decode(standard).unwrap();
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_string(&mut json)
        .unwrap();
    json
}

fn decode_doc(token: &str) -> Value {
    serde_json::from_str(&decode_json_text(token)).unwrap()
}

/// Our token for `identifier`, with its JSON changed by `edit`, re-encoded.
fn tampered(identifier: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    tampered_token(
        signer().sign(identifier, 86_400, TIME).expose_secret(),
        edit,
    )
}

fn tampered_token(token: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let Value::Object(mut doc) = decode_doc(token) else {
        panic!("not an object")
    };
    edit(&mut doc);
    encode(&Value::Object(doc).to_string())
}

/// JSON text with every non-ASCII character, `<`, `>`, `&` and every letter
/// written as a `\u` escape (UTF-16 surrogate pairs above the BMP), members
/// in reverse order and generous whitespace.
fn escaped_layout(doc: &Value) -> String {
    fn escape_all(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_ascii_alphanumeric()
                    || !c.is_ascii()
                    || c.is_ascii_control()
                    || "<>&'".contains(c) =>
                {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let Value::Object(map) = doc else { panic!() };
    let members: Vec<String> = map
        .iter()
        .rev()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => escape_all(s),
                other => other.to_string(),
            };
            format!("\n\t  {} \r\n :\t{value} ", escape_all(k))
        })
        .collect();
    format!("  {{{}\n}}\n", members.join(" ,"))
}

// ---------- known answers ----------

#[test]
fn known_answers_match_the_reference_library() {
    for (identifier, expire, sig) in [
        (
            "admin",
            15_552_000,
            "3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI=",
        ),
        (
            "administrator",
            86_400,
            "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60=",
        ),
    ] {
        let token = signer().sign(identifier, expire, TIME);
        let doc = decode_doc(token.expose_secret());
        assert_eq!(doc["TLS.sig"], sig, "{identifier}");
        assert_eq!(
            doc,
            reference_doc(KEY, identifier, SDKAPPID, TIME, expire, None)
        );
    }
}

#[test]
fn our_admin_token_carries_exactly_the_reference_json() {
    let ours = decode_doc(
        signer()
            .sign("admin", DEFAULT_EXPIRE_SECS, TIME)
            .expose_secret(),
    );
    let reference: Value = serde_json::from_str(REFERENCE_ADMIN_JSON).unwrap();
    assert_eq!(ours, reference);
    assert_eq!(decode_json_text(REFERENCE_ADMIN), REFERENCE_ADMIN_JSON);
}

/// Adler-32 (RFC 1950 §9), written out here as a second implementation.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[test]
fn our_tokens_use_tencents_alphabet_and_stored_zlib_framing() {
    for identifier in AWKWARD_IDENTIFIERS {
        let token = signer().sign(identifier, 86_400, TIME);
        let text = token.expose_secret();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"*-_".contains(&b)),
            "{text}"
        );
        // zlib at level 0, as Tencent's Go library writes it: header 78 01,
        // one final stored block (01, LEN, NLEN little-endian), the JSON
        // itself, then its Adler-32 big-endian; nothing else.
        let json = decode_json_text(text);
        let len = u16::try_from(json.len()).unwrap();
        let mut framed = vec![0x78, 0x01, 0x01];
        framed.extend_from_slice(&len.to_le_bytes());
        framed.extend_from_slice(&(!len).to_le_bytes());
        framed.extend_from_slice(json.as_bytes());
        framed.extend_from_slice(&adler32(json.as_bytes()).to_be_bytes());
        let standard = text.replace('*', "+").replace('-', "/").replace('_', "=");
        assert_eq!(STANDARD.decode(standard).unwrap(), framed, "{identifier}");
        assert!(text.starts_with("eAEB"), "78 01 01 encodes as eAEB: {text}");
    }
}

#[test]
fn reference_token_is_valid_from_issue_to_its_exact_last_second() {
    let last = TIME + DEFAULT_EXPIRE_SECS;
    for now in [0, TIME - 1, TIME, TIME + 1, last - 1, last] {
        let claims = signer().verify(REFERENCE_ADMIN, "admin", now).unwrap();
        assert_eq!(claims.identifier, "admin");
        assert_eq!(claims.sdkappid, SDKAPPID);
        assert_eq!(claims.time, TIME);
        assert_eq!(claims.expire, DEFAULT_EXPIRE_SECS);
        assert_eq!(claims.expires_at_unix(), last);
        assert_eq!(claims.expires_at.as_deref(), Some("2024-05-12T22:13:20Z"));
        assert_eq!(claims.userbuf, None);
    }
}

#[test]
fn reference_token_is_expired_one_second_after_its_last_second() {
    let last = TIME + DEFAULT_EXPIRE_SECS;
    for now in [last + 1, last + 86_400, u64::MAX] {
        let err = signer().verify(REFERENCE_ADMIN, "admin", now).unwrap_err();
        assert_eq!(err.reason(), "expired");
        assert_eq!(
            err,
            UserSigError::Expired {
                expired_at: last,
                now
            }
        );
    }
}

#[test]
fn injectable_clock_drives_signing_and_verification() {
    let clock = FixedClock(TIME);
    let token = signer().sign_with_clock("admin", 100, &clock);
    assert_eq!(
        usersig::inspect(token.expose_secret()).unwrap().time,
        clock.now_unix()
    );
    assert!(
        signer()
            .verify_with_clock(token.expose_secret(), "admin", &FixedClock(TIME + 100))
            .is_ok()
    );
    assert_eq!(
        reason(signer().verify_with_clock(token.expose_secret(), "admin", &FixedClock(TIME + 101))),
        "expired"
    );
}

// ---------- round trips ----------

#[test]
fn awkward_identifiers_round_trip() {
    for identifier in AWKWARD_IDENTIFIERS {
        let token = signer().sign(identifier, 3_600, TIME);
        let claims = signer()
            .verify(token.expose_secret(), identifier, TIME + 3_600)
            .unwrap();
        assert_eq!(claims.identifier, *identifier);
        assert_eq!(usersig::inspect(token.expose_secret()).unwrap(), claims);
        // Tokens made by the independent implementation verify too.
        let theirs =
            encode(&reference_doc(KEY, identifier, SDKAPPID, TIME, 3_600, None).to_string());
        assert_eq!(signer().verify(&theirs, identifier, TIME).unwrap(), claims);
    }
}

#[test]
fn identifiers_differing_only_in_normalisation_or_case_do_not_match() {
    let token = signer().sign("Admin", 60, TIME);
    assert_eq!(
        reason(signer().verify(token.expose_secret(), "admin", TIME)),
        "identifier"
    );
    // "é" precomposed vs "e" + combining acute.
    let token = signer().sign("caf\u{e9}", 60, TIME);
    assert_eq!(
        reason(signer().verify(token.expose_secret(), "cafe\u{301}", TIME)),
        "identifier"
    );
}

#[test]
fn surrounding_whitespace_around_the_token_is_ignored() {
    let token = signer().sign("admin", 60, TIME);
    let padded = format!("  \n{}\r\n\t", token.expose_secret());
    assert!(signer().verify(&padded, "admin", TIME).is_ok());
}

#[test]
fn zero_and_huge_expiries_behave() {
    let token = signer().sign("admin", 0, TIME);
    assert!(
        signer()
            .verify(token.expose_secret(), "admin", TIME)
            .is_ok()
    );
    assert_eq!(
        reason(signer().verify(token.expose_secret(), "admin", TIME + 1)),
        "expired"
    );

    // time + expire past u64: never expires, no calendar date.
    let token = signer().sign("admin", u64::MAX, TIME);
    let claims = signer()
        .verify(token.expose_secret(), "admin", u64::MAX)
        .unwrap();
    assert_eq!(claims.expires_at, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_claims_round_trip(
        identifier in any::<String>(),
        sdkappid in any::<u32>(),
        time in 0u64..8_000_000_000,
        expire in 0u64..1_000_000_000,
    ) {
        let signer = Signer::new(u64::from(sdkappid), SecretKey::new(KEY));
        let token = signer.sign(&identifier, expire, time);
        let claims = signer.verify(token.expose_secret(), &identifier, time).unwrap();
        prop_assert_eq!(&claims.identifier, &identifier);
        prop_assert_eq!(claims.sdkappid, u64::from(sdkappid));
        prop_assert_eq!(claims.time, time);
        prop_assert_eq!(claims.expire, expire);
        prop_assert!(signer.verify(token.expose_secret(), &identifier, time + expire).is_ok());
        prop_assert_eq!(
            signer.verify(token.expose_secret(), &identifier, time + expire + 1).unwrap_err().reason(),
            "expired"
        );
        prop_assert_eq!(usersig::inspect(token.expose_secret()).unwrap(), claims);
        // Byte-for-byte what the independent implementation puts in the JSON.
        prop_assert_eq!(
            decode_doc(token.expose_secret()),
            reference_doc(KEY, &identifier, u64::from(sdkappid), time, expire, None)
        );
    }

    #[test]
    fn reference_made_tokens_verify(
        identifier in "\\PC{1,40}",
        expire in 1u64..100_000_000,
        level in 0u32..=9,
        userbuf in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        let doc = reference_doc(KEY, &identifier, SDKAPPID, TIME, expire, userbuf.as_deref());
        let token = encode_with_level(doc.to_string().as_bytes(), level);
        let claims = signer().verify(&token, &identifier, TIME + expire).unwrap();
        prop_assert_eq!(claims.userbuf_bytes(), userbuf);
    }

    #[test]
    fn single_character_changes_never_yield_different_valid_claims(
        identifier in "[a-z]{1,12}",
        position in any::<proptest::sample::Index>(),
        replacement in proptest::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_".chars().collect::<Vec<_>>()
        ),
    ) {
        let token = signer().sign(&identifier, 86_400, TIME);
        let original: Vec<char> = token.expose_secret().chars().collect();
        let at = position.index(original.len());
        prop_assume!(original[at] != replacement);
        let mut mutated = original.clone();
        mutated[at] = replacement;
        let mutated: String = mutated.into_iter().collect();
        // A change that lands in the padding bits after the final deflate
        // block inflates to the very same JSON; anything else must fail.
        if let Ok(claims) = signer().verify(&mutated, &identifier, TIME) {
            prop_assert_eq!(decode_json_text(&mutated), decode_json_text(token.expose_secret()));
            prop_assert_eq!(claims.identifier, identifier);
        }
    }

    #[test]
    fn arbitrary_text_is_malformed_and_never_panics(text in any::<String>()) {
        prop_assert_eq!(reason(signer().verify(&text, "admin", TIME)), "malformed");
        prop_assert_eq!(usersig::inspect(&text).unwrap_err().reason(), "malformed");
    }

    #[test]
    fn arbitrary_alphabet_text_is_malformed(text in "[A-Za-z0-9*_-]{0,300}") {
        prop_assert_eq!(reason(signer().verify(&text, "admin", TIME)), "malformed");
    }

    #[test]
    fn arbitrary_bytes_inside_valid_framing_are_malformed(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        // Arbitrary bytes as the compressed payload...
        prop_assert_eq!(reason(signer().verify(&to_tencent_base64(&bytes), "admin", TIME)), "malformed");
        // ...and as the inflated document.
        prop_assert_eq!(reason(signer().verify(&encode_with_level(&bytes, 6), "admin", TIME)), "malformed");
    }

    #[test]
    fn arbitrary_json_members_never_panic(
        sdkappid in prop_oneof![Just(json!(SDKAPPID)), Just(json!(-1)), Just(json!(1.5)), Just(json!("x")), Just(json!(null)), Just(json!([1]))],
        time in prop_oneof![Just(json!(TIME)), Just(json!(u64::MAX)), Just(json!("18446744073709551616")), Just(json!(true)), Just(json!({}))],
        identifier in prop_oneof![Just(json!("admin")), Just(json!(7)), Just(json!(null))],
    ) {
        let token = tampered("admin", |doc| {
            doc.insert("TLS.sdkappid".into(), sdkappid);
            doc.insert("TLS.time".into(), time);
            doc.insert("TLS.identifier".into(), identifier);
        });
        // Whatever the outcome, an answer and no panic; an unchanged token is
        // the only valid one.
        let _ = signer().verify(&token, "admin", TIME);
        let _ = usersig::inspect(&token);
    }
}

// ---------- tampering ----------

#[test]
fn tampered_identifier_is_refused() {
    let token = tampered("admin", |doc| {
        doc.insert("TLS.identifier".into(), json!("administrator"));
    });
    // Expecting the original: the token now names someone else.
    assert_eq!(reason(signer().verify(&token, "admin", TIME)), "identifier");
    // Expecting the new name: the signature does not cover it.
    assert_eq!(
        reason(signer().verify(&token, "administrator", TIME)),
        "signature"
    );
}

#[test]
fn tampered_sdkappid_is_refused() {
    let token = tampered("admin", |doc| {
        doc.insert("TLS.sdkappid".into(), json!(SDKAPPID + 1));
    });
    assert_eq!(reason(signer().verify(&token, "admin", TIME)), "sdkappid");
    let other_app = Signer::new(SDKAPPID + 1, SecretKey::new(KEY));
    assert_eq!(reason(other_app.verify(&token, "admin", TIME)), "signature");
}

#[test]
fn tampered_time_or_expire_is_refused() {
    for (member, value) in [
        ("TLS.time", json!(TIME + 1)),
        ("TLS.time", json!(TIME - 1)),
        ("TLS.time", json!(TIME + 365 * 86_400)),
        ("TLS.expire", json!(86_401)),
        ("TLS.expire", json!(86_399)),
        ("TLS.expire", json!(DEFAULT_EXPIRE_SECS * 10)),
    ] {
        let token = tampered("admin", |doc| {
            doc.insert(member.into(), value.clone());
        });
        assert_eq!(
            reason(signer().verify(&token, "admin", TIME)),
            "signature",
            "{member}={value}"
        );
    }
}

#[test]
fn extending_an_expired_token_is_a_signature_failure_not_expiry() {
    let token = tampered("admin", |doc| {
        doc.insert("TLS.expire".into(), json!(10 * 365 * 86_400));
    });
    // Past the genuine expiry (86400) but within the forged one.
    assert_eq!(
        reason(signer().verify(&token, "admin", TIME + 86_401)),
        "signature"
    );
}

#[test]
fn tampered_sig_is_refused() {
    let genuine = decode_doc(signer().sign("admin", 86_400, TIME).expose_secret())["TLS.sig"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut flipped = genuine.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let other_content = reference_hmac(KEY, "admin", "1400000000", "1700000000", "86401", None);
    for sig in [
        String::from_utf8(flipped).unwrap(),
        other_content,
        genuine.trim_end_matches('=')[..20].to_owned(),
        String::new(),
        "not base64!".to_owned(),
        format!("{genuine}{genuine}"),
    ] {
        let token = tampered("admin", |doc| {
            doc.insert("TLS.sig".into(), json!(sig));
        });
        assert_eq!(
            reason(signer().verify(&token, "admin", TIME)),
            "signature",
            "sig {sig:?}"
        );
    }
    // The genuine sig without its padding is still the same MAC.
    let token = tampered("admin", |doc| {
        doc.insert("TLS.sig".into(), json!(genuine.trim_end_matches('=')));
    });
    assert!(signer().verify(&token, "admin", TIME).is_ok());
}

#[test]
fn tampered_userbuf_is_refused() {
    let token = signer().sign_with_userbuf("admin", 86_400, TIME, Some(b"room-42"));
    let other = STANDARD.encode(b"room-43");
    for edit in [
        Box::new(|doc: &mut serde_json::Map<String, Value>| {
            doc.insert("TLS.userbuf".into(), json!(other));
        }) as Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>,
        Box::new(|doc| {
            doc.remove("TLS.userbuf");
        }),
        Box::new(|doc| {
            doc.insert("TLS.userbuf".into(), json!(""));
        }),
    ] {
        let token = tampered_token(token.expose_secret(), edit);
        assert_eq!(reason(signer().verify(&token, "admin", TIME)), "signature");
    }
    // Adding a userbuf to a token signed without one.
    let token = tampered("admin", |doc| {
        doc.insert("TLS.userbuf".into(), json!(other));
    });
    assert_eq!(reason(signer().verify(&token, "admin", TIME)), "signature");
}

#[test]
fn wrong_version_is_refused() {
    for version in ["1.0", "2.1", "2", "", "2.0 "] {
        let token = tampered("admin", |doc| {
            doc.insert("TLS.ver".into(), json!(version));
        });
        let err = signer().verify(&token, "admin", TIME).unwrap_err();
        assert_eq!(err.reason(), "version", "{version:?}");
        assert_eq!(
            err,
            UserSigError::Version {
                found: version.to_owned()
            }
        );
    }
}

#[test]
fn wrong_key_is_a_signature_failure() {
    let wrong = Signer::new(SDKAPPID, SecretKey::new(OTHER_KEY));
    assert_eq!(
        reason(wrong.verify(REFERENCE_ADMIN, "admin", TIME)),
        "signature"
    );
    // The key is text, never hex-decoded: upper-case hex is another key.
    let upper = Signer::new(SDKAPPID, SecretKey::new(KEY.to_uppercase()));
    assert_eq!(
        reason(upper.verify(REFERENCE_ADMIN, "admin", TIME)),
        "signature"
    );
}

#[test]
fn wrong_expected_sdkappid_or_identifier_is_named() {
    let other_app = Signer::new(1_400_000_001, SecretKey::new(KEY));
    assert_eq!(
        other_app
            .verify(REFERENCE_ADMIN, "admin", TIME)
            .unwrap_err(),
        UserSigError::SdkAppId {
            expected: 1_400_000_001,
            found: SDKAPPID
        }
    );
    assert_eq!(
        signer()
            .verify(REFERENCE_ADMIN, "administrator", TIME)
            .unwrap_err(),
        UserSigError::Identifier {
            expected: "administrator".into(),
            found: "admin".into()
        }
    );
}

// ---------- layouts and compression ----------

#[test]
fn any_json_layout_is_accepted() {
    for identifier in AWKWARD_IDENTIFIERS {
        let doc = reference_doc(KEY, identifier, SDKAPPID, TIME, 86_400, Some(b"buf"));
        let compact = doc.to_string();
        let pretty = serde_json::to_string_pretty(&doc).unwrap();
        let escaped = escaped_layout(&doc);
        let mut numbers_as_strings = doc.clone();
        for member in ["TLS.sdkappid", "TLS.time", "TLS.expire"] {
            numbers_as_strings[member] = json!(doc[member].to_string());
        }
        let numbers_as_strings = escaped_layout(&numbers_as_strings);
        for layout in [compact, pretty, escaped, numbers_as_strings] {
            let claims = signer()
                .verify(&encode(&layout), identifier, TIME)
                .unwrap_or_else(|err| panic!("{layout}: {err}"));
            assert_eq!(claims.identifier, *identifier);
            assert_eq!(claims.userbuf_bytes().as_deref(), Some(&b"buf"[..]));
        }
    }
}

#[test]
fn u003c_escapes_and_python_style_separators_are_accepted() {
    // What Python's json.dumps (ensure_ascii) and Go's encoding/json write.
    let sig = reference_hmac(KEY, "<a>&😀", "1400000000", "1700000000", "60", None);
    let python = format!(
        r#"{{"TLS.ver": "2.0", "TLS.identifier": "<a>&\ud83d\ude00", "TLS.sdkappid": 1400000000, "TLS.expire": 60, "TLS.time": 1700000000, "TLS.sig": "{sig}"}}"#
    );
    let go = format!(
        r#"{{"TLS.expire":60,"TLS.identifier":"\u003ca\u003e\u0026😀","TLS.sdkappid":1400000000,"TLS.sig":"{}","TLS.time":1700000000,"TLS.ver":"2.0"}}"#,
        sig.replace('+', "\\u002b")
    );
    for layout in [python, go] {
        assert!(
            signer().verify(&encode(&layout), "<a>&😀", TIME).is_ok(),
            "{layout}"
        );
    }
}

#[test]
fn every_zlib_level_is_accepted() {
    let json = reference_doc(KEY, "管理员😀", SDKAPPID, TIME, 86_400, None).to_string();
    for level in 0..=9 {
        let token = encode_with_level(json.as_bytes(), level);
        assert!(
            signer().verify(&token, "管理员😀", TIME).is_ok(),
            "level {level}"
        );
    }
}

// ---------- userbuf ----------

#[test]
fn userbuf_tokens_verify_and_expose_the_buffer() {
    for userbuf in [&b""[..], b"abc", &[0u8, 255, 1, 254, 10, 13], &[7u8; 300]] {
        let token = signer().sign_with_userbuf("admin", 86_400, TIME, Some(userbuf));
        let claims = signer()
            .verify(token.expose_secret(), "admin", TIME)
            .unwrap();
        assert_eq!(
            claims.userbuf.as_deref(),
            Some(STANDARD.encode(userbuf).as_str())
        );
        assert_eq!(claims.userbuf_bytes().as_deref(), Some(userbuf));
        assert_eq!(
            decode_doc(token.expose_secret()),
            reference_doc(KEY, "admin", SDKAPPID, TIME, 86_400, Some(userbuf))
        );
    }
    // The Python reference's own example: gen_sig_with_userbuf(..., b"abc").
    let theirs = encode(
        &reference_doc(KEY, "xiaojun", SDKAPPID, TIME, 86_400 * 180, Some(b"abc")).to_string(),
    );
    assert!(signer().verify(&theirs, "xiaojun", TIME).is_ok());
}

#[test]
fn null_userbuf_counts_as_absent() {
    let token = tampered("admin", |doc| {
        doc.insert("TLS.userbuf".into(), Value::Null);
    });
    assert!(signer().verify(&token, "admin", TIME).is_ok());
}

// ---------- malformed input ----------

fn assert_malformed(token: &str, what: &str) {
    let err = signer().verify(token, "admin", TIME).unwrap_err();
    assert_eq!(err.reason(), "malformed", "{what}: {err}");
    assert_eq!(
        usersig::inspect(token).unwrap_err().reason(),
        "malformed",
        "{what}"
    );
}

#[test]
fn empty_or_garbage_input_is_malformed() {
    let genuine = signer().sign("admin", 86_400, TIME);
    let genuine = genuine.expose_secret();
    let standard_alphabet = genuine
        .replace('*', "+")
        .replace('-', "/")
        .replace('_', "=");
    let mut with_trailing_data = STANDARD
        .decode(
            genuine
                .replace('*', "+")
                .replace('-', "/")
                .replace('_', "="),
        )
        .unwrap();
    with_trailing_data.push(0);
    for (token, what) in [
        (String::new(), "empty"),
        ("   \n\t".to_owned(), "blank"),
        ("not base64 at all!".to_owned(), "not base64"),
        ("eJ".to_owned(), "one byte"),
        (to_tencent_base64(b"definitely not zlib"), "not zlib"),
        (genuine[..genuine.len() / 2].to_owned(), "truncated"),
        (format!("{genuine}{genuine}"), "doubled"),
        (
            format!("{} {}", &genuine[..10], &genuine[10..]),
            "inner space",
        ),
        (
            to_tencent_base64(&with_trailing_data),
            "bytes after the zlib stream",
        ),
        (encode("not json"), "not JSON"),
        (encode("[1,2,3]"), "JSON array"),
        (encode("\"TLS.ver\""), "JSON string"),
        (encode("{}"), "empty object"),
        (encode(""), "empty document"),
        ("A".repeat(1024 * 1024), "a megabyte of text"),
    ] {
        assert_malformed(&token, what);
    }
    if standard_alphabet != genuine {
        assert_malformed(&standard_alphabet, "standard base64 alphabet");
    }
}

#[test]
fn missing_members_are_malformed() {
    for member in [
        "TLS.ver",
        "TLS.identifier",
        "TLS.sdkappid",
        "TLS.time",
        "TLS.expire",
        "TLS.sig",
    ] {
        let token = tampered("admin", |doc| {
            doc.remove(member);
        });
        assert_malformed(&token, member);
    }
}

#[test]
fn wrongly_typed_members_are_malformed() {
    for (member, value) in [
        ("TLS.ver", json!(2.0)),
        ("TLS.ver", json!(null)),
        ("TLS.identifier", json!(42)),
        ("TLS.identifier", json!(["admin"])),
        ("TLS.sdkappid", json!(-1)),
        ("TLS.sdkappid", json!(1.4e9)),
        ("TLS.sdkappid", json!("14000x")),
        ("TLS.sdkappid", json!("")),
        ("TLS.sdkappid", json!("-1")),
        ("TLS.time", json!(true)),
        ("TLS.time", json!("18446744073709551616")),
        ("TLS.time", json!(1.5)),
        ("TLS.expire", json!({"s": 1})),
        ("TLS.expire", json!(" 86400")),
        ("TLS.sig", json!(123)),
        ("TLS.sig", json!(null)),
        ("TLS.userbuf", json!(123)),
        ("TLS.userbuf", json!(["a"])),
    ] {
        let token = tampered("admin", |doc| {
            doc.insert(member.into(), value.clone());
        });
        assert_malformed(&token, &format!("{member}={value}"));
    }
}

#[test]
fn zip_bomb_beyond_the_limit_is_malformed() {
    // A valid token padded with whitespace to 1 MiB inflated: a few KiB compressed.
    let doc = reference_doc(KEY, "admin", SDKAPPID, TIME, 86_400, None).to_string();
    let bomb = format!("{doc}{}", " ".repeat(1024 * 1024));
    let token = encode_with_level(bomb.as_bytes(), 9);
    assert!(
        token.len() < 8 * 1024,
        "the bomb must be small: {}",
        token.len()
    );
    assert_malformed(&token, "zip bomb");

    // Below the limit the same padding is just whitespace.
    let small = format!("{doc}{}", " ".repeat(16 * 1024));
    assert!(
        signer()
            .verify(&encode_with_level(small.as_bytes(), 9), "admin", TIME)
            .is_ok()
    );
}

// ---------- secrets stay secret ----------

#[test]
fn errors_and_debug_output_never_contain_the_key_or_token() {
    let token = signer().sign("admin", 86_400, TIME);
    let wrong = Signer::new(SDKAPPID, SecretKey::new(OTHER_KEY));
    let errors = [
        wrong
            .verify(token.expose_secret(), "admin", TIME)
            .unwrap_err(),
        signer()
            .verify(token.expose_secret(), "admin", TIME + 86_401)
            .unwrap_err(),
        signer()
            .verify(&token.expose_secret()[..30], "admin", TIME)
            .unwrap_err(),
    ];
    let sig = decode_doc(token.expose_secret())["TLS.sig"]
        .as_str()
        .unwrap()
        .to_owned();
    for err in &errors {
        let text = format!("{err} {err:?}");
        for secret in [KEY, OTHER_KEY, token.expose_secret(), sig.as_str()] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    let shown = format!("{token} {token:?} {:?} {:?}", signer(), SecretKey::new(KEY));
    assert!(
        !shown.contains(KEY) && !shown.contains(token.expose_secret()),
        "{shown}"
    );
    assert_eq!(UserSig::new("x").expose_secret(), "x");
}
