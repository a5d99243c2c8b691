//! The S3 stub through the real `aws-sdk-s3` client (path-style), as
//! ops-pull reaches it.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use scale_bench::s3stub::{S3Stub, etag_of};

const BUCKET: &str = "stub-test";

async fn client(stub: &S3Stub) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(stub.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "stub-test",
        ))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

fn status<E, R: std::fmt::Debug>(result: Result<R, aws_sdk_s3::error::SdkError<E>>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(e) => e.raw_response().map_or(0, |r| r.status().as_u16()),
    }
}

#[tokio::test]
async fn put_head_get_keep_body_metadata_and_conditions() {
    let stub = S3Stub::start(Duration::ZERO).await.unwrap();
    let s3 = client(&stub).await;
    let key = "ops/sdkappid=1400000001/dt=2026-11-01/operations.json.gz";

    let head = s3.head_object().bucket(BUCKET).key(key).send().await;
    assert!(head.unwrap_err().into_service_error().is_not_found());
    let get = s3.get_object().bucket(BUCKET).key(key).send().await;
    assert!(get.unwrap_err().into_service_error().is_no_such_key());

    let body = b"{\"a\":1}\n".to_vec();
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .content_type("application/x-ndjson")
        .content_encoding("gzip")
        .metadata("content-sha256", "abc123")
        .if_none_match("*")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let etag = etag_of(&body);
    assert_eq!(put.e_tag(), Some(etag.as_str()));

    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(
        head.metadata().and_then(|m| m.get("content-sha256")),
        Some(&"abc123".to_owned())
    );
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-ndjson"));
    assert_eq!(got.content_encoding(), Some("gzip"));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.body.collect().await.unwrap().to_vec(), body);

    let again = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .if_none_match("*")
        .body(ByteStream::from_static(b"other"))
        .send()
        .await;
    assert_eq!(status(again), 412);
    let stale = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .if_match(etag_of(b"not it"))
        .body(ByteStream::from_static(b"other"))
        .send()
        .await;
    assert_eq!(status(stale), 412);
    let fresh = s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .if_match(&etag)
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.e_tag(), Some(etag_of(b"new").as_str()));

    let counts = stub.counts();
    assert_eq!(
        (counts.head, counts.get, counts.put, counts.list),
        (2, 2, 4, 0)
    );
}

#[tokio::test]
async fn list_objects_v2_pages_through_a_prefix() {
    let stub = S3Stub::start(Duration::ZERO).await.unwrap();
    let s3 = client(&stub).await;
    for day in 1..=5 {
        let key = format!("ops/sdkappid=1/dt=2026-11-0{day}/operations.json");
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(format!("day {day}").into_bytes()))
            .send()
            .await
            .unwrap();
    }
    s3.put_object()
        .bucket(BUCKET)
        .key("ops/sdkappid=2/dt=2026-11-01/operations.json")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("ops/sdkappid=1/")
        .max_keys(2)
        .into_paginator()
        .send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        for object in page.contents() {
            assert_eq!(object.size(), Some(5));
            assert!(object.e_tag().is_some_and(|e| e.starts_with('"')));
            assert!(object.last_modified().is_some());
            keys.push(object.key().unwrap().to_owned());
        }
    }
    assert_eq!(page_count, 3);
    assert_eq!(keys.len(), 5);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");

    let after = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("ops/")
        .start_after("ops/sdkappid=1/dt=2026-11-04/operations.json")
        .send()
        .await
        .unwrap();
    assert_eq!(after.key_count(), Some(2));
    assert_eq!(after.is_truncated(), Some(false));
    assert_eq!(stub.counts().list, 4);
}

#[tokio::test]
async fn every_request_waits_the_delay_and_runs_concurrently() {
    let stub = S3Stub::start(Duration::from_millis(50)).await.unwrap();
    let s3 = client(&stub).await;
    let started = Instant::now();
    let heads = (0..8).map(|i| s3.head_object().bucket(BUCKET).key(format!("k{i}")).send());
    futures::future::join_all(heads).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(300),
        "{elapsed:?}: not concurrent"
    );
    let counts = stub.counts();
    assert_eq!(counts.head, 8);
    assert!(counts.max_in_flight >= 2, "{counts:?}");
}
