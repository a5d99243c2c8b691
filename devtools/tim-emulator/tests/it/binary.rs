//! The `tim-emulator` binary as scripts run it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::Value;
use tim::usersig::{SecretKey, Signer};

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");
const KEY_A: &str = "binary-test-key-a-do-not-log";
const KEY_B: &str = "binary-test-key-b-do-not-log";

#[tokio::test]
async fn serves_the_configured_apps_until_sigterm_without_logging_secrets() {
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--app",
            &format!("1400000000={KEY_A}"),
        ])
        .env("TIM_EMULATOR_APPS", format!("1400000001={KEY_B}"))
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base_url = line
        .strip_prefix("tim-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let client = reqwest::Client::new();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let mut usersigs = Vec::new();
    for (sdkappid, key) in [(1_400_000_000u64, KEY_A), (1_400_000_001, KEY_B)] {
        let usersig = Signer::new(sdkappid, SecretKey::new(key)).sign("administrator", 600, now);
        let url = format!(
            "{base_url}/v4/openconfigsvr/getappinfo?sdkappid={sdkappid}&identifier=administrator&usersig={}&random=7&contenttype=json",
            usersig.expose_secret()
        );
        let answer: Value = client
            .post(url)
            .body("{}")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["ErrorCode"], 0, "{answer}");
        assert_eq!(answer["Result"].as_array().unwrap().len(), 30);
        usersigs.push(usersig.expose_secret().to_owned());
    }
    // A rejected UserSig is logged by its code, not its text.
    let wrong = Signer::new(1_400_000_000, SecretKey::new(KEY_B)).sign("administrator", 600, now);
    let url = format!(
        "{base_url}/v4/openconfigsvr/getappinfo?sdkappid=1400000000&identifier=administrator&usersig={}&random=7&contenttype=json",
        wrong.expose_secret()
    );
    let answer: Value = client
        .post(url)
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ErrorCode"], 70009);
    usersigs.push(wrong.expose_secret().to_owned());

    let stats: Value = client
        .get(format!("{base_url}/__emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 3);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("answered"), "logs go to stderr: {stderr}");
    for secret in [KEY_A, KEY_B].iter().map(|s| s.to_string()).chain(usersigs) {
        assert!(!stderr.contains(&secret), "a secret reached the log");
    }
}

#[test]
fn refuses_to_start_without_an_app() {
    let output = Command::new(BIN)
        .env_remove("TIM_EMULATOR_APPS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--app"));
    let output = Command::new(BIN)
        .args(["--app", "not-a-number=key"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn enforce_rate_limits_flag_refuses_a_second_push_call_within_a_second() {
    let mut child = Command::new(BIN)
        .args([
            "--enforce-rate-limits",
            "--app",
            &format!("1400000000={KEY_A}"),
        ])
        .env_remove("TIM_EMULATOR_APPS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim_end()
        .trim_start_matches("tim-emulator listening on ")
        .to_owned();
    let client = reqwest::Client::new();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let usersig = Signer::new(1_400_000_000, SecretKey::new(KEY_A)).sign("administrator", 600, now);
    let url = format!(
        "{base_url}/v4/timpush/all_member_push_statistics?sdkappid=1400000000&identifier=administrator&usersig={}&random=7&contenttype=json",
        usersig.expose_secret()
    );
    let body = format!(r#"{{"StartTime":{},"EndTime":{now}}}"#, now - 86_400);
    let mut codes = Vec::new();
    // Three calls within milliseconds: at least two share a second.
    for _ in 0..3 {
        let answer: Value = client
            .post(&url)
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        codes.push(answer["ErrorCode"].as_i64().unwrap());
    }
    let stats: Value = client
        .get(format!("{base_url}/__emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    assert_eq!(codes[0], 0, "{codes:?}");
    let refused = codes.iter().filter(|&&code| code == 60007).count();
    assert!((1..=2).contains(&refused), "{codes:?}");
    let push = "timpush/all_member_push_statistics";
    assert_eq!(
        stats["rate_limited"][push]["1400000000"], refused,
        "{stats}"
    );
    assert_eq!(stats["calls"][push]["1400000000"], 3, "{stats}");
}
