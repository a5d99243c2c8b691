//! testSecret's live check against the Tencent emulator (and moto_server).

use crate::common;

use crate::common::{Fixture, KEY, SDKAPPID, STEPS, key_json};
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};
use usersig_refresher::{Outcome, RotationError};

const GET_APP_INFO: &str = "openconfigsvr/getappinfo";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_app(SDKAPPID, KEY))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_full_rotation_makes_one_cheap_call_to_tencent() {
    let emu = emulator().await;
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let rotator = f.rotator(true, Some(&emu.base_url()));
    let mut outcomes = Vec::new();
    for step in STEPS {
        outcomes.push(f.run(&rotator, step).await.unwrap().outcome);
    }
    assert_eq!(
        outcomes,
        [
            Outcome::Created,
            Outcome::NothingToSet,
            Outcome::Tested,
            Outcome::Finished
        ]
    );
    let stats = emu.stats();
    assert_eq!(stats.requests, 1);
    assert_eq!(stats.per_command.get(GET_APP_INFO), Some(&1));
    assert_eq!(f.stages().await[&f.token], ["AWSCURRENT"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_key_of_another_sdkappid_fails_the_test_and_current_stays() {
    // Tencent (the emulator) knows the right key; the key secret holds
    // another app's key under this SDKAppID.
    let emu = emulator().await;
    let f = Fixture::new(Some(&key_json(SDKAPPID, "SECRET-key-of-another-app")), true).await;
    let before = f.state().await;
    let rotator = f.rotator(true, Some(&emu.base_url()));
    f.run(&rotator, "createSecret").await.unwrap();
    f.run(&rotator, "setSecret").await.unwrap();
    let err = f.run(&rotator, "testSecret").await.unwrap_err();

    let RotationError::LiveCheck { source, .. } = &err else {
        panic!("expected a live-check failure, got {err}");
    };
    assert_eq!(source.code(), Some(70009));
    assert_eq!(
        emu.stats().requests,
        1,
        "a refusal is a verdict: the same UserSig is sent once"
    );
    assert_eq!(err.error_type(), "LiveCheckRejected");
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("70009") && message.contains(&f.secret_id),
        "{message}"
    );
    assert!(!message.contains("SECRET-key"));
    let pending = f.pending_value().await.unwrap();
    let usersig = tim::secrets::UserSigSecret::from_json(&pending)
        .unwrap()
        .usersig;
    assert!(
        !message.contains(usersig.expose_secret())
            && !format!("{err:?}").contains(usersig.expose_secret())
    );

    // Secrets Manager stops the rotation here: AWSCURRENT never moved.
    let after = f.state().await;
    assert_eq!(after.1[0], before.1[0], "AWSCURRENT value unchanged");
    assert_eq!(after.0[&f.first_version], ["AWSCURRENT"]);
    assert_eq!(after.0[&f.token], ["AWSPENDING"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn live_check_false_skips_the_call() {
    let emu = emulator().await;
    // The wrong key passes the local checks (it signed the UserSig itself):
    // only the live call could catch it, and it is switched off.
    let f = Fixture::new(Some(&key_json(SDKAPPID, "SECRET-key-of-another-app")), true).await;
    let rotator = f.rotator(false, Some(&emu.base_url()));
    f.run(&rotator, "createSecret").await.unwrap();
    assert_eq!(
        f.run(&rotator, "testSecret").await.unwrap().outcome,
        Outcome::TestedLocally
    );
    assert_eq!(emu.stats().requests, 0);
    emu.shutdown().await;
}

/// What Secrets Manager does after a failed rotation, against moto and the
/// emulator: the key secret holds a wrong key, testSecret fails (Tencent
/// refuses), the operator fixes the key, Secrets Manager replays the same
/// token's steps (in either order), and then a new rotation completes with
/// no manual stage surgery.
#[tokio::test]
async fn a_rotation_failed_by_a_wrong_key_heals_once_the_key_is_fixed() {
    for replay in [
        STEPS,
        ["testSecret", "createSecret", "setSecret", "finishSecret"],
    ] {
        let emu = emulator().await;
        let f = Fixture::new(Some(&key_json(SDKAPPID, "SECRET-wrong-key")), true).await;
        let first_current = f.value("AWSCURRENT").await;
        let rotator = f.rotator(true, Some(&emu.base_url()));
        f.run(&rotator, "createSecret").await.unwrap();
        f.run(&rotator, "setSecret").await.unwrap();
        let err = f.run(&rotator, "testSecret").await.unwrap_err();
        assert_eq!(err.error_type(), "LiveCheckRejected", "{err}");
        assert_eq!(emu.stats().requests, 1);

        // The operator fixes the key; Secrets Manager replays the token.
        f.sm.put_secret_value()
            .secret_id(&f.key_id)
            .secret_string(key_json(SDKAPPID, KEY))
            .send()
            .await
            .unwrap();
        let first = f.run(&rotator, replay[0]).await.unwrap_err();
        let RotationError::StalePendingRemoved { step, fault, .. } = &first else {
            panic!("{}: {first}", replay[0]);
        };
        assert_eq!((step.name(), fault.reason()), (replay[0], "signature"));
        assert_eq!(first.error_type(), "StalePendingRemoved");
        assert!(
            first.to_string().contains("next rotation starts fresh"),
            "{first}"
        );
        for step in &replay[1..] {
            let err = f.run(&rotator, step).await.unwrap_err();
            // moto keeps the version without a stage (VersionNotPending);
            // AWS drops it from VersionIdsToStages (UnknownVersion).
            assert!(
                ["VersionNotPending", "UnknownVersion"].contains(&err.error_type()),
                "{step}: {err}"
            );
        }
        let stages = f.stages().await;
        for (version, labels) in &stages {
            assert!(
                !labels.contains(&"AWSPENDING".to_owned())
                    || labels.contains(&"AWSCURRENT".to_owned()),
                "AWSPENDING left on {version}: {stages:?}"
            );
        }
        assert_eq!(stages[&f.first_version], ["AWSCURRENT"]);
        assert_eq!(f.value("AWSCURRENT").await, first_current);
        assert_eq!(emu.stats().requests, 1, "the replays did not call Tencent");

        // The next rotation (a new token) completes.
        let next = f.start_rotation().await;
        let mut outcomes = Vec::new();
        for step in STEPS {
            let event = f.event_with_token(step, &next);
            let deadline = tim::Deadline::after(std::time::Duration::from_secs(20));
            outcomes.push(rotator.handle(&event, deadline).await.unwrap().outcome);
        }
        assert_eq!(
            outcomes,
            [
                Outcome::Created,
                Outcome::NothingToSet,
                Outcome::Tested,
                Outcome::Finished
            ]
        );
        let stages = f.stages().await;
        assert_eq!(stages[&next], ["AWSCURRENT"]);
        assert_eq!(stages[&f.first_version], ["AWSPREVIOUS"]);
        assert!(
            stages
                .values()
                .all(|labels| !labels.contains(&"AWSPENDING".to_owned())),
            "{stages:?}"
        );
        let current = UserSigSecret::from_json(&f.value("AWSCURRENT").await.unwrap()).unwrap();
        Signer::new(SDKAPPID, SecretKey::new(KEY))
            .verify(
                current.usersig.expose_secret(),
                "administrator",
                common::now(),
            )
            .unwrap();
        assert_eq!(emu.stats().requests, 2);
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn test_and_finish_emit_usersig_hours_left() {
    let emu = emulator().await;
    let f = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let (rotator, metrics) = f.rotator_with_metrics(true, Some(&emu.base_url()));
    for step in STEPS {
        f.run(&rotator, step).await.unwrap();
    }
    let output = metrics.take().join("\n");
    let docs = testkit::emf::check_output(&output, "usersig-refresher", common::NAMESPACE);
    assert_eq!(docs.len(), 2, "testSecret and finishSecret: {output}");
    for doc in &docs {
        assert_eq!(doc["SDKAppID"], SDKAPPID.to_string());
        let hours = doc["UserSigHoursLeft"].as_f64().unwrap();
        assert!((719.9..=720.0).contains(&hours), "{hours}");
    }
    emu.shutdown().await;
}
