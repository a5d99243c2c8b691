//! The zlib and base64 layers: the stored-block writer, the direct reader
//! and the reused inflater against flate2, Tencent's alphabet against the
//! mapping it replaced.

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

use super::*;
use crate::usersig::claims::STANDARD_LENIENT;

/// The zlib bytes of a token, decoded the way the reference libraries do.
fn zlib_bytes(token: &str) -> Vec<u8> {
    STANDARD
        .decode(token.replace('*', "+").replace('-', "/").replace('_', "="))
        .unwrap()
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
            let text = encode_stored(hint, |stream| stream.extend_from_slice(&data));
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
        prop_assert_eq!(decode(&text), decode_by_mapping(&text));
        // Real encodings, with and without (some of) their padding.
        let encoded = encode_stored(0, |stream| stream.extend_from_slice(&bytes));
        let shortened = &encoded[..encoded.len() - cut.min(encoded.len())];
        prop_assert_eq!(decode(shortened), decode_by_mapping(shortened));
        prop_assert_eq!(
            decode(&encoded).map(|s| inflate(&s).map(|j| j.into_owned())),
            Ok(Ok(bytes))
        );
    }
}
