//! Where a client gets its UserSig: a small trait and its simple sources.
//!
//! Sources backed by AWS Secrets Manager live in [`crate::secrets`]
//! (feature `secrets-manager`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, ErrorClass};
use crate::region::Region;
use crate::usersig::{Clock, SecretKey, Signer, SystemClock, UserSig};

/// Everything needed to call Tencent as one app's admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    pub sdkappid: u64,
    /// The admin account the UserSig is signed for.
    pub identifier: String,
    pub usersig: UserSig,
    /// The app's region, when the source knows it.
    pub region: Option<Region>,
    /// Last valid second of the UserSig (unix), when known.
    pub expires_at: Option<u64>,
}

/// A source of credentials. Implementations cache; the client calls
/// [`CredentialsProvider::credentials`] per request and
/// [`CredentialsProvider::refresh`] at most once per call, when Tencent
/// refused the UserSig.
#[async_trait]
pub trait CredentialsProvider: Send + Sync {
    /// Current credentials (cached where possible).
    async fn credentials(&self) -> Result<AppCredentials, Error>;

    /// Tencent refused `rejected`'s UserSig: return fresh credentials
    /// (re-sign, re-read), or fail if nothing fresher can be had.
    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error>;
}

/// Fixed credentials (tests, one-off tools). `refresh` returns them again:
/// a second rejection then fails the call.
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub AppCredentials);

#[async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        Ok(self.0.clone())
    }

    async fn refresh(&self, _rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        Ok(self.0.clone())
    }
}

/// Signs UserSigs locally from the app's key (simple setups, local runs).
/// Caches one UserSig and signs a new one when less than a quarter of its
/// validity is left, or when Tencent refused it.
pub struct LocalSigner {
    signer: Signer,
    identifier: String,
    region: Option<Region>,
    validity_secs: u64,
    clock: Arc<dyn Clock>,
    cached: Mutex<Option<AppCredentials>>,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSigner")
            .field("sdkappid", &self.signer.sdkappid())
            .field("identifier", &self.identifier)
            .field("region", &self.region)
            .field("validity_secs", &self.validity_secs)
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// Validity of locally signed UserSigs unless set: one day.
    pub const DEFAULT_VALIDITY_SECS: u64 = 86_400;

    pub fn new(
        sdkappid: u64,
        identifier: impl Into<String>,
        key: SecretKey,
        region: Option<Region>,
    ) -> Self {
        Self {
            signer: Signer::new(sdkappid, key),
            identifier: identifier.into(),
            region,
            validity_secs: Self::DEFAULT_VALIDITY_SECS,
            clock: Arc::new(SystemClock),
            cached: Mutex::new(None),
        }
    }

    pub fn with_validity(mut self, secs: u64) -> Self {
        self.validity_secs = secs.max(1);
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn sign_now(&self) -> AppCredentials {
        let now = self.clock.now_unix();
        let usersig = self.signer.sign(&self.identifier, self.validity_secs, now);
        AppCredentials {
            sdkappid: self.signer.sdkappid(),
            identifier: self.identifier.clone(),
            usersig,
            region: self.region,
            expires_at: Some(now.saturating_add(self.validity_secs)),
        }
    }

    fn store(&self, fresh: AppCredentials) -> AppCredentials {
        // A poisoned lock only means another thread panicked mid-store; the
        // value is still a complete Option.
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        *cached = Some(fresh.clone());
        fresh
    }
}

#[async_trait]
impl CredentialsProvider for LocalSigner {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let now = self.clock.now_unix();
        let renew_margin = self.validity_secs / 4;
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match cached {
            Some(creds)
                if creds
                    .expires_at
                    .is_some_and(|at| at.saturating_sub(renew_margin) > now) =>
            {
                Ok(creds)
            }
            _ => Ok(self.store(self.sign_now())),
        }
    }

    async fn refresh(&self, _rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        Ok(self.store(self.sign_now()))
    }
}

impl Error {
    /// A credentials failure that no retry can fix.
    pub fn credentials(reason: impl Into<String>) -> Self {
        Error::Credentials {
            reason: reason.into(),
            class: ErrorClass::Configuration,
        }
    }

    /// A credentials failure that may pass (e.g. Secrets Manager throttling).
    pub fn credentials_transient(reason: impl Into<String>) -> Self {
        Error::Credentials {
            reason: reason.into(),
            class: ErrorClass::Retryable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usersig::FixedClock;

    #[tokio::test]
    async fn local_signer_caches_then_renews_when_a_quarter_is_left() {
        let clock = Arc::new(FixedClock(1_700_000_000));
        let signer = LocalSigner::new(
            1_400_000_000,
            "admin",
            SecretKey::new("k"),
            Some(Region::Tokyo),
        )
        .with_validity(400)
        .with_clock(clock);
        let first = signer.credentials().await.unwrap();
        assert_eq!(first.expires_at, Some(1_700_000_400));
        assert_eq!(signer.credentials().await.unwrap(), first);

        let later = LocalSigner {
            clock: Arc::new(FixedClock(1_700_000_301)),
            ..signer
        };
        let renewed = later.credentials().await.unwrap();
        assert_eq!(renewed.expires_at, Some(1_700_000_701));
    }
}
