//! How the client reaches Tencent: endpoint, region, retries, timeouts.

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
            region: env.parse::<Region>("TIM_REGION")?,
            ..Self::default()
        })
    }
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
}
