//! The run over in-memory fakes of both traits; what S3 or Tencent decide
//! (HEAD metadata, conditional writes, raw bodies, rate limits) is tested
//! against moto and the emulator in `tests/`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate};
use lambda_kit::metrics::Captured;
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
const NAMESPACE: &str = "TencentChat";
const APPINFO: &str = "openconfigsvr/getappinfo";

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
            json!({
                "Date": (first + chrono::Days::new(i)).format("%Y%m%d").to_string(),
                "AppName": "demo",
                "ActiveUserNum": (100 + i).to_string(),
                "UpMsgNum": (1000 + i).to_string(),
                "LoginTimes": (7 * i).to_string(),
                "SomethingNew": "x",
            })
        })
        .collect()
}

fn api_error(command: &str, code: i64) -> tim::Error {
    tim::Error::Api {
        command: command.into(),
        code,
        info: "injected".into(),
    }
}

#[derive(Default)]
struct FakeSource {
    sdkappid: u64,
    rows: Mutex<Vec<Value>>,
    fail_with: Mutex<Option<tim::Error>>,
    /// The envelope has no `Result`.
    no_result: AtomicBool,
    /// getappinfo answers this long after it was called, and when it was.
    answer_after: Mutex<Duration>,
    called_at: Mutex<Vec<tokio::time::Instant>>,
    /// Push statistics: the windows asked for, and failures to answer with
    /// (one taken per call) before the deterministic statistics.
    push_requests: Mutex<Vec<(tokio::time::Instant, PushStatsRequest)>>,
    push_failures: Mutex<Vec<tim::Error>>,
    /// Added to every push count (a day's counts growing between runs).
    push_growth: AtomicUsize,
    /// The UserSig secret exists without a value: credentials fail.
    not_set_up: AtomicBool,
    /// The credentials fail with this (a secret of another app, say).
    credentials_error: Mutex<Option<tim::Error>>,
}

impl FakeSource {
    fn with_rows(sdkappid: u64, rows: Vec<Value>) -> Self {
        Self {
            sdkappid,
            rows: Mutex::new(rows),
            ..Self::default()
        }
    }

    fn set(&self, day: usize, field: &str, value: Value) {
        self.rows.lock().unwrap()[day][field] = value;
    }

    fn fail(&self, code: i64) {
        *self.fail_with.lock().unwrap() = Some(api_error(APPINFO, code));
    }

    fn calls(&self) -> usize {
        self.called_at.lock().unwrap().len()
    }
}

impl OpsSource for FakeSource {
    async fn get_app_info(
        &self,
        request: &AppInfoRequest,
        _deadline: Deadline,
    ) -> Result<AppInfo, tim::Error> {
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
        let mut rows = self.rows.lock().unwrap().clone();
        if let Some(fields) = &request.fields {
            // Only what was asked for: `Date` too only if asked.
            for row in &mut rows {
                row.as_object_mut()
                    .unwrap()
                    .retain(|k, _| fields.contains(k));
            }
        }
        let mut envelope = json!({"ErrorCode": 0, "ErrorInfo": "", "Result": rows});
        if self.no_result.load(Ordering::SeqCst) {
            envelope.as_object_mut().unwrap().remove("Result");
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
        let n = base + self.push_growth.load(Ordering::SeqCst) as u64;
        let envelope = json!({"ErrorCode": 0, "Results": [{
            "TotalCount": n * 4, "SentCount": n * 3, "DeliveredCount": n * 2, "ClickCount": n,
            "PlatformStatistics": [
                {"EventType": 1, "PushPlatform": 1, "TotalCount": n * 3, "SentCount": n * 3, "DeliveredCount": n * 2, "ClickCount": n},
                {"EventType": 2, "PushPlatform": 0, "TotalCount": n, "SentCount": 0, "DeliveredCount": 0, "ClickCount": 0}]}]});
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

    async fn credentials(&self) -> Result<bool, tim::Error> {
        match self.credentials_error.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok(!self.not_set_up.load(Ordering::SeqCst)),
        }
    }
}

/// S3 in memory: conditions honoured, calls counted by name.
#[derive(Default)]
struct MemoryStore {
    /// Each key's last PUT and its ETag.
    objects: Mutex<BTreeMap<String, (PutRequest, String)>>,
    calls: Mutex<BTreeMap<&'static str, usize>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    versions: AtomicUsize,
    fail_puts_containing: Mutex<Vec<String>>,
    hang: AtomicBool,
}

impl MemoryStore {
    /// Counts the call and lets the other calls of the stream start before
    /// this one completes, as a network round trip would.
    async fn call<T>(&self, name: &'static str, answer: impl FnOnce() -> T) -> T {
        *self.calls.lock().unwrap().entry(name).or_default() += 1;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let answer = answer();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        answer
    }

    /// The count of `name` calls since the last `reset_counts`.
    fn count(&self, name: &str) -> usize {
        self.calls.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    fn reset_counts(&self) {
        self.calls.lock().unwrap().clear();
    }

    fn keys(&self) -> Vec<String> {
        self.objects.lock().unwrap().keys().cloned().collect()
    }

    fn object(&self, key: &str) -> PutRequest {
        let objects = self.objects.lock().unwrap();
        objects
            .get(key)
            .unwrap_or_else(|| panic!("no {key}"))
            .0
            .clone()
    }

    fn stored(&self, key: &str) -> Option<(StoredObject, Vec<u8>)> {
        self.objects.lock().unwrap().get(key).map(|(put, etag)| {
            let head = StoredObject {
                content_sha256: put.content_sha256.clone(),
                etag: Some(etag.clone()),
            };
            (head, put.body.clone())
        })
    }

    fn put_now(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        let failing = self.fail_puts_containing.lock().unwrap();
        if failing.iter().any(|s| request.key.contains(s.as_str())) {
            return Err(StoreError::Failed(
                "S3 PutObject failed: InternalError: injected".into(),
            ));
        }
        let mut objects = self.objects.lock().unwrap();
        let current = objects.get(&request.key).map(|(_, etag)| etag);
        let allowed = match &request.condition {
            PutCondition::Always => true,
            PutCondition::IfAbsent => current.is_none(),
            PutCondition::IfMatch(etag) => current == Some(etag),
        };
        if !allowed {
            return Err(StoreError::PreconditionFailed);
        }
        let etag = format!("\"v{}\"", self.versions.fetch_add(1, Ordering::SeqCst));
        objects.insert(request.key.clone(), (request, etag.clone()));
        Ok(Some(etag))
    }
}

impl ArchiveStore for MemoryStore {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        Ok(self.call("head", || self.stored(key).map(|(s, _)| s)).await)
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        Ok(self.call("get", || self.stored(key)).await)
    }

    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        self.call("put", || self.put_now(request)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let listed = || {
            let keys = self.keys().into_iter();
            keys.filter(|k| k.starts_with(prefix)).collect()
        };
        Ok(self.call("list", listed).await)
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

/// The JSON lines of the object at `key`.
fn lines(store: &MemoryStore, key: &str) -> Vec<serde_json::Map<String, Value>> {
    let body = String::from_utf8(store.object(key).body).unwrap();
    assert!(body.ends_with('\n'), "{body}");
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The one JSON line of the day object at `key`.
fn line_of(store: &MemoryStore, key: &str) -> serde_json::Map<String, Value> {
    let mut lines = lines(store, key);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.remove(0)
}

/// The push history as deployed (its default days).
const SEVEN_DAYS: PushHistory = PushHistory { days: 7 };

/// A full run without push history.
async fn full_run(apps: &[App<FakeSource>], store: &MemoryStore) -> Result<RunSummary, RunError> {
    run_with(apps, store, RunRequest::default()).await
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
    let deadlines = Deadlines::after(Duration::from_secs(60));
    let metrics = Metrics::capture(NAMESPACE).0;
    let layout = Layout::default();
    run(apps, store, &layout, &request, push, deadlines, &metrics).await
}

/// `n` apps named secret-a, secret-b…, their SDKAppIDs counting from `APP`.
fn apps_with(n: u8, rows: fn() -> Vec<Value>) -> Vec<App<FakeSource>> {
    (0..n)
        .map(|i| {
            let sdkappid = APP + u64::from(i);
            let source = FakeSource::with_rows(sdkappid, rows());
            let name = format!("secret-{}", char::from(b'a' + i));
            App {
                name,
                sdkappid,
                source,
            }
        })
        .collect()
}

fn one_app() -> Vec<App<FakeSource>> {
    apps_with(1, thirty_days)
}

/// The whole function over `apps` and an empty store, its metrics captured.
fn function(apps: Vec<App<FakeSource>>) -> (crate::OpsPull<FakeSource, MemoryStore>, Captured) {
    let (metrics, lines) = Metrics::capture(NAMESPACE);
    let function = crate::OpsPull {
        apps,
        store: MemoryStore::default(),
        layout: Layout::default(),
        push: PushHistory::OFF,
        metrics,
    };
    (function, lines)
}

mod answers;
mod failures;
mod lease;
mod metrics;
mod modes;
mod push;
mod writes;
