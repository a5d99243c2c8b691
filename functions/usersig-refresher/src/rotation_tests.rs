//! The steps over an in-memory Secrets Manager (no network; the live check
//! is off). The same behaviour is tested against moto_server in `tests/`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_kit::metrics::Captured;
use tim::secrets::{FailureKind, SecretsManagerFailure};
use tim::usersig::{FixedClock, SecretKey};

use super::*;
use crate::pending::PendingFault;
use crate::store::AWSPREVIOUS;

const KEY_ID: &str = "tencent-chat/key";
const SECRET_ID: &str = "tencent-chat/usersig";
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

fn not_found(operation: &'static str) -> StoreError {
    StoreError::new(
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
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, StoreError> {
        self.record("DescribeSecret", secret_id);
        let secret_id = name_of(secret_id);
        if let Some(kind) = *self.fail_describe.lock().unwrap() {
            return Err(StoreError::new(
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
    ) -> Result<String, StoreError> {
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
    ) -> Result<(), StoreError> {
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
                return Err(StoreError {
                    version_exists: true,
                    ..StoreError::new(
                        "PutSecretValue",
                        SecretsManagerFailure {
                            kind: FailureKind::Configuration,
                            code: Some("ResourceExistsException".into()),
                            message: "version exists with another value".into(),
                        },
                    )
                });
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
    ) -> Result<(), StoreError> {
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

/// `TIM_ROTATION_TARGETS` of the single-app tests.
fn targets(text: &str) -> crate::targets::RotationTargets {
    crate::targets::RotationTargets::parse(text).unwrap()
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

#[tokio::test]
async fn four_steps_rotate_and_pass_the_rotation_token() {
    let fake = fixture();
    let rotator = rotator_at(&fake, NOW);
    let mut create = event("createSecret");
    create.rotation_token = Some("rotation-token-1".into());
    assert_eq!(
        rotator.handle(&create, deadline()).await.unwrap().outcome,
        Outcome::Created
    );
    assert_eq!(
        *fake.rotation_tokens.lock().unwrap(),
        vec![Some("rotation-token-1".to_owned())]
    );
    assert_eq!(
        run(&rotator, "setSecret").await.unwrap(),
        Outcome::NothingToSet
    );
    assert_eq!(
        run(&rotator, "testSecret").await.unwrap(),
        Outcome::TestedLocally
    );
    assert_eq!(
        run(&rotator, "finishSecret").await.unwrap(),
        Outcome::Finished
    );

    let state = fake.snapshot(SECRET_ID);
    assert_eq!(state[TOKEN].1, vec![AWSCURRENT.to_owned()]);
    assert_eq!(state["old"].1, vec![AWSPREVIOUS.to_owned()]);
    let current = UserSigSecret::from_json(&fake.current_value(SECRET_ID).unwrap()).unwrap();
    assert_eq!(
        (current.sdkappid, current.identifier.as_str()),
        (1_400_000_000, "administrator")
    );
    assert_eq!(current.issued_at, "2026-09-21T14:13:20Z");
    assert_eq!(current.expires_at_unix(), Some(NOW + 30 * 86_400));
    let claims = Signer::new(1_400_000_000, SecretKey::new("the-key"))
        .verify(current.usersig.expose_secret(), "administrator", NOW)
        .unwrap();
    assert_eq!(claims.expire, 30 * 86_400);
}

#[tokio::test]
async fn replays_change_nothing() {
    let fake = fixture();
    let rotator = rotator_at(&fake, NOW);
    for step in [
        "createSecret",
        "createSecret",
        "setSecret",
        "setSecret",
        "testSecret",
        "testSecret",
    ] {
        run(&rotator, step).await.unwrap();
    }
    let pending = fake.snapshot(SECRET_ID);
    // A later createSecret (another clock) must not re-sign.
    assert_eq!(
        run(&rotator_at(&fake, NOW + 60), "createSecret")
            .await
            .unwrap(),
        Outcome::PendingExists
    );
    assert_eq!(fake.snapshot(SECRET_ID), pending);
    run(&rotator, "finishSecret").await.unwrap();
    let finished = fake.snapshot(SECRET_ID);
    for step in [
        "finishSecret",
        "createSecret",
        "setSecret",
        "testSecret",
        "finishSecret",
    ] {
        assert_eq!(
            run(&rotator, step).await.unwrap(),
            Outcome::AlreadyCurrent,
            "{step}"
        );
    }
    assert_eq!(fake.snapshot(SECRET_ID), finished);
}

#[tokio::test]
async fn finish_completes_an_interrupted_finish() {
    let fake = fixture();
    let rotator = rotator_at(&fake, NOW);
    run(&rotator, "createSecret").await.unwrap();
    // AWSCURRENT moved, AWSPENDING still on the token (crash in between).
    fake.update_stage(SECRET_ID, AWSCURRENT, Some(TOKEN), Some("old"))
        .await
        .unwrap();
    assert_eq!(
        run(&rotator, "finishSecret").await.unwrap(),
        Outcome::AlreadyCurrent
    );
    assert_eq!(
        fake.snapshot(SECRET_ID)[TOKEN].1,
        vec![AWSCURRENT.to_owned()]
    );
}

#[tokio::test]
async fn precondition_failures_change_nothing() {
    let fake = fixture();
    let rotator = rotator_at(&fake, NOW);
    let before = fake.snapshot(SECRET_ID);

    let mut unknown = event("createSecret");
    unknown.client_request_token = "00000000-0000-4000-8000-000000000000".into();
    let err = rotator.handle(&unknown, deadline()).await.unwrap_err();
    assert_eq!(err.error_type(), "UnknownVersion");

    let mut previous = event("finishSecret");
    previous.client_request_token = "old".into();
    fake.update_stage(SECRET_ID, AWSCURRENT, None, Some("old"))
        .await
        .unwrap();
    fake.update_stage(SECRET_ID, AWSPREVIOUS, Some("old"), None)
        .await
        .unwrap();
    let err = rotator.handle(&previous, deadline()).await.unwrap_err();
    assert!(matches!(err, RotationError::NotPending { .. }), "{err}");
    fake.update_stage(SECRET_ID, AWSPREVIOUS, None, Some("old"))
        .await
        .unwrap();
    fake.update_stage(SECRET_ID, AWSCURRENT, Some("old"), None)
        .await
        .unwrap();

    let mut bad_step = event("createSecret");
    bad_step.step = "rotateSecret".into();
    assert_eq!(
        rotator
            .handle(&bad_step, deadline())
            .await
            .unwrap_err()
            .error_type(),
        "UnknownStep"
    );

    fake.secrets
        .lock()
        .unwrap()
        .get_mut(SECRET_ID)
        .unwrap()
        .rotation_enabled = false;
    let err = run(&rotator, "createSecret").await.unwrap_err();
    assert_eq!(err.error_type(), "RotationNotEnabled");
    assert!(!err.is_retryable());
    assert_eq!(fake.snapshot(SECRET_ID), before);
}

#[tokio::test]
async fn throttling_is_retryable() {
    let fake = fixture();
    *fake.fail_describe.lock().unwrap() = Some(FailureKind::Transient);
    let err = run(&rotator_at(&fake, NOW), "createSecret")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "SecretsManagerUnavailable");
    assert!(err.is_retryable());
    assert!(err.to_string().contains(SECRET_ID), "{err}");
}

#[tokio::test]
async fn key_secret_problems_name_the_secret_and_field_but_not_the_key() {
    let fake = fixture();
    fake.put(KEY_ID, "k2", Some(r#"{"sdkappid":1400000000,"identifier":"administrator","kee":"the-key","region":"singapore"}"#), &[AWSCURRENT], false);
    let err = run(&rotator_at(&fake, NOW), "createSecret")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert_eq!(err.error_type(), "KeySecretUnusable");
    assert!(
        message.contains(KEY_ID) && message.contains("`key` is missing"),
        "{message}"
    );
    assert!(!message.contains("the-key"));
    assert!(
        fake.get_value(SECRET_ID, Some(TOKEN), AWSPENDING)
            .await
            .is_err(),
        "nothing stored"
    );
}

#[tokio::test]
async fn a_concurrent_create_that_stored_first_wins_quietly() {
    let fake = fixture();
    // Signed a second earlier by the other invocation, under the same key.
    let theirs = usersig_json(NOW - 1, |_| {});
    *fake.concurrent_create.lock().unwrap() = Some(theirs.clone());
    let outcome = run(&rotator_at(&fake, NOW), "createSecret").await.unwrap();
    assert_eq!(outcome, Outcome::PendingExists);
    assert_eq!(
        fake.snapshot(SECRET_ID)[TOKEN],
        (Some(theirs), vec![AWSPENDING.to_owned()])
    );
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

/// Pending values that can never pass under KEY_JSON, and the reason each
/// is reported with; `late` runs the step 23 h before the UserSig expires.
fn stale_values() -> Vec<(&'static str, String, bool)> {
    vec![
        (
            "sdkappid",
            usersig_json(NOW, |s| s.sdkappid = 1_400_000_001),
            false,
        ),
        (
            "identifier",
            usersig_json(NOW, |s| s.identifier = "someone-else".into()),
            false,
        ),
        (
            "region",
            usersig_json(NOW, |s| s.region = tim::Region::Tokyo),
            false,
        ),
        (
            "signature",
            usersig_json(NOW, |s| {
                s.usersig = Signer::new(1_400_000_000, SecretKey::new("another-key")).sign(
                    "administrator",
                    30 * 86_400,
                    NOW,
                )
            }),
            false,
        ),
        (
            "expires_at",
            usersig_json(NOW, |s| s.expires_at = rfc3339(NOW + 60 * 86_400)),
            false,
        ),
        ("too_short", usersig_json(NOW, |_| {}), true),
        (
            "malformed",
            "{\"not\":\"a UserSig secret\"}".to_owned(),
            false,
        ),
    ]
}

#[tokio::test]
async fn a_stale_pending_value_is_taken_off_awspending_by_create_and_test() {
    for (reason, value, late) in stale_values() {
        for step in ["createSecret", "testSecret"] {
            let fake = fixture();
            fake.put(SECRET_ID, TOKEN, Some(&value), &[AWSPENDING], true);
            let now = if late {
                NOW + 30 * 86_400 - 23 * 3_600
            } else {
                NOW
            };
            let rotator = rotator_at(&fake, now);
            let err = run(&rotator, step).await.unwrap_err();
            let RotationError::StalePendingRemoved {
                step: failed,
                fault,
                token,
                ..
            } = &err
            else {
                panic!("{reason}, {step}: {err}");
            };
            assert_eq!(
                (failed.name(), fault.reason(), token.as_str()),
                (step, reason, TOKEN),
                "{err}"
            );
            assert_eq!(err.error_type(), "StalePendingRemoved");
            assert!(!err.is_retryable());
            let message = err.to_string();
            assert!(
                message.contains("next rotation starts fresh") && message.contains(SECRET_ID),
                "{message}"
            );
            assert!(!message.contains("the-key"), "{message}");
            if let Ok(pending) = UserSigSecret::from_json(&value) {
                assert!(!message.contains(pending.usersig.expose_secret()));
                assert!(!format!("{err:?}").contains(pending.usersig.expose_secret()));
            }
            if late {
                assert_eq!(
                    *fault,
                    PendingFault::TooShort {
                        hours_left: 23,
                        minimum_hours: 24
                    }
                );
            }

            let state = fake.snapshot(SECRET_ID);
            assert_eq!(
                state[TOKEN],
                (Some(value.clone()), vec![]),
                "{reason}, {step}"
            );
            assert_eq!(state["old"].1, vec![AWSCURRENT.to_owned()]);
            // Secrets Manager replays the same token: it fails, and nothing
            // is staged again (a new token will come).
            for replay in STEPS {
                let err = run(&rotator, replay).await.unwrap_err();
                assert_eq!(err.error_type(), "VersionNotPending", "{replay}: {err}");
            }
            assert_eq!(fake.snapshot(SECRET_ID), state);
        }
    }
}

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

#[tokio::test]
async fn a_still_valid_pending_value_is_kept_by_a_replayed_create() {
    let fake = fixture();
    let value = usersig_json(NOW - 3_600, |_| {});
    fake.put(SECRET_ID, TOKEN, Some(&value), &[AWSPENDING], true);
    assert_eq!(
        run(&rotator_at(&fake, NOW), "createSecret").await.unwrap(),
        Outcome::PendingExists
    );
    assert_eq!(
        fake.snapshot(SECRET_ID)[TOKEN],
        (Some(value), vec![AWSPENDING.to_owned()])
    );
}

#[tokio::test]
async fn a_version_taken_off_awspending_during_create_is_not_staged_again() {
    let fake = fixture();
    // Another invocation stored a value, a third took AWSPENDING off it;
    // PutSecretValue then refuses (ResourceExists).
    let theirs = usersig_json(NOW - 1, |_| {});
    *fake.stripped_before_put.lock().unwrap() = Some(theirs.clone());
    let err = run(&rotator_at(&fake, NOW), "createSecret")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "VersionNotPending", "{err}");
    let state = fake.snapshot(SECRET_ID);
    assert_eq!(state[TOKEN], (Some(theirs), vec![]));
    assert_eq!(state["old"].1, vec![AWSCURRENT.to_owned()]);
}

#[tokio::test]
async fn after_a_stale_pending_is_removed_a_new_token_rotates() {
    let fake = fixture();
    let wrong = usersig_json(NOW, |s| {
        s.usersig = Signer::new(1_400_000_000, SecretKey::new("another-key")).sign(
            "administrator",
            30 * 86_400,
            NOW,
        )
    });
    fake.put(SECRET_ID, TOKEN, Some(&wrong), &[AWSPENDING], true);
    let rotator = rotator_at(&fake, NOW);
    run(&rotator, "testSecret").await.unwrap_err();
    assert!(
        fake.describe(SECRET_ID)
            .await
            .unwrap()
            .versions_with(AWSPENDING)
            .is_empty()
    );
    let next = "7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
    fake.put(SECRET_ID, next, None, &[AWSPENDING], true);
    for step in STEPS {
        let mut e = event(step);
        e.client_request_token = next.into();
        rotator.handle(&e, deadline()).await.unwrap();
    }
    let state = fake.snapshot(SECRET_ID);
    assert_eq!(state[next].1, vec![AWSCURRENT.to_owned()]);
    assert_eq!(state["old"].1, vec![AWSPREVIOUS.to_owned()]);
    assert_eq!(state[TOKEN].1, Vec::<String>::new());
}

/// The key secret as on a fresh stack: it exists without a value.
fn fresh_stack(pending: Option<&str>) -> Fake {
    let fake = fixture();
    fake.put(KEY_ID, "k1", None, &[AWSCURRENT], false);
    fake.put(SECRET_ID, TOKEN, pending, &[AWSPENDING], true);
    fake
}

#[tokio::test]
async fn the_configuration_test_on_a_fresh_stack_passes_for_each_shape() {
    let current = fixture().current_value(SECRET_ID).unwrap();
    for (shape, pending) in [
        ("no value", None),
        ("placeholder", Some("{\"placeholder\":true}")),
        ("not JSON", Some("placeholder")),
        ("copy of AWSCURRENT", Some(current.as_str())),
    ] {
        let fake = fresh_stack(pending);
        let before = fake.snapshot(SECRET_ID);
        let (rotator, metrics) = rotator_with_metrics(&fake, NOW);
        assert_eq!(
            run(&rotator, "testSecret").await.unwrap(),
            Outcome::ConfigurationTest,
            "{shape}"
        );
        assert_eq!(fake.snapshot(SECRET_ID), before, "{shape}: nothing changed");
        assert!(metrics.take().is_empty(), "{shape}: no metric");
    }

    // The same with a real UserSig copied from AWSCURRENT.
    let fake = fresh_stack(None);
    let real = usersig_json(NOW - 86_400, |_| {});
    fake.put(SECRET_ID, "old", Some(&real), &[AWSCURRENT], true);
    fake.put(SECRET_ID, TOKEN, Some(&real), &[AWSPENDING], true);
    assert_eq!(
        run(&rotator_at(&fake, NOW), "testSecret").await.unwrap(),
        Outcome::ConfigurationTest
    );
}

#[tokio::test]
async fn the_configuration_test_shapes_are_tested_once_the_key_is_set() {
    // A UserSig this function could have written, with the key unset: not
    // a configuration test (a real rotation whose key secret vanished).
    let fake = fresh_stack(Some(&usersig_json(NOW, |_| {})));
    let err = run(&rotator_at(&fake, NOW), "testSecret")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "KeySecretUnusable", "{err}");
    assert!(err.to_string().contains("put-secret-value"), "{err}");

    // Key set (a schedule update on a running stack also runs the
    // configuration test): no value, or AWSCURRENT's own value, is not a
    // rotation's UserSig and passes untouched, even a current UserSig with
    // less than MIN_VALIDITY_HOURS left.
    let fake = fixture();
    let before = fake.snapshot(SECRET_ID);
    let outcome = run(&rotator_at(&fake, NOW), "testSecret").await.unwrap();
    assert_eq!(outcome, Outcome::ConfigurationTest);
    assert_eq!(fake.snapshot(SECRET_ID), before);
    let aging = usersig_json(NOW - 29 * 86_400 - 12 * 3_600, |_| {});
    fake.put(SECRET_ID, "old", Some(&aging), &[AWSCURRENT], true);
    fake.put(SECRET_ID, TOKEN, Some(&aging), &[AWSPENDING], true);
    let before = fake.snapshot(SECRET_ID);
    let outcome = run(&rotator_at(&fake, NOW), "testSecret").await.unwrap();
    assert_eq!(outcome, Outcome::ConfigurationTest);
    assert_eq!(fake.snapshot(SECRET_ID), before);

    // Anything else is tested: a placeholder other than AWSCURRENT's is stale.
    fake.put(
        SECRET_ID,
        TOKEN,
        Some("{\"placeholder\":\"other\"}"),
        &[AWSPENDING],
        true,
    );
    let err = run(&rotator_at(&fake, NOW), "testSecret")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "StalePendingRemoved", "{err}");
}

#[tokio::test]
async fn finish_never_makes_a_non_usersig_current() {
    for pending in [None, Some("{\"placeholder\":true}")] {
        let fake = fixture();
        fake.put(SECRET_ID, TOKEN, pending, &[AWSPENDING], true);
        let before = fake.snapshot(SECRET_ID);
        let err = run(&rotator_at(&fake, NOW), "finishSecret")
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "PendingVersionUnusable", "{err}");
        assert_eq!(fake.snapshot(SECRET_ID), before);
    }
}

#[tokio::test]
async fn test_and_finish_report_usersig_hours_left() {
    let fake = fixture();
    let (rotator, metrics) = rotator_with_metrics(&fake, NOW + 3_600);
    run(&rotator_at(&fake, NOW), "createSecret").await.unwrap();
    run(&rotator, "setSecret").await.unwrap();
    assert!(metrics.take().is_empty(), "nothing before testSecret");
    run(&rotator, "testSecret").await.unwrap();
    run(&rotator, "finishSecret").await.unwrap();
    // Replays report nothing more.
    run(&rotator, "finishSecret").await.unwrap();
    run(&rotator, "testSecret").await.unwrap();
    let output = metrics.take().join("\n");
    let docs = testkit::emf::check_output(&output, "usersig-refresher", NAMESPACE);
    let hours: Vec<(f64, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["UserSigHoursLeft"].as_f64().unwrap(),
                d["SDKAppID"].as_str().unwrap(),
            )
        })
        .collect();
    // Signed at NOW for 30 days, reported an hour later.
    assert_eq!(
        hours,
        [(719.0, "1400000000"), (719.0, "1400000000")],
        "{output}"
    );
}

// Several apps: each UserSig secret's key secret from TIM_ROTATION_TARGETS.

/// The tag that chose the key secret before `TIM_ROTATION_TARGETS`: an
/// attacker can set it, so it now chooses nothing.
const KEY_SECRET_TAG: &str = "tim:key-secret";

const APP_B: u64 = 1_400_000_002;
const KEY_B_ID: &str = "tencent-chat/app-b/key";
const SECRET_B_ID: &str = "tencent-chat/app-b/usersig";
const TOKEN_B: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn key_b_json() -> String {
    format!(
        r#"{{"sdkappid":{APP_B},"identifier":"administrator","key":"key-of-b","region":"singapore"}}"#
    )
}

/// Both apps served: `TIM_ROTATION_TARGETS` pairs each with its key.
fn both_apps() -> String {
    format!("{SECRET_ID}={KEY_ID},{SECRET_B_ID}={KEY_B_ID}")
}

/// A rotator serving exactly `targets`.
fn rotator_for(fake: &Fake, targets_env: &str) -> Rotator<Fake> {
    rotator_with_clock(fake, targets_env, Arc::new(FixedClock(NOW)))
}

fn rotator_with_clock(fake: &Fake, targets_env: &str, clock: Arc<dyn Clock>) -> Rotator<Fake> {
    let config = Config {
        targets: targets(targets_env),
        ..config(false)
    };
    Rotator::new(
        fake.clone(),
        config,
        reqwest::Client::new(),
        Metrics::capture(NAMESPACE).0,
    )
    .with_clock(clock)
}

/// A clock the test moves.
struct Moving(std::sync::atomic::AtomicU64);

impl Clock for Moving {
    fn now_unix(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `fixture()`'s app plus app B, both mid-rotation, both tagged (the tags
/// the stack used to set) with a key secret that does not exist: the
/// mapping alone chooses the key.
fn two_apps() -> Fake {
    let fake = fixture();
    fake.tag(SECRET_ID, KEY_SECRET_TAG, "no-such-key-secret");
    fake.put(KEY_B_ID, "kb1", Some(&key_b_json()), &[AWSCURRENT], false);
    fake.put(
        SECRET_B_ID,
        "old-b",
        Some("{\"placeholder\":true}"),
        &[AWSCURRENT],
        true,
    );
    fake.put(SECRET_B_ID, TOKEN_B, None, &[AWSPENDING], true);
    fake.tag(SECRET_B_ID, KEY_SECRET_TAG, KEY_ID);
    fake
}

fn event_for(step: &str, secret_id: &str, token: &str) -> RotationEvent {
    let mut e = event(step);
    e.secret_id = secret_id.into();
    e.client_request_token = token.into();
    e
}

fn current_usersig(fake: &Fake, secret_id: &str) -> UserSigSecret {
    UserSigSecret::from_json(&fake.current_value(secret_id).unwrap()).unwrap()
}

#[tokio::test]
async fn two_mapped_secrets_rotate_each_with_its_mapped_key_read_once_a_version() {
    let fake = two_apps();
    let clock = Arc::new(Moving(NOW.into()));
    // B's tag names A's key secret, A's one that does not exist: the
    // mapping wins.
    let rotator = rotator_with_clock(&fake, &both_apps(), clock.clone());
    for step in STEPS {
        for (secret_id, token) in [(SECRET_ID, TOKEN), (SECRET_B_ID, TOKEN_B)] {
            rotator
                .handle(&event_for(step, secret_id, token), deadline())
                .await
                .unwrap_or_else(|e| panic!("{step} {secret_id}: {e}"));
        }
    }
    for (secret_id, app, key) in [
        (SECRET_ID, 1_400_000_000, "the-key"),
        (SECRET_B_ID, APP_B, "key-of-b"),
    ] {
        let current = current_usersig(&fake, secret_id);
        assert_eq!(current.sdkappid, app, "{secret_id}");
        Signer::new(app, SecretKey::new(key))
            .verify(current.usersig.expose_secret(), "administrator", NOW)
            .unwrap_or_else(|e| panic!("{secret_id}: {e}"));
    }
    // createSecret and testSecret each needed the key: one read per key.
    assert_eq!(
        (
            fake.reads_of(KEY_ID),
            fake.reads_of(KEY_B_ID),
            fake.reads_of("no-such-key-secret")
        ),
        (1, 1, 0)
    );

    // The next rotation of B with the key unchanged reads nothing more; a
    // new key version is read at once.
    let next = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    clock
        .0
        .store(NOW + 7 * 86_400, std::sync::atomic::Ordering::SeqCst);
    fake.put(SECRET_B_ID, next, None, &[AWSPENDING], true);
    rotator
        .handle(&event_for("createSecret", SECRET_B_ID, next), deadline())
        .await
        .unwrap();
    assert_eq!(fake.reads_of(KEY_B_ID), 1);
    let changed = key_b_json().replace("key-of-b", "new-key-of-b");
    fake.put(KEY_B_ID, "kb2", Some(&changed), &[AWSCURRENT], false);
    let err = rotator
        .handle(&event_for("testSecret", SECRET_B_ID, next), deadline())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "StalePendingRemoved", "{err}");
    assert_eq!(fake.reads_of(KEY_B_ID), 2);
}

const EVIL_ID: &str = "tencent-chat/evil/usersig";

/// The attack of issue 18 §1: a secret of the attacker's making, tagged with
/// app A's key secret and SDKAppID, holding no UserSig (so the cross-app
/// check would pass), rotation started; in `state` the token is AWSPENDING,
/// or AWSPENDING and AWSCURRENT (an "interrupted finish" a finishSecret
/// would complete by writing).
fn with_evil_secret(interrupted_finish: bool) -> Fake {
    let fake = two_apps();
    fake.put(EVIL_ID, "evil-old", Some("{}"), &[AWSCURRENT], true);
    let stages: &[&str] = if interrupted_finish {
        &[AWSPENDING, AWSCURRENT]
    } else {
        &[AWSPENDING]
    };
    fake.put(EVIL_ID, TOKEN, None, stages, true);
    fake.tag(EVIL_ID, KEY_SECRET_TAG, KEY_ID);
    fake.tag(EVIL_ID, "tim:sdkappid", "1400000000");
    fake
}

#[tokio::test]
async fn an_unserved_secret_is_refused_at_every_step_before_any_read_or_write() {
    // The event names the secret by ARN (what Secrets Manager sends) or by
    // name; the targets name the served secrets by name or by ARN.
    let by_arn = format!(
        "{}={KEY_ID},{}={KEY_B_ID}",
        arn_of(SECRET_ID),
        arn_of(SECRET_B_ID)
    );
    for targets_env in [both_apps(), by_arn] {
        for event_id in [arn_of(EVIL_ID), EVIL_ID.to_owned()] {
            for interrupted_finish in [false, true] {
                let fake = with_evil_secret(interrupted_finish);
                let before = fake.snapshot(EVIL_ID);
                let rotator = rotator_for(&fake, &targets_env);
                for step in STEPS {
                    let case = format!("{targets_env} / {event_id} / {step}");
                    let err = rotator
                        .handle(&event_for(step, &event_id, TOKEN), deadline())
                        .await
                        .unwrap_err();
                    assert_eq!(err.error_type(), "SecretNotServed", "{case}: {err}");
                    assert!(!err.is_retryable(), "{case}");
                    let message = err.to_string();
                    assert!(
                        message.contains(&event_id)
                            && message.contains("TIM_ROTATION_TARGETS")
                            && message.contains(step),
                        "{case}: {message}"
                    );
                }
                // An ARN no entry can be is refused without a call; a name
                // is only described (to learn its ARN and name).
                let expected: Vec<String> = if event_id.starts_with("arn:") {
                    vec![]
                } else {
                    vec![format!("DescribeSecret {EVIL_ID}"); 4]
                };
                assert_eq!(fake.calls(), expected, "{targets_env} / {event_id}");
                assert_eq!(fake.reads_of(KEY_ID), 0, "no key read");
                assert!(fake.rotation_tokens.lock().unwrap().is_empty(), "no put");
                assert_eq!(fake.snapshot(EVIL_ID), before, "nothing written");
            }
        }
    }
}

#[tokio::test]
async fn served_secrets_rotate_whether_event_and_targets_use_names_or_arns() {
    for (targets_env, event_id) in [
        (format!("{}={KEY_ID}", arn_of(SECRET_ID)), arn_of(SECRET_ID)),
        (
            format!("{}={KEY_ID}", arn_of(SECRET_ID)),
            SECRET_ID.to_owned(),
        ),
        (format!("{SECRET_ID}={}", arn_of(KEY_ID)), arn_of(SECRET_ID)),
        (format!("{SECRET_ID}={KEY_ID}"), SECRET_ID.to_owned()),
    ] {
        let fake = fixture();
        let rotator = rotator_for(&fake, &targets_env);
        for step in STEPS {
            rotator
                .handle(&event_for(step, &event_id, TOKEN), deadline())
                .await
                .unwrap_or_else(|e| panic!("{targets_env} / {event_id} / {step}: {e}"));
        }
        assert_eq!(
            fake.snapshot(SECRET_ID)[TOKEN].1,
            vec![AWSCURRENT.to_owned()],
            "{targets_env} / {event_id}"
        );
        assert_eq!(current_usersig(&fake, SECRET_ID).sdkappid, 1_400_000_000);
    }
}

#[tokio::test]
async fn a_key_secret_of_another_app_never_signs_a_secret_holding_this_apps_usersig() {
    let fake = two_apps();
    // App 1400000000's secret holds its UserSig, but its pair names B's key.
    fake.put(
        SECRET_ID,
        "old",
        Some(&usersig_json(NOW - 86_400, |_| {})),
        &[AWSCURRENT],
        true,
    );
    let before = fake.snapshot(SECRET_ID);
    let misconfigured = format!("{SECRET_ID}={KEY_B_ID}");
    let err = run(&rotator_for(&fake, &misconfigured), "createSecret")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "KeySecretForAnotherApp", "{err}");
    assert!(!err.is_retryable());
    let message = err.to_string();
    for part in [KEY_B_ID, SECRET_ID, "1400000002", "1400000000"] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(!message.contains("key-of-b"), "{message}");
    assert_eq!(fake.snapshot(SECRET_ID), before, "nothing stored");
}
