//! Errors without the URL's secret: transport errors lose the URL (which
//! carries the UserSig), and text that may echo it (Tencent's `ErrorInfo`)
//! loses any UserSig, as itself or as a `usersig=` query parameter.

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

/// Removes `secret` from `text`, as is and form-encoded, and the value of
/// any `usersig=` parameter (an echoed URL's, whatever UserSig it holds:
/// any case; the value ends at `&`, whitespace, a quote or the end).
pub(super) fn scrub(text: &str, secret: &str) -> String {
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
}
