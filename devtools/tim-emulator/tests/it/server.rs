//! The server around the APIs: request and connection counters, the admin
//! HTTP API, shutdown, and an emulator shared by several runtimes.

use std::sync::Arc;

use serde_json::{Value, json};
use tim::usersig::FixedClock;
use tim_emulator::{Emulator, EmulatorConfig, Fault};

use crate::common::*;

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
