//! How the client reaches Tencent: endpoint, region, retries, timeouts, and
//! the process-wide HTTP client built from them (rustls with compiled-in
//! roots, a keep-alive pool, no redirects).

use std::time::Duration;

use crate::config::{ConfigError, Env};
use crate::region::{Endpoint, Region};

use super::retry::{OnRateLimit, RetryPolicy};

/// How the client reaches Tencent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Base-URL override (`TIM_ENDPOINT`): the emulator, tests, local runs.
    pub endpoint: Option<Endpoint>,
    /// Region used when the credentials do not name one (`TIM_REGION`).
    pub region: Option<Region>,
    /// Backoff between attempts of a retryable failure.
    pub retry: RetryPolicy,
    /// Whether Tencent's rate limits are retried or returned at once.
    pub on_rate_limit: OnRateLimit,
    /// Per HTTP request; longer than Tencent's own 3 s.
    pub request_timeout: Duration,
    /// Per TCP + TLS connect; short, so a dead domain fails over quickly.
    pub connect_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            retry: RetryPolicy::default(),
            on_rate_limit: OnRateLimit::default(),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
        }
    }
}

impl ClientConfig {
    /// Reads `TIM_ENDPOINT` and `TIM_REGION` (both optional) through the one
    /// configuration layer; an error names the variable.
    ///
    /// ```
    /// use tim::config::Env;
    /// use tim::{ClientConfig, Region};
    ///
    /// let env = Env::from_pairs([("TIM_REGION", "Silicon Valley")]);
    /// let config = ClientConfig::from_env(&env).unwrap();
    /// assert_eq!(config.region, Some(Region::SiliconValley));
    /// assert_eq!(config.endpoint, None);
    ///
    /// let err = ClientConfig::from_env(&Env::from_pairs([("TIM_REGION", "mars")])).unwrap_err();
    /// assert_eq!(err.variable, "TIM_REGION");
    /// ```
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            endpoint: env.parse_with("TIM_ENDPOINT", Endpoint::parse_override)?,
            region: env.parse_with("TIM_REGION", str::parse::<Region>)?,
            ..Self::default()
        })
    }
}

/// How long an idle pooled connection is kept. Below the keep-alive limits
/// common on servers and load balancers (60–75 s), so that we drop an idle
/// connection before the server does instead of learning from a failed
/// request that it is gone; long enough for a warm Lambda invoked every
/// few seconds to never handshake again.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(55);

/// The process-wide HTTP client: rustls, keep-alive pool, timeouts.
/// Build once in `main` and share it (cloning shares the pool). The error is
/// the builder's, without a URL; with compiled-in roots and no
/// configuration input it is not expected, but a `main` reports it rather
/// than panicking.
///
/// Trust roots: Mozilla's root list compiled in (`webpki-root-certs`), not
/// the OS store. reqwest 0.13's default rustls verifier
/// (rustls-platform-verifier) reads and parses the whole OS bundle
/// (`/etc/pki/tls/certs/ca-bundle.crt` on Amazon Linux) when the client is
/// built, i.e. during the Lambda cold start; the compiled-in list costs a
/// DER parse only (measured on a dev build: 17–30 ms vs 0.3–0.6 ms to build
/// the client). The price: new roots arrive with a rebuild,
/// and a corporate TLS-inspecting proxy's CA is not trusted (neither
/// matters for a Lambda calling Tencent's public endpoints).
pub fn try_http_client(config: &ClientConfig) -> Result<reqwest::Client, reqwest::Error> {
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    reqwest::Client::builder()
        .tls_certs_only(roots)
        .user_agent(concat!("tim/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the UserSig (a bearer token) to another
        // host; Tencent never redirects API calls.
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .timeout(config.request_timeout)
        .connect_timeout(config.connect_timeout)
        .build()
        .map_err(reqwest::Error::without_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_text_tim_endpoint_is_a_configuration_error_naming_the_variable() {
        let env = Env::from_pairs([("TIM_ENDPOINT", "http://adminapisgp.im.qcloud.com")]);
        let err = ClientConfig::from_env(&env).unwrap_err();
        assert_eq!(err.variable, "TIM_ENDPOINT");
        assert!(err.problem.contains("loopback"), "{err}");
        let env = Env::from_pairs([("TIM_ENDPOINT", "http://127.0.0.1:9000")]);
        assert!(ClientConfig::from_env(&env).is_ok());
    }

    #[test]
    fn http_client_builds_with_compiled_in_roots() {
        assert!(try_http_client(&ClientConfig::default()).is_ok());
    }
}
