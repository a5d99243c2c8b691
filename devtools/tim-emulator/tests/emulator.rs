//! The emulator over real HTTP, signed with `tim::usersig::Signer`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::NaiveDate;
use serde_json::{Value, json};
use tim::usersig::{FixedClock, SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

const APP: u64 = 1_400_000_000;
const KEY: &str = "emulator-test-key-0123456789abcdef";
/// 2026-05-28T20:26:40Z: "today" is 2026-05-28, so days run 05-27 back to 04-28.
const NOW: u64 = 1_780_000_000;
const APPINFO: &str = "openconfigsvr/getappinfo";
const PUSH: &str = "timpush/all_member_push_statistics";
const DAY: i64 = 86_400;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn start() -> Emulator {
    start_with(EmulatorConfig::default().with_app(APP, KEY)).await
}

async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_clock(Arc::new(FixedClock(NOW))))
        .await
        .unwrap()
}

fn sign(sdkappid: u64, key: &str, identifier: &str, expire: u64, time: u64) -> String {
    Signer::new(sdkappid, SecretKey::new(key))
        .sign(identifier, expire, time)
        .expose_secret()
        .to_owned()
}

fn admin_sig() -> String {
    sign(APP, KEY, "admin", 86_400, NOW)
}

/// The query of a conforming call, as (name, value) pairs to tamper with.
fn good_params(usersig: &str) -> Vec<(String, String)> {
    [
        ("sdkappid", APP.to_string()),
        ("identifier", "admin".to_owned()),
        ("usersig", usersig.to_owned()),
        ("random", "3141592653".to_owned()),
        ("contenttype", "json".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn url_with(emu: &Emulator, command: &str, params: &[(String, String)]) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&format!("{}/v4/{command}", emu.base_url())).unwrap();
    for (k, v) in params {
        url.query_pairs_mut().append_pair(k, v);
    }
    url
}

async fn post_raw(client: &reqwest::Client, url: reqwest::Url, body: &str) -> reqwest::Response {
    client.post(url).body(body.to_owned()).send().await.unwrap()
}

/// POST with the given params; asserts HTTP 200 and returns the JSON body.
async fn post_json(
    client: &reqwest::Client,
    emu: &Emulator,
    command: &str,
    params: &[(String, String)],
    body: &str,
) -> Value {
    let response = post_raw(client, url_with(emu, command, params), body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn call(client: &reqwest::Client, emu: &Emulator, command: &str, body: Value) -> Value {
    post_json(
        client,
        emu,
        command,
        &good_params(&admin_sig()),
        &body.to_string(),
    )
    .await
}

fn assert_fail(answer: &Value, code: i64) {
    assert_eq!(answer["ErrorCode"], code, "{answer}");
    assert_eq!(answer["ActionStatus"], "FAIL", "{answer}");
    assert!(
        answer["ErrorInfo"].as_str().is_some_and(|s| !s.is_empty()),
        "{answer}"
    );
}

fn with_param(
    params: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<_> = params.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(value) = value {
        out.push((name.to_owned(), value.to_owned()));
    }
    out
}

#[tokio::test]
async fn getappinfo_answers_thirty_days_of_strings() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let answer = call(&client, &emu, APPINFO, json!({})).await;
    assert_eq!(answer["ErrorCode"], 0);
    assert_eq!(answer["ErrorInfo"], "");
    assert!(
        answer.get("ActionStatus").is_none(),
        "getappinfo's documented shape has none"
    );
    let rows = answer["Result"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let mut dates: Vec<String> = rows
        .iter()
        .map(|r| r["Date"].as_str().unwrap().to_owned())
        .collect();
    dates.sort();
    dates.dedup();
    assert_eq!(dates.len(), 30);
    assert_eq!(dates.first().unwrap(), "20260428");
    assert_eq!(dates.last().unwrap(), "20260527");
    for row in rows {
        let row = row.as_object().unwrap();
        for field in tim_emulator::opsdata::FIELDS {
            assert!(row[*field].is_string(), "{field} in {row:?}");
        }
        assert_eq!(row.len(), tim_emulator::opsdata::FIELDS.len());
        assert_eq!(row["AppId"], APP.to_string());
        for (name, value) in row {
            if !["AppName", "Company"].contains(&name.as_str()) {
                assert!(
                    value.as_str().unwrap().parse::<u64>().is_ok(),
                    "{name}={value}"
                );
            }
        }
    }
    // Deterministic: the same question, the same answer.
    assert_eq!(call(&client, &emu, APPINFO, json!({})).await, answer);
    assert_eq!(emu.ops_days().len(), 30);
    assert_eq!(emu.ops_days()[0], date(2026, 5, 27));
}

#[tokio::test]
async fn request_field_selects_fields_plus_date() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let answer = call(
        &client,
        &emu,
        APPINFO,
        json!({"RequestField": ["ChainIncrease", "ChainDecrease", "NoSuchField"]}),
    )
    .await;
    let rows = answer["Result"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    for row in rows {
        let mut names: Vec<&String> = row.as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(names, ["ChainDecrease", "ChainIncrease", "Date"]);
    }
    let bad = call(
        &client,
        &emu,
        APPINFO,
        json!({"RequestField": "ChainIncrease"}),
    )
    .await;
    assert_eq!(bad["ErrorCode"], 130001);
}

#[tokio::test]
async fn set_ops_value_overrides_a_day_until_reset() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let day = date(2026, 5, 20);
    emu.set_ops_value(APP, day, "ActiveUserNum", "123");
    emu.set_ops_value(APP, day, "BrandNewField", "x7");
    emu.set_ops_null(APP, day, "UpMsgNum");
    let answer = call(&client, &emu, APPINFO, json!({})).await;
    let row_of = |answer: &Value, d: &str| {
        answer["Result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["Date"] == d)
            .cloned()
            .unwrap()
    };
    let row = row_of(&answer, "20260520");
    assert_eq!(row["ActiveUserNum"], "123");
    assert_eq!(row["BrandNewField"], "x7");
    assert_eq!(row["UpMsgNum"], Value::Null);
    assert_ne!(row_of(&answer, "20260521")["ActiveUserNum"], "123");
    assert!(row_of(&answer, "20260521").get("BrandNewField").is_none());

    let subset = call(
        &client,
        &emu,
        APPINFO,
        json!({"RequestField": ["ActiveUserNum"]}),
    )
    .await;
    let row = row_of(&subset, "20260520");
    assert_eq!(row["ActiveUserNum"], "123");
    assert!(row.get("BrandNewField").is_none());

    emu.reset();
    let row = row_of(&call(&client, &emu, APPINFO, json!({})).await, "20260520");
    assert_ne!(row["ActiveUserNum"], "123");
}

/// (command, query, body, expected ErrorCode)
type Case<'a> = (&'a str, Vec<(String, String)>, &'a str, i64);

#[tokio::test]
async fn calling_convention_violations_get_the_documented_codes() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let good = good_params(&admin_sig());

    let get = client
        .get(url_with(&emu, APPINFO, &good))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_fail(&get.json().await.unwrap(), 60002);

    let cases: Vec<Case> = vec![
        ("openconfigsvr/nosuchcommand", good.clone(), "{}", 60009),
        ("nosuchservice/getappinfo", good.clone(), "{}", 60009),
        (APPINFO, with_param(&good, "sdkappid", None), "{}", 60012),
        (
            APPINFO,
            with_param(
                &with_param(&good, "sdkappid", None),
                "SdkAppId",
                Some(&APP.to_string()),
            ),
            "{}",
            60012,
        ),
        (
            APPINFO,
            with_param(&good, "sdkappid", Some("1400000001")),
            "{}",
            60006,
        ),
        (APPINFO, with_param(&good, "identifier", None), "{}", 60004),
        (APPINFO, with_param(&good, "usersig", None), "{}", 70002),
        (APPINFO, with_param(&good, "usersig", Some("")), "{}", 70002),
        (APPINFO, with_param(&good, "random", None), "{}", 60002),
        (
            APPINFO,
            with_param(&good, "random", Some("abc")),
            "{}",
            60002,
        ),
        (
            APPINFO,
            with_param(&good, "random", Some("4294967296")),
            "{}",
            60002,
        ),
        (APPINFO, with_param(&good, "contenttype", None), "{}", 60002),
        (
            APPINFO,
            with_param(&good, "contenttype", Some("xml")),
            "{}",
            60002,
        ),
        (APPINFO, good.clone(), "", 60003),
        (APPINFO, good.clone(), "{\"RequestField\":", 60003),
        (PUSH, good.clone(), "not json", 60003),
    ];
    for (command, params, body, code) in cases {
        let answer = post_json(&client, &emu, command, &params, body).await;
        assert_eq!(
            answer["ErrorCode"], code,
            "{command} {params:?} {body:?}: {answer}"
        );
        assert_fail(&answer, code);
    }
    // The largest u32 is a valid random.
    let ok = post_json(
        &client,
        &emu,
        APPINFO,
        &with_param(&good, "random", Some("4294967295")),
        "{}",
    )
    .await;
    assert_eq!(ok["ErrorCode"], 0);
}

/// A token with Tencent's framing but arbitrary JSON inside.
fn forge(doc: &Value) -> String {
    use std::io::Write as _;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(doc.to_string().as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD
        .encode(zlib.finish().unwrap())
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

#[tokio::test]
async fn usersig_failures_get_tencents_codes() {
    let emu = start_with(
        EmulatorConfig::default()
            .with_app(APP, KEY)
            .with_app_admins(APP + 1, "other-app-key", ["ops-admin"]),
    )
    .await;
    let client = reqwest::Client::new();
    let code_for = |usersig: String, identifier: &str, sdkappid: u64| {
        let params = with_param(
            &with_param(&good_params(&usersig), "identifier", Some(identifier)),
            "sdkappid",
            Some(&sdkappid.to_string()),
        );
        let client = client.clone();
        let emu = &emu;
        async move {
            post_json(&client, emu, APPINFO, &params, "{}").await["ErrorCode"]
                .as_i64()
                .unwrap()
        }
    };

    assert_eq!(code_for(admin_sig(), "admin", APP).await, 0);
    // Valid through its last second, expired one second later.
    assert_eq!(
        code_for(sign(APP, KEY, "admin", 100, NOW - 100), "admin", APP).await,
        0
    );
    assert_eq!(
        code_for(sign(APP, KEY, "admin", 99, NOW - 100), "admin", APP).await,
        70001
    );
    assert_eq!(
        code_for("definitely-not-a-usersig".into(), "admin", APP).await,
        70003
    );
    assert_eq!(
        code_for(sign(APP, "another-key", "admin", 600, NOW), "admin", APP).await,
        70009
    );
    assert_eq!(code_for(admin_sig(), "administrator", APP).await, 70013);
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "admin", 600, NOW),
            "admin",
            APP
        )
        .await,
        70014
    );
    let old_version = forge(&json!({
        "TLS.ver": "1.0", "TLS.identifier": "admin", "TLS.sdkappid": APP,
        "TLS.expire": 600, "TLS.time": NOW, "TLS.sig": "AAAA"
    }));
    assert_eq!(code_for(old_version, "admin", APP).await, 70003);
    // A valid UserSig of an account that is not an admin.
    assert_eq!(
        code_for(sign(APP, KEY, "alice", 600, NOW), "alice", APP).await,
        60010
    );
    // Both default admins are accepted.
    assert_eq!(
        code_for(
            sign(APP, KEY, "administrator", 600, NOW),
            "administrator",
            APP
        )
        .await,
        0
    );
    // with_app_admins replaces the defaults.
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "ops-admin", 600, NOW),
            "ops-admin",
            APP + 1
        )
        .await,
        0
    );
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "admin", 600, NOW),
            "admin",
            APP + 1
        )
        .await,
        60010
    );
}

#[tokio::test]
async fn push_statistics_validate_and_answer_consistent_integers() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let start_time = NOW as i64 - 7 * DAY;
    let tasks = ["task-a", "task-b"];
    let answer = call(
        &client,
        &emu,
        PUSH,
        json!({"StartTime": start_time, "EndTime": NOW, "TaskID": tasks}),
    )
    .await;
    assert_eq!(answer["ActionStatus"], "OK");
    assert_eq!(answer["ErrorCode"], 0);
    let results = answer["Results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|r| r["TaskID"].as_str().unwrap())
            .collect::<Vec<_>>(),
        tasks
    );
    for result in results {
        let counts = |v: &Value| {
            ["TotalCount", "SentCount", "DeliveredCount", "ClickCount"]
                .map(|f| v[f].as_u64().unwrap())
        };
        let [t, s, d, c] = counts(result);
        assert!(t >= s && s >= d && d >= c && c > 0, "{result}");
        let platforms = result["PlatformStatistics"].as_array().unwrap();
        let offline: Vec<u64> = platforms
            .iter()
            .filter(|p| p["EventType"] == 1)
            .map(|p| p["PushPlatform"].as_u64().unwrap())
            .collect();
        assert_eq!(offline, (1..=8).collect::<Vec<_>>());
        let online: Vec<&Value> = platforms.iter().filter(|p| p["EventType"] == 2).collect();
        assert_eq!(online.len(), 1);
        assert_eq!(online[0]["PushPlatform"], 0);
        for p in platforms {
            let [t, s, d, c] = counts(p);
            assert!(t >= s && s >= d && d >= c, "{p}");
        }
    }
    // Overall statistics when no TaskID is given.
    let overall = call(
        &client,
        &emu,
        PUSH,
        json!({"StartTime": start_time, "EndTime": NOW}),
    )
    .await;
    assert_eq!(overall["Results"].as_array().unwrap().len(), 1);
    assert_eq!(overall["Results"][0]["TaskID"], "");
    // Exactly 30 days is allowed.
    let thirty = call(
        &client,
        &emu,
        PUSH,
        json!({"StartTime": NOW as i64 - 30 * DAY, "EndTime": NOW}),
    )
    .await;
    assert_eq!(thirty["ErrorCode"], 0);

    for body in [
        json!({"StartTime": NOW as i64 - 30 * DAY - 1, "EndTime": NOW}),
        json!({"StartTime": NOW, "EndTime": NOW}),
        json!({"StartTime": NOW + 10, "EndTime": NOW}),
        json!({"StartTime": start_time, "EndTime": NOW, "TaskID": ["1", "2", "3", "4", "5", "6"]}),
        json!({"StartTime": start_time, "EndTime": NOW, "TaskID": [7]}),
        json!({"StartTime": start_time}),
        json!({"StartTime": start_time.to_string(), "EndTime": NOW}),
    ] {
        let answer = call(&client, &emu, PUSH, body.clone()).await;
        assert_fail(&answer, 90100);
        assert!(answer.get("Results").is_none(), "{body}");
    }
}

#[tokio::test]
async fn error_code_faults_are_consumed_in_order_and_by_command() {
    let emu = start().await;
    let client = reqwest::Client::new();
    emu.inject_for(PUSH, Fault::ErrorCode(90102), 1);
    emu.inject(Fault::ErrorCode(60007), 2);
    let push_body = json!({"StartTime": NOW as i64 - DAY, "EndTime": NOW});

    // The getappinfo call skips the push-only fault and takes the next one.
    assert_fail(&call(&client, &emu, APPINFO, json!({})).await, 60007);
    assert_fail(&call(&client, &emu, PUSH, push_body.clone()).await, 90102);
    assert_fail(&call(&client, &emu, PUSH, push_body.clone()).await, 60007);
    assert_eq!(
        call(&client, &emu, PUSH, push_body.clone()).await["ErrorCode"],
        0
    );
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );

    emu.inject(Fault::ErrorCode(60007), 5);
    assert_eq!(emu.pending_faults().len(), 1);
    emu.clear_faults();
    assert!(emu.pending_faults().is_empty());
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );
    // Faults answer before any check: even an unsigned request gets them.
    emu.inject(Fault::ErrorCode(60007), 1);
    let unsigned = post_json(&client, &emu, APPINFO, &[], "{}").await;
    assert_fail(&unsigned, 60007);
}

#[tokio::test]
async fn http_status_and_body_faults() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let url = url_with(&emu, APPINFO, &good_params(&admin_sig()));

    emu.inject_for(APPINFO, Fault::HttpStatus(502), 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));

    emu.inject(Fault::NonJsonBody, 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let full = post_raw(&client, url.clone(), "{}")
        .await
        .bytes()
        .await
        .unwrap();
    emu.inject(Fault::TruncatedBody, 1);
    let response = post_raw(&client, url.clone(), "{}").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some((full.len() / 2) as u64));
    let truncated = response.bytes().await.unwrap();
    assert_eq!(&truncated[..], &full[..full.len() / 2]);
    assert!(serde_json::from_slice::<Value>(&truncated).is_err());

    // The framing stayed correct: the same connection answers normally after.
    let after = post_raw(&client, url, "{}").await.bytes().await.unwrap();
    assert_eq!(after, full);
    assert_eq!(emu.stats().connections, 1);
}

#[tokio::test]
async fn delay_fault_outlasts_a_client_timeout_then_answers_normally() {
    let emu = start().await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let patient = reqwest::Client::new();
    let url = url_with(&emu, APPINFO, &good_params(&admin_sig()));
    emu.inject(Fault::Delay(Duration::from_millis(600)), 1);
    let err = impatient
        .post(url.clone())
        .body("{}")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(emu.pending_faults().is_empty(), "the delay was used up");

    // The delayed answer is the normal one, however long it took.
    emu.inject(Fault::Delay(Duration::from_millis(20)), 1);
    let answer: Value = patient
        .post(url)
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["Result"].as_array().unwrap().len(), 30);
    assert_eq!(emu.stats().requests, 2);
}

#[tokio::test]
async fn counts_requests_and_reused_connections() {
    let emu = start().await;
    let client = reqwest::Client::new();
    for _ in 0..10 {
        assert_eq!(
            call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
            0
        );
    }
    let stats = emu.stats();
    assert_eq!(stats.requests, 10);
    assert_eq!(
        stats.connections, 1,
        "keep-alive: one connection for sequential calls"
    );
    assert_eq!(stats.per_command.get(APPINFO), Some(&10));

    // A rejected or faulted request is still a request; another client, another connection.
    let other = reqwest::Client::new();
    emu.inject(Fault::HttpStatus(502), 1);
    post_raw(&other, url_with(&emu, PUSH, &[]), "{}").await;
    post_raw(&other, url_with(&emu, PUSH, &[]), "{}").await;
    let stats = emu.stats();
    assert_eq!(stats.requests, 12);
    assert_eq!(stats.connections, 2);
    assert_eq!(stats.per_command.get(PUSH), Some(&2));

    // Admin calls are not API requests (their connection is a connection).
    let admin: Value = reqwest::get(format!("{}/__emulator/stats", emu.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["requests"], 12);
    let stats = emu.stats();
    assert_eq!(stats.requests, 12);
    assert_eq!(stats.connections, 3);

    emu.reset_stats();
    assert_eq!(emu.stats(), tim_emulator::Stats::default());
}

#[tokio::test]
async fn admin_http_api_drives_faults_ops_stats_and_reset() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let admin = |route: &str| format!("{}/__emulator/{route}", emu.base_url());

    let health: Value = client
        .get(admin("health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);

    let injected = client
        .post(admin("faults"))
        .json(&json!({"fault": "error_code", "value": 60007, "times": 2, "command": APPINFO}))
        .send()
        .await
        .unwrap();
    assert_eq!(injected.status(), 200);
    for spec in [
        json!({"fault": "http_status", "value": 503}),
        json!({"fault": "delay", "value": 1}),
        json!({"fault": "truncated_body"}),
        json!({"fault": "non_json_body", "times": 1}),
    ] {
        let response = client
            .post(admin("faults"))
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{spec}");
    }
    let pending: Value = client
        .get(admin("faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pending = pending["faults"].as_array().unwrap();
    assert_eq!(pending.len(), 5);
    assert_eq!(
        pending[0],
        json!({"fault": "error_code", "value": 60007, "times": 2, "command": APPINFO})
    );

    assert_fail(&call(&client, &emu, APPINFO, json!({})).await, 60007);
    assert_eq!(
        client
            .delete(admin("faults"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(emu.pending_faults().is_empty());
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );

    for bad in [
        json!({"fault": "explode"}),
        json!({"fault": "error_code"}),
        json!({"value": 1}),
    ] {
        let response = client
            .post(admin("faults"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    assert_eq!(
        client.get(admin("nope")).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        client.put(admin("stats")).send().await.unwrap().status(),
        405
    );

    let set = client
        .post(admin("ops"))
        .json(&json!({"sdkappid": APP, "date": "2026-05-27", "field": "LoginTimes", "value": "42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let answer = call(
        &client,
        &emu,
        APPINFO,
        json!({"RequestField": ["LoginTimes"]}),
    )
    .await;
    let day = answer["Result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Date"] == "20260527")
        .unwrap()
        .clone();
    assert_eq!(day, json!({"Date": "20260527", "LoginTimes": "42"}));
    let bad_date = client
        .post(admin("ops"))
        .json(&json!({"sdkappid": APP, "date": "27/05/2026", "field": "LoginTimes", "value": "42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_date.status(), 400);

    let stats: Value = client
        .get(admin("stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["connections"], 1);
    assert_eq!(stats["per_command"][APPINFO], 3);

    client
        .post(admin("faults"))
        .json(&json!({"fault": "non_json_body"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client.post(admin("reset")).send().await.unwrap().status(),
        200
    );
    assert_eq!(emu.stats().requests, 0);
    assert!(emu.pending_faults().is_empty());
    let answer = call(
        &client,
        &emu,
        APPINFO,
        json!({"RequestField": ["LoginTimes"]}),
    )
    .await;
    let day = answer["Result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Date"] == "20260527")
        .unwrap()
        .clone();
    assert_ne!(day["LoginTimes"], "42");
}

#[tokio::test]
async fn shutdown_closes_the_port_and_open_connections() {
    let emu = start().await;
    let client = reqwest::Client::new();
    assert_eq!(
        call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
        0
    );
    let url = url_with(&emu, APPINFO, &good_params(&admin_sig()));
    emu.shutdown().await;
    emu.shutdown().await; // idempotent
    assert!(client.post(url.clone()).body("{}").send().await.is_err());
    assert!(
        reqwest::Client::new()
            .post(url)
            .body("{}")
            .send()
            .await
            .is_err()
    );
}

#[test]
fn a_background_emulator_serves_several_runtimes() {
    let emu = Emulator::start_in_background(
        EmulatorConfig::default()
            .with_app(APP, KEY)
            .with_clock(Arc::new(FixedClock(NOW))),
    )
    .unwrap();
    for _ in 0..2 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            assert_eq!(
                call(&client, &emu, APPINFO, json!({})).await["ErrorCode"],
                0
            );
        });
    }
    assert_eq!(emu.stats().requests, 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(emu.shutdown());
}
