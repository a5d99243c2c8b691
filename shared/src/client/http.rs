//! The process-wide HTTP client: rustls with compiled-in roots, a keep-alive
//! pool, timeouts, no redirects.

use std::time::Duration;

use super::config::ClientConfig;

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
    fn http_client_builds_with_compiled_in_roots() {
        assert!(try_http_client(&ClientConfig::default()).is_ok());
    }
}
