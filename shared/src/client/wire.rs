//! What goes on the wire: the request URL and JSON body, and Tencent's
//! answer envelope (a JSON object whose `ErrorCode` decides).

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::api::json_kind;
use crate::credentials::AppCredentials;
use crate::error::Error;

use super::scrub::scrub;

/// The request body as JSON bytes: `{}` for a body with nothing to say
/// (Tencent refuses an empty body).
pub(super) fn encode_body(command: &str, body: &impl Serialize) -> Result<Bytes, Error> {
    let json = serde_json::to_vec(body).map_err(|e| Error::Encode {
        command: command.to_owned(),
        reason: e.to_string(),
    })?;
    if json.is_empty() || json == b"null" {
        return Ok(Bytes::from_static(b"{}"));
    }
    Ok(Bytes::from(json))
}

/// `{base}/v4/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`
/// with a fresh `random`. The identifier is form-encoded; the UserSig's
/// alphabet (`A-Za-z0-9*-_`) passes through unchanged.
pub(super) fn request_url(
    base: &Url,
    command: &str,
    credentials: &AppCredentials,
) -> Result<Url, Error> {
    if base.cannot_be_a_base() {
        return Err(Error::Config {
            reason: format!("base URL {base} cannot carry a path"),
        });
    }
    let mut url = base.clone();
    let path = format!(
        "{}/v4/{}",
        base.path().trim_end_matches('/'),
        command.trim_start_matches('/')
    );
    url.set_path(&path);
    url.set_fragment(None);
    url.query_pairs_mut()
        .clear()
        .append_pair("sdkappid", &credentials.sdkappid.to_string())
        .append_pair("identifier", &credentials.identifier)
        .append_pair("usersig", credentials.usersig.expose_secret())
        .append_pair("random", &fastrand::u32(..).to_string())
        .append_pair("contenttype", "json");
    Ok(url)
}

/// A successful Tencent answer: the envelope and the exact body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The answer's top-level JSON object (`ErrorCode` 0).
    pub envelope: serde_json::Map<String, serde_json::Value>,
    /// The body exactly as received (archived as is by ops-pull).
    pub raw: Bytes,
}

/// Reads Tencent's envelope: a JSON object whose `ErrorCode` decides.
/// Tencent's `ErrorInfo` comes back scrubbed of `usersig`: Tencent (or a
/// gateway in front of it) may quote the request, URL and UserSig included,
/// and the text goes on to log lines and, for some callers, to response
/// bodies.
pub(super) fn parse_envelope(command: &str, raw: Bytes, usersig: &str) -> Result<Response, Error> {
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
        let (command, info) = (command.to_owned(), scrub(&info, usersig));
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
    use crate::api::appinfo::AppInfoRequest;
    use crate::error::ErrorClass;
    use crate::usersig::UserSig;

    fn creds(identifier: &str, usersig: &str) -> AppCredentials {
        AppCredentials {
            sdkappid: 1_400_000_000,
            identifier: identifier.to_owned(),
            usersig: UserSig::new(usersig),
            region: None,
            expires_at: None,
        }
    }

    #[test]
    fn url_carries_the_five_parameters_in_order() {
        let base = Url::parse("http://127.0.0.1:9000").unwrap();
        let url = request_url(
            &base,
            "openconfigsvr/getappinfo",
            &creds("ops admin&x=1", "eJw*ab-cd_"),
        )
        .unwrap();
        assert_eq!(url.path(), "/v4/openconfigsvr/getappinfo");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["sdkappid", "identifier", "usersig", "random", "contenttype"]
        );
        assert_eq!(pairs[0].1, "1400000000");
        assert_eq!(
            pairs[1].1, "ops admin&x=1",
            "identifier round-trips through encoding"
        );
        assert_eq!(pairs[2].1, "eJw*ab-cd_");
        assert!(pairs[3].1.parse::<u32>().is_ok());
        assert_eq!(pairs[4].1, "json");
        // The UserSig alphabet is left as is; the identifier is encoded.
        let query = url.query().unwrap();
        assert!(query.contains("usersig=eJw*ab-cd_&"), "{query}");
        assert!(query.contains("identifier=ops+admin%26x%3D1&"), "{query}");
    }

    #[test]
    fn url_keeps_a_base_path_and_varies_random() {
        let base = Url::parse("http://127.0.0.1:9000/prefix/").unwrap();
        let c = creds("admin", "sig");
        let url = request_url(&base, "timpush/all_member_push_statistics", &c).unwrap();
        assert_eq!(url.path(), "/prefix/v4/timpush/all_member_push_statistics");
        let randoms: std::collections::HashSet<String> = (0..20)
            .map(|_| {
                let u = request_url(&base, "a/b", &c).unwrap();
                u.query_pairs()
                    .find(|(k, _)| k == "random")
                    .unwrap()
                    .1
                    .into_owned()
            })
            .collect();
        assert!(randoms.len() > 1, "random must be fresh per request");
    }

    #[test]
    fn empty_bodies_become_an_empty_object() {
        assert_eq!(
            &encode_body("x", &AppInfoRequest::all_fields()).unwrap()[..],
            b"{}"
        );
        assert_eq!(&encode_body("x", &()).unwrap()[..], b"{}");
        assert_eq!(
            &encode_body("x", &serde_json::json!({"A": 1})).unwrap()[..],
            br#"{"A":1}"#
        );
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), 3);
        let err = encode_body("x", &bad).unwrap_err();
        assert_eq!(err.class(), ErrorClass::BadRequest);
    }

    #[test]
    fn envelope_error_code_is_the_truth() {
        let ok = parse_envelope(
            "c",
            Bytes::from_static(br#"{"ErrorCode":0,"Result":[]}"#),
            "s",
        )
        .unwrap();
        assert!(ok.envelope.contains_key("Result"));
        let fail = parse_envelope(
            "c",
            Bytes::from_static(br#"{"ActionStatus":"OK","ErrorCode":60007,"ErrorInfo":"limit"}"#),
            "s",
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
            let err = parse_envelope("c", Bytes::copy_from_slice(body), "s").unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
            assert!(err.is_retryable());
        }
    }

    #[test]
    fn tencent_error_info_comes_back_scrubbed() {
        let body =
            br#"{"ErrorCode":70003,"ErrorInfo":"invalid sig eJw*x in url?usersig=eJw*x&random=1"}"#;
        match parse_envelope("c", Bytes::from_static(body), "eJw*x") {
            Err(Error::Api { info, code, .. }) => {
                assert_eq!(code, 70003);
                assert_eq!(
                    info,
                    "invalid sig <redacted> in url?usersig=<redacted>&random=1"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
