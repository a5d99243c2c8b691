//! Where a client gets its UserSig: a small trait and its simple sources.
//!
//! Sources backed by AWS Secrets Manager live in `crate::secrets`
//! (feature `secrets-manager`).

use std::sync::Arc;

use async_trait::async_trait;

use crate::cache::{CacheError, CachePolicy, Expiring, ExpiryCache, Reloaded};
use crate::error::{Error, ErrorClass};
use crate::region::Region;
use crate::usersig::{Clock, SecretKey, Signer, SystemClock, UserSig};

/// Everything needed to call Tencent as one app's admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The admin account the UserSig is signed for.
    pub identifier: String,
    /// The admin UserSig (redacted in `Debug`).
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

    /// Tencent refused with `code` a UserSig `refresh` could not replace. A
    /// source that then fails calls at once (without Tencent) reports this
    /// code with them; wrappers pass it on.
    fn note_refusal(&self, code: i64) {
        let _ = code;
    }
}

/// Fixed credentials (tests, one-off tools). `refresh` returns them again:
/// a second rejection then fails the call.
#[derive(Debug, Clone)]
pub struct StaticCredentials(
    /// The credentials handed out.
    pub AppCredentials,
);

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
/// validity is left, or when Tencent refused it: the UserSig re-signed after
/// a refusal always differs from the refused one, even within the second it
/// was signed in, so the client's one retry happens.
pub struct LocalSigner {
    signer: Signer,
    identifier: String,
    region: Option<Region>,
    validity_secs: u64,
    clock: Arc<dyn Clock>,
    cached: ExpiryCache<AppCredentials>,
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

    /// Signs for `identifier` of app `sdkappid` with `key`; `region`, when
    /// known, tells the client where to send requests.
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
            cached: ExpiryCache::new(Self::policy(Self::DEFAULT_VALIDITY_SECS)),
        }
    }

    /// Validity of the UserSigs signed (at least one second).
    pub fn with_validity(mut self, secs: u64) -> Self {
        self.validity_secs = secs.max(1);
        self.cached = ExpiryCache::new(Self::policy(self.validity_secs));
        self
    }

    /// The clock UserSigs are signed at (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Renew when a quarter of the validity is left. Signing never fails,
    /// so there is nothing to recheck.
    fn policy(validity_secs: u64) -> CachePolicy {
        CachePolicy {
            refresh_margin_secs: validity_secs / 4,
            recheck_secs: 0,
            refusal_check_secs: 0,
        }
    }

    async fn sign_now(&self) -> Result<Expiring<AppCredentials>, Error> {
        let now = self.clock.now_unix();
        Ok(self.sign_at(now, self.validity_secs))
    }

    /// A UserSig other than `rejected`. Signing is deterministic: signed
    /// again in the second `rejected` was signed in, with the same validity,
    /// it would come out byte for byte the same, and the client (rightly)
    /// does not send a refused UserSig twice. So a re-sign within that
    /// second is valid one second less than `rejected` was, which makes
    /// `TLS.expire`, and so the UserSig, differ; `TLS.time` stays the true
    /// "now" (never in the future, which Tencent's clock might refuse).
    async fn sign_unlike(
        &self,
        rejected: &AppCredentials,
    ) -> Result<Expiring<AppCredentials>, Error> {
        let now = self.clock.now_unix();
        let validity = match crate::usersig::inspect(rejected.usersig.expose_secret()) {
            Ok(claims) if claims.time == now => claims
                .expire
                .min(self.validity_secs)
                .saturating_sub(1)
                .max(1),
            // Signed in another second (or not ours at all): "now" differs.
            _ => self.validity_secs,
        };
        Ok(self.sign_at(now, validity))
    }

    fn sign_at(&self, now: u64, validity_secs: u64) -> Expiring<AppCredentials> {
        let usersig = self.signer.sign(&self.identifier, validity_secs, now);
        let expires_at = now.saturating_add(validity_secs);
        Expiring {
            value: AppCredentials {
                sdkappid: self.signer.sdkappid(),
                identifier: self.identifier.clone(),
                usersig,
                region: self.region,
                expires_at: Some(expires_at),
            },
            expires_at,
        }
    }
}

#[async_trait]
impl CredentialsProvider for LocalSigner {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.cached
            .get(
                &*self.clock,
                || self.sign_now(),
                |_| {},
                || std::future::ready(true),
            )
            .await
            .map_err(|e| match e {
                CacheError::Load(error) => error,
                // A UserSig signed now is valid for at least a second.
                CacheError::Expired { expires_at } => Error::credentials(format!(
                    "the UserSig signed locally expired at {expires_at} (unix)"
                )),
                // A re-sign never gives the refused one: reported, not panicked.
                CacheError::Refused => {
                    Error::credentials("re-signing locally gave the refused UserSig again")
                }
            })
    }

    /// A UserSig other than `rejected`: the one another request already
    /// re-signed, else a new signature (`sign_unlike`, above).
    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let reloaded = self
            .cached
            .reload_rejected(
                &*self.clock,
                |cached| cached.usersig == rejected.usersig,
                // Signing is the source: always "changed".
                || std::future::ready(true),
                || self.sign_unlike(rejected),
            )
            .await?;
        match reloaded {
            Reloaded::Fresh(credentials) => Ok(credentials),
            // sign_unlike never yields `rejected`; reported, not panicked.
            Reloaded::StillRejected => Err(Error::credentials(
                "re-signing locally gave the refused UserSig again",
            )),
        }
    }
}

impl Error {
    /// A credentials failure that no retry can fix.
    pub fn credentials(reason: impl Into<String>) -> Self {
        Error::Credentials {
            reason: reason.into(),
            class: ErrorClass::Configuration,
            refused_with: None,
        }
    }

    /// A credentials failure that may pass (e.g. Secrets Manager throttling).
    pub fn credentials_transient(reason: impl Into<String>) -> Self {
        Error::Credentials {
            reason: reason.into(),
            class: ErrorClass::Retryable,
            refused_with: None,
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

    /// A clock the test moves.
    struct Moving(std::sync::atomic::AtomicU64);

    impl Clock for Moving {
        fn now_unix(&self) -> u64 {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn local_signer_keeps_its_usersig_until_a_quarter_is_left_and_refresh_re_signs() {
        let clock = Arc::new(Moving(1_700_000_000.into()));
        let signer = LocalSigner::new(1_400_000_000, "admin", SecretKey::new("k"), None)
            .with_validity(400)
            .with_clock(clock.clone());
        let first = signer.credentials().await.unwrap();
        clock
            .0
            .store(1_700_000_299, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(signer.credentials().await.unwrap(), first);
        let refreshed = signer.refresh(&first).await.unwrap();
        assert_eq!(refreshed.expires_at, Some(1_700_000_699));
        assert_ne!(refreshed.usersig, first.usersig);
        assert_eq!(signer.credentials().await.unwrap(), refreshed);
    }

    /// Issue 17 §6: signing is deterministic, so a re-sign in the second the
    /// refused UserSig was signed in must still change something.
    #[tokio::test]
    async fn a_refresh_within_the_same_second_signs_a_different_usersig() {
        let now = 1_700_000_000;
        let signer = LocalSigner::new(1_400_000_000, "admin", SecretKey::new("k"), None)
            .with_validity(400)
            .with_clock(Arc::new(FixedClock(now)));
        let first = signer.credentials().await.unwrap();
        let second = signer.refresh(&first).await.unwrap();
        assert_ne!(second.usersig, first.usersig);
        let claims = crate::usersig::inspect(second.usersig.expose_secret()).unwrap();
        assert_eq!(
            (claims.time, claims.expire),
            (now, 399),
            "signed now, one second less"
        );
        assert_eq!(second.expires_at, Some(now + 399));
        assert_eq!(signer.credentials().await.unwrap(), second, "cached");

        // Refused again in that second: neither of the two refused ones.
        let third = signer.refresh(&second).await.unwrap();
        assert!(third.usersig != first.usersig && third.usersig != second.usersig);
        // A late refusal of the first, after another request re-signed:
        // the current one, not a fresh signature (which could repeat one).
        assert_eq!(signer.refresh(&first).await.unwrap(), third);
        crate::usersig::Signer::new(1_400_000_000, SecretKey::new("k"))
            .verify(third.usersig.expose_secret(), "admin", now)
            .unwrap();
    }
}
