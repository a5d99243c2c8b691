//! The rotation steps against moto_server with the real aws-sdk-secretsmanager.
//! LIVE_CHECK is off here; `rotation_live.rs` adds the emulator.

use crate::common;

use crate::common::{Fixture, KEY, SDKAPPID, STEPS, key_json};
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use usersig_refresher::{Outcome, RotationError};

#[tokio::test]
async fn four_steps_rotate_a_fresh_secret() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let old = f.value("AWSCURRENT").await.unwrap();
    let rotator = f.rotator(false, None);
    let mut outcomes = Vec::new();
    for step in STEPS {
        outcomes.push(f.run(&rotator, step).await.unwrap().outcome);
    }
    assert_eq!(
        outcomes,
        [
            Outcome::Created,
            Outcome::NothingToSet,
            Outcome::TestedLocally,
            Outcome::Finished
        ]
    );

    let stages = f.stages().await;
    assert_eq!(stages[&f.token], ["AWSCURRENT"]);
    assert_eq!(stages[&f.first_version], ["AWSPREVIOUS"]);
    assert_eq!(
        stages.len(),
        2,
        "AWSPENDING is left on no version: {stages:?}"
    );
    assert_eq!(f.value("AWSPREVIOUS").await.unwrap(), old);

    let current = UserSigSecret::from_json(&f.value("AWSCURRENT").await.unwrap()).unwrap();
    let now = common::now();
    let claims = Signer::new(SDKAPPID, SecretKey::new(KEY))
        .verify(current.usersig.expose_secret(), "administrator", now)
        .unwrap();
    assert_eq!(
        claims.expire,
        30 * 86_400,
        "USERSIG_VALIDITY_DAYS defaults to 30"
    );
    assert_eq!(current.expires_at_unix(), Some(claims.expires_at_unix()));
    assert!(claims.time.abs_diff(now) < 120);
    assert_eq!(current.region, tim::Region::Singapore);

    // The next rotation starts cleanly from this state.
    let next = f.start_rotation().await;
    assert_eq!(f.stages().await[&next], ["AWSPENDING"]);
}

#[tokio::test]
async fn replayed_steps_end_in_the_same_state() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let rotator = f.rotator(false, None);

    f.run(&rotator, "createSecret").await.unwrap();
    let pending = f.pending_value().await.unwrap();
    assert_eq!(
        f.run(&rotator, "createSecret").await.unwrap().outcome,
        Outcome::PendingExists
    );
    assert_eq!(
        f.pending_value().await.unwrap(),
        pending,
        "a replayed createSecret does not re-sign"
    );
    for step in ["setSecret", "setSecret", "testSecret", "testSecret"] {
        f.run(&rotator, step).await.unwrap();
    }
    assert_eq!(f.pending_value().await.unwrap(), pending);
    f.run(&rotator, "finishSecret").await.unwrap();
    let finished = f.state().await;
    assert_eq!(
        finished.1[0].as_deref(),
        Some(pending.as_str()),
        "AWSCURRENT holds the pending value"
    );

    assert_eq!(
        f.run(&rotator, "finishSecret").await.unwrap().outcome,
        Outcome::AlreadyCurrent
    );
    for step in STEPS {
        assert_eq!(
            f.run(&rotator, step).await.unwrap().outcome,
            Outcome::AlreadyCurrent,
            "{step}"
        );
    }
    assert_eq!(f.state().await, finished);
}

#[tokio::test]
async fn a_token_that_is_not_a_version_fails_and_changes_nothing() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let rotator = f.rotator(false, None);
    let before = f.state().await;
    let stranger = common::uuid();
    for step in STEPS {
        let event = f.event_with_token(step, &stranger);
        let err = rotator
            .handle(
                &event,
                tim::Deadline::after(std::time::Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, RotationError::UnknownVersion { .. }),
            "{step}: {err}"
        );
        assert_eq!(err.error_type(), "UnknownVersion");
        assert!(err.to_string().contains(&stranger) && err.to_string().contains(&f.secret_id));
    }
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn a_version_not_staged_pending_fails_and_changes_nothing() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let rotator = f.rotator(false, None);
    for step in STEPS {
        f.run(&rotator, step).await.unwrap();
    }
    // The next rotation is staged; the first version is now only AWSPREVIOUS.
    f.start_rotation().await;
    let before = f.state().await;
    assert_eq!(before.0[&f.first_version], ["AWSPREVIOUS"]);
    for step in STEPS {
        let event = f.event_with_token(step, &f.first_version);
        let err = rotator
            .handle(
                &event,
                tim::Deadline::after(std::time::Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "VersionNotPending", "{step}: {err}");
    }
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn rotation_disabled_fails_and_changes_nothing() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), false).await;
    // A pending version staged by hand, on a secret with rotation off.
    let token = common::uuid();
    f.sm.put_secret_value()
        .secret_id(&f.secret_id)
        .client_request_token(&token)
        .secret_string(common::usersig_json(KEY, common::now(), 30 * 86_400))
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();
    let describe =
        f.sm.describe_secret()
            .secret_id(&f.secret_id)
            .send()
            .await
            .unwrap();
    assert_ne!(describe.rotation_enabled(), Some(true));
    let rotator = f.rotator(false, None);
    let before = f.state().await;
    for step in STEPS {
        let err = rotator
            .handle(
                &f.event_with_token(step, &token),
                tim::Deadline::after(std::time::Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "RotationNotEnabled", "{step}: {err}");
    }
    assert_eq!(f.state().await, before);
}

#[tokio::test]
async fn missing_key_secret_fails_clearly_and_stores_nothing() {
    let f = Fixture::new(None, true).await;
    let rotator = f.rotator(false, None);
    let err = f.run(&rotator, "createSecret").await.unwrap_err();
    assert_eq!(err.error_type(), "KeySecretUnusable");
    let message = err.to_string();
    assert!(
        message.contains(&f.key_id) && message.contains("put-secret-value"),
        "{message}"
    );
    assert_eq!(f.pending_value().await, None);
}

#[tokio::test]
async fn malformed_key_secret_names_the_field_never_the_value() {
    for (value, field) in [
        (
            r#"{"sdkappid":1400000000,"identifier":"administrator","region":"singapore","kee":"SECRET-KEY"}"#,
            "`key`",
        ),
        (
            r#"{"sdkappid":"SECRET-KEY","identifier":"administrator","key":"k","region":"singapore"}"#,
            "`sdkappid`",
        ),
        ("SECRET-KEY not json", "not valid JSON"),
    ] {
        let f = Fixture::new(Some(value), true).await;
        let err = f
            .run(&f.rotator(false, None), "createSecret")
            .await
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(err.error_type(), "KeySecretUnusable");
        assert!(
            message.contains(&f.key_id) && message.contains(field),
            "{message}"
        );
        assert!(!message.contains("SECRET-KEY"), "{message}");
        assert_eq!(f.pending_value().await, None);
    }
}

#[tokio::test]
async fn a_pending_usersig_from_another_key_fails_the_test_is_removed_and_current_stays() {
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let before_current = f.value("AWSCURRENT").await;
    // createSecret ran with a different key secret value (operator error).
    let wrong = f.rotator(false, None);
    f.sm.put_secret_value()
        .secret_id(&f.key_id)
        .secret_string(key_json(SDKAPPID, "another-key"))
        .send()
        .await
        .unwrap();
    f.run(&wrong, "createSecret").await.unwrap();
    f.sm.put_secret_value()
        .secret_id(&f.key_id)
        .secret_string(key_json(SDKAPPID, KEY))
        .send()
        .await
        .unwrap();

    let err = f.run(&wrong, "testSecret").await.unwrap_err();
    assert!(
        matches!(
            &err,
            RotationError::StalePendingRemoved { fault, .. } if fault.reason() == "signature"
        ),
        "{err}"
    );
    assert_eq!(err.error_type(), "StalePendingRemoved");
    assert_eq!(f.value("AWSCURRENT").await, before_current);
    // Taken off AWSPENDING: the next rotation starts fresh.
    let stages = f.stages().await;
    assert_eq!(stages.get(&f.token), None, "{stages:?}");
    assert_eq!(f.value("AWSPENDING").await, None);
}

#[tokio::test]
async fn a_token_already_used_with_another_value_is_reported_as_version_exists() {
    use usersig_refresher::SecretStore;
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), false).await;
    // The first version holds another value: AWS (and moto) answer
    // ResourceExistsException, which the store reports by type.
    let err =
        f.sm.put_pending(&f.secret_id, &f.first_version, "another value", None)
            .await
            .unwrap_err();
    assert!(err.version_exists(), "{err}");
    // Any other refusal is not a version conflict.
    let err =
        f.sm.put_pending("no-such-secret", &common::uuid(), "value", None)
            .await
            .unwrap_err();
    assert!(!err.version_exists(), "{err}");
    assert!(err.is_not_found(), "{err}");
}
