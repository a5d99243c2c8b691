//! The HTTP contract, driven with the events in `events/push-stats/` and a
//! fake statistics source: the good requests (GET, POST, base64 POST,
//! stages, content types) and the mapping of Tencent's failures to
//! statuses. Bad requests are in `http_bad_requests.rs`, the property tests
//! (no panic, no 5xx for any input) in `http_properties.rs`.

use crate::common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn get_fixture_asks_tencent_for_the_two_tasks_and_answers_200() {
    let source = FakeSource::default();
    let response = handle_with(&fixture("get"), &source).await;

    assert_eq!(response.status_code, 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
    let calls = source.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].start_time, calls[0].end_time), (OCT_25, NOV_1));
    assert_eq!(
        calls[0].task_ids,
        ["a1b2c3d4-push-001", "a1b2c3d4-push-002"]
    );

    let body = body_json(&response);
    assert_eq!(
        body["window"],
        json!({"start": OCT_25, "end": NOV_1, "start_iso": "2026-10-25T00:00:00Z", "end_iso": "2026-11-01T00:00:00Z"})
    );
    let first = &body["results"][0];
    assert_eq!(first["task_id"], "a1b2c3d4-push-001");
    // The fake answers total 117, sent 107, delivered 67, clicked 5.
    assert_eq!(
        (first["total"].as_u64(), first["sent"].as_u64()),
        (Some(117), Some(107))
    );
    assert_eq!(first["delivery_rate"], json!(0.6262));
    assert_eq!(first["click_rate"], json!(0.0746));
    assert_eq!(first["platforms"][0]["event"], "offline");
    assert_eq!(first["platforms"][0]["platform"], "apns");
    assert_eq!(first["platforms"][0]["delivery_rate"], json!(0.6667));
    assert_eq!(first["platforms"][1]["event"], "online");
    assert_eq!(first["platforms"][1]["platform"], "unknown");
    assert_eq!(first["platforms"][1]["delivery_rate"], Value::Null);
    assert_eq!(first["platforms"][1]["click_rate"], Value::Null);
}

#[tokio::test]
async fn post_and_base64_post_fixtures_mean_the_same_as_the_get() {
    let get = FakeSource::default();
    let get_response = handle_with(&fixture("get"), &get).await;
    for name in ["post", "post-base64"] {
        let source = FakeSource::default();
        let response = handle_with(&fixture(name), &source).await;
        assert_eq!(response.status_code, 200, "{name}: {:?}", response.body);
        assert_eq!(source.calls(), get.calls(), "{name}");
        assert_eq!(body_json(&response), body_json(&get_response), "{name}");
    }
}

#[tokio::test]
async fn without_task_ids_the_overall_statistics_come_back_with_a_null_task_id() {
    let source = FakeSource::default();
    let response = handle_with(&fixture("get-overall"), &source).await;
    assert_eq!(response.status_code, 200);
    // 2026-10-25T00:00:00+08:00 is 16:00 UTC the day before.
    assert_eq!(source.calls()[0].start_time, OCT_25 - 8 * 3600);
    assert!(source.calls()[0].task_ids.is_empty());
    let body = body_json(&response);
    assert_eq!(body["window"]["start_iso"], "2026-10-24T16:00:00Z");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["results"][0]["task_id"], Value::Null);

    let post = FakeSource::default();
    let body = json!({"start": OCT_25, "end": NOV_1}).to_string();
    assert_eq!(
        handle_with(&post_with_body(&body), &post).await.status_code,
        200
    );
    assert!(post.calls()[0].task_ids.is_empty());
}

#[tokio::test]
async fn a_named_stage_prefix_is_part_of_the_route() {
    let mut e = with_path(fixture("get"), "/prod/push-stats");
    e["requestContext"]["stage"] = json!("prod");
    assert_eq!(
        handle_with(&e, &FakeSource::default()).await.status_code,
        200
    );
    // Without the stage named, the same path is not ours.
    let e = with_path(fixture("get"), "/prod/push-stats");
    assert_eq!(
        handle_with(&e, &FakeSource::default()).await.status_code,
        404
    );
}

#[tokio::test]
async fn content_type_with_parameters_or_a_json_suffix_is_accepted_and_absence_too() {
    for content_type in [
        Some("application/json; charset=utf-8"),
        Some("application/vnd.api+json"),
        None,
    ] {
        let mut e = fixture("post");
        match content_type {
            Some(ct) => e["headers"]["content-type"] = json!(ct),
            None => {
                e["headers"].as_object_mut().unwrap().remove("content-type");
            }
        }
        assert_eq!(
            handle_with(&e, &FakeSource::default()).await.status_code,
            200,
            "{content_type:?}"
        );
    }
}

#[tokio::test]
async fn tencent_failures_map_to_honest_statuses_with_headers() {
    let api = |code: i64| tim::Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code,
        info: "from Tencent".into(),
    };
    let cases = [
        (api(60007), 429, "rate_limited"),
        (api(70001), 502, "upstream_auth"),
        (api(90009), 502, "upstream_configuration"),
        (api(90100), 502, "upstream_rejected"),
        (api(90102), 502, "upstream_error"),
        (
            tim::Error::Http {
                command: "x".into(),
                status: 503,
            },
            502,
            "upstream_error",
        ),
        (
            tim::Error::Deadline {
                command: "x".into(),
                attempts: 3,
                last: None,
            },
            504,
            "upstream_timeout",
        ),
        (
            tim::Error::credentials("secret not found"),
            502,
            "credentials_unavailable",
        ),
    ];
    for (error, status, code) in cases {
        let source = FakeSource::failing(error);
        let response = handle_with(&fixture("get"), &source).await;
        assert_eq!(source.calls().len(), 1);
        let body = body_json(&response);
        assert_eq!(
            (response.status_code, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert_eq!(body["error"]["request_id"], REQUEST_ID);
        assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
        // A refused UserSig says when to come back, like a rate limit.
        assert_eq!(
            header(&response, "retry-after").is_some(),
            status == 429 || code == "upstream_auth",
            "{code}"
        );
    }
    let response = handle_with(&fixture("get"), &FakeSource::failing(api(60007))).await;
    assert_eq!(header(&response, "retry-after"), Some("1"));
    let response = handle_with(&fixture("get"), &FakeSource::failing(api(70001))).await;
    assert_eq!(header(&response, "retry-after"), Some("60"));
}
