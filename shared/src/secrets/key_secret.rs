//! The key secret reader: signs UserSigs locally (simple setups, local runs).

use std::sync::Arc;

use async_trait::async_trait;

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
    signer: tokio::sync::Mutex<Option<Arc<LocalSigner>>>,
}

impl std::fmt::Debug for KeySecretProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySecretProvider")
            .field("secret_id", &self.secret_id())
            .field("reads", &self.reads())
            .finish_non_exhaustive()
    }
}

impl KeySecretProvider {
    /// Reads secret `secret_id` (an id or ARN) on first use.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self {
            reader: CurrentReader::new(client, secret_id.into()),
            clock: Arc::new(SystemClock),
            signer: tokio::sync::Mutex::new(None),
        }
    }

    /// The clock UserSigs are signed at (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The secret's id or ARN.
    pub fn secret_id(&self) -> &str {
        self.reader.secret_id()
    }

    /// GetSecretValue calls made so far.
    pub fn reads(&self) -> u64 {
        self.reader.reads()
    }

    /// Reads and parses the key secret (one GetSecretValue).
    pub async fn read_key(&self) -> Result<KeySecret, Error> {
        let text = self.reader.read("key secret").await?;
        KeySecret::from_json(&text).map_err(|e| {
            Error::credentials(format!(
                "key secret {:?} is malformed: {e}",
                self.secret_id()
            ))
        })
    }

    async fn new_signer(&self) -> Result<Arc<LocalSigner>, Error> {
        let key = self.read_key().await?;
        let signer = LocalSigner::new(key.sdkappid, key.identifier, key.key, Some(key.region))
            .with_clock(self.clock.clone());
        Ok(Arc::new(signer))
    }
}

#[async_trait]
impl CredentialsProvider for KeySecretProvider {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let mut slot = self.signer.lock().await;
        let signer = match &*slot {
            Some(signer) => signer.clone(),
            None => slot.insert(self.new_signer().await?).clone(),
        };
        drop(slot);
        signer.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let mut slot = self.signer.lock().await;
        let signer = slot.insert(self.new_signer().await?).clone();
        drop(slot);
        signer.refresh(rejected).await
    }
}
