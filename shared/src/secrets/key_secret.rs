//! The key secret reader: signs UserSigs locally (simple setups, local runs).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::credentials::{AppCredentials, CredentialsProvider, LocalSigner};
use crate::error::Error;
use crate::usersig::{Clock, SystemClock};

use super::reader::CurrentReader;
use super::value::KeySecret;

/// Reads the key secret once, then signs UserSigs locally ([`LocalSigner`]).
/// When Tencent refuses a UserSig, the key secret is read again (the
/// operator may have corrected it) and a fresh UserSig is signed.
pub struct KeySecretProvider {
    reader: CurrentReader,
    clock: Arc<dyn Clock>,
    /// The signer made from the key secret. A key does not expire: it is
    /// read once, and again only after a rejection. The lock is held across
    /// the read, so concurrent first calls share one.
    signer: Mutex<Option<Arc<LocalSigner>>>,
}

impl KeySecretProvider {
    /// Reads secret `secret_id` (an id or ARN) on first use.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self {
            reader: CurrentReader::new(client, secret_id.into()),
            clock: Arc::new(SystemClock),
            signer: Mutex::new(None),
        }
    }

    /// The clock UserSigs are signed at (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// GetSecretValue calls made so far.
    pub fn reads(&self) -> u64 {
        self.reader.reads.load(Ordering::Relaxed)
    }

    /// The signer, read from the secret when there is none yet or `reread`.
    async fn signer(&self, reread: bool) -> Result<Arc<LocalSigner>, Error> {
        let mut slot = self.signer.lock().await;
        if let (Some(signer), false) = (&*slot, reread) {
            return Ok(signer.clone());
        }
        let text = self.reader.read("key secret").await?;
        let key = KeySecret::from_json(&text).map_err(|e| {
            let id = &self.reader.secret_id;
            Error::credentials(format!("key secret {id:?} is malformed: {e}"))
        })?;
        let signer = LocalSigner::new(key.sdkappid, key.identifier, key.key, Some(key.region))
            .with_clock(self.clock.clone());
        Ok(slot.insert(Arc::new(signer)).clone())
    }
}

#[async_trait]
impl CredentialsProvider for KeySecretProvider {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.signer(false).await?.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.signer(true).await?.refresh(rejected).await
    }
}
