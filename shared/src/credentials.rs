//! Where a client gets its UserSig: a small trait and its simple sources.
//!
//! Sources backed by AWS Secrets Manager live in `crate::secrets`
//! (feature `secrets-manager`).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

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
    fn note_refusal(&self, _code: i64) {}
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
/// Keeps one UserSig and signs a new one when less than a quarter of its
/// validity is left, or when Tencent refused it: the UserSig re-signed after
/// a refusal always differs from the refused one, even within the second it
/// was signed in, so the client's one retry happens.
pub struct LocalSigner {
    signer: Signer,
    identifier: String,
    region: Option<Region>,
    validity_secs: u64,
    clock: Arc<dyn Clock>,
    /// The last UserSig signed. Signing is cheap and never fails: the lock
    /// only keeps concurrent callers from replacing each other's UserSig.
    current: Mutex<Option<AppCredentials>>,
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
            current: Mutex::default(),
        }
    }

    /// Validity of the UserSigs signed (at least one second).
    pub fn with_validity(mut self, secs: u64) -> Self {
        self.validity_secs = secs.max(1);
        self
    }

    /// The clock UserSigs are signed at (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current UserSig unless `replace` says otherwise; else a new one,
    /// valid `validity(now)` seconds from now.
    fn current_or_sign(
        &self,
        replace: impl FnOnce(&AppCredentials, u64) -> bool,
        validity: impl FnOnce(u64) -> u64,
    ) -> AppCredentials {
        // The guarded value is a plain Option: still whole after a panic.
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now_unix();
        if let Some(credentials) = &*current
            && !replace(credentials, now)
        {
            return credentials.clone();
        }
        let validity = validity(now);
        let credentials = AppCredentials {
            sdkappid: self.signer.sdkappid(),
            identifier: self.identifier.clone(),
            usersig: self.signer.sign(&self.identifier, validity, now),
            region: self.region,
            expires_at: Some(now.saturating_add(validity)),
        };
        current.insert(credentials).clone()
    }
}

#[async_trait]
impl CredentialsProvider for LocalSigner {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let margin = self.validity_secs / 4;
        let stale = |current: &AppCredentials, now: u64| {
            current.expires_at <= Some(now.saturating_add(margin))
        };
        Ok(self.current_or_sign(stale, |_| self.validity_secs))
    }

    /// A UserSig other than `rejected`: the one another request already
    /// re-signed, else a new signature. Signing is deterministic: signed
    /// again in the second `rejected` was signed in, with the same validity,
    /// it would come out byte for byte the same, and the client (rightly)
    /// does not send a refused UserSig twice. So a re-sign within that
    /// second is valid one second less than `rejected` was, which makes
    /// `TLS.expire`, and so the UserSig, differ; `TLS.time` stays the true
    /// "now" (never in the future, which Tencent's clock might refuse).
    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let unusable = |current: &AppCredentials, now: u64| {
            current.usersig == rejected.usersig || current.expires_at < Some(now)
        };
        let validity = |now| match crate::usersig::inspect(rejected.usersig.expose_secret()) {
            // One second less, and at least one.
            Ok(claims) if claims.time == now => claims.expire.min(self.validity_secs).max(2) - 1,
            // Signed in another second (or not ours at all): "now" differs.
            _ => self.validity_secs,
        };
        Ok(self.current_or_sign(unusable, validity))
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

    /// Signing is deterministic, so a re-sign in the second the
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
