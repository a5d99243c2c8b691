//! The REST client's test set-up: an in-process emulator, a client with
//! millisecond retries, and signers that count their refreshes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use testkit::http_client;
use tim::region::Endpoint;
use tim::usersig::{Clock, FixedClock, SecretKey, SystemClock};
use tim::{
    AppCredentials, Client, ClientConfig, CredentialsProvider, Deadline, Error, LocalSigner,
    RetryPolicy,
};
use tim_emulator::{Emulator, EmulatorConfig};

pub const APP: u64 = 1_400_000_000;
pub const KEY: &str = "emulator-test-key-5f0c2a9e";
pub const GET_APP_INFO: &str = "openconfigsvr/getappinfo";

/// Small delays so that retry tests take milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

pub fn config(endpoint: &str) -> ClientConfig {
    ClientConfig {
        endpoint: Some(Endpoint::parse_override(endpoint).unwrap()),
        retry: fast_retries(),
        ..ClientConfig::default()
    }
}

/// Counts refreshes around a [`LocalSigner`].
pub struct Counting {
    pub inner: LocalSigner,
    pub refreshes: AtomicU32,
}

impl Counting {
    pub fn new(inner: LocalSigner) -> Arc<Self> {
        Arc::new(Self {
            inner,
            refreshes: AtomicU32::new(0),
        })
    }

    pub fn refreshes(&self) -> u32 {
        self.refreshes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CredentialsProvider for Counting {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.inner.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        self.inner.refresh(rejected).await
    }
}

/// A [`LocalSigner`] whose clock stands still: every re-sign happens in the
/// second the refused UserSig was signed in, as it does in a real request
/// (Tencent answers within milliseconds). Signing is deterministic, so this
/// is where a re-sign could repeat the refused UserSig (issue 17 §6).
pub fn frozen_signer(key: &str) -> Arc<Counting> {
    let now = Arc::new(FixedClock(SystemClock.now_unix()));
    Counting::new(LocalSigner::new(APP, "administrator", SecretKey::new(key), None).with_clock(now))
}

pub fn signer() -> LocalSigner {
    LocalSigner::new(APP, "administrator", SecretKey::new(KEY), None)
}

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap()
}

pub fn client(endpoint: &str, credentials: Arc<dyn CredentialsProvider>) -> Client {
    let config = config(endpoint);
    Client::new(http_client(&config), config, credentials)
}

pub fn soon() -> Deadline {
    Deadline::after(Duration::from_secs(10))
}

/// A loopback port nothing listens on: connections to it are refused.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
