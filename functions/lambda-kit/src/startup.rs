//! Why a function cannot start, and the one place that reports it.

use tim::ClientConfig;
use tim::config::ConfigError;

/// A cold start that cannot go on: the process stops before its first
/// invocation.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A variable is missing or unusable (the message names it).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client for Tencent could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

impl StartupError {
    /// A stable identifier for logs (and, later, Lambda's init-error
    /// `errorType`).
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Config(error) => error.error_type(),
            Self::HttpClient(_) => "HttpClientError",
        }
    }
}

/// The HTTP client (keep-alive pool) for every Tencent call of this
/// execution environment, built once at init from the client's settings.
pub fn http_client(config: &ClientConfig) -> Result<reqwest::Client, StartupError> {
    // reqwest's builder error names no URL here (none is involved yet).
    tim::client::try_http_client(config).map_err(|e| StartupError::HttpClient(e.to_string()))
}

/// Makes a start-up failure visible. Today: one error log line (the
/// runtime then sees the process exit). The place to add a report to the
/// Runtime API's `/2018-06-01/runtime/init/error` endpoint.
pub(crate) fn report(error: &StartupError) {
    tracing::error!(error_type = error.error_type(), error = %error, "cannot start");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_error_keeps_its_variable_and_type() {
        let error = StartupError::from(ConfigError::new("OPS_BUCKET", "required: the bucket"));
        assert_eq!(error.to_string(), "OPS_BUCKET: required: the bucket");
        assert_eq!(error.error_type(), "ConfigError");
        assert_eq!(
            StartupError::HttpClient("tls".into()).error_type(),
            "HttpClientError"
        );
    }

    #[test]
    fn the_http_client_builds_from_the_default_settings() {
        assert!(http_client(&ClientConfig::default()).is_ok());
    }
}
