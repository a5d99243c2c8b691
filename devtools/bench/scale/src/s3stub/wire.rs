//! S3's wire formats the stub needs: the ListObjectsV2 and error XML, HTTP
//! dates, and the `aws-chunked` body encoding the SDK may use for PUTs.

use chrono::{DateTime, Utc};

use super::objects::ListPage;

/// What a ListObjectsV2 request asked for, echoed in the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub prefix: String,
    pub start_after: Option<String>,
    pub continuation_token: Option<String>,
    pub max_keys: usize,
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// `2026-11-02T06:00:00.000Z`, as in listings.
pub fn iso8601(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `Mon, 02 Nov 2026 06:00:00 GMT`, as in `Last-Modified`.
pub fn http_date(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The continuation token for a key: its hex (opaque to clients, any key
/// survives the query string).
pub fn token_of(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The key a token stands for; `None` if it is not one of ours.
pub fn key_of_token(token: &str) -> Option<String> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

pub fn list_result(bucket: &str, query: &ListQuery, page: &ListPage) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    let mut element = |name: &str, value: &str| {
        xml.push_str(&format!("<{name}>{}</{name}>", escape(value)));
    };
    element("Name", bucket);
    element("Prefix", &query.prefix);
    if let Some(start_after) = &query.start_after {
        element("StartAfter", start_after);
    }
    if let Some(token) = &query.continuation_token {
        element("ContinuationToken", token);
    }
    element("KeyCount", &page.keys.len().to_string());
    element("MaxKeys", &query.max_keys.to_string());
    element(
        "IsTruncated",
        if page.next.is_some() { "true" } else { "false" },
    );
    if let Some(next) = &page.next {
        element("NextContinuationToken", &token_of(next));
    }
    for (key, object) in &page.keys {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            escape(key),
            iso8601(object.last_modified),
            escape(&object.etag),
            object.body.len()
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml
}

pub fn error_xml(code: &str, message: &str, resource: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>s3stub</RequestId></Error>",
        escape(code),
        escape(message),
        escape(resource)
    )
}

/// Decodes an `aws-chunked` body: `hex-size[;chunk-signature=…]\r\n`, the
/// bytes, `\r\n`, … up to a zero-size chunk (trailers after it ignored).
pub fn decode_aws_chunked(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("aws-chunked: no chunk header")?;
        let header =
            std::str::from_utf8(&body[..line_end]).map_err(|_| "aws-chunked: bad header")?;
        let size_text = header.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("aws-chunked: bad chunk size {size_text:?}"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body
            .get(..size)
            .ok_or("aws-chunked: chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        body = body.get(size..).unwrap_or_default();
        body = body.strip_prefix(b"\r\n").unwrap_or(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_bodies_decode_with_or_without_signatures_and_trailers() {
        let plain = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        assert_eq!(decode_aws_chunked(plain).unwrap(), b"hello world");
        let signed = b"3;chunk-signature=abc\r\nabc\r\n0;chunk-signature=def\r\n\r\n";
        assert_eq!(decode_aws_chunked(signed).unwrap(), b"abc");
        assert!(decode_aws_chunked(b"zz\r\n").is_err());
        assert!(decode_aws_chunked(b"9\r\nshort").is_err());
    }

    #[test]
    fn tokens_round_trip_any_key() {
        for key in ["a/b=c d&e", "", "ü/ß"] {
            assert_eq!(key_of_token(&token_of(key)).as_deref(), Some(key));
        }
        assert_eq!(key_of_token("abc"), None);
        assert_eq!(key_of_token("zz"), None);
    }
}
