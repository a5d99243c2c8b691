//! infra/facts.json `logs.push-stats` against push-stats' log lines: a
//! refused request and a failed Tencent call (see log_facts).

use crate::common::*;
use push_stats::window::RETENTION_SECS;
use push_stats::{Apps, handle};

#[tokio::test]
async fn push_stats_logs_what_infra_facts_json_says() {
    let logs = testkit::log_facts::capture();

    // Refused before Tencent is asked: a window older than Tencent keeps.
    let oldest = FIXTURE_NOW - RETENTION_SECS;
    let too_old = get_with_query(&format!("start={}&end={}", oldest - 1, oldest + 86_400));
    let source = FakeSource::default();
    let response = handle(
        &event(&too_old),
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    )
    .await;
    assert_eq!(response.status_code, 400);

    // Tencent answers an error code.
    let source = FakeSource::failing(tim::Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code: 90102,
        info: "from Tencent".into(),
    });
    let response = handle(
        &event(&fixture("get")),
        &invocation(),
        &Apps::one(FAKE_APP, &source),
    )
    .await;
    assert_eq!(response.status_code, 502);

    logs.assert_facts("push-stats");
}
