//! The Tencent REST client: one per process, reused across invocations.
//!
//! CONTRACT (signatures are fixed; other crates code against them):
//! - `POST {base}/v4/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`,
//!   fresh `random` (u32) per HTTP request, JSON body (`{}` when empty).
//! - `ErrorCode` is the truth; `ActionStatus` optional. Non-200 → `Error::Http`.
//! - Retries only `Error::is_retryable()` failures, exponential backoff with
//!   full jitter, never sleeping past the deadline; rate limits are returned
//!   at once instead when `ClientConfig::on_rate_limit` says so.
//! - A `UserSigRejected` answer triggers exactly one `refresh`, and one retry
//!   only if the refresh yields a different UserSig (the same one would be
//!   refused again and count towards Tencent's 70050 lock-out).
//! - A connect/DNS failure at the primary base URL is retried at the backup
//!   immediately (same attempt).
//! - No URL, UserSig or key in any error, log line or Debug output; Tencent's
//!   `ErrorInfo` is scrubbed like transport errors before it is kept.
//!
//! One concern a file: [`Deadline`] and [`RetryPolicy`] (`retry`),
//! [`ClientConfig`] and the HTTP client built from it ([`try_http_client`],
//! `config`), the fail-over memory (`failover`), the call loop (`call`), one
//! attempt (`send`), the URL, body and answer envelope
//! ([`Response`], `wire`) and URL-free transport errors (`scrub`).

mod call;
mod config;
mod failover;
mod retry;
mod scrub;
mod send;
mod wire;

use std::sync::Arc;

use crate::api::appinfo::{AppInfo, AppInfoRequest};
use crate::api::push::{PushStatistics, PushStatsRequest};
use crate::credentials::{AppCredentials, CredentialsProvider};
use crate::error::Error;
use crate::region::Endpoint;

pub use config::{ClientConfig, POOL_IDLE_TIMEOUT, try_http_client};
pub use failover::PREFER_BACKUP_FOR;
pub use retry::{Deadline, MIN_RETRY_WINDOW, OnRateLimit, RetryPolicy};
pub use send::MAX_ANSWER_BYTES;
pub use wire::Response;

use failover::FailoverMemory;

/// A client for one app's credentials.
///
/// Cheap to clone: clones share the HTTP connection pool and the fail-over
/// memory. Against the in-process emulator (a dev-dependency), with a
/// UserSig signed locally:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use tim::api::appinfo::AppInfoRequest;
/// use tim::usersig::SecretKey;
/// use tim::{Client, ClientConfig, Deadline, Endpoint, Error, ErrorClass, LocalSigner};
/// use tim_emulator::{Emulator, EmulatorConfig, Fault};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let emulator = Emulator::start(EmulatorConfig::default().with_app(1400000000, "app-key")).await?;
///
/// let config = ClientConfig {
///     endpoint: Some(Endpoint::parse_override(&emulator.base_url())?),
///     ..ClientConfig::default()
/// };
/// let http = tim::client::try_http_client(&config)?; // once per process
/// let signer = LocalSigner::new(1400000000, "administrator", SecretKey::new("app-key"), None);
/// let client = Client::new(http, config, Arc::new(signer));
///
/// let deadline = Deadline::after(Duration::from_secs(10));
/// let info = client.get_app_info(&AppInfoRequest::only(["ActiveUserNum"]), deadline).await?;
/// assert!(!info.days.is_empty());
///
/// // Tencent's error codes come back typed and classed.
/// emulator.inject(Fault::ErrorCode(60006), 1);
/// let err = client.get_app_info(&AppInfoRequest::all_fields(), deadline).await.unwrap_err();
/// assert!(matches!(err, Error::Api { code: 60006, .. }));
/// assert_eq!(err.class(), ErrorClass::Configuration);
/// assert_eq!(err.error_type(), "TencentConfiguration");
/// # Ok(())
/// # }
/// ```
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
    /// A client over `http` (see [`try_http_client`]; clones share its
    /// pool) that gets its UserSig from `credentials`.
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

    /// Where this client's UserSig comes from.
    pub fn credentials(&self) -> &Arc<dyn CredentialsProvider> {
        &self.credentials
    }

    /// Where requests for `credentials` go: the endpoint override, else the
    /// credentials' region, else the configured region.
    pub fn endpoint_for(&self, credentials: &AppCredentials) -> Result<Endpoint, Error> {
        let region = credentials.region.or(self.config.region);
        match (&self.config.endpoint, region) {
            (Some(endpoint), _) => Ok(endpoint.clone()),
            (None, Some(region)) => Ok(Endpoint::for_region(region)),
            (None, None) => Err(Error::Config {
                reason: format!(
                    "no Tencent region for SDKAppID {}: set TIM_REGION (e.g. singapore), put the region in the credentials secret, or set TIM_ENDPOINT",
                    credentials.sdkappid
                ),
            }),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorClass;
    use crate::region::Region;
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
}
