//! The REST client against the in-process Tencent emulator: the typed APIs
//! (getappinfo, push statistics), connection reuse, and configuration
//! errors.

use std::sync::Arc;

use testkit::http_client;
use tim::api::appinfo::{AppInfoDay, AppInfoRequest, OpsValue};
use tim::api::push::{EventType, PushPlatform, PushStatsRequest};
use tim::{Client, ClientConfig, Error, ErrorClass};

use crate::common::client::*;

#[tokio::test]
async fn one_tcp_connection_serves_sequential_calls() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    for _ in 0..20 {
        client
            .get_app_info(&AppInfoRequest::all_fields(), soon())
            .await
            .unwrap();
    }

    let stats = emu.stats();
    assert_eq!(stats.requests, 20);
    assert_eq!(
        stats.connections, 1,
        "keep-alive: one connection for all calls"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn get_app_info_is_typed() {
    let emu = emulator().await;
    let days = emu.ops_days();
    emu.set_ops_value(APP, days[0], "ActiveUserNum", "123");
    emu.set_ops_value(APP, days[1], "BrandNewCounter", "77");
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    let mut dates: Vec<_> = info.days.iter().map(|d| d.date.clone().unwrap()).collect();
    dates.sort_unstable();
    dates.dedup();
    assert_eq!(dates.len(), 30, "30 distinct days");
    for day in &info.days {
        assert!(
            day.date.is_ok() && day.malformed_fields().next().is_none(),
            "{day:?}"
        );
        assert!(number(day, "ActiveUserNum").is_some());
        assert_eq!(number(day, "AppId"), Some(i64::try_from(APP).unwrap()));
        assert!(matches!(day.values.get("AppName"), Some(OpsValue::Text(_))));
    }
    let first = info.days.iter().find(|d| d.date == Ok(days[0])).unwrap();
    assert_eq!(number(first, "ActiveUserNum"), Some(123));
    let second = info.days.iter().find(|d| d.date == Ok(days[1])).unwrap();
    assert_eq!(
        number(second, "BrandNewCounter"),
        Some(77),
        "unknown fields are kept"
    );
    let raw: serde_json::Value = serde_json::from_slice(&info.raw).unwrap();
    assert_eq!(
        raw["ErrorCode"], 0,
        "the raw body is Tencent's answer as sent"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn get_app_info_honours_a_field_subset() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    let request = AppInfoRequest::only(["ChainIncrease", "ChainDecrease"]);
    let info = client.get_app_info(&request, soon()).await.unwrap();

    assert_eq!(info.days.len(), 30);
    for day in &info.days {
        assert!(day.date.is_ok());
        let names: Vec<&str> = day.values.keys().map(String::as_str).collect();
        assert_eq!(names, ["ChainDecrease", "ChainIncrease"]);
        assert!(number(day, "ChainIncrease").is_some());
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn push_statistics_are_typed() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));
    let end = 1_762_000_000;
    let request = PushStatsRequest {
        start_time: end - 7 * 86_400,
        end_time: end,
        task_ids: vec!["task-a".into(), "task-b".into()],
    };

    let stats = client
        .all_member_push_statistics(&request, soon())
        .await
        .unwrap();

    let ids: Vec<&str> = stats.results.iter().map(|r| r.task_id.as_str()).collect();
    assert_eq!(ids, ["task-a", "task-b"]);
    for task in &stats.results {
        assert!(task.counts.total >= task.counts.sent);
        let platforms: Vec<PushPlatform> = task
            .platforms
            .iter()
            .filter(|p| p.event == EventType::Offline)
            .map(|p| p.platform)
            .collect();
        assert!(
            platforms.contains(&PushPlatform::Apns) && platforms.contains(&PushPlatform::Honor)
        );
        assert!(
            platforms
                .iter()
                .all(|p| !matches!(p, PushPlatform::Unknown(_)))
        );
        let online: Vec<_> = task
            .platforms
            .iter()
            .filter(|p| p.event == EventType::Online)
            .collect();
        assert!(!online.is_empty());
        assert!(
            online
                .iter()
                .all(|p| p.platform == PushPlatform::Unspecified)
        );
        let delivered: u64 = task.platforms.iter().map(|p| p.counts.delivered).sum();
        assert_eq!(delivered, task.counts.delivered);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn push_statistics_with_too_many_task_ids_is_a_bad_request() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));
    let request = PushStatsRequest {
        start_time: 1_762_000_000 - 86_400,
        end_time: 1_762_000_000,
        task_ids: (0..6).map(|i| format!("task-{i}")).collect(),
    };

    let err = client
        .all_member_push_statistics(&request, soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(90100), "{err:?}");
    assert_eq!(err.class(), ErrorClass::BadRequest);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn no_region_and_no_endpoint_is_a_configuration_error() {
    let config = ClientConfig::default();
    let client = Client::new(http_client(&config), config, Arc::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert!(err.to_string().contains("TIM_REGION"), "{err}");
}

/// A server answering every request with HTTP 200 and a body of `len`
/// bytes, without a length (read until the connection closes).
fn oversized_answers(len: usize) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut body_len = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    body_len = n.trim().parse().unwrap();
                }
                line.clear();
            }
            let _ = reader.read_exact(&mut vec![0; body_len]);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(&vec![b' '; len]);
        }
    });
    url
}

#[tokio::test]
async fn an_answer_larger_than_the_bound_is_a_malformed_answer() {
    let url = oversized_answers(tim::client::MAX_ANSWER_BYTES + 1);
    let client = client(&url, Counting::new(signer()));
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("larger than"), "{err}");
}

/// The count in `field`, if the row has one there.
fn number(day: &AppInfoDay, field: &str) -> Option<i64> {
    match day.values.get(field) {
        Some(OpsValue::Number(n)) => Some(*n),
        _ => None,
    }
}
