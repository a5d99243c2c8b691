//! Errors without the URL's secret: transport errors lose the URL (which
//! carries the UserSig), and Tencent's `ErrorInfo` loses any UserSig it
//! echoes, as itself or as a `usersig=` query parameter.

use std::sync::LazyLock;

use regex_lite::Regex;

use crate::error::{Error, NetworkFailure};

/// A transport error without the URL (which carries the UserSig): its kind
/// and the descriptions of its cause chain, with the UserSig scrubbed again
/// in case a cause quotes it.
pub(super) fn network_error(command: &str, error: reqwest::Error, usersig: &str) -> Error {
    let error = error.without_url();
    let kind = match (error.is_connect(), error.is_timeout()) {
        (true, _) => NetworkFailure::Connect,
        (_, true) => NetworkFailure::Timeout,
        _ => NetworkFailure::Other,
    };
    let mut detail = error.to_string();
    let causes = std::iter::successors(std::error::Error::source(&error), |cause| cause.source());
    for text in causes.map(ToString::to_string) {
        if !detail.contains(&text) {
            detail = format!("{detail}: {text}");
        }
    }
    Error::Network {
        command: command.to_owned(),
        kind,
        detail: scrub(&detail, usersig),
    }
}

/// Tencent's answer with its `ErrorInfo` scrubbed: Tencent (or a gateway in
/// front of it) may quote the request, URL and UserSig included, and the
/// text goes on to log lines and, for some callers, to response bodies.
pub(super) fn scrub_answer<T>(answer: Result<T, Error>, usersig: &str) -> Result<T, Error> {
    answer.map_err(|mut error| {
        if let Error::Api { info, .. } = &mut error {
            *info = scrub(info, usersig);
        }
        error
    })
}

/// Removes `secret` from `text`, as is and form-encoded, and the value of
/// any `usersig=` parameter (an echoed URL's, whatever UserSig it holds:
/// any case; the value ends at `&`, whitespace, a quote or the end).
fn scrub(text: &str, secret: &str) -> String {
    static PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(usersig=)[^&"'\s]*"#).unwrap_or_else(|_| unreachable!("a valid pattern"))
    });
    let mut text = text.to_owned();
    if !secret.is_empty() {
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        text = text.replace(secret, REDACTED).replace(&encoded, REDACTED);
    }
    PARAMETER
        .replace_all(&text, format!("${{1}}{REDACTED}"))
        .into_owned()
}

const REDACTED: &str = "<redacted>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_secret_raw_and_encoded() {
        assert_eq!(scrub("a eJw*x y", "eJw*x"), "a <redacted> y");
        assert_eq!(scrub("usersig=a%2Bb", "a+b"), "usersig=<redacted>");
        assert_eq!(scrub("nothing", ""), "nothing");
    }

    #[test]
    fn scrub_removes_any_usersig_parameter_of_an_echoed_url() {
        assert_eq!(
            scrub(
                "bad request /v4/a/b?sdkappid=1&identifier=admin&UserSig=eJwOther&random=7",
                "eJwMine"
            ),
            "bad request /v4/a/b?sdkappid=1&identifier=admin&UserSig=<redacted>&random=7"
        );
        assert_eq!(
            scrub("usersig=x y usersig=", ""),
            "usersig=<redacted> y usersig=<redacted>"
        );
        assert_eq!(scrub("ünïcode usersig=ä", ""), "ünïcode usersig=<redacted>");
    }

    #[test]
    fn only_tencent_error_info_is_rewritten() {
        let api = Err::<(), _>(Error::Api {
            command: "c".into(),
            code: 70003,
            info: "invalid sig eJw*x in url?usersig=eJw*x&random=1".into(),
        });
        match scrub_answer(api, "eJw*x") {
            Err(Error::Api { info, code, .. }) => {
                assert_eq!(code, 70003);
                assert_eq!(
                    info,
                    "invalid sig <redacted> in url?usersig=<redacted>&random=1"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(scrub_answer(Ok::<_, Error>(1), "s").is_ok());
    }
}
