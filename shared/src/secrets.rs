//! Credentials from AWS Secrets Manager (feature `secrets-manager`).
//!
//! - The UserSig secret (written by usersig-refresher, read by ops-pull and
//!   push-stats): JSON [`UserSigSecret`]. [`UserSigSecretProvider`] reads it
//!   with `VersionStage=AWSCURRENT` once per cold start (lazily, on first
//!   use), caches it, re-reads it [`UserSigSecretProvider::REFRESH_MARGIN_SECS`]
//!   before `expires_at`, and re-reads it once when Tencent rejects the
//!   UserSig.
//! - The key secret (read by usersig-refresher, or by the functions in simple
//!   setups): JSON [`KeySecret`]. [`KeySecretProvider`] reads it once and
//!   signs UserSigs locally ([`LocalSigner`]).
//! - Neither the key nor a UserSig appears in `Debug`, `Display` or errors:
//!   a malformed secret is reported by its id and the field at fault, never
//!   by its value.
//!
//! `VersionStage=AWSCURRENT` is always asked for explicitly: it is what AWS
//! does by default anyway, and moto_server (tests, local runs) otherwise keeps
//! answering the version that was current when the secret was created.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::credentials::{AppCredentials, CredentialsProvider, LocalSigner};
use crate::error::{Error, ErrorClass};
use crate::region::Region;
use crate::usersig::{Clock, SecretKey, SystemClock, UserSig};

/// Names one or more UserSig secrets (comma-separated: one app each).
pub const USERSIG_SECRET_ENV: &str = "TIM_USERSIG_SECRET_ID";
/// Names the key secret (sign locally).
pub const KEY_SECRET_ENV: &str = "TIM_KEY_SECRET_ID";

/// The staging label of the version readers use.
pub const AWSCURRENT: &str = "AWSCURRENT";

/// The UserSig secret's JSON value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSigSecret {
    pub sdkappid: u64,
    pub identifier: String,
    pub region: Region,
    #[serde(with = "usersig_text")]
    pub usersig: UserSig,
    /// RFC 3339.
    pub issued_at: String,
    /// RFC 3339.
    pub expires_at: String,
}

impl std::fmt::Debug for UserSigSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSigSecret")
            .field("sdkappid", &self.sdkappid)
            .field("identifier", &self.identifier)
            .field("region", &self.region)
            .field("usersig", &self.usersig)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The key secret's JSON value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct KeySecret {
    pub sdkappid: u64,
    pub identifier: String,
    #[serde(with = "key_text")]
    pub key: SecretKey,
    pub region: Region,
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySecret")
            .field("sdkappid", &self.sdkappid)
            .field("identifier", &self.identifier)
            .field("key", &self.key)
            .field("region", &self.region)
            .finish()
    }
}

mod usersig_text {
    use super::UserSig;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &UserSig, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<UserSig, D::Error> {
        String::deserialize(d).map(UserSig::new)
    }
}

mod key_text {
    use super::SecretKey;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretKey, D::Error> {
        String::deserialize(d).map(SecretKey::new)
    }
}

/// A secret's text is not the JSON we expect. The message names the field at
/// fault and what is wrong with it, never the value (serde's own messages
/// quote values, so they are not used).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct MalformedSecret {
    /// The member at fault, when one is.
    pub field: Option<&'static str>,
    pub problem: String,
}

impl MalformedSecret {
    fn field(field: &'static str, problem: &str) -> Self {
        Self {
            field: Some(field),
            problem: format!("field `{field}` {problem}"),
        }
    }
}

/// Typed, value-free access to a secret's JSON object.
struct Fields(serde_json::Map<String, Value>);

impl Fields {
    fn parse(text: &str) -> Result<Self, MalformedSecret> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(MalformedSecret {
                field: None,
                problem: "the secret value is JSON but not a JSON object".into(),
            }),
            // Only the position: serde_json's syntax messages do not quote the
            // input today, but nothing promises that.
            Err(e) => Err(MalformedSecret {
                field: None,
                problem: format!(
                    "the secret value is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            }),
        }
    }

    fn get(&self, field: &'static str) -> Result<&Value, MalformedSecret> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(MalformedSecret::field(field, "is missing")),
            Some(value) => Ok(value),
        }
    }

    fn u64(&self, field: &'static str) -> Result<u64, MalformedSecret> {
        let value = self.get(field)?;
        // Accept the number as a JSON number or as a decimal string: the
        // console shows SDKAppIDs as text and operators paste them so.
        match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| MalformedSecret::field(field, "must be a non-negative integer"))
    }

    fn text(&self, field: &'static str) -> Result<&str, MalformedSecret> {
        match self.get(field)? {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim()),
            Value::String(_) => Err(MalformedSecret::field(field, "is empty")),
            _ => Err(MalformedSecret::field(field, "must be a string")),
        }
    }

    fn region(&self, field: &'static str) -> Result<Region, MalformedSecret> {
        self.text(field)?.parse().map_err(|_| {
            MalformedSecret::field(
                field,
                "is not a Tencent Chat region (expected one of: china, singapore, seoul, tokyo, frankfurt, silicon-valley, jakarta, mumbai)",
            )
        })
    }

    fn timestamp(&self, field: &'static str) -> Result<(String, u64), MalformedSecret> {
        let text = self.text(field)?;
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|at| u64::try_from(at.timestamp()).ok())
            .map(|unix| (text.to_owned(), unix))
            .ok_or_else(|| {
                MalformedSecret::field(
                    field,
                    "must be an RFC 3339 timestamp (e.g. 2026-12-01T00:00:00Z)",
                )
            })
    }
}

impl UserSigSecret {
    /// Parses the secret's text, naming the field at fault on error.
    pub fn from_json(text: &str) -> Result<Self, MalformedSecret> {
        let fields = Fields::parse(text)?;
        let secret = Self {
            sdkappid: fields.u64("sdkappid")?,
            identifier: fields.text("identifier")?.to_owned(),
            region: fields.region("region")?,
            usersig: UserSig::new(fields.text("usersig")?),
            issued_at: fields.timestamp("issued_at")?.0,
            expires_at: fields.timestamp("expires_at")?.0,
        };
        Ok(secret)
    }

    /// The secret's text (holds the UserSig: store it, never log it).
    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("UserSigSecret serialises"))
    }

    /// `expires_at` as unix seconds (`None` if it is not RFC 3339).
    pub fn expires_at_unix(&self) -> Option<u64> {
        chrono::DateTime::parse_from_rfc3339(&self.expires_at)
            .ok()
            .and_then(|at| u64::try_from(at.timestamp()).ok())
    }

    /// What a client needs to call Tencent with this secret.
    pub fn to_credentials(&self) -> AppCredentials {
        AppCredentials {
            sdkappid: self.sdkappid,
            identifier: self.identifier.clone(),
            usersig: self.usersig.clone(),
            region: Some(self.region),
            expires_at: self.expires_at_unix(),
        }
    }
}

impl KeySecret {
    /// Parses the secret's text, naming the field at fault on error.
    pub fn from_json(text: &str) -> Result<Self, MalformedSecret> {
        let fields = Fields::parse(text)?;
        Ok(Self {
            sdkappid: fields.u64("sdkappid")?,
            identifier: fields.text("identifier")?.to_owned(),
            key: SecretKey::new(fields.text("key")?),
            region: fields.region("region")?,
        })
    }
}

/// Which secret(s) the environment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// `TIM_USERSIG_SECRET_ID`: one secret id (or ARN) per app.
    UserSigSecrets(Vec<String>),
    /// `TIM_KEY_SECRET_ID`: sign locally from the key.
    KeySecret(String),
}

impl CredentialsSource {
    /// `TIM_USERSIG_SECRET_ID` (comma-separated, one id per app) wins over
    /// `TIM_KEY_SECRET_ID`; with neither, the error names both.
    pub fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        let usersig_ids = env.list(USERSIG_SECRET_ENV);
        if !usersig_ids.is_empty() {
            return Ok(Self::UserSigSecrets(usersig_ids));
        }
        match env.get(KEY_SECRET_ENV) {
            Some(id) => Ok(Self::KeySecret(id)),
            None => Err(crate::config::ConfigError::new(
                USERSIG_SECRET_ENV,
                "set TIM_USERSIG_SECRET_ID (the UserSig secret, one id per app, comma-separated) \
                 or TIM_KEY_SECRET_ID (the key secret)",
            )),
        }
    }

    /// One provider per app. Nothing is read until first use.
    pub fn providers(
        &self,
        secrets: &aws_sdk_secretsmanager::Client,
    ) -> Vec<Arc<dyn CredentialsProvider>> {
        match self {
            Self::UserSigSecrets(ids) => ids
                .iter()
                .map(|id| {
                    Arc::new(UserSigSecretProvider::new(secrets.clone(), id.clone()))
                        as Arc<dyn CredentialsProvider>
                })
                .collect(),
            Self::KeySecret(id) => vec![Arc::new(KeySecretProvider::new(
                secrets.clone(),
                id.clone(),
            ))],
        }
    }
}

/// How a Secrets Manager call failed, reduced to what a caller acts on.
/// Carries AWS's error code and message (which never hold secret values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsManagerFailure {
    pub kind: FailureKind,
    /// AWS's error code (`ResourceNotFoundException`, …), when it answered.
    pub code: Option<String>,
    pub message: String,
}

/// See [`SecretsManagerFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No such secret, or no version with the asked-for id/stage.
    NotFound,
    /// Throttling, 5xx, timeouts, connection failures: try again later.
    Transient,
    /// Access denied, KMS decryption refused, invalid request: fix the setup.
    Configuration,
}

impl SecretsManagerFailure {
    /// Classifies any Secrets Manager operation's error.
    pub fn of<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Self {
        let code = err.code().map(str::to_owned);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let kind = match (&err, code.as_deref(), status) {
            (
                SdkError::TimeoutError(_)
                | SdkError::DispatchFailure(_)
                | SdkError::ResponseError(_),
                _,
                _,
            ) => FailureKind::Transient,
            (SdkError::ConstructionFailure(_), _, _) => FailureKind::Configuration,
            (_, Some("ResourceNotFoundException"), _) => FailureKind::NotFound,
            (_, Some(c), _)
                if c.contains("Throttl")
                    || c == "InternalServiceError"
                    || c == "RequestLimitExceeded" =>
            {
                FailureKind::Transient
            }
            (_, _, Some(s)) if s >= 500 || s == 429 => FailureKind::Transient,
            _ => FailureKind::Configuration,
        };
        let message = match err {
            SdkError::ServiceError(_) => err.message().unwrap_or("no message").to_owned(),
            SdkError::TimeoutError(_) => "timed out".to_owned(),
            SdkError::DispatchFailure(_) => {
                "could not send the request (connection failed)".to_owned()
            }
            SdkError::ResponseError(_) => "unreadable response".to_owned(),
            SdkError::ConstructionFailure(_) => "could not build the request".to_owned(),
            _ => "unknown failure".to_owned(),
        };
        Self {
            kind,
            code,
            message,
        }
    }

    /// `code: message`, or the message alone.
    pub fn describe(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// Reads one secret's `AWSCURRENT` text, counting calls (the count is what
/// tests and metrics look at: one read per cold start).
#[derive(Debug)]
struct CurrentReader {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    reads: AtomicU64,
}

impl CurrentReader {
    fn new(client: aws_sdk_secretsmanager::Client, secret_id: String) -> Self {
        Self {
            client,
            secret_id,
            reads: AtomicU64::new(0),
        }
    }

    /// The secret's current text, or an [`Error::Credentials`] that names the
    /// secret (and never its value).
    async fn read(&self, what: &str) -> Result<String, Error> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let id = &self.secret_id;
        let answer = self
            .client
            .get_secret_value()
            .secret_id(id)
            .version_stage(AWSCURRENT)
            .send()
            .await
            .map_err(|err| {
                let failure = SecretsManagerFailure::of(&err);
                let reason = match failure.kind {
                    FailureKind::NotFound => format!(
                        "{what} {id:?} not found, or it has no AWSCURRENT value ({})",
                        failure.describe()
                    ),
                    FailureKind::Transient => format!("reading {what} {id:?} failed, try again ({})", failure.describe()),
                    FailureKind::Configuration => format!(
                        "cannot read {what} {id:?}: check the function's secretsmanager:GetSecretValue (and kms:Decrypt) permissions ({})",
                        failure.describe()
                    ),
                };
                if failure.kind == FailureKind::Transient {
                    Error::credentials_transient(reason)
                } else {
                    Error::credentials(reason)
                }
            })?;
        answer.secret_string.ok_or_else(|| {
            Error::credentials(format!(
                "{what} {id:?} has no SecretString (binary secrets are not supported)"
            ))
        })
    }
}

/// Reads a UserSig secret (as usersig-refresher writes it) and caches it.
///
/// - First use reads `AWSCURRENT` (concurrent first calls wait for one read).
/// - The cached UserSig is used until [`Self::REFRESH_MARGIN_SECS`] before its
///   `expires_at`; then the secret is re-read, at most once every
///   [`Self::RECHECK_SECS`] while it still holds the same nearly expired
///   UserSig. A UserSig already expired and not replaced fails clearly.
/// - `refresh` (Tencent refused the UserSig) re-reads once. If the secret
///   still holds the refused UserSig, it fails with class
///   [`ErrorClass::UserSigRejected`] and tells the operator to rotate.
pub struct UserSigSecretProvider {
    reader: CurrentReader,
    clock: Arc<dyn Clock>,
    state: tokio::sync::Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    cached: Option<Cached>,
    /// A UserSig Tencent refused and a re-read could not replace, and when
    /// that was found: further refreshes within [`UserSigSecretProvider::RECHECK_SECS`]
    /// fail at once instead of re-reading again.
    refused: Option<(UserSig, u64)>,
}

struct Cached {
    credentials: AppCredentials,
    expires_at: u64,
    read_at: u64,
}

impl std::fmt::Debug for UserSigSecretProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSigSecretProvider")
            .field("secret_id", &self.reader.secret_id)
            .field("reads", &self.reads())
            .finish_non_exhaustive()
    }
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

    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self {
            reader: CurrentReader::new(client, secret_id.into()),
            clock: Arc::new(SystemClock),
            state: tokio::sync::Mutex::new(CacheState::default()),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn secret_id(&self) -> &str {
        &self.reader.secret_id
    }

    /// GetSecretValue calls made so far.
    pub fn reads(&self) -> u64 {
        self.reader.reads.load(Ordering::Relaxed)
    }

    async fn read(&self, now: u64) -> Result<Cached, Error> {
        let id = self.secret_id();
        let text = self.reader.read("UserSig secret").await?;
        let secret = UserSigSecret::from_json(&text)
            .map_err(|e| Error::credentials(format!("UserSig secret {id:?} is malformed: {e}")))?;
        let expires_at = secret.expires_at_unix().ok_or_else(|| {
            Error::credentials(format!(
                "UserSig secret {id:?} is malformed: field `expires_at` is not a valid timestamp"
            ))
        })?;
        Ok(Cached {
            credentials: secret.to_credentials(),
            expires_at,
            read_at: now,
        })
    }

    fn expired_error(&self, cached: &Cached) -> Error {
        Error::Credentials {
            reason: format!(
                "UserSig secret {:?} holds a UserSig that expired at {} (unix); rotation is not replacing it: check usersig-refresher's logs and run `aws secretsmanager rotate-secret --secret-id {}`",
                self.secret_id(),
                cached.expires_at,
                self.secret_id()
            ),
            class: ErrorClass::Configuration,
        }
    }
}

#[async_trait]
impl CredentialsProvider for UserSigSecretProvider {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        // Held across the read: concurrent first calls wait for one read.
        let mut state = self.state.lock().await;
        let now = self.clock.now_unix();
        if let Some(cached) = &state.cached {
            let fresh = now.saturating_add(Self::REFRESH_MARGIN_SECS) < cached.expires_at;
            let recently_read = now < cached.read_at.saturating_add(Self::RECHECK_SECS);
            if fresh || (recently_read && now <= cached.expires_at) {
                return Ok(cached.credentials.clone());
            }
            if recently_read {
                // Expired, and the secret held nothing newer a moment ago.
                return Err(self.expired_error(cached));
            }
        }
        let read = match self.read(now).await {
            Ok(read) => read,
            // A cached UserSig that is still valid beats failing the request
            // because Secrets Manager hiccupped; try again after RECHECK_SECS.
            Err(error) => match state.cached.as_mut() {
                Some(cached) if now <= cached.expires_at => {
                    tracing::warn!(secret_id = self.secret_id(), error = %error, "re-reading the UserSig secret failed; using the cached UserSig");
                    cached.read_at = now;
                    return Ok(cached.credentials.clone());
                }
                _ => return Err(error),
            },
        };
        if now > read.expires_at {
            let error = self.expired_error(&read);
            state.cached = Some(read);
            return Err(error);
        }
        let credentials = read.credentials.clone();
        state.cached = Some(read);
        Ok(credentials)
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let mut state = self.state.lock().await;
        let now = self.clock.now_unix();
        // Another request already replaced the refused UserSig: use that.
        if let Some(cached) = &state.cached
            && cached.credentials.usersig != rejected.usersig
            && now <= cached.expires_at
        {
            return Ok(cached.credentials.clone());
        }
        let recently_refused = state.refused.as_ref().is_some_and(|(usersig, at)| {
            *usersig == rejected.usersig && now < at.saturating_add(Self::RECHECK_SECS)
        });
        if !recently_refused {
            let read = self.read(now).await?;
            if read.credentials.usersig != rejected.usersig {
                let credentials = read.credentials.clone();
                state.cached = Some(read);
                state.refused = None;
                return Ok(credentials);
            }
            state.cached = Some(read);
            state.refused = Some((rejected.usersig.clone(), now));
        }
        Err(Error::Credentials {
            reason: format!(
                "Tencent refused the UserSig in secret {:?} and the secret still holds the same one: rotate it (`aws secretsmanager rotate-secret --secret-id {}`) and check usersig-refresher's logs",
                self.secret_id(),
                self.secret_id()
            ),
            class: ErrorClass::UserSigRejected,
        })
    }
}

/// Reads the key secret once, then signs UserSigs locally ([`LocalSigner`]).
/// When Tencent refuses a UserSig, the key secret is read again (the
/// operator may have corrected it) and a fresh UserSig is signed.
pub struct KeySecretProvider {
    reader: CurrentReader,
    validity_secs: u64,
    clock: Arc<dyn Clock>,
    signer: tokio::sync::Mutex<Option<Arc<LocalSigner>>>,
}

impl std::fmt::Debug for KeySecretProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySecretProvider")
            .field("secret_id", &self.reader.secret_id)
            .field("reads", &self.reads())
            .finish_non_exhaustive()
    }
}

impl KeySecretProvider {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        Self {
            reader: CurrentReader::new(client, secret_id.into()),
            validity_secs: LocalSigner::DEFAULT_VALIDITY_SECS,
            clock: Arc::new(SystemClock),
            signer: tokio::sync::Mutex::new(None),
        }
    }

    /// Validity of the UserSigs signed (default [`LocalSigner::DEFAULT_VALIDITY_SECS`]).
    pub fn with_validity(mut self, secs: u64) -> Self {
        self.validity_secs = secs.max(1);
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn secret_id(&self) -> &str {
        &self.reader.secret_id
    }

    /// GetSecretValue calls made so far.
    pub fn reads(&self) -> u64 {
        self.reader.reads.load(Ordering::Relaxed)
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
        Ok(Arc::new(
            LocalSigner::new(key.sdkappid, key.identifier, key.key, Some(key.region))
                .with_validity(self.validity_secs)
                .with_clock(self.clock.clone()),
        ))
    }
}

#[async_trait]
impl CredentialsProvider for KeySecretProvider {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let signer = {
            let mut slot = self.signer.lock().await;
            match slot.as_ref() {
                Some(signer) => signer.clone(),
                None => slot.insert(self.new_signer().await?).clone(),
            }
        };
        signer.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        let signer = self.new_signer().await?;
        *self.signer.lock().await = Some(signer.clone());
        signer.refresh(rejected).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERSIG_JSON: &str = r#"{"sdkappid":1400000000,"identifier":"administrator","region":"singapore","usersig":"eJw-SECRET-SIG","issued_at":"2026-11-01T00:00:00Z","expires_at":"2026-12-01T00:00:00Z"}"#;

    #[test]
    fn usersig_secret_parses_and_round_trips() {
        let secret = UserSigSecret::from_json(USERSIG_JSON).unwrap();
        assert_eq!(secret.sdkappid, 1_400_000_000);
        assert_eq!(secret.region, Region::Singapore);
        assert_eq!(secret.expires_at_unix(), Some(1_796_083_200));
        assert_eq!(UserSigSecret::from_json(&secret.to_json()).unwrap(), secret);
        let creds = secret.to_credentials();
        assert_eq!(creds.expires_at, Some(1_796_083_200));
        assert_eq!(creds.region, Some(Region::Singapore));
        assert!(!format!("{secret:?}").contains("SECRET-SIG"));
    }

    #[test]
    fn malformed_secrets_name_the_field_and_never_the_value() {
        let cases = [
            (
                r#"{"sdkappid":"SECRET-A","identifier":"a","key":"SECRET-K","region":"tokyo"}"#,
                Some("sdkappid"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","region":"tokyo"}"#,
                Some("key"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","key":7,"region":"tokyo"}"#,
                Some("key"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"a","key":"SECRET-K","region":"SECRET-R"}"#,
                Some("region"),
            ),
            (
                r#"{"sdkappid":1,"identifier":"","key":"SECRET-K","region":"tokyo"}"#,
                Some("identifier"),
            ),
            (r#"{"sdkappid": SECRET-K"#, None),
            (r#"["SECRET-K"]"#, None),
        ];
        for (text, field) in cases {
            let err = KeySecret::from_json(text).unwrap_err();
            assert_eq!(err.field, field, "{text}");
            if let Some(field) = field {
                assert!(err.to_string().contains(field));
            }
            assert!(!err.to_string().contains("SECRET"), "{err}");
        }
        let err =
            UserSigSecret::from_json(&USERSIG_JSON.replace("2026-12-01T00:00:00Z", "SECRET-T"))
                .unwrap_err();
        assert_eq!(err.field, Some("expires_at"));
        assert!(!err.to_string().contains("SECRET"));
    }

    #[test]
    fn sdkappid_may_be_a_decimal_string() {
        let key = KeySecret::from_json(
            r#"{"sdkappid":"1400000000","identifier":"admin","key":"k","region":"china"}"#,
        )
        .unwrap();
        assert_eq!(key.sdkappid, 1_400_000_000);
        assert_eq!(key.key.expose_secret(), "k");
    }

    #[test]
    fn source_prefers_the_usersig_secret() {
        use crate::config::Env;
        let source = |pairs: &[(&str, &str)]| {
            CredentialsSource::from_env(&Env::from_pairs(pairs.iter().copied()))
        };
        assert_eq!(
            source(&[(USERSIG_SECRET_ENV, " a, ,b "), (KEY_SECRET_ENV, "k")]),
            Ok(CredentialsSource::UserSigSecrets(vec![
                "a".into(),
                "b".into()
            ]))
        );
        assert_eq!(
            source(&[(USERSIG_SECRET_ENV, " , "), (KEY_SECRET_ENV, "k")]),
            Ok(CredentialsSource::KeySecret("k".into()))
        );
        for pairs in [&[(KEY_SECRET_ENV, "  ")][..], &[][..]] {
            let err = source(pairs).unwrap_err();
            assert_eq!(err.variable, USERSIG_SECRET_ENV);
            assert!(err.to_string().contains("TIM_KEY_SECRET_ID"), "{err}");
        }
    }
}
