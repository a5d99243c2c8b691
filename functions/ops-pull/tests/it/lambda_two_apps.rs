//! The deployed wiring with two apps: `Settings::from_env` over the stack's
//! variables (two apps in `TIM_SDKAPPIDS`, their UserSig secrets in moto
//! named by the `TIM_USERSIG_SECRET_ID` pattern), `Setup::build`, then one scheduled invocation
//! against the emulator serving both apps with Tencent's rate limits enforced.

use std::time::Duration;

use lambda_kit::{Env, Setup};
use ops_pull::lambda::Settings;
use ops_pull::{Deadlines, OpsPull, RunError, RunSummary};
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

/// The deployed pieces: the emulator serving `apps`, moto's S3 bucket and
/// Secrets Manager.
struct Stack {
    emulator: Emulator,
    aws: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    bucket: String,
    /// `TIM_USERSIG_SECRET_ID`: this test's secret names.
    pattern: String,
}

impl Stack {
    async fn start(apps: &[u64]) -> Self {
        let mut config = EmulatorConfig::default().with_enforced_rate_limits(true);
        for &id in apps {
            config = config.with_app(id, key_of(id));
        }
        let emulator = Emulator::start(config).await.unwrap();
        let aws = testkit::moto().sdk_config().await;
        let s3 = ops_pull::config::s3_client(&aws, true);
        let bucket = testkit::unique_name("ops-two-apps");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        Self {
            emulator,
            aws,
            s3,
            bucket,
            pattern: format!(
                "{}/{{sdkappid}}/usersig",
                testkit::unique_name("tencent-chat")
            ),
        }
    }

    /// An app's UserSig secret: with usersig-refresher's value, or as the
    /// template creates it (no value until the first rotation).
    async fn secret(&self, sdkappid: u64, with_value: bool) -> String {
        let name = self.pattern.replace("{sdkappid}", &sdkappid.to_string());
        let create = aws_sdk_secretsmanager::Client::new(&self.aws)
            .create_secret()
            .name(&name);
        let create = if with_value {
            create.secret_string(secret_of(sdkappid))
        } else {
            create
        };
        create.send().await.unwrap();
        name
    }

    /// One scheduled invocation of the function the stack's variables build.
    async fn invoke(&self, sdkappids: &str, push_days: &str) -> Result<RunSummary, RunError> {
        let endpoint = self.emulator.base_url();
        let env = Env::from_pairs([
            ("OPS_BUCKET", self.bucket.as_str()),
            ("OPS_PREFIX", "archive"),
            ("TIM_SDKAPPIDS", sdkappids),
            ("TIM_USERSIG_SECRET_ID", self.pattern.as_str()),
            ("TIM_ENDPOINT", endpoint.as_str()),
            ("PUSH_ARCHIVE_DAYS", push_days),
        ]);
        let function = Settings::from_env(&env).unwrap().build(&self.aws).await;
        let deadlines = Deadlines::after(Duration::from_secs(60));
        OpsPull::handle(
            &function,
            testkit::event("ops-pull", "scheduled"),
            deadlines,
        )
        .await
    }

    async fn keys_under(&self, prefix: &str) -> Vec<String> {
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
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
}

#[tokio::test]
async fn two_usersig_secrets_are_two_apps_archived_with_their_push_history() {
    let stack = Stack::start(&APPS).await;
    let mut names = Vec::new();
    for id in APPS {
        names.push(stack.secret(id, true).await);
    }

    // Push days archived up to three days back: the run revises the last two
    // instead of catching up on Tencent's 28 (seconds of pacing).
    let china_today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let before = china_today - chrono::Days::new(3);
    for id in APPS {
        stack
            .s3
            .put_object()
            .bucket(&stack.bucket)
            .key(format!(
                "archive/push/sdkappid={id}/dt={before}/push_statistics.json"
            ))
            .body(b"{}\n".to_vec().into())
            .send()
            .await
            .unwrap();
    }

    let summary = stack
        .invoke(&format!("{},{}", APPS[0], APPS[1]), "2")
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
        let daily = stack
            .keys_under(&format!("archive/daily/sdkappid={id}/"))
            .await;
        assert_eq!(daily.len(), 30, "{id}");
        let pushed = stack
            .keys_under(&format!("archive/push/sdkappid={id}/"))
            .await;
        assert_eq!(pushed.len(), 3, "{id}: two days and the seed: {pushed:?}");
        assert!(pushed.iter().all(|k| k.ends_with("/push_statistics.json")));
    }

    // Each app called Tencent as itself, within Tencent's limits.
    let stats = stack.emulator.stats();
    for id in APPS {
        assert_eq!(stats.calls_of("openconfigsvr/getappinfo", id), 1);
        assert_eq!(stats.calls_of(PUSH, id), 2);
        assert_eq!(stats.calls_per_second_max[PUSH][&id], 1, "{stats:?}");
    }
    assert!(stats.rate_limited.is_empty(), "{stats:?}");
    stack.emulator.shutdown().await;
}

#[tokio::test]
async fn an_app_whose_usersig_secret_has_no_value_yet_is_not_set_up_not_failed() {
    let stack = Stack::start(&APPS[..1]).await;
    stack.secret(APPS[0], true).await;
    let empty = stack.secret(APPS[1], false).await;
    let summary = stack
        .invoke(&format!("{},{}", APPS[0], APPS[1]), "0")
        .await
        .unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    let app = serde_json::to_value(&summary.apps[1]).unwrap();
    assert_eq!(
        (app["app"].as_str(), app["state"].as_str()),
        (Some(empty.as_str()), Some("not_set_up"))
    );
    assert_eq!(summary.apps_not_set_up(), 1);

    // A secret that does not exist stays a failure.
    let err = stack
        .invoke(&format!("{},1400000009", APPS[0]), "0")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration", "{err}");

    // So does one holding another app's credentials: never used as this app's.
    let wrong = stack.pattern.replace("{sdkappid}", "1400000008");
    let create = aws_sdk_secretsmanager::Client::new(&stack.aws).create_secret();
    let create = create.name(&wrong).secret_string(secret_of(APPS[0]));
    create.send().await.unwrap();
    let err = stack
        .invoke(&format!("{},1400000008", APPS[0]), "0")
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration", "{err}");
    assert!(err.to_string().contains(&wrong), "{err}");
    stack.emulator.shutdown().await;
}
