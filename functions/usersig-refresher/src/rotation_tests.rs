//! The steps over an in-memory Secrets Manager (no network; the live check
//! is off). The same behaviour is tested against moto_server in `tests/`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tim::secrets::{FailureKind, SecretsManagerFailure};
use tim::usersig::{FixedClock, SecretKey};

use super::*;
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
        })
    }

    async fn get_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<String, StoreError> {
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
        self.rotation_tokens
            .lock()
            .unwrap()
            .push(rotation_token.map(str::to_owned));
        if let Some(theirs) = self.concurrent_create.lock().unwrap().take() {
            self.put(secret_id, token, Some(&theirs), &[AWSPENDING], false);
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

fn config(live_check: bool) -> Config {
    Config {
        key_secret_id: KEY_ID.into(),
        usersig_validity_secs: 30 * 86_400,
        min_validity_secs: 24 * 3_600,
        live_check,
        client: tim::ClientConfig::default(),
    }
}

fn rotator_at(fake: &Fake, now: u64) -> Rotator<Fake> {
    Rotator::new(fake.clone(), config(false), reqwest::Client::new())
        .with_clock(Arc::new(FixedClock(now)))
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
async fn test_step_rejects_a_foreign_or_short_lived_usersig() {
    let fake = fixture();
    let rotator = rotator_at(&fake, NOW);
    let forged = UserSigSecret {
        sdkappid: 1_400_000_000,
        identifier: "administrator".into(),
        region: tim::Region::Singapore,
        usersig: Signer::new(1_400_000_000, SecretKey::new("another-key")).sign(
            "administrator",
            86_400 * 30,
            NOW,
        ),
        issued_at: rfc3339(NOW),
        expires_at: rfc3339(NOW + 86_400 * 30),
    };
    fake.put(
        SECRET_ID,
        TOKEN,
        Some(&forged.to_json()),
        &[AWSPENDING],
        true,
    );
    let err = run(&rotator, "testSecret").await.unwrap_err();
    assert!(
        matches!(
            err,
            RotationError::PendingInvalid {
                reason: "signature",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains(forged.usersig.expose_secret()));

    // Valid, but 23 h from expiry against a 24 h minimum.
    let fake = fixture();
    run(&rotator_at(&fake, NOW), "createSecret").await.unwrap();
    let late = rotator_at(&fake, NOW + 30 * 86_400 - 23 * 3_600);
    let err = run(&late, "testSecret").await.unwrap_err();
    assert!(
        matches!(
            err,
            RotationError::PendingTooShort {
                hours_left: 23,
                minimum_hours: 24,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        fake.snapshot(SECRET_ID)["old"]
            .1
            .contains(&AWSCURRENT.to_owned())
    );
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
    *fake.concurrent_create.lock().unwrap() = Some("{\"theirs\":true}".into());
    let outcome = run(&rotator_at(&fake, NOW), "createSecret").await.unwrap();
    assert_eq!(outcome, Outcome::PendingExists);
    assert_eq!(
        fake.snapshot(SECRET_ID)[TOKEN],
        (
            Some("{\"theirs\":true}".to_owned()),
            vec![AWSPENDING.to_owned()]
        )
    );
}
