//! The four steps over the fake: a whole rotation, replays, an interrupted
//! finish, refused preconditions, retryable and key secret failures, a
//! concurrent createSecret, and what finishSecret and the metrics report.

use super::*;

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
