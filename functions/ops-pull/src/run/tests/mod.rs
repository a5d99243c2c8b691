//! The run over in-memory fakes of both traits; what S3 or Tencent decide
//! (HEAD metadata, conditional writes, raw bodies, rate limits) is tested
//! against moto and the emulator in `tests/`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate};
use serde_json::{Value, json};
use tim::api::appinfo::{AppInfo, AppInfoRequest};
use tim::api::push::PushStatsRequest;
use tim::client::Response;

use super::*;
use crate::archive::layout::Layout;
use crate::archive::layout::{OPERATIONS, PUSH};
use crate::archive::store::{PutCondition, PutRequest, StoreError, StoredObject};
use crate::archive::write::WRITE_CONCURRENCY;
use crate::tencent::push_history::PushHistory;
use std::time::Duration;
use tim::Deadline;

const APP: u64 = 1_400_000_000;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 2).unwrap()
}

/// Tencent's rows for 30 days from `first_day`, every value a string.
fn thirty_days() -> Vec<Value> {
    thirty_days_from(first_day())
}

/// China's date now (UTC+8), as Tencent's days are counted.
fn china_today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// 30 days of rows, the newest being `china_today() - 1` (never stale).
fn recent_thirty_days() -> Vec<Value> {
    thirty_days_from(china_today() - chrono::Days::new(30))
}

fn thirty_days_from(first: NaiveDate) -> Vec<Value> {
    (0..30)
        .map(|i| {
            let date = first + chrono::Days::new(i);
            json!({
                "Date": date.format("%Y%m%d").to_string(),
                "AppName": "demo",
                "ActiveUserNum": (100 + i).to_string(),
                "UpMsgNum": (1000 + i).to_string(),
                "LoginTimes": (7 * i).to_string(),
                "SomethingNew": "x",
            })
        })
        .collect()
}

struct FakeSource {
    sdkappid: u64,
    rows: Mutex<Vec<Value>>,
    fail_with: Mutex<Option<tim::Error>>,
    /// Replaces the envelope's `Result` (`Some(None)`: no `Result` at all).
    result: Mutex<Option<Option<Value>>>,
    requests: Mutex<Vec<AppInfoRequest>>,
    calls: AtomicUsize,
    /// Push statistics: the windows asked for, and failures to answer with
    /// (one taken per call) before the deterministic statistics.
    push_requests: Mutex<Vec<(tokio::time::Instant, PushStatsRequest)>>,
    push_failures: Mutex<Vec<tim::Error>>,
    /// Added to every push count (a day's counts growing between runs).
    push_growth: AtomicUsize,
    /// The UserSig secret exists without a value: credentials fail.
    not_set_up: AtomicBool,
    /// getappinfo answers this long after it was called, and when it was.
    answer_after: Mutex<Duration>,
    called_at: Mutex<Vec<tokio::time::Instant>>,
}

impl FakeSource {
    fn new(sdkappid: u64) -> Self {
        Self::with_rows(sdkappid, thirty_days())
    }

    fn with_rows(sdkappid: u64, rows: Vec<Value>) -> Self {
        Self {
            sdkappid,
            rows: Mutex::new(rows),
            fail_with: Mutex::new(None),
            result: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            calls: AtomicUsize::new(0),
            push_requests: Mutex::new(Vec::new()),
            push_failures: Mutex::new(Vec::new()),
            push_growth: AtomicUsize::new(0),
            not_set_up: AtomicBool::new(false),
            answer_after: Mutex::new(Duration::ZERO),
            called_at: Mutex::new(Vec::new()),
        }
    }

    fn set(&self, day: usize, field: &str, value: Value) {
        self.rows.lock().unwrap()[day][field] = value;
    }
}

impl OpsSource for FakeSource {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        _deadline: Deadline,
    ) -> Result<AppInfo, tim::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().unwrap().push(request.clone());
        self.called_at
            .lock()
            .unwrap()
            .push(tokio::time::Instant::now());
        let delay = *self.answer_after.lock().unwrap();
        tokio::time::sleep(delay).await;
        tokio::task::yield_now().await;
        if let Some(error) = self.fail_with.lock().unwrap().clone() {
            return Err(error);
        }
        let rows: Vec<Value> = self
            .rows
            .lock()
            .unwrap()
            .iter()
            .map(|row| match &request.fields {
                None => row.clone(),
                Some(fields) => Value::Object(
                    row.as_object()
                        .unwrap()
                        .iter()
                        // Only what was asked for: `Date` too only if asked.
                        .filter(|(k, _)| fields.contains(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
            })
            .collect();
        let mut envelope = json!({"ErrorCode": 0, "ErrorInfo": "", "Result": rows});
        match self.result.lock().unwrap().clone() {
            None => {}
            Some(None) => drop(envelope.as_object_mut().unwrap().remove("Result")),
            Some(Some(result)) => envelope["Result"] = result,
        }
        let raw = bytes::Bytes::from(serde_json::to_vec(&envelope).unwrap());
        Ok(AppInfo::from_body(raw, envelope.as_object().unwrap()))
    }

    async fn push_statistics(
        &self,
        request: &PushStatsRequest,
        _deadline: Deadline,
    ) -> Result<Response, tim::Error> {
        self.push_requests
            .lock()
            .unwrap()
            .push((tokio::time::Instant::now(), request.clone()));
        tokio::task::yield_now().await;
        {
            let mut failures = self.push_failures.lock().unwrap();
            if !failures.is_empty() {
                return Err(failures.remove(0));
            }
        }
        // Counts from the window and the app, so days and apps differ.
        let base = (request.start_time / 86_400) as u64 % 97 + self.sdkappid % 10;
        let grown = base + self.push_growth.load(Ordering::SeqCst) as u64;
        let envelope = json!({"ErrorCode": 0, "Results": [{
            "TotalCount": grown * 4, "SentCount": grown * 3, "DeliveredCount": grown * 2, "ClickCount": grown,
            "PlatformStatistics": [
                {"EventType": 1, "PushPlatform": 1, "TotalCount": grown * 3, "SentCount": grown * 3, "DeliveredCount": grown * 2, "ClickCount": grown},
                {"EventType": 2, "PushPlatform": 0, "TotalCount": grown, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0}]}]});
        // Tencent's bytes: the raw copy keeps them as sent.
        let raw = format!("{envelope} ").into_bytes();
        let Value::Object(envelope) = envelope else {
            unreachable!()
        };
        Ok(Response {
            envelope,
            raw: raw.into(),
        })
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        if self.not_set_up.load(Ordering::SeqCst) {
            return Err(tim::Error::Credentials {
                reason: "secret has no AWSCURRENT value".into(),
                class: tim::ErrorClass::Configuration,
                refused_with: None,
            });
        }
        Ok(self.sdkappid)
    }

    async fn not_set_up(&self) -> bool {
        self.not_set_up.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    content_type: &'static str,
    content_encoding: Option<&'static str>,
    sha: Option<String>,
    etag: String,
}

#[derive(Default)]
struct MemoryStore {
    objects: Mutex<BTreeMap<String, Stored>>,
    heads: AtomicUsize,
    gets: AtomicUsize,
    puts: AtomicUsize,
    lists: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    versions: AtomicUsize,
    fail_puts_containing: Mutex<Vec<String>>,
    hang: AtomicBool,
}

impl MemoryStore {
    /// Marks a call in flight and lets the other calls of the stream start
    /// before this one completes, as a network round trip would.
    async fn enter(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }

    fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn keys(&self) -> Vec<String> {
        self.objects.lock().unwrap().keys().cloned().collect()
    }

    fn object(&self, key: &str) -> Stored {
        self.objects
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key}"))
    }

    fn reset_counts(&self) {
        for counter in [
            &self.heads,
            &self.gets,
            &self.puts,
            &self.lists,
            &self.max_in_flight,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }

    fn stored(&self, key: &str) -> Option<(StoredObject, Vec<u8>)> {
        self.objects.lock().unwrap().get(key).map(|s| {
            (
                StoredObject {
                    content_sha256: s.sha.clone(),
                    etag: Some(s.etag.clone()),
                },
                s.body.clone(),
            )
        })
    }
}

impl ArchiveStore for MemoryStore {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        self.heads.fetch_add(1, Ordering::SeqCst);
        self.enter().await;
        let result = self.stored(key).map(|(s, _)| s);
        self.leave();
        Ok(result)
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.enter().await;
        let result = self.stored(key);
        self.leave();
        Ok(result)
    }

    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.enter().await;
        let result = self.put_now(request);
        self.leave();
        result
    }

    async fn list(&self, prefix: &str, start_after: &str) -> Result<Vec<String>, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.enter().await;
        let listed = self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|key| key.starts_with(prefix) && key.as_str() > start_after)
            .cloned()
            .collect();
        self.leave();
        Ok(listed)
    }
}

impl MemoryStore {
    fn put_now(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        if self
            .fail_puts_containing
            .lock()
            .unwrap()
            .iter()
            .any(|s| request.key.contains(s.as_str()))
        {
            return Err(StoreError::Failed(
                "S3 PutObject failed: InternalError: injected".into(),
            ));
        }
        let mut objects = self.objects.lock().unwrap();
        let current = objects.get(&request.key).map(|s| s.etag.clone());
        let allowed = match &request.condition {
            PutCondition::Always => true,
            PutCondition::IfAbsent => current.is_none(),
            PutCondition::IfMatch(etag) => current.as_ref() == Some(etag),
        };
        if !allowed {
            return Err(StoreError::PreconditionFailed);
        }
        let etag = format!("\"v{}\"", self.versions.fetch_add(1, Ordering::SeqCst));
        objects.insert(
            request.key,
            Stored {
                body: request.body,
                content_type: request.content_type,
                content_encoding: request.content_encoding,
                sha: request.content_sha256,
                etag: etag.clone(),
            },
        );
        Ok(Some(etag))
    }
}

fn daily_key(sdkappid: u64, day: u64) -> String {
    Layout::default().day_key(&OPERATIONS, sdkappid, first_day() + chrono::Days::new(day))
}

/// A raw copy's body, un-gzipped.
fn raw_text(store: &MemoryStore, key: &str) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&store.object(key).body[..]),
        &mut text,
    )
    .unwrap();
    text
}

fn line_of(store: &MemoryStore, key: &str) -> serde_json::Map<String, Value> {
    let body = String::from_utf8(store.object(key).body).unwrap();
    assert!(body.ends_with('\n'), "{body}");
    assert_eq!(body.lines().count(), 1, "{body}");
    serde_json::from_str(body.trim_end()).unwrap()
}

/// A run without push history (the push tests turn it on).
async fn run_with(
    apps: &[App<FakeSource>],
    store: &MemoryStore,
    request: RunRequest,
) -> Result<RunSummary, RunError> {
    run_with_push(apps, store, request, PushHistory::OFF).await
}

async fn run_with_push(
    apps: &[App<FakeSource>],
    store: &MemoryStore,
    request: RunRequest,
    push: PushHistory,
) -> Result<RunSummary, RunError> {
    run(
        apps,
        store,
        &Layout::default(),
        &request,
        push,
        Deadlines::after(Duration::from_secs(60)),
        &Metrics::capture(NAMESPACE).0,
    )
    .await
}

const NAMESPACE: &str = "TencentChat";

fn one_app() -> Vec<App<FakeSource>> {
    vec![App::new("secret-a", FakeSource::new(APP))]
}

mod answers;
mod failures;
mod lease;
mod metrics;
mod modes;
mod push;
mod writes;
