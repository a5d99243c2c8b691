//! The Secrets Manager credentials sources against moto_server (the real
//! aws-sdk-secretsmanager): one read per cold start, re-reads near expiry
//! and on rejection, clear errors that never carry a secret.

use std::sync::Arc;

use crate::common::secrets::*;
use tim::config::Env;
use tim::secrets::{CredentialsSource, KeySecretProvider, UserSigSecret, UserSigSecretProvider};
use tim::usersig::{SecretKey, Signer};
use tim::{CredentialsProvider, ErrorClass};

const DAY: u64 = 86_400;

#[tokio::test]
async fn a_warm_call_is_served_from_the_cache() {
    let sm = secrets_manager().await;
    let secret = usersig_secret(KEY, now(), 30 * DAY);
    let id = create_secret(&sm, "usersig", &secret.to_json()).await;
    let provider = UserSigSecretProvider::new(sm, &id);
    assert_eq!(provider.reads(), 0, "nothing is read before first use");

    let first = provider.credentials().await.unwrap();
    assert_eq!(first, secret.to_credentials());
    assert_eq!(first.region, Some(tim::Region::Singapore));
    let second = provider.credentials().await.unwrap();
    assert_eq!(second, first);
    assert_eq!(provider.reads(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_calls_read_once() {
    let sm = secrets_manager().await;
    let id = create_secret(
        &sm,
        "usersig",
        &usersig_secret(KEY, now(), 30 * DAY).to_json(),
    )
    .await;
    let provider = Arc::new(UserSigSecretProvider::new(sm, &id));
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.credentials().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(provider.reads(), 1);
}

#[tokio::test]
async fn reads_the_current_value_after_a_stage_move() {
    // moto keeps answering the first version unless AWSCURRENT is asked for.
    let sm = secrets_manager().await;
    let old = usersig_secret(KEY, now() - DAY, 30 * DAY);
    let id = create_secret(&sm, "usersig", &old.to_json()).await;
    let new = usersig_secret(KEY, now(), 30 * DAY);
    let first = sm
        .list_secret_version_ids()
        .secret_id(&id)
        .send()
        .await
        .unwrap()
        .versions
        .unwrap()[0]
        .version_id
        .clone()
        .unwrap();
    sm.put_secret_value()
        .secret_id(&id)
        .client_request_token("7c2f3c1e-1b9a-4a53-8f3e-0d7c5b1a2e90")
        .secret_string(new.to_json())
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();
    sm.update_secret_version_stage()
        .secret_id(&id)
        .version_stage("AWSCURRENT")
        .move_to_version_id("7c2f3c1e-1b9a-4a53-8f3e-0d7c5b1a2e90")
        .remove_from_version_id(first)
        .send()
        .await
        .unwrap();
    let provider = UserSigSecretProvider::new(sm, &id);
    assert_eq!(provider.credentials().await.unwrap().usersig, new.usersig);
}

#[tokio::test]
async fn re_reads_shortly_before_expiry() {
    let sm = secrets_manager().await;
    let issued = now();
    let old = usersig_secret(KEY, issued, DAY);
    let id = create_secret(&sm, "usersig", &old.to_json()).await;
    let clock = TestClock::at(issued + 60);
    let provider = UserSigSecretProvider::new(sm.clone(), &id).with_clock(clock.clone());
    assert_eq!(provider.credentials().await.unwrap().usersig, old.usersig);

    // Rotated meanwhile; still well before the margin: the cache serves.
    let new = usersig_secret(KEY, issued + 3_600, 30 * DAY);
    replace_value(&sm, &id, &new.to_json()).await;
    clock.set(issued + DAY - UserSigSecretProvider::REFRESH_MARGIN_SECS - 1);
    assert_eq!(provider.credentials().await.unwrap().usersig, old.usersig);
    assert_eq!(provider.reads(), 1);

    // Within the margin: re-read, and the rotated UserSig is used.
    clock.set(issued + DAY - UserSigSecretProvider::REFRESH_MARGIN_SECS + 1);
    assert_eq!(provider.credentials().await.unwrap().usersig, new.usersig);
    assert_eq!(provider.reads(), 2);
}

#[tokio::test]
async fn a_stuck_rotation_costs_one_read_a_minute_then_fails_clearly_at_expiry() {
    let sm = secrets_manager().await;
    let issued = now();
    let only = usersig_secret(KEY, issued, DAY);
    let id = create_secret(&sm, "usersig", &only.to_json()).await;
    let near = issued + DAY - 300;
    let clock = TestClock::at(near);
    let provider = UserSigSecretProvider::new(sm, &id).with_clock(clock.clone());
    provider.credentials().await.unwrap();
    provider.credentials().await.unwrap();
    assert_eq!(
        provider.reads(),
        1,
        "within the margin, re-read at most every RECHECK_SECS"
    );
    clock.set(near + UserSigSecretProvider::RECHECK_SECS);
    provider.credentials().await.unwrap();
    assert_eq!(provider.reads(), 2);

    clock.set(issued + DAY + 1);
    let err = provider.credentials().await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Configuration);
    let message = err.to_string();
    assert!(
        message.contains(&id) && message.contains("expired") && message.contains("rotate-secret"),
        "{message}"
    );
    assert!(!message.contains(only.usersig.expose_secret()));
    assert_eq!(provider.reads(), 3);
    provider.credentials().await.unwrap_err();
    assert_eq!(
        provider.reads(),
        3,
        "an expired secret is not re-read on every request"
    );
}

#[tokio::test]
async fn refresh_re_reads_once_and_fails_clearly_if_nothing_changed() {
    let sm = secrets_manager().await;
    let old = usersig_secret(KEY, now(), 30 * DAY);
    let id = create_secret(&sm, "usersig", &old.to_json()).await;
    let provider = UserSigSecretProvider::new(sm.clone(), &id);
    let rejected = provider.credentials().await.unwrap();

    let err = provider.refresh(&rejected).await.unwrap_err();
    assert_eq!(provider.reads(), 2, "exactly one re-read");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    let message = err.to_string();
    assert!(
        message.contains(&id) && message.contains("rotate"),
        "{message}"
    );
    assert!(
        !message.contains(old.usersig.expose_secret())
            && !format!("{err:?}").contains(old.usersig.expose_secret())
    );
    // Requests refused meanwhile neither re-read nor ask DescribeSecret
    // (at most once per REFUSAL_CHECK_SECS: the cache's tests).
    provider.refresh(&rejected).await.unwrap_err();
    assert_eq!((provider.reads(), provider.version_checks()), (2, 0));

    // Another reader, refused with the old UserSig after the rotation,
    // reads the new one once and keeps it.
    let new = usersig_secret(KEY, now() + 1, 30 * DAY);
    replace_value(&sm, &id, &new.to_json()).await;
    let fresh = UserSigSecretProvider::new(sm, &id);
    let stale = tim::AppCredentials {
        usersig: old.usersig.clone(),
        ..new.to_credentials()
    };
    assert_eq!(fresh.refresh(&stale).await.unwrap().usersig, new.usersig);
    assert_eq!(fresh.reads(), 1);
    assert_eq!(
        fresh.credentials().await.unwrap().usersig,
        new.usersig,
        "the refreshed value is cached"
    );
    assert_eq!(fresh.reads(), 1);
}

#[tokio::test]
async fn missing_and_malformed_secrets_fail_clearly_without_values() {
    let sm = secrets_manager().await;
    let missing = testkit::unique_name("no-such-secret");
    let err = UserSigSecretProvider::new(sm.clone(), &missing)
        .credentials()
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert!(
        err.to_string().contains(&missing) && err.to_string().contains("not found"),
        "{err}"
    );

    let good = usersig_secret(KEY, now(), DAY);
    let cases = [
        (
            good.to_json().replace("\"usersig\"", "\"user_sig\""),
            "`usersig` is missing",
        ),
        (
            good.to_json().replace("\"administrator\"", "7"),
            "`identifier` must be a string",
        ),
        (
            good.to_json().replace(&good.expires_at, "SECRET-when"),
            "`expires_at`",
        ),
        (
            format!("{}SECRET-trailing", good.to_json()),
            "not valid JSON",
        ),
    ];
    for (value, expected) in cases {
        let id = create_secret(&sm, "usersig-bad", &value).await;
        let err = UserSigSecretProvider::new(sm.clone(), &id)
            .credentials()
            .await
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(err.class(), ErrorClass::Configuration);
        assert!(
            message.contains(&id) && message.contains(expected),
            "{message}"
        );
        assert!(
            !message.contains("SECRET") && !message.contains(good.usersig.expose_secret()),
            "{message}"
        );
    }
}

#[tokio::test]
async fn the_key_secret_is_read_once_and_signs_locally() {
    let sm = secrets_manager().await;
    let id = create_secret(&sm, "key", &key_secret_json(KEY)).await;
    let provider = KeySecretProvider::new(sm.clone(), &id);
    let first = provider.credentials().await.unwrap();
    let claims = Signer::new(APP, SecretKey::new(KEY))
        .verify(first.usersig.expose_secret(), ADMIN, now())
        .unwrap();
    assert_eq!(claims.expire, tim::LocalSigner::DEFAULT_VALIDITY_SECS);
    assert_eq!(first.region, Some(tim::Region::Singapore));
    assert_eq!(provider.credentials().await.unwrap(), first);
    assert_eq!(provider.reads(), 1);

    // A rejection re-reads the key (the operator may have fixed it).
    replace_value(&sm, &id, &key_secret_json("SECRET-corrected-key")).await;
    let fresh = provider.refresh(&first).await.unwrap();
    assert_eq!(provider.reads(), 2);
    Signer::new(APP, SecretKey::new("SECRET-corrected-key"))
        .verify(fresh.usersig.expose_secret(), ADMIN, now())
        .unwrap();

    let bad = create_secret(
        &sm,
        "key-bad",
        r#"{"sdkappid":1400000000,"identifier":"administrator","region":"singapore","key":""}"#,
    )
    .await;
    let err = KeySecretProvider::new(sm, &bad)
        .credentials()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&bad) && err.to_string().contains("`key` is empty"),
        "{err}"
    );
}

#[tokio::test]
async fn the_environment_selects_the_providers() {
    let sm = secrets_manager().await;
    let other = APP + 1;
    let pattern = format!("{}/{{sdkappid}}/usersig", testkit::unique_name("apps"));
    let name = |id: u64| pattern.replace("{sdkappid}", &id.to_string());
    let values = [
        usersig_secret(KEY, now(), DAY),
        UserSigSecret {
            sdkappid: other,
            ..usersig_secret("SECRET-other", now(), DAY)
        },
    ];
    for value in &values {
        let create = sm.create_secret().name(name(value.sdkappid));
        create.secret_string(value.to_json()).send().await.unwrap();
    }
    let ids = format!("{APP}, {other}");
    let env = Env::from_pairs([
        ("TIM_SDKAPPIDS", ids.as_str()),
        ("TIM_USERSIG_SECRET_ID", &pattern),
    ]);
    let apps = CredentialsSource::from_env(&env).unwrap().apps(&sm);
    let configured: Vec<_> = apps
        .iter()
        .map(|a| (a.sdkappid, a.secret_id.clone()))
        .collect();
    assert_eq!(configured, [(APP, name(APP)), (other, name(other))]);
    let (x, y) = (
        apps[0].credentials.credentials().await.unwrap(),
        apps[1].credentials.credentials().await.unwrap(),
    );
    assert_eq!(
        (x.sdkappid, y.sdkappid),
        (APP, other),
        "one provider per secret, in order"
    );
    Signer::new(APP, SecretKey::new(KEY))
        .verify(x.usersig.expose_secret(), ADMIN, now())
        .unwrap();

    let key = create_secret(&sm, "key", &key_secret_json(KEY)).await;
    let env = Env::from_pairs([
        ("TIM_SDKAPPIDS", APP.to_string()),
        ("TIM_KEY_SECRET_ID", key),
    ]);
    let apps = CredentialsSource::from_env(&env).unwrap().apps(&sm);
    assert_eq!(apps.len(), 1);
    let signed = apps[0].credentials.credentials().await.unwrap();
    Signer::new(APP, SecretKey::new(KEY))
        .verify(signed.usersig.expose_secret(), ADMIN, now())
        .unwrap();
}
