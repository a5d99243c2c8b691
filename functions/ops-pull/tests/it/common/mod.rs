//! The harness of ops-pull's end-to-end tests: the real `tim::Client`
//! against the in-process Tencent emulator, the real `aws-sdk-s3` client
//! against moto_server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use chrono::NaiveDate;
use lambda_kit::metrics::{Captured, Metrics};
use ops_pull::archive::layout::Layout;
use ops_pull::archive::store::{ArchiveStore, PutRequest, StoreError, StoredObject};
use ops_pull::lambda::s3_client;
use ops_pull::{App, Deadlines, OpsPull, PushHistory, RunError, RunSummary, S3Store, TencentApp};
use serde_json::Value;
use tim::usersig::SecretKey;
use tim::{ClientConfig, Endpoint, LocalSigner, RetryPolicy};
use tim_emulator::{Emulator, EmulatorConfig};

pub const APP: u64 = 1_400_000_000;
pub const PREFIX: &str = "tencent-chat/operations";
pub const NAMESPACE: &str = "TencentChat";

pub fn key_of(sdkappid: u64) -> String {
    format!("test-key-{sdkappid}")
}

/// The real S3 store; the next daily PUT fails when `fail_next_day` is set.
pub struct FailingStore {
    pub inner: S3Store,
    pub fail_next_day: AtomicBool,
}

impl ArchiveStore for FailingStore {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        self.inner.head(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        self.inner.get(key).await
    }

    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        if request.key.contains("/daily/") && self.fail_next_day.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Failed("injected write failure".into()));
        }
        self.inner.put(request).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }
}

pub struct Harness {
    pub emulator: Emulator,
    pub aws: aws_config::SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub function: OpsPull<TencentApp, FailingStore>,
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

    let aws = testkit::moto().sdk_config().await;
    let s3 = s3_client(&aws, false);
    let bucket = testkit::unique_name("ops-pull");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let (metrics, captured) = Metrics::capture(NAMESPACE);
    let function = OpsPull {
        apps,
        store: FailingStore {
            inner: S3Store::new(s3.clone(), bucket.clone()),
            fail_next_day: AtomicBool::new(false),
        },
        layout: Layout::new(PREFIX),
        // Push history is proved with fakes and in lambda_two_apps: its pacing takes seconds.
        push: PushHistory::OFF,
        metrics,
    };
    Harness {
        emulator,
        aws,
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
    let source = TencentApp {
        client,
        secret: None,
    };
    App {
        name: format!("app-{sdkappid}"),
        sdkappid,
        source,
    }
}

pub fn event(name: &str) -> Value {
    testkit::event("ops-pull", name)
}

impl Harness {
    pub async fn invoke(&self, payload: Value) -> Result<RunSummary, RunError> {
        self.function
            .handle(payload, Deadlines::after(Duration::from_secs(30)), None)
            .await
    }

    /// Each key under `prefix` (one page: the tests write fewer than 1,000)
    /// with its ETag, which changes when the object is rewritten.
    pub async fn etags(&self, prefix: &str) -> BTreeMap<String, String> {
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        let listed = listed.contents().iter();
        listed
            .map(|o| (o.key().unwrap().to_owned(), o.e_tag().unwrap().to_owned()))
            .collect()
    }

    /// The object at `key`, its body collected.
    pub async fn object(&self, key: &str) -> (GetObjectOutput, Vec<u8>) {
        let get = self.s3.get_object().bucket(&self.bucket).key(key);
        let mut out = get.send().await.unwrap();
        let body = std::mem::take(&mut out.body).collect().await.unwrap();
        (out, body.to_vec())
    }
}

pub fn daily_key(sdkappid: u64, date: NaiveDate) -> String {
    format!("{PREFIX}/daily/sdkappid={sdkappid}/dt={date}/operations.json")
}

/// The per-app documents and `RunSucceeded` values printed so far, checked
/// against the EMF specification and infra/metrics.json.
pub fn printed(h: &Harness) -> (Vec<Value>, Vec<Value>) {
    let docs = testkit::emf::check_output(&h.metrics.take().join("\n"), "ops-pull", NAMESPACE);
    let apps = docs.iter().filter(|d| d.get("DaysWritten").is_some());
    let runs = docs.iter().filter_map(|d| d.get("RunSucceeded"));
    (apps.cloned().collect(), runs.cloned().collect())
}
