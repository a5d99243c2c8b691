//! Transport errors without the URL (which carries the UserSig).

use crate::error::{Error, NetworkFailure};

/// A transport error without the URL (which carries the UserSig): its kind
/// and the descriptions of its cause chain, with the UserSig scrubbed again
/// in case a cause quotes it.
pub(super) fn network_error(command: &str, error: reqwest::Error, usersig: &str) -> Error {
    let error = error.without_url();
    let kind = if error.is_connect() {
        NetworkFailure::Connect
    } else if error.is_timeout() {
        NetworkFailure::Timeout
    } else {
        NetworkFailure::Other
    };
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !detail.contains(&text) {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        source = cause.source();
    }
    Error::Network {
        command: command.to_owned(),
        kind,
        detail: scrub(&detail, usersig),
    }
}

/// Removes `secret` from `text`, as is and form-encoded.
fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    text.replace(secret, "<redacted>")
        .replace(&encoded, "<redacted>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_secret_raw_and_encoded() {
        assert_eq!(scrub("a eJw*x y", "eJw*x"), "a <redacted> y");
        assert_eq!(scrub("usersig=a%2Bb", "a+b"), "usersig=<redacted>");
        assert_eq!(scrub("nothing", ""), "nothing");
    }
}
