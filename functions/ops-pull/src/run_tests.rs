//! The run over in-memory fakes of both traits (the same behaviours are
//! tested against moto S3 and the emulator in `tests/`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate};
use serde_json::{Value, json};
use tim::api::appinfo::{AppInfo, AppInfoRequest};
use tim::api::push::{PushStatistics, PushStatsRequest};

use super::*;
use crate::push_history::PushHistory;
use crate::store::{ListedObject, PutCondition, PutRequest, StoreError, StoredObject};

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
    ) -> Result<PushStatistics, tim::Error> {
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
        Ok(PushStatistics::from_envelope(&envelope).unwrap())
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        Ok(self.sdkappid)
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

    async fn list(&self, prefix: &str, start_after: &str) -> Result<Vec<ListedObject>, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.enter().await;
        let listed = self
            .objects
            .lock()
            .unwrap()
            .iter()
            .filter(|(key, _)| key.starts_with(prefix) && key.as_str() > start_after)
            .map(|(key, stored)| ListedObject {
                key: key.clone(),
                etag: Some(stored.etag.clone()),
            })
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
    Layout::default().daily_key(sdkappid, first_day() + chrono::Days::new(day))
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

#[tokio::test]
async fn a_run_writes_thirty_days_and_the_raw_copy() {
    let apps = one_app();
    let store = MemoryStore::default();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();

    let app = &summary.apps[0];
    assert_eq!(app.sdkappid, Some(APP));
    assert_eq!(
        (
            app.days_pulled,
            app.days_written,
            app.days_unchanged,
            app.days_failed
        ),
        (30, 30, 0, 0)
    );
    assert_eq!(app.malformed_rows, 0);
    assert_eq!(app.first_date, Some(first_day()));
    assert_eq!(app.last_date, Some(first_day() + chrono::Days::new(29)));
    // 30 days, the raw copy and the manifest; nothing listed, so no HEAD.
    assert_eq!(store.puts.load(Ordering::SeqCst), 32);
    assert_eq!(store.heads.load(Ordering::SeqCst), 0);
    assert_eq!(store.lists.load(Ordering::SeqCst), 1);

    let keys = store.keys();
    assert_eq!(keys.len(), 32);
    let manifest: crate::index::Manifest =
        serde_json::from_slice(&store.object(&Layout::default().manifest_key(APP)).body).unwrap();
    assert_eq!(manifest.objects.len(), 30);
    assert_eq!(
        manifest.objects[&daily_key(APP, 0)].etag,
        store.object(&daily_key(APP, 0)).etag
    );
    let raw_key = app.raw_key.clone().unwrap();
    assert!(keys.contains(&raw_key));
    assert!(raw_key.starts_with("tencent-chat/operations/raw/sdkappid=1400000000/pulled_at="));
    for day in 0..30 {
        let key = daily_key(APP, day);
        let line = line_of(&store, &key);
        assert_eq!(line["ActiveUserNum"], json!(100 + day));
        assert_eq!(line["AppName"], json!("demo"));
        assert_eq!(line["SomethingNew"], json!("x"));
        assert_eq!(line["sdkappid"], json!(APP));
        assert_eq!(
            line["date"],
            json!((first_day() + chrono::Days::new(day)).to_string())
        );
        let pulled_at = line["pulled_at"].as_str().unwrap();
        assert!(
            DateTime::parse_from_rfc3339(pulled_at).is_ok(),
            "{pulled_at}"
        );
        assert!(!line.contains_key("Date"));
        let stored = store.object(&key);
        assert_eq!(stored.content_type, "application/x-ndjson");
        assert_eq!(stored.sha.as_ref().map(String::len), Some(64));
    }

    let raw = store.object(&raw_key);
    assert_eq!(
        (raw.content_type, raw.content_encoding),
        ("application/json", Some("gzip"))
    );
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw.body[..]), &mut text)
        .unwrap();
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope["Result"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn a_second_run_writes_no_day_and_a_changed_day_is_rewritten() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let before = store.object(&daily_key(APP, 3)).body;

    store.reset_counts();
    let again = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (again.apps[0].days_written, again.apps[0].days_unchanged),
        (0, 30)
    );
    // One listing and the manifest instead of a HEAD per day.
    assert_eq!(store.heads.load(Ordering::SeqCst), 0);
    assert_eq!(store.lists.load(Ordering::SeqCst), 1);
    assert_eq!(store.gets.load(Ordering::SeqCst), 1);
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        1,
        "only the new raw copy (the manifest is unchanged)"
    );
    assert_eq!(
        store.object(&daily_key(APP, 3)).body,
        before,
        "pulled_at not rewritten"
    );

    apps[0].source.set(5, "ActiveUserNum", json!("999"));
    store.reset_counts();
    let changed = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (changed.apps[0].days_written, changed.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        3,
        "the day, the raw copy and the manifest"
    );
    assert_eq!(
        line_of(&store, &daily_key(APP, 5))["ActiveUserNum"],
        json!(999)
    );
    assert_eq!(store.object(&daily_key(APP, 3)).body, before);
}

#[tokio::test]
async fn the_manifest_is_only_a_hint_checked_against_the_listing() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();

    // Behind our back: one day deleted, one replaced by other content (a
    // new ETag), and the manifest itself lost on the next round.
    let deleted = daily_key(APP, 2);
    let replaced = daily_key(APP, 7);
    store.objects.lock().unwrap().remove(&deleted);
    store
        .put_now(PutRequest {
            key: replaced.clone(),
            body: b"{}\n".to_vec(),
            content_type: "application/x-ndjson",
            content_encoding: None,
            content_sha256: Some("other".into()),
            condition: PutCondition::Always,
        })
        .unwrap();
    store.reset_counts();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (2, 28)
    );
    assert_eq!(
        store.heads.load(Ordering::SeqCst),
        1,
        "only the replaced day is asked about"
    );
    assert_eq!(line_of(&store, &deleted)["ActiveUserNum"], json!(102));
    assert_eq!(line_of(&store, &replaced)["ActiveUserNum"], json!(107));

    store
        .objects
        .lock()
        .unwrap()
        .remove(&Layout::default().manifest_key(APP));
    store.reset_counts();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (0, 30)
    );
    assert_eq!(
        store.heads.load(Ordering::SeqCst),
        30,
        "without a manifest every listed day is checked"
    );
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        2,
        "the raw copy and the rebuilt manifest"
    );
    store.reset_counts();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(store.heads.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn writes_overlap_within_the_bound() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let max = store.max_in_flight.load(Ordering::SeqCst);
    assert!(max > 1, "S3 calls ran one by one");
    assert!(max <= WRITE_CONCURRENCY, "{max} calls in flight");
}

#[tokio::test]
async fn odd_counts_are_null_with_their_text_and_bad_dates_are_counted() {
    let apps = one_app();
    apps[0].source.set(2, "UpMsgNum", json!("abc"));
    apps[0].source.set(2, "ActiveUserNum", json!(""));
    apps[0]
        .source
        .set(2, "LoginTimes", json!("99999999999999999999"));
    apps[0].source.set(3, "UpMsgNum", json!(null));
    apps[0].source.set(4, "Date", json!("2026-10-06"));
    let store = MemoryStore::default();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.malformed_rows, 3);
    assert_eq!((app.days_pulled, app.days_written), (29, 29));
    let line = line_of(&store, &daily_key(APP, 2));
    for field in ["UpMsgNum", "ActiveUserNum", "LoginTimes"] {
        assert_eq!(
            line[field],
            Value::Null,
            "{field}: a number or null, never text"
        );
    }
    assert_eq!(
        line["malformed"],
        json!({"UpMsgNum": "abc", "ActiveUserNum": "", "LoginTimes": "99999999999999999999"})
    );
    let null_day = line_of(&store, &daily_key(APP, 3));
    assert_eq!(null_day["UpMsgNum"], Value::Null);
    assert!(
        !null_day.contains_key("malformed"),
        "a null has no text to keep"
    );
    assert!(!line_of(&store, &daily_key(APP, 5)).contains_key("malformed"));
    assert!(
        !store.keys().contains(&daily_key(APP, 4)),
        "no partition for a bad Date"
    );
    let raw = store.object(app.raw_key.as_deref().unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw.body[..]), &mut text)
        .unwrap();
    assert!(
        text.contains("2026-10-06") && text.contains("abc"),
        "raw copy keeps both"
    );
}

#[tokio::test]
async fn a_repeated_date_is_one_row_the_later_wins_and_it_is_counted() {
    let apps = one_app();
    let mut duplicate = apps[0].source.rows.lock().unwrap()[7].clone();
    duplicate["LoginTimes"] = json!("1");
    apps[0].source.rows.lock().unwrap().push(duplicate);
    let store = MemoryStore::default();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(summary.apps[0].malformed_rows, 1);
    assert_eq!(summary.apps[0].days_written, 30);
    // One line, so that sum() over the table counts the day once.
    assert_eq!(line_of(&store, &daily_key(APP, 7))["LoginTimes"], json!(1));
    let raw = store.object(summary.apps[0].raw_key.as_deref().unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw.body[..]), &mut text)
        .unwrap();
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        envelope["Result"].as_array().unwrap().len(),
        31,
        "both rows in the raw copy"
    );
}

#[tokio::test]
async fn a_failed_pull_writes_nothing_for_that_app_and_fails_the_run() {
    let apps = vec![
        App::new("secret-a", FakeSource::new(APP)),
        App::new("secret-b", FakeSource::new(APP + 1)),
    ];
    *apps[1].source.fail_with.lock().unwrap() = Some(tim::Error::Api {
        command: "openconfigsvr/getappinfo".into(),
        code: 60006,
        info: "invalid sdkappid".into(),
    });
    let store = MemoryStore::default();
    let err = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration");
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("secret-b") && message.contains("1400000001") && message.contains("60006"),
        "{message}"
    );

    assert!(
        store
            .keys()
            .iter()
            .all(|k| !k.contains("sdkappid=1400000001"))
    );
    assert_eq!(
        store.keys().len(),
        32,
        "the other app still landed (and its manifest)"
    );
    let summary = err.summary().unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    assert_eq!(summary.apps[1].days_written, 0);
    assert!(summary.apps[1].error.as_deref().unwrap().contains("60006"));
}

#[tokio::test]
async fn failed_writes_are_listed_and_the_rest_land() {
    let apps = one_app();
    let store = MemoryStore::default();
    *store.fail_puts_containing.lock().unwrap() =
        vec!["dt=2026-10-05".into(), "dt=2026-10-20".into()];
    let err = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "StorageFailed");
    assert!(err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("sdkappid 1400000000 dt=2026-10-05"),
        "{message}"
    );
    assert!(
        message.contains("sdkappid 1400000000 dt=2026-10-20"),
        "{message}"
    );
    let app = &err.summary().unwrap().apps[0];
    assert_eq!((app.days_written, app.days_failed), (28, 2));
    assert_eq!(
        app.failed_days
            .iter()
            .map(|d| d.date.to_string())
            .collect::<Vec<_>>(),
        ["2026-10-05", "2026-10-20"]
    );
    assert_eq!(
        store.keys().len(),
        30,
        "28 days, the raw copy and the manifest"
    );

    // The next run repairs exactly the missing days.
    store.fail_puts_containing.lock().unwrap().clear();
    let repaired = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (
            repaired.apps[0].days_written,
            repaired.apps[0].days_unchanged
        ),
        (2, 28)
    );
}

#[tokio::test]
async fn a_dry_run_writes_nothing_but_reports() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        dry_run: true,
        ..RunRequest::default()
    };
    let summary = run_with(&apps, &store, request.clone()).await.unwrap();
    assert!(summary.dry_run);
    assert_eq!(summary.apps[0].days_written, 30, "would write");
    assert_eq!(summary.apps[0].raw_key, None);
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    assert!(store.keys().is_empty());

    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    apps[0].source.set(0, "LoginTimes", json!("5"));
    store.reset_counts();
    let summary = run_with(&apps, &store, request).await.unwrap();
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_field_subset_merges_into_stored_days() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();

    apps[0].source.set(9, "ActiveUserNum", json!("4242"));
    apps[0].source.set(9, "LoginTimes", json!("1"));
    store.reset_counts();
    let request = RunRequest {
        fields: Some(vec!["ActiveUserNum".into()]),
        dry_run: false,
        ..RunRequest::default()
    };
    let summary = run_with(&apps, &store, request).await.unwrap();
    assert_eq!(
        summary.fields.as_deref(),
        Some(&["ActiveUserNum".to_owned()][..])
    );
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(store.gets.load(Ordering::SeqCst), 30);
    let line = line_of(&store, &daily_key(APP, 9));
    assert_eq!(line["ActiveUserNum"], json!(4242));
    assert_eq!(
        line["LoginTimes"],
        json!(63),
        "a field not pulled keeps its stored value"
    );
    assert_eq!(line["AppName"], json!("demo"));
}

#[tokio::test]
async fn a_field_subset_into_an_empty_archive_writes_the_subset() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        fields: Some(vec!["UpMsgNum".into()]),
        dry_run: false,
        ..RunRequest::default()
    };
    run_with(&apps, &store, request).await.unwrap();
    let line = line_of(&store, &daily_key(APP, 0));
    let mut keys: Vec<&str> = line.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["UpMsgNum", "date", "pulled_at", "sdkappid"]);
}

#[tokio::test]
async fn writes_stop_at_the_storage_deadline() {
    let apps = one_app();
    let store = MemoryStore::default();
    store.hang.store(true, Ordering::SeqCst);
    let deadlines = Deadlines {
        tencent: Deadline::after(Duration::from_secs(30)),
        storage: Deadline::after(Duration::from_millis(50)),
    };
    let err = run(
        &apps,
        &store,
        &Layout::default(),
        &RunRequest::default(),
        PushHistory::OFF,
        deadlines,
        &Metrics::capture(NAMESPACE).0,
    )
    .await
    .unwrap_err();
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.days_failed, 30);
    assert!(
        app.failed_days[0].reason.contains("deadline"),
        "{:?}",
        app.failed_days[0]
    );
    assert!(app.error.as_deref().unwrap().contains("raw copy"));
}

#[tokio::test]
async fn invalid_input_calls_nothing() {
    let (metrics, lines) = Metrics::capture(NAMESPACE);
    let function = crate::OpsPull {
        apps: one_app(),
        store: MemoryStore::default(),
        layout: Layout::default(),
        push: PushHistory::OFF,
        metrics,
    };
    let err = function
        .handle(
            json!({"fields": ["NoSuchField"]}),
            Deadlines::after(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
    assert_eq!(function.apps[0].source.calls.load(Ordering::SeqCst), 0);
    assert_eq!(function.store.heads.load(Ordering::SeqCst), 0);
    // An invalid payload is a run that did not succeed.
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "ops-pull", NAMESPACE);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["RunSucceeded"], json!(0));
    assert_eq!(docs[0]["Function"], json!("ops-pull"));
}

#[path = "run_tests_answers.rs"]
mod answers;
#[path = "run_tests_metrics.rs"]
mod metrics;
#[path = "run_tests_push.rs"]
mod push;

#[tokio::test(start_paused = true)]
async fn deadlines_keep_proportionate_reserves() {
    let long = Deadlines::within(Duration::from_secs(60));
    assert_eq!(long.tencent.remaining(), Duration::from_millis(56_500));
    assert_eq!(long.storage.remaining(), Duration::from_millis(59_500));
    let short = Deadlines::within(Duration::from_secs(3));
    assert_eq!(short.tencent.remaining(), Duration::from_millis(1_700));
    assert_eq!(short.storage.remaining(), Duration::from_millis(2_700));
}

#[tokio::test(start_paused = true)]
async fn a_lambda_deadline_is_an_instant_or_a_local_runs_timeout() {
    let invocation = |deadline_ms| lambda_kit::Invocation {
        request_id: "r".into(),
        deadline_ms,
        cold_start: false,
    };
    let in_a_minute = u64::try_from(Utc::now().timestamp_millis()).unwrap() + 60_000;
    let real = Deadlines::for_invocation(&invocation(in_a_minute));
    assert!(
        real.storage.remaining() > Duration::from_secs(58),
        "{:?}",
        real.storage.remaining()
    );
    assert!(real.storage.remaining() <= Duration::from_secs(60));
    let local = Deadlines::for_invocation(&invocation(600_000));
    assert_eq!(local.storage.remaining(), Duration::from_millis(599_500));
    let past = Deadlines::for_invocation(&invocation(in_a_minute - 120_000));
    assert!(past.tencent.is_past() && past.storage.is_past());
}
