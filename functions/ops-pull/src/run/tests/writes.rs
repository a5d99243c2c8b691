//! What a run writes: odd values, repeated dates, archived numbers kept.
//! Days landing, unchanged days and the raw copy are proved on moto.

use super::*;

#[tokio::test]
async fn writes_overlap_within_the_bound() {
    let apps = one_app();
    let store = MemoryStore::default();
    full_run(&apps, &store).await.unwrap();
    let max = store.max_in_flight.load(Ordering::SeqCst);
    assert!(
        (2..=WRITE_CONCURRENCY).contains(&max),
        "{max} S3 calls in flight"
    );
}

#[tokio::test]
async fn odd_counts_and_bad_dates_are_counted_and_the_raw_copy_keeps_them() {
    let apps = one_app();
    apps[0].source.set(2, "UpMsgNum", json!("abc"));
    apps[0].source.set(3, "UpMsgNum", json!(null));
    apps[0].source.set(4, "Date", json!("2026-10-06"));
    let store = MemoryStore::default();
    let summary = full_run(&apps, &store).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.malformed_rows, 3);
    assert_eq!((app.days_pulled, app.days_written), (29, 29));
    // The line's numbers, nulls and `malformed` texts: object's tests.
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
    let summary = full_run(&apps, &store).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!((app.malformed_rows, app.days_written), (1, 30));
    // One line, so that sum() over the table counts the day once.
    assert_eq!(line_of(&store, &daily_key(APP, 7))["LoginTimes"], json!(1));
    let text = raw_text(&store, app.raw_key.as_deref().unwrap());
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        envelope["Result"].as_array().map(Vec::len),
        Some(31),
        "both rows"
    );
}

#[tokio::test]
async fn an_archived_number_is_never_replaced_by_null_text_or_absence() {
    let apps = one_app();
    let store = MemoryStore::default();
    full_run(&apps, &store).await.unwrap();
    apps[0].source.set(2, "UpMsgNum", json!("abc"));
    apps[0].source.set(3, "UpMsgNum", json!(null));
    apps[0].source.rows.lock().unwrap()[4]
        .as_object_mut()
        .unwrap()
        .remove("LoginTimes");
    apps[0].source.set(5, "ActiveUserNum", json!("1"));
    let summary = full_run(&apps, &store).await.unwrap();
    let app = &summary.apps[0];
    let day = |n: u64| (first_day() + chrono::Days::new(n)).to_string();
    let kept = serde_json::to_value(&app.fields_kept).unwrap();
    let at = |n, field| json!({"date": day(n), "field": field});
    let expected = [at(2, "UpMsgNum"), at(3, "UpMsgNum"), at(4, "LoginTimes")];
    assert_eq!(kept, json!(expected));
    let line = |n| line_of(&store, &daily_key(APP, n));
    assert_eq!(line(2)["UpMsgNum"], json!(1002));
    assert_eq!(
        line(2)["malformed"],
        json!({"UpMsgNum": "abc"}),
        "the new text"
    );
    assert_eq!(line(3)["UpMsgNum"], json!(1003));
    assert_eq!(line(4)["LoginTimes"], json!(28));
    // Tencent corrects late data with numbers, down as well as up.
    assert_eq!(line(5)["ActiveUserNum"], json!(1));
    assert_eq!((app.days_written, app.days_unchanged), (2, 28));
}
