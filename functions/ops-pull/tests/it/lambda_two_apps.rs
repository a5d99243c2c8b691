//! The deployed wiring with two apps: `Settings::from_env` over the stack's
//! variables (two UserSig secrets in moto, comma-separated in
//! `TIM_USERSIG_SECRET_ID`), `Setup::build`, then one scheduled invocation
//! against the emulator serving both apps with Tencent's rate limits enforced.

use std::time::Duration;

use lambda_kit::{Env, Setup};
use ops_pull::Deadlines;
use ops_pull::lambda::Settings;
use tim::Region;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};

const APPS: [u64; 2] = [1_400_000_000, 1_400_000_001];
const PUSH: &str = "timpush/all_member_push_statistics";

fn key_of(sdkappid: u64) -> String {
    format!("two-apps-key-{sdkappid}")
}

/// A UserSig secret as usersig-refresher writes it.
fn secret_of(sdkappid: u64) -> String {
    let now = chrono::Utc::now();
    let validity = 30 * 86_400;
    let usersig = Signer::new(sdkappid, SecretKey::new(key_of(sdkappid))).sign(
        "administrator",
        validity,
        now.timestamp().unsigned_abs(),
    );
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    UserSigSecret {
        sdkappid,
        identifier: "administrator".into(),
        region: Region::Singapore,
        usersig,
        issued_at: at(now),
        expires_at: at(now + chrono::Duration::seconds(validity as i64)),
    }
    .to_json()
}

async fn keys_under(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn two_usersig_secrets_are_two_apps_archived_with_their_push_history() {
    let mut config = EmulatorConfig::default().with_enforced_rate_limits(true);
    for id in APPS {
        config = config.with_app(id, key_of(id));
    }
    let emulator = Emulator::start(config).await.unwrap();
    let aws = testkit::moto().sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let mut names = Vec::new();
    for id in APPS {
        let name = testkit::unique_name(&format!("tencent-chat/{id}/usersig"));
        secrets
            .create_secret()
            .name(&name)
            .secret_string(secret_of(id))
            .send()
            .await
            .unwrap();
        names.push(name);
    }
    let s3 = ops_pull::config::s3_client(&aws, true);
    let bucket = testkit::unique_name("ops-two-apps");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Push days archived up to three days back: the run revises the last two
    // instead of catching up on Tencent's 28 (seconds of pacing).
    let china_today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let before = china_today - chrono::Days::new(3);
    for id in APPS {
        s3.put_object()
            .bucket(&bucket)
            .key(format!(
                "archive/push/sdkappid={id}/dt={before}/push_statistics.json"
            ))
            .body(b"{}\n".to_vec().into())
            .send()
            .await
            .unwrap();
    }

    let secret_ids = names.join(",");
    let endpoint = emulator.base_url();
    let env = Env::from_pairs([
        ("OPS_BUCKET", bucket.as_str()),
        ("OPS_PREFIX", "archive"),
        ("TIM_USERSIG_SECRET_ID", secret_ids.as_str()),
        ("TIM_ENDPOINT", endpoint.as_str()),
        ("PUSH_ARCHIVE_DAYS", "2"),
    ]);
    let function = Settings::from_env(&env).unwrap().build(&aws).await;
    let summary = ops_pull::OpsPull::handle(
        &function,
        testkit::event("ops-pull", "scheduled"),
        Deadlines::after(Duration::from_secs(60)),
    )
    .await
    .unwrap();

    // Each app reported under its secret and its own SDKAppID, in order.
    let reported: Vec<(&str, Option<u64>)> = summary
        .apps
        .iter()
        .map(|a| (a.app.as_str(), a.sdkappid))
        .collect();
    assert_eq!(
        reported,
        [
            (names[0].as_str(), Some(APPS[0])),
            (names[1].as_str(), Some(APPS[1]))
        ]
    );
    for (app, id) in summary.apps.iter().zip(APPS) {
        assert_eq!((app.days_written, app.days_failed), (30, 0), "{id}");
        let push = app.push.as_ref().unwrap();
        assert_eq!((push.days_written, push.days_failed), (2, 0), "{id}");
        let daily = keys_under(&s3, &bucket, &format!("archive/daily/sdkappid={id}/")).await;
        assert_eq!(daily.len(), 30, "{id}");
        let pushed = keys_under(&s3, &bucket, &format!("archive/push/sdkappid={id}/")).await;
        assert_eq!(pushed.len(), 3, "{id}: two days and the seed: {pushed:?}");
        assert!(pushed.iter().all(|k| k.ends_with("/push_statistics.json")));
    }

    // Each app called Tencent as itself, within Tencent's limits.
    let stats = emulator.stats();
    for id in APPS {
        assert_eq!(stats.calls_of("openconfigsvr/getappinfo", id), 1);
        assert_eq!(stats.calls_of(PUSH, id), 2);
        assert_eq!(stats.calls_per_second_max[PUSH][&id], 1, "{stats:?}");
    }
    assert!(stats.rate_limited.is_empty(), "{stats:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_app_whose_usersig_secret_has_no_value_yet_is_not_set_up_not_failed() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(APPS[0], key_of(APPS[0])))
        .await
        .unwrap();
    let aws = testkit::moto().sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let ready = testkit::unique_name(&format!("tencent-chat/{}/usersig", APPS[0]));
    secrets
        .create_secret()
        .name(&ready)
        .secret_string(secret_of(APPS[0]))
        .send()
        .await
        .unwrap();
    // As the template creates it: no value until the first rotation.
    let empty = testkit::unique_name(&format!("tencent-chat/{}/usersig", APPS[1]));
    secrets.create_secret().name(&empty).send().await.unwrap();
    let s3 = ops_pull::config::s3_client(&aws, true);
    let bucket = testkit::unique_name("ops-not-set-up");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let endpoint = emulator.base_url();
    let run = |ids: String| {
        let env = Env::from_pairs([
            ("OPS_BUCKET", bucket.clone()),
            ("TIM_USERSIG_SECRET_ID", ids),
            ("TIM_ENDPOINT", endpoint.clone()),
            ("PUSH_ARCHIVE_DAYS", "0".to_owned()),
        ]);
        let aws = aws.clone();
        async move {
            let function = Settings::from_env(&env).unwrap().build(&aws).await;
            let deadlines = Deadlines::after(Duration::from_secs(60));
            ops_pull::OpsPull::handle(
                &function,
                testkit::event("ops-pull", "scheduled"),
                deadlines,
            )
            .await
        }
    };
    let summary = run(format!("{ready},{empty}")).await.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    let app = serde_json::to_value(&summary.apps[1]).unwrap();
    assert_eq!(
        (app["app"].as_str(), app["state"].as_str()),
        (Some(empty.as_str()), Some("not_set_up"))
    );
    assert_eq!(summary.apps_not_set_up(), 1);

    // A secret that does not exist stays a failure.
    let missing = testkit::unique_name("tencent-chat/1400000009/usersig");
    let err = run(format!("{ready},{missing}")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration", "{err}");
    emulator.shutdown().await;
}
