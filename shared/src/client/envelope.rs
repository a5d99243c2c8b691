//! Tencent's answer envelope: a JSON object whose `ErrorCode` decides.

use serde_json::Value;

use crate::api::json_kind;
use crate::error::Error;

/// A successful Tencent answer: the envelope and the exact body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The answer's top-level JSON object (`ErrorCode` 0).
    pub envelope: serde_json::Map<String, serde_json::Value>,
    /// The body exactly as received (archived as is by ops-pull).
    pub raw: bytes::Bytes,
}

/// Reads Tencent's envelope: a JSON object whose `ErrorCode` decides.
pub(super) fn parse_envelope(command: &str, raw: bytes::Bytes) -> Result<Response, Error> {
    let decode = |reason: String| Error::Decode {
        command: command.to_owned(),
        reason,
    };
    // The body is never quoted into the error: an intermediary's error page
    // could echo the request URL, and with it the UserSig.
    let envelope = match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("expected a JSON object, got {}", json_kind(&other))),
        Err(e) => Err(format!("{} bytes, not JSON ({e})", raw.len())),
    };
    let envelope = envelope.map_err(decode)?;
    let code = match envelope.get("ErrorCode") {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| format!("ErrorCode {n} is not an integer")),
        Some(other) => Err(format!("ErrorCode is {}, not an integer", json_kind(other))),
        None => Err("no ErrorCode".to_owned()),
    };
    let code = code.map_err(decode)?;
    if code != 0 {
        let info = match envelope.get("ErrorInfo") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let command = command.to_owned();
        return Err(Error::Api {
            command,
            code,
            info,
        });
    }
    Ok(Response { envelope, raw })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_error_code_is_the_truth() {
        let ok = parse_envelope(
            "c",
            bytes::Bytes::from_static(br#"{"ErrorCode":0,"Result":[]}"#),
        )
        .unwrap();
        assert!(ok.envelope.contains_key("Result"));
        let fail = parse_envelope(
            "c",
            bytes::Bytes::from_static(
                br#"{"ActionStatus":"OK","ErrorCode":60007,"ErrorInfo":"limit"}"#,
            ),
        )
        .unwrap_err();
        assert!(matches!(fail, Error::Api { code: 60007, ref info, .. } if info == "limit"));
        for body in [
            &b"[1]"[..],
            b"not json",
            br#"{"ErrorCode":0"#,
            br#"{"ActionStatus":"OK"}"#,
            br#"{"ErrorCode":"0"}"#,
        ] {
            let err = parse_envelope("c", bytes::Bytes::copy_from_slice(body)).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
            assert!(err.is_retryable());
        }
    }
}
