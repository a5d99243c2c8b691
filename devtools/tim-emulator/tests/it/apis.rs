//! The two emulated APIs over real HTTP, signed with `tim::usersig::Signer`:
//! getappinfo's thirty days of strings, field selection and overrides, and
//! the push statistics' validation and consistent numbers.

use serde_json::{Value, json};
use tim::api::appinfo::{DATE_FIELD, NUMERIC_FIELDS, TEXT_FIELDS};

use crate::common::*;

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
        // Every field tim knows, and nothing else.
        let fields: Vec<&str> = NUMERIC_FIELDS
            .iter()
            .chain(TEXT_FIELDS)
            .chain([&DATE_FIELD])
            .copied()
            .collect();
        for field in &fields {
            assert!(row[*field].is_string(), "{field} in {row:?}");
        }
        assert_eq!(row.len(), fields.len());
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
