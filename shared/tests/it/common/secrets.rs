//! Set-up shared by the Secrets Manager tests: secrets in moto_server, a
//! clock the test moves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tim::Region;
use tim::secrets::UserSigSecret;
use tim::usersig::{Clock, SecretKey, Signer};

pub const APP: u64 = 1_400_000_000;
pub const KEY: &str = "SECRET-app-key-5bd2850fff3ecb11d7c805251c";
pub const ADMIN: &str = "administrator";

pub async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await)
}

/// A clock the test sets.
#[derive(Debug, Default)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn at(now: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(now)))
    }

    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_unix(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn rfc3339(t: u64) -> String {
    chrono::DateTime::from_timestamp(t as i64, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A UserSig secret as usersig-refresher writes it.
pub fn usersig_secret(key: &str, issued: u64, validity: u64) -> UserSigSecret {
    UserSigSecret {
        sdkappid: APP,
        identifier: ADMIN.into(),
        region: Region::Singapore,
        usersig: Signer::new(APP, SecretKey::new(key)).sign(ADMIN, validity, issued),
        issued_at: rfc3339(issued),
        expires_at: rfc3339(issued + validity),
    }
}

pub fn key_secret_json(key: &str) -> String {
    serde_json::json!({"sdkappid": APP, "identifier": ADMIN, "key": key, "region": "singapore"})
        .to_string()
}

/// Creates a secret with `value` as AWSCURRENT; returns its name.
pub async fn create_secret(
    sm: &aws_sdk_secretsmanager::Client,
    prefix: &str,
    value: &str,
) -> String {
    let name = testkit::unique_name(prefix);
    sm.create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    name
}

/// Puts a new AWSCURRENT value (what finishSecret's stage move amounts to
/// for a reader).
pub async fn replace_value(sm: &aws_sdk_secretsmanager::Client, name: &str, value: &str) {
    sm.put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
}
