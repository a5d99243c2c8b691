//! What a run writes: the days and the raw copy; what a
//! second run leaves alone; odd values and repeated dates.

use super::*;

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
    // 30 days and the raw copy, each day asked about once (HEAD).
    assert_eq!(store.puts.load(Ordering::SeqCst), 31);
    assert_eq!(store.heads.load(Ordering::SeqCst), 30);

    let keys = store.keys();
    assert_eq!(keys.len(), 31);
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
    let envelope: Value = serde_json::from_str(&raw_text(&store, &raw_key)).unwrap();
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
    // A HEAD per day tells its content hash; nothing is read.
    assert_eq!(store.heads.load(Ordering::SeqCst), 30);
    assert_eq!(store.gets.load(Ordering::SeqCst), 0);
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        1,
        "only the new raw copy"
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
        2,
        "the day and the raw copy"
    );
    assert_eq!(
        line_of(&store, &daily_key(APP, 5))["ActiveUserNum"],
        json!(999)
    );
    assert_eq!(store.object(&daily_key(APP, 3)).body, before);
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
    let text = raw_text(&store, app.raw_key.as_deref().unwrap());
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
    let text = raw_text(&store, summary.apps[0].raw_key.as_deref().unwrap());
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        envelope["Result"].as_array().unwrap().len(),
        31,
        "both rows in the raw copy"
    );
}

#[tokio::test]
async fn an_archived_number_is_never_replaced_by_null_text_or_absence() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    apps[0].source.set(2, "UpMsgNum", json!("abc"));
    apps[0].source.set(3, "UpMsgNum", json!(null));
    apps[0].source.rows.lock().unwrap()[4]
        .as_object_mut()
        .unwrap()
        .remove("LoginTimes");
    // Tencent corrects late data with numbers, down as well as up.
    apps[0].source.set(5, "ActiveUserNum", json!("1"));
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let app = &summary.apps[0];
    let day = |n: u64| first_day() + chrono::Days::new(n);
    let kept: Vec<(NaiveDate, &str)> = app
        .fields_kept
        .iter()
        .map(|k| (k.date, k.field.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            (day(2), "UpMsgNum"),
            (day(3), "UpMsgNum"),
            (day(4), "LoginTimes")
        ]
    );
    let text_day = line_of(&store, &daily_key(APP, 2));
    assert_eq!(text_day["UpMsgNum"], json!(1002));
    assert_eq!(
        text_day["malformed"],
        json!({"UpMsgNum": "abc"}),
        "the new text"
    );
    assert_eq!(line_of(&store, &daily_key(APP, 3))["UpMsgNum"], json!(1003));
    assert_eq!(line_of(&store, &daily_key(APP, 4))["LoginTimes"], json!(28));
    assert_eq!(
        line_of(&store, &daily_key(APP, 5))["ActiveUserNum"],
        json!(1)
    );
    assert_eq!((app.days_written, app.days_unchanged), (2, 28));
    let json = serde_json::to_value(app).unwrap();
    assert_eq!(
        json["fields_kept"][0],
        json!({"date": day(2).to_string(), "field": "UpMsgNum"})
    );
}
