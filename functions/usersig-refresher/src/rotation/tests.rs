//! The steps over an in-memory Secrets Manager (no network; the live check
//! is off). The same behaviour is tested against moto_server in `tests/`.
//!
//! Here: the fake Secrets Manager and what the tests share; the tests are
//! in the child modules, one per behaviour.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_kit::metrics::Captured;
use tim::secrets::{FailureKind, SecretsManagerFailure};
use tim::usersig::{FixedClock, SecretKey};

use super::*;
use crate::pending::PendingFault;
use crate::store::{AWSPREVIOUS, SecretsError};

mod configuration_test;
mod several_apps;
mod stale_pending;
mod steps;

const KEY_ID: &str = "tencent-chat/1400000000/key";
const SECRET_ID: &str = "tencent-chat/1400000000/usersig";
const TOKEN: &str = "3f9b2a1e-6c4d-4e8f-9a7b-1c2d3e4f5a6b";
const KEY_JSON: &str =
    r#"{"sdkappid":1400000000,"identifier":"administrator","key":"the-key","region":"singapore"}"#;
const NOW: u64 = 1_790_000_000;

#[derive(Default)]
struct FakeSecret {
    rotation_enabled: bool,
    /// version id → (value, stages)
    versions: BTreeMap<String, (Option<String>, Vec<String>)>,
    tags: BTreeMap<String, String>,
}

/// Secrets Manager's staging rules, in memory: a label is on one version at
/// most; moving AWSCURRENT puts AWSPREVIOUS on the version it left.
#[derive(Clone, Default)]
struct Fake {
    secrets: Arc<Mutex<HashMap<String, FakeSecret>>>,
    rotation_tokens: Arc<Mutex<Vec<Option<String>>>>,
    fail_describe: Arc<Mutex<Option<FailureKind>>>,
    /// A value another invocation of createSecret stores under the token
    /// just before this one's PutSecretValue.
    concurrent_create: Arc<Mutex<Option<String>>>,
    /// Just before PutSecretValue: another invocation stored this value and
    /// a third took the version off AWSPENDING.
    stripped_before_put: Arc<Mutex<Option<String>>>,
    /// GetSecretValue calls, by secret id.
    reads: Arc<Mutex<HashMap<String, usize>>>,
    /// Every call, as `Operation id` (ids as the caller gave them).
    calls: Arc<Mutex<Vec<String>>>,
}

/// The ARN the fake gives the secret named `name`.
fn arn_of(name: &str) -> String {
    format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf")
}

/// A secret id as the fake stores it: its name (an ARN of [`arn_of`]
/// resolves to the name, as Secrets Manager accepts either).
fn name_of(secret_id: &str) -> &str {
    secret_id
        .strip_prefix("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
        .and_then(|rest| rest.strip_suffix("-AbCdEf"))
        .unwrap_or(secret_id)
}

fn not_found(operation: &'static str) -> SecretsError {
    SecretsError::new(
        operation,
        SecretsManagerFailure {
            kind: FailureKind::NotFound,
            code: Some("ResourceNotFoundException".into()),
            message: "Secrets Manager can't find the specified secret.".into(),
        },
    )
}

impl Fake {
    fn put(
        &self,
        id: &str,
        version: &str,
        value: Option<&str>,
        stages: &[&str],
        rotation_enabled: bool,
    ) {
        let mut secrets = self.secrets.lock().unwrap();
        let secret = secrets.entry(id.to_owned()).or_default();
        secret.rotation_enabled |= rotation_enabled;
        for stage in stages {
            for (_, (_, s)) in secret.versions.iter_mut() {
                s.retain(|x| x != stage);
            }
        }
        secret.versions.insert(
            version.to_owned(),
            (
                value.map(str::to_owned),
                stages.iter().map(|s| (*s).to_owned()).collect(),
            ),
        );
    }

    fn tag(&self, id: &str, key: &str, value: &str) {
        let mut secrets = self.secrets.lock().unwrap();
        let secret = secrets.entry(id.to_owned()).or_default();
        secret.tags.insert(key.to_owned(), value.to_owned());
    }

    fn record(&self, operation: &str, secret_id: &str) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("{operation} {secret_id}"));
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn reads_of(&self, id: &str) -> usize {
        self.reads.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    fn snapshot(&self, id: &str) -> BTreeMap<String, (Option<String>, Vec<String>)> {
        let secrets = self.secrets.lock().unwrap();
        let mut versions = secrets[id].versions.clone();
        for (_, (_, stages)) in versions.iter_mut() {
            stages.sort();
        }
        versions
    }

    fn current_value(&self, id: &str) -> Option<String> {
        self.snapshot(id)
            .into_values()
            .find(|(_, stages)| stages.iter().any(|s| s == AWSCURRENT))
            .and_then(|(value, _)| value)
    }
}

impl SecretStore for Fake {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, SecretsError> {
        self.record("DescribeSecret", secret_id);
        let secret_id = name_of(secret_id);
        if let Some(kind) = *self.fail_describe.lock().unwrap() {
            return Err(SecretsError::new(
                "DescribeSecret",
                SecretsManagerFailure {
                    kind,
                    code: Some("ThrottlingException".into()),
                    message: "Rate exceeded".into(),
                },
            ));
        }
        let secrets = self.secrets.lock().unwrap();
        let secret = secrets
            .get(secret_id)
            .ok_or_else(|| not_found("DescribeSecret"))?;
        Ok(SecretMetadata {
            rotation_enabled: secret.rotation_enabled,
            versions: secret
                .versions
                .iter()
                .map(|(id, (_, stages))| (id.clone(), stages.clone()))
                .collect(),
            arn: Some(arn_of(secret_id)),
            name: Some(secret_id.to_owned()),
        })
    }

    async fn get_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<String, SecretsError> {
        self.record("GetSecretValue", secret_id);
        let secret_id = name_of(secret_id);
        *self
            .reads
            .lock()
            .unwrap()
            .entry(secret_id.to_owned())
            .or_default() += 1;
        let secrets = self.secrets.lock().unwrap();
        let secret = secrets
            .get(secret_id)
            .ok_or_else(|| not_found("GetSecretValue"))?;
        secret
            .versions
            .iter()
            .find(|(id, (_, stages))| {
                version_id.is_none_or(|v| v == *id) && stages.iter().any(|s| s == stage)
            })
            .and_then(|(_, (value, _))| value.clone())
            .ok_or_else(|| not_found("GetSecretValue"))
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        rotation_token: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.record("PutSecretValue", secret_id);
        let secret_id = name_of(secret_id);
        self.rotation_tokens
            .lock()
            .unwrap()
            .push(rotation_token.map(str::to_owned));
        if let Some(theirs) = self.concurrent_create.lock().unwrap().take() {
            self.put(secret_id, token, Some(&theirs), &[AWSPENDING], false);
        }
        if let Some(theirs) = self.stripped_before_put.lock().unwrap().take() {
            self.put(secret_id, token, Some(&theirs), &[], false);
        }
        {
            let secrets = self.secrets.lock().unwrap();
            let secret = secrets
                .get(secret_id)
                .ok_or_else(|| not_found("PutSecretValue"))?;
            if let Some((Some(existing), _)) = secret.versions.get(token)
                && existing != value
            {
                return Err(SecretsError::new(
                    "PutSecretValue",
                    SecretsManagerFailure {
                        kind: FailureKind::Configuration,
                        code: Some("ResourceExistsException".into()),
                        message: "version exists with another value".into(),
                    },
                ));
            }
        }
        self.put(secret_id, token, Some(value), &[AWSPENDING], false);
        Ok(())
    }

    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.record("UpdateSecretVersionStage", secret_id);
        let secret_id = name_of(secret_id);
        let mut secrets = self.secrets.lock().unwrap();
        let secret = secrets
            .get_mut(secret_id)
            .ok_or_else(|| not_found("UpdateSecretVersionStage"))?;
        if let Some(from) = remove_from {
            let (_, stages) = secret
                .versions
                .get_mut(from)
                .ok_or_else(|| not_found("UpdateSecretVersionStage"))?;
            assert!(stages.iter().any(|s| s == stage), "{stage} not on {from}");
            stages.retain(|s| s != stage);
        }
        if let Some(to) = move_to {
            secret
                .versions
                .get_mut(to)
                .ok_or_else(|| not_found("UpdateSecretVersionStage"))?
                .1
                .push(stage.to_owned());
        }
        if stage == AWSCURRENT
            && let Some(from) = remove_from
        {
            for (_, (_, stages)) in secret.versions.iter_mut() {
                stages.retain(|s| s != AWSPREVIOUS);
            }
            secret
                .versions
                .get_mut(from)
                .unwrap()
                .1
                .push(AWSPREVIOUS.to_owned());
        }
        Ok(())
    }
}

/// `<UserSig secret>=<key secret>,…`: the pairs the stack names for apps
/// 1400000000, 1400000002, … in order.
fn targets(text: &str) -> Vec<crate::RotationTarget> {
    let apps = (1_400_000_000..).step_by(2);
    let pairs = apps.zip(text.split(','));
    let parsed = pairs.map(|(app, pair)| crate::RotationTarget::parse(app, pair).unwrap());
    parsed.collect()
}

fn config(live_check: bool) -> Config {
    Config {
        targets: targets(&format!("{SECRET_ID}={KEY_ID}")),
        usersig_validity_secs: 30 * 86_400,
        min_validity_secs: 24 * 3_600,
        live_check,
        client: tim::ClientConfig::default(),
    }
}

const NAMESPACE: &str = "TencentChat";

fn rotator_at(fake: &Fake, now: u64) -> Rotator<Fake> {
    rotator_with_metrics(fake, now).0
}

/// A rotator whose EMF documents are kept in memory.
fn rotator_with_metrics(fake: &Fake, now: u64) -> (Rotator<Fake>, Captured) {
    let (metrics, captured) = Metrics::capture(NAMESPACE);
    let rotator = Rotator::new(fake.clone(), config(false), reqwest::Client::new(), metrics)
        .with_clock(Arc::new(FixedClock(now)));
    (rotator, captured)
}

/// A secret as right after `rotate-secret`: an old current version, and the
/// token staged AWSPENDING without a value.
fn fixture() -> Fake {
    let fake = Fake::default();
    fake.put(KEY_ID, "k1", Some(KEY_JSON), &[AWSCURRENT], false);
    fake.put(
        SECRET_ID,
        "old",
        Some("{\"placeholder\":true}"),
        &[AWSCURRENT],
        true,
    );
    fake.put(SECRET_ID, TOKEN, None, &[AWSPENDING], true);
    fake
}

fn event(step: &str) -> RotationEvent {
    testkit::event_as("usersig-refresher", step)
}

fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(10))
}

async fn run(rotator: &Rotator<Fake>, step: &str) -> Result<Outcome, RotationError> {
    rotator
        .handle(&event(step), deadline())
        .await
        .map(|r| r.outcome)
}

/// A UserSig secret as createSecret writes it under KEY_JSON, signed at
/// `issued` for 30 days, then changed by `edit`.
fn usersig_json(issued: u64, edit: impl FnOnce(&mut UserSigSecret)) -> String {
    let mut secret = UserSigSecret {
        sdkappid: 1_400_000_000,
        identifier: "administrator".into(),
        region: tim::Region::Singapore,
        usersig: Signer::new(1_400_000_000, SecretKey::new("the-key")).sign(
            "administrator",
            30 * 86_400,
            issued,
        ),
        issued_at: rfc3339(issued),
        expires_at: rfc3339(issued + 30 * 86_400),
    };
    edit(&mut secret);
    secret.to_json()
}

/// The four steps, in the order Secrets Manager runs them.
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
