//! Property tests of the HTTP contract, with a fake statistics source: for
//! any event (JSON bodies, query strings, content types), no panic, no 5xx,
//! the request id on the answer, and Tencent asked only when answering 200.

use crate::common::*;
use proptest::prelude::*;
use push_stats::Apps;
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the handler and checks what must hold for any input.
fn check(e: &Value) -> Result<(), TestCaseError> {
    let Ok(request) = serde_json::from_value(e.clone()) else {
        return Ok(()); // not an API Gateway event: the runtime refuses it before us
    };
    let source = FakeSource::default();
    let response = runtime().block_on(push_stats::handle(
        &request,
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    ));
    prop_assert!(
        (200..500).contains(&response.status_code),
        "status {} for {e}",
        response.status_code
    );
    prop_assert_eq!(header(&response, "x-request-id"), Some(REQUEST_ID));
    let body = body_json(&response);
    if response.status_code == 200 {
        prop_assert_eq!(source.calls().len(), 1);
        prop_assert!(body["results"].is_array());
    } else {
        prop_assert!(source.calls().is_empty());
        prop_assert!(body["error"]["code"].is_string());
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (OCT_25 - 40 * DAY..NOV_1 + 40 * DAY).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][01][0-9]:[0-5][0-9])?)?".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..7).prop_map(Value::Array),
            prop::collection::btree_map("start|end|task_ids|\\PC{0,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn query_piece() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("start"),
        Just("end"),
        Just("task_id"),
        Just("task_ids"),
        Just("x"),
        Just("")
    ];
    let value = prop_oneof![
        (OCT_25 - 40 * DAY..NOV_1 + 40 * DAY).prop_map(|n| n.to_string()),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]".prop_map(String::from),
        "[a-z0-9,%+ -]{0,12}".prop_map(String::from),
        "\\PC{0,10}".prop_map(String::from),
    ];
    (key, value).prop_map(|(k, v)| format!("{k}={v}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_query_string(raw in "\\PC{0,80}") {
        check(&get_with_query(&raw))?;
    }

    #[test]
    fn plausible_query_strings(pieces in prop::collection::vec(query_piece(), 0..8)) {
        check(&get_with_query(&pieces.join("&")))?;
    }

    #[test]
    fn any_body_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), as_text in any::<bool>()) {
        if as_text {
            check(&post_with_body(&String::from_utf8_lossy(&bytes)))?;
        } else {
            check(&post_with_base64_body(&bytes))?;
        }
    }

    #[test]
    fn any_json_body(value in json_value()) {
        check(&post_with_body(&value.to_string()))?;
    }

    #[test]
    fn any_method_path_and_content_type(
        method in "[A-Z]{1,8}",
        path in "/[a-z/-]{0,20}",
        content_type in "\\PC{0,30}",
    ) {
        let mut e = with_path(with_method(fixture("post"), &method), &path);
        e["headers"]["content-type"] = json!(content_type);
        check(&e)?;
    }
}
