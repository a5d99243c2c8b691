//! Stale pending values: a value under AWSPENDING that can never pass is
//! taken off it (by createSecret and testSecret), a still valid one is
//! kept, and a new token rotates afterwards.

use super::*;

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
