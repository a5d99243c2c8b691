//! UserSigs as the reference libraries make and read them (docs/usersig.md):
//! known answers, the exact JSON and framing of our tokens, expiry to the
//! second, any JSON layout and zlib level, and the TRTC userbuf.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tim::usersig::{DEFAULT_EXPIRE_SECS, UserSigError};

use crate::common::usersig::*;

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
            assert_eq!(claims.userbuf, Some(STANDARD.encode(b"buf")));
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
