//! What verification refuses, and how: tampered members, the wrong key or
//! app, malformed input and zip bombs each get their stable reason, and no
//! refusal or `Debug` output carries the key or the token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tim::usersig::{self, DEFAULT_EXPIRE_SECS, SecretKey, Signer, UserSig, UserSigError};

use crate::common::usersig::*;

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
    let shown = format!("{token} {token:?} {:?}", SecretKey::new(KEY));
    assert!(
        !shown.contains(KEY) && !shown.contains(token.expose_secret()),
        "{shown}"
    );
    assert_eq!(UserSig::new("x").expose_secret(), "x");
}
