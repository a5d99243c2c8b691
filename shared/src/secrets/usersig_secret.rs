//! The UserSig secret reader: the functions' usual credentials source.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;

use crate::credentials::{AppCredentials, CredentialsProvider};
use crate::error::{Error, ErrorClass};
use crate::usersig::{Clock, SystemClock};

use super::cache::{CacheError, Expiring, ExpiryCache};
use super::reader::CurrentReader;
use super::value::UserSigSecret;

/// Reads a UserSig secret (as usersig-refresher writes it) and caches it.
///
/// - First use reads `AWSCURRENT` (concurrent first calls wait for one read).
/// - The cached UserSig is used until [`Self::REFRESH_MARGIN_SECS`] before its
///   `expires_at`; then the secret is re-read, at most once every
///   [`Self::RECHECK_SECS`] while it still holds the same nearly expired
///   UserSig. A UserSig already expired and not replaced fails clearly.
/// - If re-reading fails while the cached UserSig is still valid, the cached
///   one is used (and the secret re-read after [`Self::RECHECK_SECS`]).
/// - `refresh` (Tencent refused the UserSig) re-reads once. If the secret
///   still holds the refused UserSig, that UserSig is never sent again: every
///   call fails at once with class [`ErrorClass::UserSigRejected`] (each
///   refusal counts toward Tencent's 70050 lock-out of the admin account,
///   which would also fail the rotation's live check), and at most once every
///   [`Self::REFUSAL_CHECK_SECS`] DescribeSecret (no value, no KMS
///   decryption) tells whether `AWSCURRENT` labels another version; the
///   secret is read again only then (or when DescribeSecret fails).
pub struct UserSigSecretProvider {
    reader: CurrentReader,
    clock: Arc<dyn Clock>,
    cache: ExpiryCache<AppCredentials>,
    /// Tencent's code for the UserSig the secret still holds (0: none).
    refused_with: AtomicI64,
}

impl UserSigSecretProvider {
    /// Re-read this long before `expires_at`. Rotation normally replaces the
    /// UserSig weeks before it expires (7-day rotation, 30-day validity), so
    /// this only matters when rotation has been failing; 10 minutes covers
    /// clock skew and a request in flight.
    pub const REFRESH_MARGIN_SECS: u64 = 600;
    /// While the secret holds a UserSig within the margin, re-read at most
    /// this often (so a stuck rotation does not cost one read per request).
    pub const RECHECK_SECS: u64 = 60;
    /// While the secret holds a refused UserSig, ask DescribeSecret at most
    /// this often whether it was rotated: a corrected UserSig serves within
    /// seconds, at a cost of at most one API call per this interval.
    pub const REFUSAL_CHECK_SECS: u64 = 5;

    /// Reads secret `secret_id` (an id or ARN) on first use.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self {
            reader: CurrentReader::new(client, secret_id.into()),
            clock: Arc::new(SystemClock),
            cache: ExpiryCache::new(),
            refused_with: AtomicI64::new(0),
        }
    }

    /// The clock expiry is judged by (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// GetSecretValue calls made so far.
    pub fn reads(&self) -> u64 {
        self.reader.reads.load(Ordering::Relaxed)
    }

    /// DescribeSecret calls made so far (the cheap "has `AWSCURRENT`
    /// moved?" check after a refusal).
    pub fn version_checks(&self) -> u64 {
        self.reader.version_checks.load(Ordering::Relaxed)
    }

    async fn read(&self) -> Result<Expiring<AppCredentials>, Error> {
        let id = &self.reader.secret_id;
        let text = self.reader.read("UserSig secret").await?;
        let secret = UserSigSecret::from_json(&text)
            .map_err(|e| Error::credentials(format!("UserSig secret {id:?} is malformed: {e}")))?;
        // `from_json` checked that `expires_at` is a timestamp.
        let expires_at = secret.expires_at_unix().unwrap_or(0);
        Ok((secret.to_credentials(), expires_at))
    }

    fn refused_error(&self) -> Error {
        Error::Credentials {
            reason: format!(
                "Tencent refused the UserSig in secret {id:?} and the secret still holds the same one: rotate it (`aws secretsmanager rotate-secret --secret-id {id}`) and check usersig-refresher's logs",
                id = self.reader.secret_id
            ),
            class: ErrorClass::UserSigRejected,
            refused_with: Some(self.refused_with.load(Ordering::Relaxed)).filter(|&code| code != 0),
        }
    }

    fn expired_error(&self, expires_at: u64) -> Error {
        Error::credentials(format!(
            "UserSig secret {id:?} holds a UserSig that expired at {expires_at} (unix); rotation is not replacing it: check usersig-refresher's logs and run `aws secretsmanager rotate-secret --secret-id {id}`",
            id = self.reader.secret_id
        ))
    }
}

#[async_trait]
impl CredentialsProvider for UserSigSecretProvider {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let on_stale = |error: &Error| {
            tracing::warn!(secret_id = self.reader.secret_id.as_str(), error = %error, "re-reading the UserSig secret failed; using the cached UserSig");
        };
        let changed = || self.reader.current_version_changed();
        let found = self
            .cache
            .get(&*self.clock, || self.read(), on_stale, changed);
        found.await.map_err(|e| match e {
            CacheError::Load(error) => error,
            CacheError::Expired { expires_at } => self.expired_error(expires_at),
            CacheError::Refused => self.refused_error(),
        })
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let is_rejected = |cached: &AppCredentials| cached.usersig == rejected.usersig;
        let changed = || self.reader.current_version_changed();
        // Either another request already replaced the refused UserSig, or
        // the re-read found a new one; else the secret still holds it.
        self.cache
            .reload_rejected(&*self.clock, is_rejected, changed, || self.read())
            .await?
            .ok_or_else(|| self.refused_error())
    }

    fn note_refusal(&self, code: i64) {
        self.refused_with.store(code, Ordering::Relaxed);
    }
}
