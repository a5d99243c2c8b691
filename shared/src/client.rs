//! The Tencent REST client: one per process, reused across invocations.
//!
//! CONTRACT (signatures are fixed; other crates code against them):
//! - `POST {base}/v4/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`,
//!   fresh `random` (u32) per HTTP request, JSON body (`{}` when empty).
//! - `ErrorCode` is the truth; `ActionStatus` optional. Non-200 → `Error::Http`.
//! - Retries only `Error::is_retryable()` failures, exponential backoff with
//!   full jitter, never sleeping past the deadline.
//! - A `UserSigRejected` answer triggers exactly one `refresh` and one retry.
//! - A connect/DNS failure at the primary base URL is retried at the backup
//!   immediately (same attempt).
//! - No URL, UserSig or key in any error, log line or Debug output.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::api::appinfo::{AppInfo, AppInfoRequest};
use crate::api::push::{PushStatistics, PushStatsRequest};
use crate::credentials::{AppCredentials, CredentialsProvider};
use crate::error::{Error, ErrorClass, NetworkFailure};
use crate::region::{Endpoint, Region};

/// When the caller needs an answer by. Lambda functions pass their remaining
/// time minus a margin to report the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(pub Instant);

impl Deadline {
    pub fn after(duration: Duration) -> Self {
        Self(Instant::now() + duration)
    }

    /// From Lambda's `Context::deadline` (milliseconds since the epoch),
    /// keeping `margin` to report a failure before the runtime kills us.
    pub fn from_epoch_millis(deadline_ms: u64, margin: Duration) -> Self {
        Self::after(Self::lambda_time_left(deadline_ms).saturating_sub(margin))
    }

    /// Time left before Lambda's `Context::deadline`. The Lambda service
    /// sends epoch milliseconds, but `cargo lambda watch` sends the function
    /// timeout itself (e.g. `600000`): a value too small to be an instant
    /// (before September 2001) is taken as the time left.
    pub fn lambda_time_left(deadline_ms: u64) -> Duration {
        const EARLIEST_EPOCH_MS: u64 = 1_000_000_000_000;
        if deadline_ms < EARLIEST_EPOCH_MS {
            return Duration::from_millis(deadline_ms);
        }
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        Duration::from_millis(deadline_ms.saturating_sub(now_ms))
    }

    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn is_past(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// Backoff between attempts of a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay cap before the first retry; doubles each retry (full jitter).
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1 = the first retry), given a
    /// uniform sample `unit` in `[0, 1)`.
    ///
    /// - Ordinary retryable failures: full jitter, uniform in
    ///   `[0, min(max_delay, base_delay · 2^(retry-1))]`.
    /// - Rate limits (60007, 60011, 60018, 60019, HTTP 429): uniform in
    ///   `[max_delay/2, max_delay]`. Tencent counts its limits per second, so
    ///   an early retry almost surely lands in the same window and burns an
    ///   attempt; waiting about the cap (2 s by default) moves to a fresh
    ///   window, and the jitter keeps concurrent callers apart.
    pub fn delay(&self, retry: u32, rate_limited: bool, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if rate_limited {
            let half = self.max_delay / 2;
            return half + (self.max_delay - half).mul_f64(unit);
        }
        let doublings = retry.saturating_sub(1).min(31);
        let cap = self
            .base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay);
        cap.mul_f64(unit)
    }
}

/// How the client reaches Tencent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Base-URL override (`TIM_ENDPOINT`): the emulator, tests, local runs.
    pub endpoint: Option<Endpoint>,
    /// Region used when the credentials do not name one (`TIM_REGION`).
    pub region: Option<Region>,
    pub retry: RetryPolicy,
    /// Per HTTP request; longer than Tencent's own 3 s.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
        }
    }
}

impl ClientConfig {
    /// Reads `TIM_ENDPOINT` and `TIM_REGION` (both optional) through the one
    /// configuration layer; an error names the variable.
    pub fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        Ok(Self {
            endpoint: env.parse_with("TIM_ENDPOINT", Endpoint::parse_override)?,
            region: env.parse::<Region>("TIM_REGION")?,
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
/// Build once in `main` and share it (cloning shares the pool).
///
/// Panics only if the TLS stack cannot be initialised, which with
/// compiled-in roots and no configuration input cannot happen; use
/// [`try_http_client`] to handle that case anyway.
pub fn http_client(config: &ClientConfig) -> reqwest::Client {
    match try_http_client(config) {
        Ok(client) => client,
        Err(e) => panic!("cannot build the HTTP client (TLS initialisation): {e}"),
    }
}

/// [`http_client`], returning the (URL-free) builder error instead of panicking.
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

/// A successful Tencent answer: the envelope and the exact body.
#[derive(Debug, Clone)]
pub struct Response {
    pub envelope: serde_json::Map<String, serde_json::Value>,
    pub raw: bytes::Bytes,
}

/// After a connect failure at the primary base URL, how long calls go to the
/// backup first. The primary is still tried (second) when the backup cannot
/// be reached, and a success there ends the period early.
pub const PREFER_BACKUP_FOR: Duration = Duration::from_secs(300);

/// Retries are only started with at least this much time before the
/// deadline: an attempt that cannot complete a round trip only adds load.
pub const MIN_RETRY_WINDOW: Duration = Duration::from_millis(50);

/// One attempt's inputs.
struct Request<'a> {
    command: &'a str,
    body: &'a bytes::Bytes,
    credentials: &'a AppCredentials,
    deadline: Deadline,
    attempt: u32,
}

/// Which base URL a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Primary,
    Backup,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Primary => "primary",
            Route::Backup => "backup",
        }
    }
}

/// Remembers that a primary base URL refused connections, shared by clones
/// of a [`Client`].
#[derive(Debug, Default)]
struct FailoverMemory {
    primary_down: Mutex<Option<(Url, Instant)>>,
}

impl FailoverMemory {
    /// Order in which to try the endpoint's base URLs at `now`.
    fn order(&self, endpoint: &Endpoint, now: Instant) -> Vec<Route> {
        if endpoint.backup.is_none() {
            return vec![Route::Primary];
        }
        let down = self.lock();
        match &*down {
            Some((url, until)) if *url == endpoint.primary && *until > now => {
                vec![Route::Backup, Route::Primary]
            }
            _ => vec![Route::Primary, Route::Backup],
        }
    }

    fn primary_unreachable(&self, endpoint: &Endpoint, now: Instant) {
        *self.lock() = Some((endpoint.primary.clone(), now + PREFER_BACKUP_FOR));
    }

    fn primary_reachable(&self, endpoint: &Endpoint) {
        let mut down = self.lock();
        if down
            .as_ref()
            .is_some_and(|(url, _)| *url == endpoint.primary)
        {
            *down = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Url, Instant)>> {
        // The guarded value is a plain Option: still whole after a panic.
        self.primary_down.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A client for one app's credentials.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    credentials: Arc<dyn CredentialsProvider>,
    failover: Arc<FailoverMemory>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        config: ClientConfig,
        credentials: Arc<dyn CredentialsProvider>,
    ) -> Self {
        Self {
            http,
            config: Arc::new(config),
            credentials,
            failover: Arc::default(),
        }
    }

    pub fn credentials(&self) -> &Arc<dyn CredentialsProvider> {
        &self.credentials
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where requests for `credentials` go: the endpoint override, else the
    /// credentials' region, else the configured region.
    pub fn endpoint_for(&self, credentials: &AppCredentials) -> Result<Endpoint, Error> {
        if let Some(endpoint) = &self.config.endpoint {
            return Ok(endpoint.clone());
        }
        match credentials.region.or(self.config.region) {
            Some(region) => Ok(Endpoint::for_region(region)),
            None => Err(Error::Config {
                reason: format!(
                    "no Tencent region for SDKAppID {}: set TIM_REGION (e.g. singapore), put the region in the credentials secret, or set TIM_ENDPOINT",
                    credentials.sdkappid
                ),
            }),
        }
    }

    /// Calls `v4/{command}` with `body`, returning the success envelope.
    pub async fn call(
        &self,
        command: &str,
        body: &(impl Serialize + Sync),
        deadline: Deadline,
    ) -> Result<Response, Error> {
        let body = encode_body(command, body)?;
        let started = Instant::now();
        let policy = self.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        // HTTP attempts made (the re-sign retry included).
        let mut attempts: u32 = 0;
        // Backoff retries used: at most `max_attempts - 1`. The re-sign
        // retry after a UserSig rejection does not count against them.
        let mut retries: u32 = 0;
        let mut refreshed: Option<AppCredentials> = None;
        let mut last: Option<Error> = None;

        loop {
            if deadline.is_past() {
                return Err(deadline_error(command, attempts, last));
            }
            attempts += 1;
            // A credentials failure counts as a failed attempt: a transient
            // one (Secrets Manager throttling) is retried like any other.
            let credentials = match &refreshed {
                Some(fresh) => Ok(fresh.clone()),
                None => match bounded(deadline, self.credentials.credentials()).await {
                    Some(result) => result,
                    None => return Err(deadline_error(command, attempts - 1, last)),
                },
            };
            let outcome = match &credentials {
                Ok(credentials) => {
                    let request = Request {
                        command,
                        body: &body,
                        credentials,
                        deadline,
                        attempt: attempts,
                    };
                    self.attempt(&request).await
                }
                Err(e) => Err(e.clone()),
            };
            let error = match outcome {
                Ok(response) => {
                    tracing::debug!(
                        command,
                        attempts,
                        elapsed_ms = elapsed_ms(started),
                        "Tencent call succeeded"
                    );
                    return Ok(response);
                }
                Err(error) => error,
            };
            tracing::warn!(
                command,
                attempt = attempts,
                error_type = error.error_type(),
                code = error.code(),
                status = http_status(&error),
                elapsed_ms = elapsed_ms(started),
                "Tencent call attempt failed: {}",
                error
            );

            let usersig_rejected =
                matches!(error, Error::Api { .. }) && error.class() == ErrorClass::UserSigRejected;
            if let (true, None, Ok(used)) = (usersig_rejected, &refreshed, &credentials) {
                tracing::info!(
                    command,
                    code = error.code(),
                    "Tencent refused the UserSig; refreshing credentials once"
                );
                let fresh = match bounded(deadline, self.credentials.refresh(used)).await {
                    Some(Ok(fresh)) => fresh,
                    Some(Err(e)) => return Err(e),
                    None => return Err(deadline_error(command, attempts, Some(error))),
                };
                refreshed = Some(fresh);
                last = Some(error);
                continue;
            }
            if !error.is_retryable() {
                return Err(error);
            }
            // An attempt cut short by the deadline (its timeout was the time
            // left) is the deadline's doing, whatever the retry budget says.
            if deadline.remaining() < MIN_RETRY_WINDOW {
                return Err(deadline_error(command, attempts, Some(error)));
            }
            if retries + 1 >= max_attempts {
                return Err(error);
            }
            retries += 1;
            let pause = policy.delay(retries, slow_down(&error), fastrand::f64());
            if deadline.remaining() < pause + MIN_RETRY_WINDOW {
                tracing::warn!(
                    command,
                    attempts,
                    elapsed_ms = elapsed_ms(started),
                    "Tencent call: no time left to retry before the deadline"
                );
                return Err(deadline_error(command, attempts, Some(error)));
            }
            tracing::debug!(
                command,
                attempt = attempts,
                delay_ms = millis(pause),
                "retrying Tencent call"
            );
            last = Some(error);
            tokio::time::sleep(pause).await;
        }
    }

    /// One attempt: the primary base URL, and the backup right away when the
    /// primary cannot be connected to (or the other way round while the
    /// primary is remembered as down).
    async fn attempt(&self, request: &Request<'_>) -> Result<Response, Error> {
        let Request {
            command,
            deadline,
            attempt,
            ..
        } = *request;
        let endpoint = self.endpoint_for(request.credentials)?;
        let routes = self.failover.order(&endpoint, Instant::now());
        let mut outcome = Err(Error::Config {
            reason: "no base URL to call".to_owned(),
        });
        for (i, route) in routes.iter().copied().enumerate() {
            let base = match route {
                Route::Primary => &endpoint.primary,
                Route::Backup => match &endpoint.backup {
                    Some(backup) => backup,
                    None => break,
                },
            };
            if i > 0 && deadline.is_past() {
                break;
            }
            outcome = self.send(request, base, route).await;
            let connect_failed = matches!(
                &outcome,
                Err(Error::Network {
                    kind: NetworkFailure::Connect,
                    ..
                })
            );
            match route {
                Route::Primary if connect_failed => {
                    self.failover.primary_unreachable(&endpoint, Instant::now())
                }
                Route::Primary => self.failover.primary_reachable(&endpoint),
                Route::Backup => {}
            }
            if !connect_failed {
                break;
            }
            if i + 1 < routes.len() {
                tracing::warn!(
                    command,
                    attempt,
                    from = route.name(),
                    "cannot connect to Tencent; trying the other domain"
                );
            }
        }
        outcome
    }

    /// One HTTP request to one base URL.
    async fn send(
        &self,
        request: &Request<'_>,
        base: &Url,
        route: Route,
    ) -> Result<Response, Error> {
        let command = request.command;
        let url = request_url(base, command, request.credentials)?;
        let timeout = self
            .config
            .request_timeout
            .min(request.deadline.remaining());
        let started = Instant::now();
        let secret = request.credentials.usersig.expose_secret();
        let exchange = async {
            let response = self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.body.clone())
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| network_error(command, e, secret))?;
            let status = response.status().as_u16();
            // Read the body even for a failed status: a fully read answer
            // lets the connection go back to the pool.
            let raw = response
                .bytes()
                .await
                .map_err(|e| network_error(command, e, secret));
            Ok::<_, Error>((status, raw))
        };
        // reqwest's timeout covers the body too; this outer bound makes the
        // deadline hold whatever the transport does.
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Network {
                command: command.to_owned(),
                kind: NetworkFailure::Timeout,
                detail: format!("no complete answer within {} ms", timeout.as_millis()),
            }),
        };
        let status = result.as_ref().ok().map(|(status, _)| *status);
        let outcome = match result {
            Err(e) => Err(e),
            Ok((200, Ok(raw))) => parse_envelope(command, raw),
            Ok((200, Err(e))) => Err(e),
            Ok((status, _)) => Err(Error::Http {
                command: command.to_owned(),
                status,
            }),
        };
        tracing::debug!(
            command,
            attempt = request.attempt,
            endpoint = route.name(),
            status,
            code = outcome.as_ref().err().and_then(Error::code),
            elapsed_ms = elapsed_ms(started),
            "Tencent HTTP request done"
        );
        outcome
    }

    /// `openconfigsvr/getappinfo`.
    pub async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        deadline: Deadline,
    ) -> Result<AppInfo, Error> {
        let response = self
            .call(crate::api::commands::GET_APP_INFO, request, deadline)
            .await?;
        Ok(AppInfo::from_body(response.raw, &response.envelope))
    }

    /// `timpush/all_member_push_statistics`.
    pub async fn all_member_push_statistics(
        &self,
        request: &PushStatsRequest,
        deadline: Deadline,
    ) -> Result<PushStatistics, Error> {
        let command = crate::api::commands::ALL_MEMBER_PUSH_STATISTICS;
        let response = self.call(command, request, deadline).await?;
        PushStatistics::from_envelope(&serde_json::Value::Object(response.envelope)).map_err(|e| {
            Error::Decode {
                command: command.to_owned(),
                reason: e.to_string(),
            }
        })
    }
}

/// The request body as JSON bytes: `{}` for a body with nothing to say
/// (Tencent refuses an empty body).
fn encode_body(command: &str, body: &impl Serialize) -> Result<bytes::Bytes, Error> {
    let json = serde_json::to_vec(body).map_err(|e| Error::Encode {
        command: command.to_owned(),
        reason: e.to_string(),
    })?;
    if json.is_empty() || json == b"null" {
        return Ok(bytes::Bytes::from_static(b"{}"));
    }
    Ok(bytes::Bytes::from(json))
}

/// `{base}/v4/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`
/// with a fresh `random`. The identifier is form-encoded; the UserSig's
/// alphabet (`A-Za-z0-9*-_`) passes through unchanged.
fn request_url(base: &Url, command: &str, credentials: &AppCredentials) -> Result<Url, Error> {
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

/// Reads Tencent's envelope: a JSON object whose `ErrorCode` decides.
fn parse_envelope(command: &str, raw: bytes::Bytes) -> Result<Response, Error> {
    let decode = |reason: String| Error::Decode {
        command: command.to_owned(),
        reason,
    };
    // The body is never quoted into the error: an intermediary's error page
    // could echo the request URL, and with it the UserSig.
    let envelope = match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            return Err(decode(format!(
                "expected a JSON object, got {}",
                json_kind(&other)
            )));
        }
        Err(e) => return Err(decode(format!("{} bytes, not JSON ({e})", raw.len()))),
    };
    let code = match envelope.get("ErrorCode") {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| decode(format!("ErrorCode {n} is not an integer")))?,
        Some(other) => {
            return Err(decode(format!(
                "ErrorCode is {}, not an integer",
                json_kind(other)
            )));
        }
        None => return Err(decode("no ErrorCode".to_owned())),
    };
    if code != 0 {
        let info = match envelope.get("ErrorInfo") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        return Err(Error::Api {
            command: command.to_owned(),
            code,
            info,
        });
    }
    Ok(Response { envelope, raw })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A transport error without the URL (which carries the UserSig): its kind
/// and the descriptions of its cause chain, with the UserSig scrubbed again
/// in case a cause quotes it.
fn network_error(command: &str, error: reqwest::Error, usersig: &str) -> Error {
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

/// Runs `future` unless the deadline passes first (`None` then).
async fn bounded<T>(deadline: Deadline, future: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout_at(deadline.0, future).await.ok()
}

fn deadline_error(command: &str, attempts: u32, last: Option<Error>) -> Error {
    Error::Deadline {
        command: command.to_owned(),
        attempts,
        last: last.map(Box::new),
    }
}

/// Tencent (or its gateway) asked us to slow down.
fn slow_down(error: &Error) -> bool {
    error.is_rate_limited() || matches!(error, Error::Http { status: 429, .. })
}

fn http_status(error: &Error) -> Option<u16> {
    match error {
        Error::Http { status, .. } => Some(*status),
        _ => None,
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    millis(since.elapsed())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_deadline_is_epoch_millis_or_cargo_lambdas_relative_timeout() {
        // cargo lambda watch sends the timeout itself.
        assert_eq!(
            Deadline::lambda_time_left(600_000),
            Duration::from_secs(600)
        );
        let in_ten_s = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 10_000;
        let left = Deadline::lambda_time_left(in_ten_s);
        assert!(
            left <= Duration::from_secs(10) && left > Duration::from_secs(8),
            "{left:?}"
        );
        assert_eq!(
            Deadline::lambda_time_left(1_600_000_000_000),
            Duration::ZERO,
            "a past instant"
        );
    }
    use crate::usersig::UserSig;

    fn creds(identifier: &str, usersig: &str, region: Option<Region>) -> AppCredentials {
        AppCredentials {
            sdkappid: 1_400_000_000,
            identifier: identifier.to_owned(),
            usersig: UserSig::new(usersig),
            region,
            expires_at: None,
        }
    }

    #[test]
    fn url_carries_the_five_parameters_in_order() {
        let base = Url::parse("http://127.0.0.1:9000").unwrap();
        let url = request_url(
            &base,
            "openconfigsvr/getappinfo",
            &creds("ops admin&x=1", "eJw*ab-cd_", None),
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
        let c = creds("admin", "sig", None);
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
            bytes::Bytes::from_static(br#"{"ErrorCode":0,"Result":[]}"#),
        )
        .unwrap();
        assert!(ok.envelope.contains_key("Result"));
        let fail = parse_envelope(
            "c",
            bytes::Bytes::from_static(
                br#"{"ActionStatus":"OK","ErrorCode":60007,"ErrorInfo":"limit"}"#,
            ),
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
            let err = parse_envelope("c", bytes::Bytes::copy_from_slice(body)).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
            assert!(err.is_retryable());
        }
    }

    #[test]
    fn full_jitter_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        assert_eq!(policy.delay(1, false, 0.0), Duration::ZERO);
        assert_eq!(policy.delay(1, false, 1.0), Duration::from_millis(100));
        assert_eq!(policy.delay(2, false, 1.0), Duration::from_millis(200));
        assert_eq!(policy.delay(3, false, 0.5), Duration::from_millis(200));
        assert_eq!(policy.delay(4, false, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(60, false, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(1, true, 0.0), Duration::from_millis(250));
        assert_eq!(policy.delay(1, true, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(1, false, f64::NAN), Duration::ZERO);
    }

    #[test]
    fn endpoint_override_then_credentials_region_then_config_region() {
        let http = reqwest::Client::new();
        let provider = Arc::new(crate::credentials::StaticCredentials(creds(
            "admin", "s", None,
        )));
        let config = ClientConfig {
            region: Some(Region::Tokyo),
            ..ClientConfig::default()
        };
        let client = Client::new(http.clone(), config, provider.clone());
        let tokyo = client.endpoint_for(&creds("admin", "s", None)).unwrap();
        assert_eq!(tokyo.primary.host_str(), Some("adminapijpn.im.qcloud.com"));
        let seoul = client
            .endpoint_for(&creds("admin", "s", Some(Region::Seoul)))
            .unwrap();
        assert_eq!(seoul.primary.host_str(), Some("adminapikr.im.qcloud.com"));
        assert_eq!(
            seoul.backup.unwrap().host_str(),
            Some("adminapikr.my-imcloud.com")
        );

        let overridden = Client::new(
            http.clone(),
            ClientConfig {
                endpoint: Some(Endpoint::parse_override("http://127.0.0.1:1").unwrap()),
                ..ClientConfig::default()
            },
            provider.clone(),
        );
        let local = overridden
            .endpoint_for(&creds("admin", "s", Some(Region::Seoul)))
            .unwrap();
        assert_eq!(local.primary.as_str(), "http://127.0.0.1:1/");

        let nowhere = Client::new(http, ClientConfig::default(), provider);
        let err = nowhere
            .endpoint_for(&creds("admin", "s", None))
            .unwrap_err();
        assert!(err.to_string().contains("TIM_REGION"), "{err}");
        assert_eq!(err.class(), ErrorClass::Configuration);
    }

    #[test]
    fn failover_memory_prefers_the_backup_for_a_while() {
        let endpoint = Endpoint::parse_override("http://127.0.0.1:1,http://127.0.0.1:2").unwrap();
        let memory = FailoverMemory::default();
        let now = Instant::now();
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Primary, Route::Backup]
        );
        memory.primary_unreachable(&endpoint, now);
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Backup, Route::Primary]
        );
        assert_eq!(
            memory.order(&endpoint, now + PREFER_BACKUP_FOR - Duration::from_secs(1)),
            [Route::Backup, Route::Primary]
        );
        assert_eq!(
            memory.order(&endpoint, now + PREFER_BACKUP_FOR),
            [Route::Primary, Route::Backup]
        );
        // Another endpoint's primary is not affected.
        let other = Endpoint::parse_override("http://127.0.0.1:3,http://127.0.0.1:4").unwrap();
        assert_eq!(memory.order(&other, now), [Route::Primary, Route::Backup]);
        memory.primary_reachable(&endpoint);
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Primary, Route::Backup]
        );
        // Without a backup there is nothing to prefer.
        let single = Endpoint::parse_override("http://127.0.0.1:1").unwrap();
        assert_eq!(memory.order(&single, now), [Route::Primary]);
    }

    #[test]
    fn scrub_removes_the_secret_raw_and_encoded() {
        assert_eq!(scrub("a eJw*x y", "eJw*x"), "a <redacted> y");
        assert_eq!(scrub("usersig=a%2Bb", "a+b"), "usersig=<redacted>");
        assert_eq!(scrub("nothing", ""), "nothing");
    }

    #[test]
    fn http_client_builds_with_compiled_in_roots() {
        assert!(try_http_client(&ClientConfig::default()).is_ok());
    }
}
