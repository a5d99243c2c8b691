//! Reading and validating the caller's question.

use super::*;

const NOV_1: i64 = 1_793_491_200;
const DAY: i64 = 86_400;

fn code(result: Result<StatsQuery, ApiError>) -> (ErrorCode, Option<String>) {
    let err = result.expect_err("should be refused");
    (err.code, err.parameter)
}

#[test]
fn reads_a_query_with_repeated_and_comma_separated_task_ids() {
    let query = StatsQuery::from_query_string(
        "start=2026-11-01&end=2026-11-08&task_id=a,b&task_id=c&task_id=a",
    )
    .unwrap();
    assert_eq!(
        query,
        StatsQuery {
            sdkappid: None,
            start: NOV_1,
            end: NOV_1 + 7 * DAY,
            task_ids: vec!["a".into(), "b".into(), "c".into()],
        }
    );
}

#[test]
fn percent_encoded_offsets_and_bare_plus_both_work() {
    let encoded =
        StatsQuery::from_query_string("start=2026-11-01T08%3A00%3A00%2B08%3A00&end=1794096000")
            .unwrap();
    let unencoded =
        StatsQuery::from_query_string("start=2026-11-01T08:00:00+08:00&end=1794096000").unwrap();
    assert_eq!(encoded.start, NOV_1);
    assert_eq!(unencoded, encoded);
}

#[test]
fn reads_a_json_body_with_numbers_and_strings() {
    let query = StatsQuery::from_json_body(
        br#"{"start": 1793491200, "end": "2026-11-08T00:00:00Z", "task_ids": ["t-1"]}"#,
    )
    .unwrap();
    assert_eq!(
        (query.start, query.end, query.task_ids),
        (NOV_1, NOV_1 + 7 * DAY, vec!["t-1".to_owned()])
    );
    let overall = StatsQuery::from_json_body(
        br#"{"start": 1793491200.0, "end": "1794096000", "task_ids": null}"#,
    )
    .unwrap();
    assert!(overall.task_ids.is_empty());
}

#[test]
fn exactly_thirty_days_and_five_distinct_ids_pass() {
    let q = format!("start={NOV_1}&end={}&task_id=a,b,c,d,e,a", NOV_1 + 30 * DAY);
    assert_eq!(StatsQuery::from_query_string(&q).unwrap().task_ids.len(), 5);
    let q = format!("start={NOV_1}&end={}", NOV_1 + 30 * DAY + 1);
    assert_eq!(
        code(StatsQuery::from_query_string(&q)),
        (ErrorCode::WindowTooLong, Some("end".into()))
    );
}

#[test]
fn refuses_repeated_json_keys() {
    let body = br#"{"start": 1793491200, "end": 1794096000, "start": 1}"#;
    assert_eq!(
        code(StatsQuery::from_json_body(body)),
        (ErrorCode::DuplicateParameter, Some("start".into()))
    );
}

#[test]
fn a_task_id_may_be_unicode_but_not_too_long() {
    let ok = format!(
        "start={NOV_1}&end={}&task_id=%E6%8E%A8%E9%80%81",
        NOV_1 + DAY
    );
    assert_eq!(
        StatsQuery::from_query_string(&ok).unwrap().task_ids,
        vec!["推送".to_owned()]
    );
    let long = format!(
        "start={NOV_1}&end={}&task_id={}",
        NOV_1 + DAY,
        "x".repeat(129)
    );
    assert_eq!(
        code(StatsQuery::from_query_string(&long)).0,
        ErrorCode::InvalidTaskId
    );
}

#[test]
fn messages_say_what_is_wrong() {
    let err =
        StatsQuery::from_query_string("start=2026-11-01T12:00:00&end=2026-11-02").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidTime);
    assert!(err.message.contains("offset"), "{}", err.message);
    let err = StatsQuery::from_query_string("start=2026-11-08&end=2026-11-01").unwrap_err();
    assert!(
        err.message.contains("must be after start"),
        "{}",
        err.message
    );
}

#[test]
fn sdkappid_is_read_from_the_query_and_the_body_as_digits() {
    let window = format!("start={NOV_1}&end={}", NOV_1 + DAY);
    let get = |extra: &str| StatsQuery::from_query_string(&format!("{window}{extra}"));
    assert_eq!(get("").unwrap().sdkappid, None);
    assert_eq!(
        get("&sdkappid=1400000001").unwrap().sdkappid,
        Some(1_400_000_001)
    );
    let post = |sdkappid: &str| {
        StatsQuery::from_json_body(
            format!(
                r#"{{"sdkappid": {sdkappid}, "start": {NOV_1}, "end": {}}}"#,
                NOV_1 + DAY
            )
            .as_bytes(),
        )
    };
    assert_eq!(post("1400000001").unwrap().sdkappid, Some(1_400_000_001));
    assert_eq!(
        post(r#""1400000001""#).unwrap().sdkappid,
        Some(1_400_000_001)
    );
    assert_eq!(post("null").unwrap().sdkappid, None);

    let invalid = (ErrorCode::InvalidSdkappid, Some("sdkappid".to_owned()));
    for extra in [
        "&sdkappid=",
        "&sdkappid=-1",
        "&sdkappid=%2B1",
        "&sdkappid=1.0",
        "&sdkappid=14e8",
        "&sdkappid=%201",
        "&sdkappid=abc",
        "&sdkappid=99999999999999999999",
    ] {
        assert_eq!(code(get(extra)), invalid, "{extra}");
    }
    for value in [
        "-1",
        "1400000001.0",
        "1.5",
        "true",
        "false",
        r#""""#,
        r#""-1""#,
        r#""1e9""#,
        r#"" 1""#,
        "[1]",
        "{}",
        "18446744073709551616",
    ] {
        assert_eq!(code(post(value)), invalid, "{value}");
    }
    assert_eq!(
        code(get("&sdkappid=1&sdkappid=1")),
        (ErrorCode::DuplicateParameter, Some("sdkappid".into()))
    );
    let err = get("&SDKAppID=1").unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownParameter);
    assert!(err.message.contains("use sdkappid"), "{}", err.message);
}

#[test]
fn times_are_unix_seconds_dates_or_timestamps_with_an_offset() {
    let start = |value: &str| {
        StatsQuery::from_query_string(&format!("start={value}&end={}", NOV_1 + DAY))
            .map(|q| q.start)
    };
    for ok in [
        "1793491200",
        "2026-11-01",
        "2026-11-01T00:00:00Z",
        "2026-11-01T08:00:00%2B08:00",
        "2026-10-31T19:00:00-05:00",
        "2026-11-01T00:00:00.999Z",
        "2026-11-01t00:00:00z",
    ] {
        assert_eq!(start(ok), Ok(NOV_1), "{ok}");
    }
    for bad in [
        "",
        "yesterday",
        "%201793491200",
        "1793491200.5",
        "2026-11-01T12:00:00",
        "2026-02-30",
        "2026-11-01T25:00:00Z",
        "-5",
        "1793491200000",
        "99999999999999999999999",
        "1969-12-31T23:59:59Z",
        "2026/11/01",
    ] {
        let err = start(bad).unwrap_err();
        assert_eq!(
            (err.code, err.parameter.as_deref()),
            (ErrorCode::InvalidTime, Some("start")),
            "{bad}"
        );
    }
}
