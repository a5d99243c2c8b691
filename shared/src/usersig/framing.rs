//! A UserSig's outer layers: the zlib stream and Tencent's base64 alphabet.
//!
//! Signing writes the JSON as zlib *stored* (uncompressed) blocks, as
//! Tencent's Go library does by default (`zlib.NoCompression`). A UserSig's
//! JSON is a few hundred bytes: compressing it saves ~50 characters, while
//! building a deflate compressor (hundreds of KiB of state, allocated and
//! freed per signature) cost about a hundred times the rest of signing.
//! Every zlib inflater reads stored blocks, so the tokens verify everywhere.
//!
//! Verifying reads stored-block streams directly (no inflater, no copy for a
//! single block) and hands everything else, such as the reference libraries'
//! compressed tokens, to flate2. The direct reader accepts only streams the
//! inflater accepts with the same result, so which path runs never changes
//! an answer; every refusal comes from the inflater.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{Cursor, Read};

use base64::Engine as _;
use base64::alphabet::{Alphabet, Symbol};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use flate2::bufread::ZlibDecoder;

use super::error::UserSigError;

/// Inflated JSON larger than this is refused: a UserSig is a few hundred
/// bytes, and a verifier must not be a zip bomb's target.
pub(super) const MAX_INFLATED_LEN: u64 = 64 * 1024;

/// Token text longer than this is refused before decoding. Deflate never
/// grows data by more than a few bytes per 16 KiB block (stored blocks: 5
/// bytes per 64 KiB), so any token that inflates within [`MAX_INFLATED_LEN`]
/// fits well under this.
pub(super) const MAX_USERSIG_LEN: usize = 2 * MAX_INFLATED_LEN as usize;

/// Standard base64 with Tencent's substitutions `+`→`*`, `/`→`-` and `=`→`_`.
/// Decoding takes the padding or its absence. Only this alphabet decodes: a
/// `+`, `/` or `=` would decode to the same bytes as its `*`, `-`, `_` twin,
/// and one token should have one spelling.
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

/// CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest level, no preset
/// dictionary, check bits): what zlib writes at level 0.
const ZLIB_STORED_HEADER: [u8; 2] = [0x78, 0x01];

/// A stored block's LEN is 16 bits.
const STORED_BLOCK_MAX: usize = 0xFFFF;

/// The token text for the JSON `write_json` appends: a zlib stream of
/// stored blocks, in Tencent's base64. The JSON is written in place after a
/// one-block header completed afterwards; JSON longer than a block (only a
/// huge userbuf makes one) is framed again.
pub(super) fn encode_stored(json_len_hint: usize, write_json: impl FnOnce(&mut Vec<u8>)) -> String {
    const DATA_START: usize = ZLIB_STORED_HEADER.len() + 5;
    let mut stream = Vec::with_capacity(DATA_START + json_len_hint + 4);
    stream.extend_from_slice(&ZLIB_STORED_HEADER);
    stream.extend_from_slice(&[0x01, 0, 0, 0, 0]);
    write_json(&mut stream);
    let stream = match u16::try_from(stream.len() - DATA_START) {
        Ok(len) => {
            stream[3..5].copy_from_slice(&len.to_le_bytes());
            stream[5..7].copy_from_slice(&(!len).to_le_bytes());
            let checksum = adler2::adler32_slice(&stream[DATA_START..]);
            stream.extend_from_slice(&checksum.to_be_bytes());
            stream
        }
        Err(_) => zlib_stored(&stream[DATA_START..]),
    };
    TENCENT_BASE64.encode(stream)
}

/// `data` as a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951
/// §3.2.4): header, blocks of at most 65535 bytes, Adler-32 of `data`.
pub(super) fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(STORED_BLOCK_MAX).max(1);
    let mut stream = Vec::with_capacity(ZLIB_STORED_HEADER.len() + 5 * blocks + data.len() + 4);
    stream.extend_from_slice(&ZLIB_STORED_HEADER);
    let mut chunks = data.chunks(STORED_BLOCK_MAX).peekable();
    loop {
        // Empty data still needs one (final, empty) block.
        let chunk = chunks.next().unwrap_or_default();
        let last = chunks.peek().is_none();
        let len = u16::try_from(chunk.len())
            .unwrap_or_else(|_| unreachable!("chunks are at most 65535 bytes"));
        // BFINAL, then BTYPE 00 (stored); the rest of the byte pads to the
        // byte boundary.
        stream.push(u8::from(last));
        stream.extend_from_slice(&len.to_le_bytes());
        stream.extend_from_slice(&(!len).to_le_bytes());
        stream.extend_from_slice(chunk);
        if last {
            break;
        }
    }
    stream.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
    stream
}

/// The zlib stream inside a token's text (surrounding whitespace ignored).
pub(super) fn decode(usersig: &str) -> Result<Vec<u8>, UserSigError> {
    let usersig = usersig.trim();
    if usersig.is_empty() {
        return Err(UserSigError::Malformed("empty UserSig".into()));
    }
    if usersig.len() > MAX_USERSIG_LEN {
        return Err(UserSigError::Malformed("UserSig is too long".into()));
    }
    TENCENT_BASE64
        .decode(usersig)
        .map_err(|_| UserSigError::Malformed("not base64 in Tencent's URL alphabet".into()))
}

/// Inflates one complete zlib stream of at most [`MAX_INFLATED_LEN`] bytes
/// with nothing after it (trailing bytes would give one token two spellings).
pub(super) fn inflate(compressed: &[u8]) -> Result<Cow<'_, [u8]>, UserSigError> {
    match read_stored(compressed) {
        Some(data) => Ok(data),
        None => inflate_with_flate2(compressed).map(Cow::Owned),
    }
}

/// The data of a zlib stream made only of stored blocks, read without an
/// inflater; `None` for anything the inflater should judge instead: other
/// block types, padding bits that are not zero, an unusual header, a length
/// or checksum that does not match, bytes after the stream, data over the
/// limit.
pub(super) fn read_stored(stream: &[u8]) -> Option<Cow<'_, [u8]>> {
    let (&[cmf, flg], mut rest) = stream.split_first_chunk::<2>()?;
    // Deflate with a 32 KiB window, check bits right, no preset dictionary.
    if cmf != 0x78 || u16::from_be_bytes([cmf, flg]) % 31 != 0 || flg & 0x20 != 0 {
        return None;
    }
    let mut data: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    loop {
        let (&block_header, after) = rest.split_first()?;
        let last = match block_header {
            0x00 => false,
            0x01 => true,
            _ => return None,
        };
        let (lengths, after) = after.split_first_chunk::<4>()?;
        let len = u16::from_le_bytes([lengths[0], lengths[1]]);
        if len != !u16::from_le_bytes([lengths[2], lengths[3]]) {
            return None;
        }
        let (block, after) = after.split_at_checked(usize::from(len))?;
        // One block (every token we sign) is borrowed, not copied.
        if data.is_empty() {
            data = Cow::Borrowed(block);
        } else if !block.is_empty() {
            data.to_mut().extend_from_slice(block);
        }
        rest = after;
        if last {
            break;
        }
    }
    let trailer: [u8; 4] = rest.try_into().ok()?;
    let fits = u64::try_from(data.len()).is_ok_and(|len| len <= MAX_INFLATED_LEN);
    (fits && adler2::adler32_slice(&data) == u32::from_be_bytes(trailer)).then_some(data)
}

thread_local! {
    /// One inflater per thread, reset for each token: building one (tens of
    /// KiB of state) per call cost more than the inflating itself.
    static INFLATER: RefCell<ZlibDecoder<Cursor<Vec<u8>>>> =
        RefCell::new(ZlibDecoder::new(Cursor::new(Vec::new())));
}

/// Any zlib stream, through flate2's inflater: the judge of every stream
/// [`read_stored`] declines, and the source of every refusal's reason.
pub(super) fn inflate_with_flate2(compressed: &[u8]) -> Result<Vec<u8>, UserSigError> {
    INFLATER.with(|inflater| match inflater.try_borrow_mut() {
        Ok(mut inflater) => {
            // The input buffer is reused too.
            let mut input = std::mem::take(inflater.get_mut()).into_inner();
            input.clear();
            input.extend_from_slice(compressed);
            // Swaps the input in and resets the inflater's state.
            inflater.reset(Cursor::new(input));
            inflate_limited(&mut *inflater)
        }
        // Only reachable if inflating ever re-entered itself: use a fresh one.
        Err(_) => inflate_limited(&mut ZlibDecoder::new(Cursor::new(compressed.to_vec()))),
    })
}

/// Reads one zlib stream of at most [`MAX_INFLATED_LEN`] bytes that ends
/// exactly where the input does.
fn inflate_limited<T: AsRef<[u8]>>(
    inflater: &mut ZlibDecoder<Cursor<T>>,
) -> Result<Vec<u8>, UserSigError> {
    let mut json = Vec::new();
    inflater
        .take(MAX_INFLATED_LEN + 1)
        .read_to_end(&mut json)
        .map_err(|_| UserSigError::Malformed("not zlib data".into()))?;
    if json.len() as u64 > MAX_INFLATED_LEN {
        return Err(UserSigError::Malformed(
            "inflated UserSig is too large".into(),
        ));
    }
    // The bufread decoder consumes its input exactly up to the stream's end.
    let input = inflater.get_ref();
    if input.position() != input.get_ref().as_ref().len() as u64 {
        return Err(UserSigError::Malformed("data after the zlib stream".into()));
    }
    Ok(json)
}

#[cfg(test)]
mod tests;
