//! Several apps: `TIM_ROTATION_TARGET_<id>` pairs each UserSig secret (by ARN
//! or by name) with its key secret; the secrets' `tim:key-secret` tags choose
//! nothing. Secrets in moto_server, testSecret's live check against the
//! Tencent emulator serving both apps.

use crate::common;

use std::time::Duration;

use crate::common::{Fixture, KEY, SDKAPPID, STEPS, key_json, secrets_manager, usersig_json};
use aws_sdk_secretsmanager::types::Tag;
use lambda_kit::metrics::Metrics;
use tim::config::Env;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};
use usersig_refresher::{Config, Outcome, Rotator};

/// The tag that chose the key secret before the configured pairs.
const KEY_SECRET_TAG: &str = "tim:key-secret";

const APP_B: u64 = 1_400_000_002;
const KEY_B: &str = "key-of-app-b-0123456789abcdef0123456789abcdef";

/// A key secret in moto: (name, ARN).
async fn key_secret(sm: &aws_sdk_secretsmanager::Client, sdkappid: u64, key: &str) -> String {
    let name = format!("{}/key", testkit::unique_name("tencent-chat/app"));
    let created = sm
        .create_secret()
        .name(&name)
        .secret_string(key_json(sdkappid, key));
    created.send().await.unwrap().arn.unwrap()
}

/// A UserSig secret holding `value`, tagged with `key_arn` when given, and
/// a rotation started on it. `key_id` is the key secret it is paired with.
async fn usersig_secret(
    sm: &aws_sdk_secretsmanager::Client,
    value: &str,
    key_id: &str,
    key_arn: Option<&str>,
) -> Fixture {
    let secret_id = format!("{}/usersig", testkit::unique_name("tencent-chat/app"));
    let created = sm
        .create_secret()
        .name(&secret_id)
        .secret_string(value)
        .set_tags(key_arn.map(|arn| vec![Tag::builder().key(KEY_SECRET_TAG).value(arn).build()]))
        .send()
        .await
        .unwrap();
    let mut f = Fixture {
        sm: sm.clone(),
        key_id: key_id.to_owned(),
        secret_id,
        secret_arn: created.arn.unwrap(),
        first_version: created.version_id.unwrap(),
        token: String::new(),
    };
    f.token = f.start_rotation().await;
    f
}

/// The deployed configuration, serving A's and B's pairs (the stack's
/// `TIM_ROTATION_TARGET_<id>`); `TIM_KEY_SECRET_ID` as given (never read).
fn rotator(
    sm: &aws_sdk_secretsmanager::Client,
    emulator: &Emulator,
    (pair_a, pair_b): (&str, &str),
    key_secret_id: Option<&str>,
) -> Rotator<aws_sdk_secretsmanager::Client> {
    let base_url = emulator.base_url();
    let apps = format!("{SDKAPPID},{APP_B}");
    let (var_a, var_b) = (
        format!("TIM_ROTATION_TARGET_{SDKAPPID}"),
        format!("TIM_ROTATION_TARGET_{APP_B}"),
    );
    let mut env = vec![
        ("TIM_ENDPOINT", base_url.as_str()),
        ("LIVE_CHECK", "true"),
        ("TIM_ROTATION_APPS", &apps),
        (&var_a, pair_a),
        (&var_b, pair_b),
    ];
    env.extend(key_secret_id.map(|id| ("TIM_KEY_SECRET_ID", id)));
    let mut config = Config::read(&Env::from_pairs(env)).unwrap();
    config.client.retry = tim::RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    Rotator::new(
        sm.clone(),
        config,
        reqwest::Client::new(),
        Metrics::capture("TencentChat").0,
    )
}

async fn current(f: &Fixture) -> UserSigSecret {
    UserSigSecret::from_json(&f.value("AWSCURRENT").await.unwrap()).unwrap()
}

fn verifies(secret: &UserSigSecret, sdkappid: u64, key: &str) -> bool {
    Signer::new(sdkappid, SecretKey::new(key))
        .verify(
            secret.usersig.expose_secret(),
            "administrator",
            common::now(),
        )
        .is_ok()
}

/// Full ARNs on both sides of each pair (the plain-name form against moto
/// is `rotation_served`'s and the common fixture's).
#[tokio::test]
async fn two_apps_mapped_by_arn_rotate_each_for_its_own_app_whatever_their_tags() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_app(SDKAPPID, KEY)
            .with_app(APP_B, KEY_B),
    )
    .await
    .unwrap();
    let sm = secrets_manager().await;
    let key_a = key_secret(&sm, SDKAPPID, KEY).await;
    let key_b = key_secret(&sm, APP_B, KEY_B).await;
    let (key_a_id, key_b_id) = (key_a.as_str(), key_b.as_str());
    // A holds its app's UserSig (a running stack); B is a new app's
    // placeholder. Their tags are swapped: the tags choose nothing.
    let now = common::now();
    let a = usersig_secret(
        &sm,
        &usersig_json(KEY, now - 86_400, 30 * 86_400),
        key_a_id,
        Some(&key_b),
    )
    .await;
    let b = usersig_secret(&sm, r#"{"placeholder":true}"#, key_b_id, Some(&key_a)).await;
    let (pair_a, pair_b) = (
        format!("{}={key_a_id}", a.secret_arn),
        format!("{}={key_b_id}", b.secret_arn),
    );

    // A TIM_KEY_SECRET_ID naming A's key is not read either.
    let rotator = rotator(&sm, &emulator, (&pair_a, &pair_b), Some(&key_a));
    for step in STEPS {
        for f in [&a, &b] {
            // Secrets Manager's events name the secret by its ARN.
            let mut event = f.event(step);
            event.secret_id = f.secret_arn.clone();
            let report = rotator
                .handle(&event, tim::Deadline::after(Duration::from_secs(20)))
                .await
                .unwrap_or_else(|e| panic!("{step} {}: {e}", f.secret_id));
            if step == "testSecret" {
                assert_eq!(report.outcome, Outcome::Tested, "{}", f.secret_id);
            }
        }
    }
    // One live check each, accepted by the emulator for that app.
    assert_eq!(emulator.stats().requests, 2);
    for (f, app, key, other_key) in [(&a, SDKAPPID, KEY, KEY_B), (&b, APP_B, KEY_B, KEY)] {
        assert_eq!(
            f.stages().await[&f.token],
            ["AWSCURRENT"],
            "{}",
            f.secret_id
        );
        let secret = current(f).await;
        assert_eq!(secret.sdkappid, app, "{}", f.secret_id);
        assert!(verifies(&secret, app, key), "{}", f.secret_id);
        assert!(!verifies(&secret, app, other_key), "{}", f.secret_id);
    }
    emulator.shutdown().await;
}
