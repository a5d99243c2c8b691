//! testSecret's live check against the Tencent emulator (and moto_server).

mod common;

use common::{Fixture, KEY, SDKAPPID, STEPS, key_json};
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
