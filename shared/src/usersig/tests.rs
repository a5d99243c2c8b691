use std::io::{Read, Write};

use proptest::prelude::*;
use serde_json::Value;

use super::document::{self, Integer};
use super::framing::{self, inflate, inflate_with_flate2, read_stored, zlib_stored};
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
fn inflate_refuses_trailing_bytes_and_oversized_output() {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(b"{}").unwrap();
    let mut stream = zlib.finish().unwrap();
    assert_eq!(inflate(&stream).unwrap().as_ref(), b"{}");
    stream.push(0);
    assert!(matches!(inflate(&stream), Err(UserSigError::Malformed(_))));

    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&vec![b' '; MAX_INFLATED_LEN as usize + 1])
        .unwrap();
    assert!(matches!(
        inflate(&zlib.finish().unwrap()),
        Err(UserSigError::Malformed(_))
    ));

    // The same refusals for stored blocks, which the direct reader declines.
    let mut stored = zlib_stored(b"{}");
    stored.push(0);
    assert_eq!(
        inflate(&stored).unwrap_err(),
        UserSigError::Malformed("data after the zlib stream".into())
    );
    let oversized = zlib_stored(&vec![b' '; MAX_INFLATED_LEN as usize + 1]);
    assert_eq!(read_stored(&oversized), None);
    assert_eq!(
        inflate(&oversized).unwrap_err(),
        UserSigError::Malformed("inflated UserSig is too large".into())
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

// ---------- the stored-block writer and the direct reader ----------

/// A stored-block stream with blocks split at `cuts` (sorted offsets into
/// `data`), unlike [`zlib_stored`], which only splits every 65535 bytes.
fn stored_with_cuts(data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut stream = vec![0x78, 0x01];
    let mut start = 0;
    let ends = cuts.iter().copied().chain([data.len()]);
    let mut ends = ends.peekable();
    while let Some(end) = ends.next() {
        let block = &data[start..end];
        let len = u16::try_from(block.len()).unwrap();
        stream.push(u8::from(ends.peek().is_none()));
        stream.extend_from_slice(&len.to_le_bytes());
        stream.extend_from_slice(&(!len).to_le_bytes());
        stream.extend_from_slice(block);
        start = end;
    }
    stream.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
    stream
}

fn inflate_unlimited(stream: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    flate2::read::ZlibDecoder::new(stream)
        .read_to_end(&mut data)
        .unwrap();
    data
}

#[test]
fn stored_streams_of_any_size_inflate_everywhere() {
    let mut rng = fastrand::Rng::with_seed(10);
    for size in [0usize, 1, 200, 65_535, 65_536, 131_070, 131_071, 200_000] {
        let data: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
        let stream = zlib_stored(&data);
        let blocks = size.div_ceil(65_535).max(1);
        assert_eq!(stream.len(), 2 + 5 * blocks + size + 4, "size {size}");
        assert_eq!(&stream[..2], &[0x78, 0x01]);
        assert_eq!(inflate_unlimited(&stream), data, "size {size}");
        let direct = read_stored(&stream);
        if size as u64 <= MAX_INFLATED_LEN {
            assert_eq!(direct.as_deref(), Some(&data[..]), "size {size}");
            // A single block is read in place, not copied.
            assert_eq!(
                matches!(direct, Some(std::borrow::Cow::Borrowed(_))),
                blocks == 1
            );
        } else {
            assert_eq!(direct, None, "size {size}");
        }
    }
}

#[test]
fn in_place_framing_matches_the_general_writer_at_every_size() {
    let mut rng = fastrand::Rng::with_seed(11);
    for size in [0usize, 1, 65_535, 65_536, 140_000] {
        let data: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
        for hint in [0, size] {
            let text = framing::encode_stored(hint, |stream| stream.extend_from_slice(&data));
            assert_eq!(zlib_bytes(&text), zlib_stored(&data), "size {size}");
        }
    }
}

#[test]
fn a_reused_inflater_forgets_the_previous_token() {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(b"{\"a\":1}").unwrap();
    let good = zlib.finish().unwrap();
    // A stream cut short, one too large, one with trailing bytes: each
    // leaves the thread's inflater mid-stream or with input left over.
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&vec![b' '; MAX_INFLATED_LEN as usize * 2])
        .unwrap();
    let huge = zlib.finish().unwrap();
    let mut trailing = good.clone();
    trailing.push(7);
    for spoiler in [&good[..good.len() / 2], &huge[..], &trailing[..], &good[..]] {
        let _ = inflate_with_flate2(spoiler);
        assert_eq!(inflate_with_flate2(&good).unwrap(), b"{\"a\":1}");
    }
    assert_eq!(
        inflate_with_flate2(&trailing).unwrap_err(),
        UserSigError::Malformed("data after the zlib stream".into())
    );
}

#[test]
fn direct_reader_declines_what_it_does_not_vouch_for() {
    let data = br#"{"a":1}"#;
    let good = zlib_stored(data);
    assert_eq!(read_stored(&good).as_deref(), Some(&data[..]));
    type Edit = fn(&mut Vec<u8>);
    let edits: [(&str, Edit); 8] = [
        ("compressed block", |s| s[2] = 0x03),
        ("padding bits set", |s| s[2] |= 0x08),
        // 0x7820 is a multiple of 31: the header check still holds.
        ("preset dictionary flag", |s| s[1] = 0x20),
        ("bad header check", |s| s[1] = 0x02),
        ("LEN and NLEN disagree", |s| s[5] ^= 1),
        ("bad checksum", |s| *s.last_mut().unwrap() ^= 1),
        ("trailing byte", |s| s.push(0)),
        ("truncated", |s| {
            s.pop();
        }),
    ];
    for (what, edit) in edits {
        let mut stream = good.clone();
        edit(&mut stream);
        assert_eq!(read_stored(&stream), None, "{what}");
    }
    // A compressed stream from a reference library goes to the inflater.
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(data).unwrap();
    let compressed = zlib.finish().unwrap();
    assert_eq!(read_stored(&compressed), None);
    assert_eq!(inflate(&compressed).unwrap().as_ref(), data);
}

fn stream_edit() -> impl Strategy<Value = (usize, u8, u8)> {
    (any::<usize>(), any::<u8>(), 0u8..5)
}

/// Applies one edit: 0 none, 1 set a byte, 2 flip a bit, 3 truncate, 4 append.
fn apply_edit(stream: &mut Vec<u8>, (at, byte, kind): (usize, u8, u8)) {
    if stream.is_empty() {
        stream.push(byte);
        return;
    }
    let at = at % stream.len();
    match kind {
        1 => stream[at] = byte,
        2 => stream[at] ^= 1 << (byte % 8),
        3 => stream.truncate(at),
        4 => stream.push(byte),
        _ => {}
    }
}

proptest! {
    #[test]
    fn direct_reader_never_changes_an_answer(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
        edits in proptest::collection::vec(stream_edit(), 0..3),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut stream = stored_with_cuts(&data, &cuts);
        for edit in edits {
            apply_edit(&mut stream, edit);
        }
        let direct = read_stored(&stream);
        let combined = inflate(&stream).map(|json| json.into_owned());
        let fresh = inflate_fresh(&stream);
        prop_assert_eq!(&combined, &fresh);
        if let Some(direct) = direct {
            prop_assert_eq!(Ok(direct.into_owned()), fresh);
        }
    }

    #[test]
    fn the_reused_inflater_answers_as_a_fresh_one(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        level in 0u32..=9,
        edits in proptest::collection::vec(stream_edit(), 0..3),
    ) {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
        zlib.write_all(&data).unwrap();
        let mut stream = zlib.finish().unwrap();
        for edit in edits {
            apply_edit(&mut stream, edit);
        }
        // Cases run one after another on this thread: each one starts from
        // the inflater the previous one left behind.
        prop_assert_eq!(inflate_with_flate2(&stream), inflate_fresh(&stream));
        prop_assert_eq!(inflate(&stream).map(|json| json.into_owned()), inflate_fresh(&stream));
    }
}

/// What inflating did before the reused inflater: a new one per call.
fn inflate_fresh(compressed: &[u8]) -> Result<Vec<u8>, UserSigError> {
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
    if !limited.into_inner().get_ref().is_empty() {
        return Err(UserSigError::Malformed("data after the zlib stream".into()));
    }
    Ok(json)
}

// ---------- Tencent's base64 ----------

/// What decoding did before the custom alphabet engine: map Tencent's
/// symbols back and decode lenient standard base64.
fn decode_by_mapping(usersig: &str) -> Result<Vec<u8>, UserSigError> {
    let usersig = usersig.trim();
    if usersig.is_empty() {
        return Err(UserSigError::Malformed("empty UserSig".into()));
    }
    if usersig.len() > MAX_USERSIG_LEN {
        return Err(UserSigError::Malformed("UserSig is too long".into()));
    }
    let alphabet = "not base64 in Tencent's URL alphabet";
    if !usersig
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'_'))
    {
        return Err(UserSigError::Malformed(alphabet.into()));
    }
    let standard = usersig
        .replace('*', "+")
        .replace('-', "/")
        .replace('_', "=");
    STANDARD_LENIENT
        .decode(standard)
        .map_err(|_| UserSigError::Malformed(alphabet.into()))
}

proptest! {
    #[test]
    fn tencent_base64_decodes_as_mapping_back_did(
        text in "[ A-Za-z0-9*_+/=-]{0,24}",
        bytes in proptest::collection::vec(any::<u8>(), 0..40),
        cut in 0usize..4,
    ) {
        prop_assert_eq!(framing::decode(&text), decode_by_mapping(&text));
        // Real encodings, with and without (some of) their padding.
        let encoded = framing::encode_stored(0, |stream| stream.extend_from_slice(&bytes));
        let shortened = &encoded[..encoded.len() - cut.min(encoded.len())];
        prop_assert_eq!(framing::decode(shortened), decode_by_mapping(shortened));
        prop_assert_eq!(
            framing::decode(&encoded).map(|s| inflate(&s).map(|j| j.into_owned())),
            Ok(Ok(bytes))
        );
    }
}

// ---------- the JSON document ----------

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
    let token = document::parse(json)?;
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
    let token = document::parse(json).unwrap();
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
