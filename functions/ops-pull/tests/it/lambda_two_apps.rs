//! The deployed wiring with two apps: `Settings::from_env` over the stack's
//! variables (two apps in `TIM_SDKAPPIDS`, their UserSig secrets in moto
//! named by the `TIM_USERSIG_SECRET_ID` pattern), `Setup::build`, then one scheduled invocation
//! against the emulator serving both apps with Tencent's rate limits enforced.

use std::time::Duration;

use crate::common::{Harness, harness, key_of};
use lambda_kit::{Env, Setup};
use ops_pull::lambda::Settings;
use ops_pull::{Deadlines, OpsPull, RunError, RunSummary};
use tim::Region;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};

const APPS: [u64; 2] = [1_400_000_000, 1_400_000_001];
const PUSH: &str = "timpush/all_member_push_statistics";

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

/// `TIM_USERSIG_SECRET_ID`: secret names no other test uses.
fn unique_pattern() -> String {
    format!(
        "{}/{{sdkappid}}/usersig",
        testkit::unique_name("tencent-chat")
    )
}

/// App `sdkappid`'s UserSig secret in moto, named by `pattern`: with
/// usersig-refresher's value for app `value_of`, or as the template creates
/// it (`None`: no value until the first rotation).
async fn secret(stack: &Harness, pattern: &str, sdkappid: u64, value_of: Option<u64>) -> String {
    let name = pattern.replace("{sdkappid}", &sdkappid.to_string());
    let create = aws_sdk_secretsmanager::Client::new(&stack.aws)
        .create_secret()
        .name(&name);
    let create = match value_of {
        Some(app) => create.secret_string(secret_of(app)),
        None => create,
    };
    create.send().await.unwrap();
    name
}

/// One scheduled invocation of the function the stack's variables build.
async fn invoke(
    stack: &Harness,
    (sdkappids, pattern): (&str, &str),
    push_days: &str,
) -> Result<RunSummary, RunError> {
    let endpoint = stack.emulator.base_url();
    let env = Env::from_pairs([
        ("OPS_BUCKET", stack.bucket.as_str()),
        ("OPS_PREFIX", "archive"),
        ("TIM_SDKAPPIDS", sdkappids),
        ("TIM_USERSIG_SECRET_ID", pattern),
        ("TIM_ENDPOINT", endpoint.as_str()),
        ("PUSH_ARCHIVE_DAYS", push_days),
    ]);
    let function = Settings::from_env(&env).unwrap().build(&stack.aws).await;
    let deadlines = Deadlines::after(Duration::from_secs(60));
    let event = testkit::event("ops-pull", "scheduled");
    OpsPull::handle(&function, event, deadlines, None).await
}

#[tokio::test]
async fn two_usersig_secrets_are_two_apps_archived_with_their_push_history() {
    let stack = harness(&APPS).await;
    let pattern = unique_pattern();
    let mut names = Vec::new();
    for id in APPS {
        names.push(secret(&stack, &pattern, id, Some(id)).await);
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

    let ids = format!("{},{}", APPS[0], APPS[1]);
    let summary = invoke(&stack, (&ids, &pattern), "2").await.unwrap();

    // Each app reported under its secret and its own SDKAppID, in order.
    for ((app, id), name) in summary.apps.iter().zip(APPS).zip(&names) {
        assert_eq!((&app.app, app.sdkappid), (name, id));
        assert_eq!((app.days_written, app.days_failed), (30, 0), "{id}");
        let push = app.push.as_ref().unwrap();
        assert_eq!((push.days_written, push.days_failed), (2, 0), "{id}");
        let daily = stack.etags(&format!("archive/daily/sdkappid={id}/")).await;
        assert_eq!(daily.len(), 30, "{id}");
        let pushed = stack.etags(&format!("archive/push/sdkappid={id}/")).await;
        assert_eq!(pushed.len(), 3, "{id}: two days and the seed: {pushed:?}");
        assert!(pushed.keys().all(|k| k.ends_with("/push_statistics.json")));
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
    let stack = harness(&APPS[..1]).await;
    let pattern = unique_pattern();
    secret(&stack, &pattern, APPS[0], Some(APPS[0])).await;
    let empty = secret(&stack, &pattern, APPS[1], None).await;
    let ids = format!("{},{}", APPS[0], APPS[1]);
    let summary = invoke(&stack, (&ids, &pattern), "0").await;
    let summary = summary.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    let app = serde_json::to_value(&summary.apps[1]).unwrap();
    assert_eq!(
        (app["app"].as_str(), app["state"].as_str()),
        (Some(empty.as_str()), Some("not_set_up"))
    );
    assert_eq!(summary.apps_not_set_up(), 1);

    // A secret that does not exist stays a failure.
    let ids = format!("{},1400000009", APPS[0]);
    let err = invoke(&stack, (&ids, &pattern), "0").await;
    let err = err.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentConfiguration", "{err}");

    // So does one holding another app's credentials: never used as this app's.
    let wrong = secret(&stack, &pattern, 1_400_000_008, Some(APPS[0])).await;
    let ids = format!("{},1400000008", APPS[0]);
    let err = invoke(&stack, (&ids, &pattern), "0").await;
    let err = err.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentConfiguration", "{err}");
    assert!(err.to_string().contains(&wrong), "{err}");
    stack.emulator.shutdown().await;
}
