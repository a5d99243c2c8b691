//! Several apps: each UserSig secret's key secret from its
//! `TIM_ROTATION_TARGET_<id>` pair, never from a tag, and a secret that is not
//! served refused at every step before anything is read or written.

use super::*;

/// The tag that chose the key secret before the configured pairs: an
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

/// Both apps served, each paired with its key.
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
async fn two_mapped_secrets_rotate_each_with_its_mapped_key_as_it_is_now() {
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
    // createSecret and testSecret each read the key, as it is then.
    assert_eq!(
        (
            fake.reads_of(KEY_ID),
            fake.reads_of(KEY_B_ID),
            fake.reads_of("no-such-key-secret")
        ),
        (2, 2, 0)
    );

    // A key changed between createSecret and testSecret is the one tested.
    let next = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    clock
        .0
        .store(NOW + 7 * 86_400, std::sync::atomic::Ordering::SeqCst);
    fake.put(SECRET_B_ID, next, None, &[AWSPENDING], true);
    rotator
        .handle(&event_for("createSecret", SECRET_B_ID, next), deadline())
        .await
        .unwrap();
    let changed = key_b_json().replace("key-of-b", "new-key-of-b");
    fake.put(KEY_B_ID, "kb2", Some(&changed), &[AWSCURRENT], false);
    let err = rotator
        .handle(&event_for("testSecret", SECRET_B_ID, next), deadline())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "StalePendingRemoved", "{err}");
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
                            && message.contains("TIM_ROTATION_TARGET_<id>")
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
async fn a_key_secret_of_another_app_than_the_stack_names_is_refused_on_the_first_rotation() {
    // The stack's form names the app of each pair; A's key secret holds B's
    // key, and A's UserSig secret holds no UserSig yet (the first rotation).
    let fake = two_apps();
    fake.put(KEY_ID, "k2", Some(&key_b_json()), &[AWSCURRENT], false);
    let env = tim::config::Env::from_pairs([
        ("TIM_ROTATION_APPS", "1400000000"),
        (
            "TIM_ROTATION_TARGET_1400000000",
            &format!("{SECRET_ID}={KEY_ID}"),
        ),
        ("LIVE_CHECK", "false"),
    ]);
    let config = Config::read(&env).unwrap();
    let rotator = Rotator::new(
        fake.clone(),
        config,
        reqwest::Client::new(),
        Metrics::capture(NAMESPACE).0,
    )
    .with_clock(Arc::new(FixedClock(NOW)));
    let before = fake.snapshot(SECRET_ID);
    let err = run(&rotator, "createSecret").await.unwrap_err();
    assert_eq!(err.error_type(), "KeySecretForAnotherApp", "{err}");
    assert!(!err.is_retryable());
    let message = err.to_string();
    for part in [
        KEY_ID,
        SECRET_ID,
        "TIM_ROTATION_TARGET_1400000000",
        "1400000002",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(!message.contains("key-of-b"), "{message}");
    assert!(fake.rotation_tokens.lock().unwrap().is_empty(), "no put");
    assert_eq!(fake.snapshot(SECRET_ID), before, "nothing written");
}
