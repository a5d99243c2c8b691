//! infra/facts.json `logs.ops-pull` against ops-pull's log lines (see
//! log_facts): one run over two apps, one of which Tencent refuses (a
//! failed pull) while the other has a day whose write fails (a failed day).

use std::sync::atomic::Ordering;

use crate::common::*;

const REFUSED_APP: u64 = 1_400_000_001;

#[tokio::test]
async fn ops_pull_logs_what_infra_facts_json_says() {
    let mut h = harness(&[APP, REFUSED_APP]).await;
    // REFUSED_APP's UserSig is signed with the wrong key: Tencent refuses it.
    h.function.apps[1] = tencent_app(&h.emulator.base_url(), REFUSED_APP, "not-its-key");
    h.function.store.fail_next_day.store(true, Ordering::SeqCst);

    let logs = testkit::log_facts::capture();
    let run = h.invoke(event("scheduled")).await;
    let err = run.unwrap_err().to_string();
    assert!(
        err.contains("sdkappid 1400000001)") && err.contains("dt="),
        "{err}"
    );
    logs.assert_facts("ops-pull");
    h.emulator.shutdown().await;
}
