//! Secrets Manager's configuration test on a fresh stack (the key secret
//! without a value), and the same shapes once the key is set.

use super::*;

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
