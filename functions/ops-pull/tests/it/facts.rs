//! infra/facts.json `logs.ops-pull` against ops-pull's log lines (see
//! log_facts): one run over two apps, one of which Tencent refuses (a
//! failed pull) while the other has a day whose write fails (a failed day).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lambda_kit::metrics::Metrics;
use ops_pull::archive::Layout;
use ops_pull::archive::store::{ListedObject, PutRequest, StoreError, StoredObject};
use ops_pull::config::s3_client;
use ops_pull::{App, ArchiveStore, Deadlines, OpsPull, PushHistory, S3Store, TencentApp};
use tim::usersig::SecretKey;
use tim::{ClientConfig, Endpoint, LocalSigner, RetryPolicy};
use tim_emulator::{Emulator, EmulatorConfig};

const APP: u64 = 1_400_000_000;
const REFUSED_APP: u64 = 1_400_000_001;

/// S3 (moto_server), except that the first daily object's write fails.
struct FirstDayFails {
    inner: S3Store,
    failed: AtomicBool,
}

impl ArchiveStore for FirstDayFails {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        self.inner.head(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        self.inner.get(key).await
    }

    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        if request.key.contains("/daily/") && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(StoreError::Failed("injected write failure".into()));
        }
        self.inner.put(request).await
    }

    async fn list(&self, prefix: &str, start_after: &str) -> Result<Vec<ListedObject>, StoreError> {
        self.inner.list(prefix, start_after).await
    }
}

#[tokio::test]
async fn ops_pull_logs_what_infra_facts_json_says() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_app(APP, "the-app-key")
            .with_app(REFUSED_APP, "the-other-key"),
    )
    .await
    .unwrap();
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(&emulator.base_url()).unwrap()),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        ..ClientConfig::default()
    };
    let http = testkit::http_client(&config);
    // REFUSED_APP's UserSig is signed with the wrong key: Tencent refuses it.
    let app = |id: u64, key: &str| {
        let signer = LocalSigner::new(id, "administrator", SecretKey::new(key), None);
        App::new(
            format!("app-{id}"),
            TencentApp::new(tim::Client::new(
                http.clone(),
                config.clone(),
                Arc::new(signer),
            )),
        )
    };
    let s3 = s3_client(&testkit::moto().sdk_config().await, false);
    let bucket = testkit::unique_name("ops-pull-facts");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let function = OpsPull {
        apps: vec![
            app(APP, "the-app-key"),
            app(REFUSED_APP, "not-the-other-key"),
        ],
        store: FirstDayFails {
            inner: S3Store::new(s3, bucket),
            failed: AtomicBool::new(false),
        },
        layout: Layout::new("tencent-chat/operations"),
        push: PushHistory::OFF,
        metrics: Metrics::capture("TencentChat").0,
    };

    let logs = testkit::log_facts::capture();
    let run = function
        .handle(
            testkit::event("ops-pull", "scheduled"),
            Deadlines::after(Duration::from_secs(30)),
        )
        .await;
    assert!(run.is_err(), "a failed pull and a failed day fail the run");
    logs.assert_facts("ops-pull");
    emulator.shutdown().await;
}
