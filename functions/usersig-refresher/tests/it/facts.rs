//! infra/facts.json `logs.usersig-refresher` against the refresher's log
//! lines, through the Lambda entry point (`Function::handle`): a
//! createSecret step in moto_server and a step that fails (see log_facts).

use crate::common::*;
use lambda_kit::{Function, Invocation};

#[tokio::test]
async fn usersig_refresher_logs_what_infra_facts_json_says() {
    let fixture = Fixture::new(Some(&key_json(SDKAPPID, KEY)), true).await;
    let rotator = fixture.rotator(false, None);
    let invocation = Invocation {
        request_id: uuid(),
        deadline_ms: 20_000,
        cold_start: false,
    };
    let logs = testkit::log_facts::capture();

    Function::handle(&rotator, fixture.event("createSecret"), &invocation)
        .await
        .expect("createSecret");
    let mut unknown = fixture.event("createSecret");
    unknown.step = "rebootSecret".into();
    Function::handle(&rotator, unknown, &invocation)
        .await
        .expect_err("an unknown step fails");

    logs.assert_facts("usersig-refresher");
}
