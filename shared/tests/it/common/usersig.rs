//! A second, independent implementation of the UserSig reference algorithm
//! (content lines, HMAC, JSON, zlib, Tencent's base64 alphabet), written the
//! way the reference libraries do it, so that tokens with any JSON layout,
//! zlib level or tampered member can be built and fed to the crate's
//! verifier; and the facts the `usersig_*` tests share (docs/usersig.md).

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tim::usersig::{self, SecretKey, Signer, UserSigError};

pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub const SDKAPPID: u64 = 1_400_000_000;
pub const TIME: u64 = 1_700_000_000;
/// The UserSig the reference Python library made for `admin`, 15552000 s, at TIME.
pub const REFERENCE_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_";
pub const REFERENCE_ADMIN_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "admin", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1700000000, "TLS.sig": "3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI="}"#;

/// Identifiers that stress escaping and UTF-8 handling.
pub const AWKWARD_IDENTIFIERS: &[&str] = &[
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

pub fn signer() -> Signer {
    Signer::new(SDKAPPID, SecretKey::new(KEY))
}

pub fn reason(result: Result<usersig::Claims, UserSigError>) -> &'static str {
    match result {
        Ok(claims) => panic!("expected a rejection, got valid claims {claims:?}"),
        Err(err) => err.reason(),
    }
}

// ---------- the independent reference implementation ----------

pub fn reference_hmac(
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
pub fn reference_doc(
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

pub fn encode_with_level(json_text: &[u8], level: u32) -> String {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    zlib.write_all(json_text).unwrap();
    to_tencent_base64(&zlib.finish().unwrap())
}

pub fn to_tencent_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

pub fn encode(json_text: &str) -> String {
    encode_with_level(json_text.as_bytes(), 6)
}

pub fn decode_json_text(token: &str) -> String {
    let standard = token.replace('*', "+").replace('-', "/").replace('_', "=");
    let compressed = STANDARD.decode(standard).unwrap();
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_string(&mut json)
        .unwrap();
    json
}

pub fn decode_doc(token: &str) -> Value {
    serde_json::from_str(&decode_json_text(token)).unwrap()
}

/// Our token for `identifier`, with its JSON changed by `edit`, re-encoded.
pub fn tampered(
    identifier: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> String {
    tampered_token(
        signer().sign(identifier, 86_400, TIME).expose_secret(),
        edit,
    )
}

pub fn tampered_token(
    token: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> String {
    let Value::Object(mut doc) = decode_doc(token) else {
        panic!("not an object")
    };
    edit(&mut doc);
    encode(&Value::Object(doc).to_string())
}

/// JSON text with every non-ASCII character, `<`, `>`, `&` and every letter
/// written as a `\u` escape (UTF-16 surrogate pairs above the BMP), members
/// in reverse order and generous whitespace.
pub fn escaped_layout(doc: &Value) -> String {
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
