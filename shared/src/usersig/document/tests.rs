//! The borrowing JSON reader against the `Value` lookup it replaced: the
//! same answer for any document, valid or not.

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// The members as owned text (integers as the decimal text the HMAC covers).
type Decoded = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// What decoding did before the borrowed parser: a `Value` map, looked up.
fn parse_by_value(json: &[u8]) -> Result<Decoded, UserSigError> {
    let doc: Value = serde_json::from_slice(json)
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
    Ok((
        text("TLS.ver")?,
        text("TLS.identifier")?,
        integer_text("TLS.sdkappid")?,
        integer_text("TLS.time")?,
        integer_text("TLS.expire")?,
        text("TLS.sig")?,
        match doc.get("TLS.userbuf") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(UserSigError::Malformed(
                    "TLS.userbuf is not a string".into(),
                ));
            }
        },
    ))
}

fn parse_owned(json: &[u8]) -> Result<Decoded, UserSigError> {
    let token = parse(json)?;
    let text = |integer: &Integer<'_>| integer.text(&mut itoa::Buffer::new()).to_owned();
    Ok((
        token.version.into_owned(),
        token.identifier.into_owned(),
        text(&token.sdkappid),
        text(&token.time),
        text(&token.expire),
        token.sig.into_owned(),
        token.userbuf.map(|u| u.into_owned()),
    ))
}

const KEYS: &[&str] = &[
    "TLS.ver",
    "TLS.identifier",
    "TLS.sdkappid",
    "TLS.time",
    "TLS.expire",
    "TLS.sig",
    "TLS.userbuf",
    r"TLS.v\u0065r",
    r"TLS.identifie\u0072",
    "TLS.VER",
    "other",
    "",
];

const VALUES: &[&[u8]] = &[
    br#""2.0""#,
    br#""admin""#,
    br#""\u7ba1\u7406\u5458 \ud83d\ude00""#,
    br#""\ud800""#,
    b"\"\xff\"",
    br#""0012""#,
    br#""""#,
    br#""12a""#,
    br#"" 1""#,
    br#""18446744073709551616""#,
    b"0",
    b"1400000000",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-1",
    b"-0",
    b"1.5",
    b"1e3",
    b"1e400",
    b"null",
    b"true",
    br#"[1,"x",{"k":null}]"#,
    br#"["\ud800"]"#,
    br#"{"k":[[]],"k":1}"#,
    br#"{"\ud800":1}"#,
    DEEP_MARKER,
];

/// Stands for arrays nested deeper than serde_json's recursion limit.
const DEEP_MARKER: &[u8] = b"<deep>";

/// `VALUES[i]`, with [`DEEP_MARKER`] (and any index past the end) written
/// out as arrays nested 200 deep.
fn value_text(i: usize) -> Vec<u8> {
    match VALUES.get(i) {
        Some(&value) if value != DEEP_MARKER => value.to_vec(),
        _ => [b"[".repeat(200), b"]".repeat(200)].concat(),
    }
}

/// A document from the pieces above: an object (mostly) or another value,
/// possibly cut short or followed by junk.
fn document_text() -> impl Strategy<Value = Vec<u8>> {
    let member = (0..KEYS.len(), 0..VALUES.len());
    let top_level = 0..VALUES.len();
    (
        proptest::collection::vec(member, 0..10),
        0u8..10,
        top_level,
        any::<usize>(),
        prop_oneof![
            Just(&b""[..]),
            Just(&b" \n"[..]),
            Just(&b"x"[..]),
            Just(&b"}"[..])
        ],
    )
        .prop_map(|(members, shape, top_level, cut, suffix)| {
            let mut json = Vec::new();
            match shape {
                0 => json.extend_from_slice(&value_text(top_level)),
                _ => {
                    json.push(b'{');
                    for (i, (key, value)) in members.iter().enumerate() {
                        if i > 0 {
                            json.extend_from_slice(b", ");
                        }
                        json.extend_from_slice(format!("\"{}\":", KEYS[*key]).as_bytes());
                        json.extend_from_slice(&value_text(*value));
                    }
                    json.push(b'}');
                }
            }
            if shape == 1 {
                json.truncate(cut % (json.len() + 1));
            }
            json.extend_from_slice(suffix);
            json
        })
}

/// A document with every member valid, shuffled, sometimes with a userbuf
/// and a duplicate of one member (the last duplicate wins), so that many
/// cases get past the type checks.
fn valid_document_text() -> impl Strategy<Value = Vec<u8>> {
    let members: Vec<(&'static str, &'static [u8])> = vec![
        ("TLS.ver", br#""2.0""#),
        ("TLS.identifier", br#""a\u00e9""#),
        ("TLS.sdkappid", b"1400000000"),
        ("TLS.time", br#""0017""#),
        ("TLS.expire", b"86400"),
        ("TLS.sig", br#""c2ln""#),
        ("TLS.userbuf", b"null"),
        ("TLS.userbuf", br#""YWJj""#),
    ];
    (
        Just(members).prop_shuffle(),
        0usize..3,
        proptest::option::of((any::<usize>(), 0..=VALUES.len())),
    )
        .prop_map(|(mut members, drop_userbufs, duplicate)| {
            // Keep both, one or neither userbuf member.
            for _ in 0..drop_userbufs {
                if let Some(at) = members.iter().position(|(key, _)| *key == "TLS.userbuf") {
                    members.remove(at);
                }
            }
            let mut members: Vec<(&str, Vec<u8>)> =
                members.into_iter().map(|(k, v)| (k, v.to_vec())).collect();
            if let Some((at, value)) = duplicate {
                let at = at % members.len();
                members.insert(at, (members[at].0, value_text(value)));
            }
            let mut json = b"{".to_vec();
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(format!("\"{key}\":").as_bytes());
                json.extend_from_slice(value);
            }
            json.push(b'}');
            json
        })
}

proptest! {
    #[test]
    fn document_parser_matches_value_lookup(json in document_text()) {
        prop_assert_eq!(parse_owned(&json), parse_by_value(&json));
    }

    #[test]
    fn document_parser_matches_value_lookup_on_valid_documents(json in valid_document_text()) {
        prop_assert_eq!(parse_owned(&json), parse_by_value(&json));
    }
}

#[test]
fn document_parser_borrows_plain_strings_and_keeps_the_last_duplicate() {
    let json = br#"{"TLS.ver":"1.0","TLS.identifier":"admin","TLS.sdkappid":"0014","TLS.time":1,
        "TLS.expire":2,"TLS.sig":"s","TLS.v\u0065r":"2.0","other":[1,{"x":null}],"TLS.userbuf":null}"#;
    let token = parse(json).unwrap();
    assert_eq!(token.version, "2.0");
    assert!(matches!(
        token.identifier,
        std::borrow::Cow::Borrowed("admin")
    ));
    assert_eq!(
        token.sdkappid,
        Integer::Digits(std::borrow::Cow::Borrowed("0014"))
    );
    assert_eq!(token.time, Integer::Number(1));
    assert!(token.userbuf.is_none());
    assert_eq!(token.claims().unwrap().sdkappid, 14);
    // An unknown member is still validated: a lone surrogate is not JSON.
    assert_eq!(
        parse_owned(br#"{"TLS.ver":"2.0","x":"\ud800"}"#).unwrap_err(),
        UserSigError::Malformed("inflated UserSig is not JSON".into())
    );
    assert_eq!(
        parse_owned(b"[1,2]").unwrap_err(),
        UserSigError::Malformed("inflated UserSig is not a JSON object".into())
    );
}
