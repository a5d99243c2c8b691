//! Several apps behind one endpoint, through the handler with fake sources:
//! the request's `sdkappid` picks the app Tencent is asked about, the 200
//! body names it, and the two 400s (`sdkappid_required`, `unknown_sdkappid`).

use crate::common::*;
use push_stats::{App, Apps, handle};
use serde_json::{Value, json};

const A: u64 = 1_400_000_001;
const B: u64 = 1_400_000_002;
const OCT_25: i64 = 1_792_886_400;
const NOV_1: i64 = 1_793_491_200;

/// Apps `a` and `b`, in that order.
fn two_apps(a: (u64, FakeSource), b: (u64, FakeSource)) -> Apps<FakeSource> {
    let app = |(sdkappid, source)| App { sdkappid, source };
    Apps::new(vec![app(a), app(b)])
}

/// Apps A and B, Tencent answering for both.
fn apps_a_and_b() -> Apps<FakeSource> {
    two_apps((A, FakeSource::default()), (B, FakeSource::default()))
}

async fn run(event_json: &Value, apps: &Apps<FakeSource>) -> (i64, Value) {
    let response = handle(&event(event_json), &invocation(), apps).await;
    assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
    (response.status_code, body_json(&response))
}

fn get(sdkappid: &str) -> Value {
    get_with_query(&format!(
        "sdkappid={sdkappid}&start={OCT_25}&end={NOV_1}&task_id=t-1"
    ))
}

fn post(sdkappid: Value) -> Value {
    post_with_body(&json!({"sdkappid": sdkappid, "start": OCT_25, "end": NOV_1}).to_string())
}

#[tokio::test]
async fn a_get_and_a_post_reach_the_app_they_name_and_the_body_says_which() {
    let apps = apps_a_and_b();
    let (status, body) = run(&get(&B.to_string()), &apps).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sdkappid"], json!(B));
    assert_eq!(body["results"][0]["task_id"], "t-1");

    // POST: a number or a string of digits.
    for sdkappid in [json!(A), json!(A.to_string())] {
        let (status, body) = run(&post(sdkappid.clone()), &apps).await;
        assert_eq!(status, 200, "{sdkappid}: {body}");
        assert_eq!(body["sdkappid"], json!(A), "{sdkappid}");
    }
    let (a, b) = apps_calls(&apps);
    assert_eq!((a, b), (2, 1), "Tencent asked as the app named");
}

/// How many Tencent calls each of the two fakes saw.
fn apps_calls(apps: &Apps<FakeSource>) -> (usize, usize) {
    let sources: Vec<&FakeSource> = apps.iter().map(|app| &app.source).collect();
    (sources[0].calls().len(), sources[1].calls().len())
}

#[tokio::test]
async fn several_apps_and_none_named_or_an_unknown_one_are_400s_without_a_tencent_call() {
    let apps = apps_a_and_b();
    for (event, code) in [
        (fixture("get"), "sdkappid_required"),
        (fixture("post"), "sdkappid_required"),
        (post(Value::Null), "sdkappid_required"),
        (get("7"), "unknown_sdkappid"),
        (post(json!("1400000003")), "unknown_sdkappid"),
        (get(""), "invalid_sdkappid"),
        (get("-1"), "invalid_sdkappid"),
        (post(json!(-1)), "invalid_sdkappid"),
        (post(json!(1.5)), "invalid_sdkappid"),
        (post(json!(true)), "invalid_sdkappid"),
        (post(json!("14e8")), "invalid_sdkappid"),
    ] {
        let (status, body) = run(&event, &apps).await;
        assert_eq!(
            (
                status,
                body["error"]["code"].as_str(),
                body["error"]["parameter"].as_str()
            ),
            (400, Some(code), Some("sdkappid")),
            "{event}: {body}"
        );
    }
    assert_eq!(apps_calls(&apps), (0, 0));
}

#[tokio::test]
async fn with_one_app_sdkappid_may_be_left_out_and_must_match_when_given() {
    let one = Apps::one(A, FakeSource::default());
    for event in [
        fixture("get"),
        fixture("post"),
        get(&A.to_string()),
        post(json!(A)),
    ] {
        let (status, body) = run(&event, &one).await;
        assert_eq!(
            (status, &body["sdkappid"]),
            (200, &json!(A)),
            "{event}: {body}"
        );
    }
    let (status, body) = run(&get(&B.to_string()), &one).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_sdkappid"))
    );
}

#[tokio::test]
async fn one_apps_unreadable_secret_costs_the_other_nothing() {
    let unreadable = tim::Error::credentials_transient("ThrottlingException");
    let apps = two_apps(
        (A, FakeSource::failing(unreadable)),
        (B, FakeSource::default()),
    );
    let (status, body) = run(&get(&B.to_string()), &apps).await;
    assert_eq!((status, &body["sdkappid"]), (200, &json!(B)), "{body}");

    let (status, body) = run(&get(&A.to_string()), &apps).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("credentials_unavailable")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains("Throttling"), "{message}");

    // The configured ids say an id is unknown, whatever the secrets do.
    let (status, body) = run(&get("7"), &apps).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_sdkappid")),
        "{body}"
    );
    assert_eq!(apps_calls(&apps), (1, 1));
}

#[tokio::test]
async fn the_sdkappid_fixtures_ask_the_same_as_get_json_of_their_app() {
    let one = Apps::one(FAKE_APP, FakeSource::default());
    let (status, plain) = run(&fixture("get"), &one).await;
    assert_eq!(status, 200);
    let two = two_apps(
        (FAKE_APP, FakeSource::default()),
        (B, FakeSource::default()),
    );
    for name in ["get-sdkappid", "post-sdkappid"] {
        for apps in [&one, &two] {
            let (status, body) = run(&fixture(name), apps).await;
            assert_eq!(status, 200, "{name}: {body}");
            assert_eq!(body, plain, "{name}");
            assert_eq!(body["sdkappid"], json!(FAKE_APP));
        }
    }
    let asked = apps_calls(&two);
    assert_eq!(asked, (2, 0));
    assert_eq!(
        two.iter().next().unwrap().source.calls(),
        one.iter().next().unwrap().source.calls()[1..]
    );
}
