//! Sign then verify: awkward identifiers, whitespace, extreme expiries, and
//! any claims (proptest) come back as they went in.

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::json;
use tim::usersig::{self, SecretKey, Signer};

use crate::common::usersig::*;

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
        let userbuf_text = userbuf.map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes));
        prop_assert_eq!(claims.userbuf, userbuf_text);
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
