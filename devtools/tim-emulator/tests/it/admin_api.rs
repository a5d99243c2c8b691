//! The admin API as a script or an out-of-process test uses it (the
//! README's example, kept as a test).

use serde_json::{Value, json};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

#[tokio::test]
async fn health_faults_stats_and_reset_over_http() {
    let emu = Emulator::start(EmulatorConfig::default().with_app(1400000000, "the-key"))
        .await
        .unwrap();
    let admin = format!("{}/__emulator", emu.base_url());
    let http = reqwest::Client::new();

    let health: Value = http
        .get(format!("{admin}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"ok": true}));

    let queued = http
        .post(format!("{admin}/faults"))
        .body(r#"{"fault":"http_status","value":502,"times":2}"#)
        .send()
        .await
        .unwrap();
    assert!(queued.status().is_success());
    assert_eq!(
        emu.pending_faults()[0].to_fault(),
        Ok(Fault::HttpStatus(502))
    );
    assert_eq!(emu.pending_faults()[0].times, 2);

    let bad = http
        .post(format!("{admin}/faults"))
        .body(r#"{"fault":"meteor"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let stats: Value = http
        .get(format!("{admin}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 0, "admin calls are not API requests");

    http.post(format!("{admin}/reset")).send().await.unwrap();
    assert!(emu.pending_faults().is_empty());
    emu.shutdown().await;
}
