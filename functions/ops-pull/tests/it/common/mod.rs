//! The harness of ops-pull's end-to-end tests: the real `tim::Client`
//! against the in-process Tencent emulator, the real `aws-sdk-s3` client
//! against moto_server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use lambda_kit::metrics::{Captured, Metrics};
use ops_pull::archive::Layout;
use ops_pull::archive::store::{ArchiveStore, PutRequest, StoreError, StoredObject};
use ops_pull::config::s3_client;
use ops_pull::{App, Deadlines, OpsPull, PushHistory, RunError, RunSummary, S3Store, TencentApp};
use serde_json::{Map, Value};
use tim::usersig::SecretKey;
use tim::{ClientConfig, Endpoint, LocalSigner, RetryPolicy};
use tim_emulator::{Emulator, EmulatorConfig};

pub const APP: u64 = 1_400_000_000;
pub const PREFIX: &str = "tencent-chat/operations";
pub const NAMESPACE: &str = "TencentChat";

pub fn key_of(sdkappid: u64) -> String {
    format!("test-key-{sdkappid}")
}

/// The real S3 store, counting the PUTs it sends; the next daily PUT fails
/// when `fail_next_day` is set.
pub struct CountingStore {
    pub inner: S3Store,
    pub puts: AtomicUsize,
    pub fail_next_day: AtomicBool,
}

impl ArchiveStore for CountingStore {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        self.inner.head(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        self.inner.get(key).await
    }

    /// The archive's PUTs: not the lease's (taken and released each run).
    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        if request.key.contains("/daily/") && self.fail_next_day.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Failed("injected write failure".into()));
        }
        if !request.key.starts_with(&format!("{PREFIX}/lease/")) {
            self.puts.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.put(request).await
    }

    async fn list(&self, prefix: &str, start_after: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix, start_after).await
    }
}

pub struct Harness {
    pub emulator: Emulator,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub function: OpsPull<TencentApp, CountingStore>,
    /// The EMF documents the function printed.
    pub metrics: Captured,
}

pub async fn harness(sdkappids: &[u64]) -> Harness {
    // Tencent's per-API limits enforced: a call over one answers 60007.
    let mut config = EmulatorConfig::default().with_enforced_rate_limits(true);
    for &id in sdkappids {
        config = config.with_app(id, key_of(id));
    }
    let emulator = Emulator::start(config).await.unwrap();

    let apps = sdkappids
        .iter()
        .map(|&id| tencent_app(&emulator.base_url(), id, &key_of(id)))
        .collect();

    let s3 = s3_client(&testkit::moto().sdk_config().await, false);
    let bucket = testkit::unique_name("ops-pull");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let (metrics, captured) = Metrics::capture(NAMESPACE);
    let function = OpsPull {
        apps,
        store: CountingStore {
            inner: S3Store::new(s3.clone(), bucket.clone()),
            puts: AtomicUsize::new(0),
            fail_next_day: AtomicBool::new(false),
        },
        layout: Layout::new(PREFIX),
        // Push history is proved with fakes and in lambda_two_apps: its pacing takes seconds.
        push: PushHistory::OFF,
        metrics,
    };
    Harness {
        emulator,
        s3,
        bucket,
        function,
        metrics: captured,
    }
}

/// An app calling the emulator at `base_url`, its UserSig signed with `key`.
pub fn tencent_app(base_url: &str, sdkappid: u64, key: &str) -> App<TencentApp> {
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(base_url).unwrap()),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
        },
        ..ClientConfig::default()
    };
    let signer = LocalSigner::new(sdkappid, "administrator", SecretKey::new(key), None);
    let client = tim::Client::new(testkit::http_client(&config), config, Arc::new(signer));
    App::new(format!("app-{sdkappid}"), TencentApp::new(client))
}

pub fn event(name: &str) -> Value {
    testkit::event("ops-pull", name)
}

pub struct Object {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub etag: Option<String>,
    pub sha: Option<String>,
}

impl Harness {
    pub async fn invoke(&self, payload: Value) -> Result<RunSummary, RunError> {
        self.function
            .handle(payload, Deadlines::after(Duration::from_secs(30)))
            .await
    }

    pub fn puts(&self) -> usize {
        self.function.store.puts.swap(0, Ordering::SeqCst)
    }

    pub async fn keys(&self, under: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("{PREFIX}/{under}"))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            keys.extend(
                page.unwrap()
                    .contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        // The lease is no part of the archive.
        keys.retain(|k| under.starts_with("lease") || !k.starts_with(&format!("{PREFIX}/lease/")));
        keys.sort();
        keys
    }

    pub async fn object(&self, key: &str) -> Object {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        Object {
            content_type: out.content_type().map(str::to_owned),
            content_encoding: out.content_encoding().map(str::to_owned),
            etag: out.e_tag().map(str::to_owned),
            sha: out
                .metadata()
                .and_then(|m| m.get("content-sha256"))
                .cloned(),
            body: out.body.collect().await.unwrap().to_vec(),
        }
    }

    pub async fn line(&self, sdkappid: u64, date: NaiveDate) -> Map<String, Value> {
        let body = String::from_utf8(self.object(&daily_key(sdkappid, date)).await.body).unwrap();
        assert!(body.ends_with('\n'), "{body}");
        assert_eq!(body.lines().count(), 1, "{body}");
        serde_json::from_str(body.trim_end()).unwrap()
    }
}

pub fn daily_key(sdkappid: u64, date: NaiveDate) -> String {
    format!("{PREFIX}/daily/sdkappid={sdkappid}/dt={date}/operations.json")
}

/// The documents printed so far, checked against the EMF specification and
/// infra/metrics.json: (business documents, per-app documents, RunSucceeded values).
pub fn printed(h: &Harness) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let docs = testkit::emf::check_output(&h.metrics.take().join("\n"), "ops-pull", NAMESPACE);
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for doc in docs {
        if let Some(value) = doc.get("RunSucceeded") {
            out.2.push(value.clone());
        } else if doc.get("DaysWritten").is_some() {
            out.1.push(doc);
        } else if doc.get("AppsNotSetUp").is_none() {
            out.0.push(doc);
        }
    }
    out
}
