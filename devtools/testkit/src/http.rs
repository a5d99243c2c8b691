//! The Tencent client's HTTP stack for tests.

/// [`tim::client::try_http_client`] for tests: panics when the TLS stack
/// cannot be set up (which with compiled-in roots does not happen), so a
/// test reads `Client::new(testkit::http_client(&config), config, creds)`.
/// Production code calls `try_http_client` and reports the error.
pub fn http_client(config: &tim::ClientConfig) -> reqwest::Client {
    match tim::client::try_http_client(config) {
        Ok(client) => client,
        Err(e) => panic!("cannot build the HTTP client (TLS initialisation): {e}"),
    }
}
