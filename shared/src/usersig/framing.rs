//! A UserSig's outer layers: the zlib stream and Tencent's base64 alphabet.
//!
//! Signing writes zlib *stored* (uncompressed) blocks, as Tencent's Go
//! library does by default (`zlib.NoCompression`): every inflater reads
//! them, and a few hundred bytes of JSON gain little from compressing.

use std::cell::RefCell;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::alphabet::{Alphabet, Symbol};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use flate2::Compression;
use flate2::bufread::ZlibDecoder;
use flate2::write::ZlibEncoder;

use super::UserSigError;

/// Inflated JSON larger than this is refused: a UserSig is a few hundred
/// bytes, and a verifier must not be a zip bomb's target.
pub(super) const MAX_INFLATED_LEN: u64 = 64 * 1024;

/// Token text longer than this is refused before decoding: deflate grows
/// data by a few bytes per block at most, so any token that inflates within
/// [`MAX_INFLATED_LEN`] fits well under it.
pub(super) const MAX_USERSIG_LEN: usize = 2 * MAX_INFLATED_LEN as usize;

/// Standard base64 with Tencent's substitutions `+`→`*`, `/`→`-` and `=`→`_`,
/// padding optional when decoding. Only this alphabet decodes: one token
/// should have one spelling.
const TENCENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &TENCENT_ALPHABET,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const TENCENT_ALPHABET: Alphabet = {
    // Checked at compile time: a bad alphabet fails the build, not a call.
    let Some(padding) = Symbol::new(b'_') else {
        panic!("`_` is printable ASCII")
    };
    match Alphabet::new_with_padding(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-",
        padding,
    ) {
        Ok(alphabet) => alphabet,
        Err(_) => panic!("64 distinct symbols, none of them `_`"),
    }
};

thread_local! {
    /// One compressor per thread, reused: building one (its hash tables)
    /// costs ten times the rest of signing, which would make signing slower
    /// than Tencent's Python library.
    static ZLIB: RefCell<ZlibEncoder<Vec<u8>>> =
        RefCell::new(ZlibEncoder::new(Vec::new(), Compression::none()));
}

/// `json` as a token: a zlib stream of stored blocks, in Tencent's base64.
pub(super) fn encode(json: &[u8]) -> String {
    // `reset` finishes the stream and hands it back. Writing into a Vec
    // cannot fail.
    let stream = ZLIB
        .with_borrow_mut(|zlib| zlib.write_all(json).and_then(|()| zlib.reset(Vec::new())))
        .unwrap_or_else(|_| unreachable!("compressing into a Vec"));
    TENCENT_BASE64.encode(stream)
}

/// The JSON inside a token's text (surrounding whitespace ignored): one
/// complete zlib stream of at most [`MAX_INFLATED_LEN`] bytes with nothing
/// after it (trailing bytes would give one token two spellings).
pub(super) fn decode(usersig: &str) -> Result<Vec<u8>, UserSigError> {
    let malformed = |what: &str| UserSigError::Malformed(what.into());
    let check = |ok: bool, what: &str| ok.then_some(()).ok_or_else(|| malformed(what));
    let usersig = usersig.trim();
    check(!usersig.is_empty(), "empty UserSig")?;
    check(usersig.len() <= MAX_USERSIG_LEN, "UserSig is too long")?;
    let compressed = TENCENT_BASE64
        .decode(usersig)
        .map_err(|_| malformed("not base64 in Tencent's URL alphabet"))?;
    let mut inflater = ZlibDecoder::new(compressed.as_slice());
    let mut json = Vec::new();
    (&mut inflater)
        .take(MAX_INFLATED_LEN + 1)
        .read_to_end(&mut json)
        .map_err(|_| malformed("not zlib data"))?;
    check(
        json.len() as u64 <= MAX_INFLATED_LEN,
        "inflated UserSig is too large",
    )?;
    // The bufread decoder consumes its input exactly up to the stream's end.
    check(inflater.get_ref().is_empty(), "data after the zlib stream")?;
    Ok(json)
}
