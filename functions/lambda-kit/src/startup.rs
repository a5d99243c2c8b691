//! Why a function cannot start, and the one place that reports it.

use std::time::Duration;

use tim::{ClientConfig, config::ConfigError, config::Env};

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
    /// A stable identifier for logs and Lambda's init-error `errorType`.
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

/// Makes a start-up failure visible: an error log line, then (in Lambda)
/// the Runtime API's init-error report, so that Lambda's console and the
/// first invocation's answer show the `errorType` and the message naming
/// the variable, not only `Runtime.ExitError`. Best-effort: a report that
/// cannot be sent is logged and the process exits all the same.
pub(crate) async fn report(env: &Env, error: &StartupError) {
    tracing::error!(error_type = error.error_type(), error = %error, "cannot start");
    let Some(api) = env.get("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    // `POST /2018-06-01/runtime/init/error` as Lambda's Runtime API
    // reference describes it. The API is plain HTTP on the sandbox's
    // loopback: no proxy, and a bound so a stuck endpoint cannot hold the
    // exit. A refusal (4xx/5xx) is a failure to report like a lost connection.
    let sent = async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let body = serde_json::json!({
            "errorMessage": error.to_string(),
            "errorType": error.error_type(),
            "stackTrace": [],
        });
        client
            .post(format!("http://{api}/2018-06-01/runtime/init/error"))
            .header("Lambda-Runtime-Function-Error-Type", error.error_type())
            .json(&body)
            .send()
            .await?
            .error_for_status()
    };
    if let Err(failure) = sent.await {
        tracing::error!(error = %failure, "cannot report the init error to the Runtime API");
    }
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
