//! The archive's object layout and contents.
//!
//! ```text
//! {prefix}/daily/sdkappid={id}/dt={YYYY-MM-DD}/operations.json   JSON Lines, one row a line
//! {prefix}/raw/sdkappid={id}/pulled_at={YYYYMMDDTHHMMSS.mmmZ}.json.gz   Tencent's body, gzip
//! {prefix}/push/sdkappid={id}/dt={YYYY-MM-DD}/push_statistics.json   JSON Lines (see `push_rows`)
//! {prefix}/manifest/sdkappid={id}.json   content hashes of the above (see `index`)
//! ```
//!
//! A daily object's identity is the SHA-256 of its lines without
//! `pulled_at` (kept in the object's metadata), so that a re-pull of the same
//! numbers is recognised as unchanged although it was pulled at another time.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tim::api::appinfo::AppInfoDay;

/// `OPS_PREFIX` when unset.
pub const DEFAULT_PREFIX: &str = "tencent-chat/operations";
/// Content type of daily objects (JSON Lines).
pub const DAILY_CONTENT_TYPE: &str = "application/x-ndjson";
/// Content type of raw objects (with `Content-Encoding: gzip`).
pub const RAW_CONTENT_TYPE: &str = "application/json";
pub const RAW_CONTENT_ENCODING: &str = "gzip";
/// User metadata key (`x-amz-meta-content-sha256`) holding the content hash.
pub const HASH_METADATA_KEY: &str = "content-sha256";

/// Columns added to Tencent's fields on every line.
pub const SDKAPPID_COLUMN: &str = "sdkappid";
pub const DATE_COLUMN: &str = "date";
pub const PULLED_AT_COLUMN: &str = "pulled_at";

/// Where objects go under the configured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    prefix: String,
}

impl Layout {
    /// `prefix` without leading or trailing slashes (empty: the bucket's root).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.trim().trim_matches('/').to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn under_prefix(&self, rest: String) -> String {
        if self.prefix.is_empty() {
            rest
        } else {
            format!("{}/{rest}", self.prefix)
        }
    }

    pub fn daily_key(&self, sdkappid: u64, date: NaiveDate) -> String {
        self.under_prefix(format!(
            "daily/sdkappid={sdkappid}/dt={}/operations.json",
            date.format("%Y-%m-%d")
        ))
    }

    pub fn push_key(&self, sdkappid: u64, date: NaiveDate) -> String {
        self.under_prefix(format!(
            "push/sdkappid={sdkappid}/dt={}/push_statistics.json",
            date.format("%Y-%m-%d")
        ))
    }

    /// The folder of an app's daily objects (for listings).
    pub fn daily_folder(&self, sdkappid: u64) -> String {
        self.under_prefix(format!("daily/sdkappid={sdkappid}/"))
    }

    /// The folder of an app's push objects (for listings).
    pub fn push_folder(&self, sdkappid: u64) -> String {
        self.under_prefix(format!("push/sdkappid={sdkappid}/"))
    }

    /// Outside the Glue tables' folders, so Athena never reads it.
    pub fn manifest_key(&self, sdkappid: u64) -> String {
        self.under_prefix(format!("manifest/sdkappid={sdkappid}.json"))
    }

    /// Millisecond resolution, no colons (they need escaping in many tools).
    pub fn raw_key(&self, sdkappid: u64, pulled_at: DateTime<Utc>) -> String {
        self.under_prefix(format!(
            "raw/sdkappid={sdkappid}/pulled_at={}.json.gz",
            pulled_at.format("%Y%m%dT%H%M%S%.3fZ")
        ))
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

/// `pulled_at` as written on every line: RFC 3339, UTC, milliseconds.
pub fn pulled_at_text(pulled_at: DateTime<Utc>) -> String {
    pulled_at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One line without `pulled_at`. A `BTreeMap` so that the serialisation (and
/// with it the content hash) does not depend on serde_json's map features.
pub type Line = BTreeMap<String, Value>;

/// One day's object before `pulled_at` is stamped on it.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyObject {
    pub date: NaiveDate,
    /// Normally one; several only if Tencent sent the same `Date` twice (all
    /// are kept, in a stable order).
    lines: Vec<Line>,
}

/// An existing object a field-subset run cannot merge into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the stored object is not one JSON object on one line ({0}); run without \"fields\" to rewrite it"
)]
pub struct MergeError(String);

impl DailyObject {
    /// The rows Tencent sent for `date` (normally one).
    pub fn from_rows<'a>(
        sdkappid: u64,
        date: NaiveDate,
        rows: impl IntoIterator<Item = &'a AppInfoDay>,
    ) -> Self {
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|row| {
                let mut line: Line = row
                    .values
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                line.insert(SDKAPPID_COLUMN.to_owned(), Value::from(sdkappid));
                line.insert(
                    DATE_COLUMN.to_owned(),
                    Value::from(date.format("%Y-%m-%d").to_string()),
                );
                line
            })
            .collect();
        Self::from_lines(date, lines)
    }

    /// Lines built elsewhere (push statistics), in a stable order.
    pub fn from_lines(date: NaiveDate, mut lines: Vec<Line>) -> Self {
        lines.sort_by_cached_key(|line| serde_json::to_string(line).unwrap_or_default());
        Self { date, lines }
    }

    /// This (field-subset) object laid over the stored one: pulled fields
    /// replace theirs, every other stored field is kept.
    pub fn merged_over(&self, stored: &[u8]) -> Result<Self, MergeError> {
        let [new_line] = self.lines.as_slice() else {
            return Err(MergeError(format!(
                "{} rows were pulled for the day",
                self.lines.len()
            )));
        };
        let text = std::str::from_utf8(stored).map_err(|_| MergeError("not UTF-8".into()))?;
        let mut stored_lines = text.lines().filter(|l| !l.trim().is_empty());
        let (Some(first), None) = (stored_lines.next(), stored_lines.next()) else {
            return Err(MergeError("not exactly one line".into()));
        };
        let mut line: Line = serde_json::from_str(first).map_err(|e| MergeError(e.to_string()))?;
        line.remove(PULLED_AT_COLUMN);
        line.extend(new_line.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Self {
            date: self.date,
            lines: vec![line],
        })
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Hex SHA-256 of the lines without `pulled_at`.
    pub fn content_sha256(&self) -> String {
        let mut hasher = Sha256::new();
        for line in &self.lines {
            // A BTreeMap of JSON values always serialises.
            hasher.update(serde_json::to_vec(line).unwrap_or_default());
            hasher.update(b"\n");
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The object's body: one JSON object a line, each ending in `\n`.
    pub fn body(&self, pulled_at: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for line in &self.lines {
            let mut stamped = line.clone();
            stamped.insert(PULLED_AT_COLUMN.to_owned(), Value::from(pulled_at));
            // Serialising a map of JSON values into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut body, &stamped);
            body.push(b'\n');
        }
        body
    }
}

/// Gzip of Tencent's body for the raw archive.
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(raw)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(json: Value) -> AppInfoDay {
        AppInfoDay::from_json(json.as_object().unwrap())
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn keys_are_hive_partitions_under_a_normalised_prefix() {
        let d = date("2026-11-01");
        let t = DateTime::parse_from_rfc3339("2026-11-02T06:00:01.234Z")
            .unwrap()
            .to_utc();
        let layout = Layout::new("/ops/data/ ");
        assert_eq!(layout.prefix(), "ops/data");
        assert_eq!(
            layout.daily_key(1400000000, d),
            "ops/data/daily/sdkappid=1400000000/dt=2026-11-01/operations.json"
        );
        assert_eq!(
            layout.raw_key(1400000000, t),
            "ops/data/raw/sdkappid=1400000000/pulled_at=20261102T060001.234Z.json.gz"
        );
        assert_eq!(
            layout.push_key(1400000000, d),
            "ops/data/push/sdkappid=1400000000/dt=2026-11-01/push_statistics.json"
        );
        assert_eq!(layout.daily_folder(7), "ops/data/daily/sdkappid=7/");
        assert_eq!(layout.push_folder(7), "ops/data/push/sdkappid=7/");
        assert_eq!(layout.manifest_key(7), "ops/data/manifest/sdkappid=7.json");
        assert_eq!(
            Layout::new("/").daily_key(1, d),
            "daily/sdkappid=1/dt=2026-11-01/operations.json"
        );
        assert_eq!(Layout::default().prefix(), DEFAULT_PREFIX);
    }

    #[test]
    fn a_line_has_numbers_text_unknown_fields_and_our_columns() {
        let row = day(
            json!({"Date": "20261101", "ActiveUserNum": "2014", "AppName": "demo",
                             "UpMsgNum": "abc", "NewThing": "5"}),
        );
        let object = DailyObject::from_rows(1400000000, date("2026-11-01"), [&row]);
        let body = object.body("2026-11-02T06:00:01.234Z");
        let text = String::from_utf8(body).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(
            line,
            json!({"ActiveUserNum": 2014, "AppName": "demo", "UpMsgNum": "abc", "NewThing": 5,
                   "sdkappid": 1400000000u64, "date": "2026-11-01",
                   "pulled_at": "2026-11-02T06:00:01.234Z"})
        );
    }

    #[test]
    fn the_hash_ignores_pulled_at_and_sees_every_value() {
        let a = day(json!({"Date": "20261101", "ActiveUserNum": "1"}));
        let b = day(json!({"Date": "20261101", "ActiveUserNum": "2"}));
        let d = date("2026-11-01");
        let first = DailyObject::from_rows(7, d, [&a]);
        assert_eq!(
            first.content_sha256(),
            DailyObject::from_rows(7, d, [&a]).content_sha256()
        );
        assert_ne!(first.body("t1"), first.body("t2"));
        assert_ne!(
            first.content_sha256(),
            DailyObject::from_rows(7, d, [&b]).content_sha256()
        );
        assert_ne!(
            first.content_sha256(),
            DailyObject::from_rows(8, d, [&a]).content_sha256()
        );
        assert_eq!(first.content_sha256().len(), 64);
    }

    #[test]
    fn a_repeated_date_keeps_both_rows_in_a_stable_order() {
        let a = day(json!({"Date": "20261101", "LoginTimes": "1"}));
        let b = day(json!({"Date": "20261101", "LoginTimes": "2"}));
        let d = date("2026-11-01");
        let ab = DailyObject::from_rows(7, d, [&a, &b]);
        let ba = DailyObject::from_rows(7, d, [&b, &a]);
        assert_eq!(ab, ba);
        assert_eq!(ab.lines().len(), 2);
    }

    #[test]
    fn a_subset_is_merged_over_the_stored_line() {
        let d = date("2026-11-01");
        let full = day(json!({"Date": "20261101", "ActiveUserNum": "1", "LoginTimes": "9"}));
        let stored = DailyObject::from_rows(7, d, [&full]).body("old");
        let subset = day(json!({"Date": "20261101", "ActiveUserNum": "2"}));
        let merged = DailyObject::from_rows(7, d, [&subset])
            .merged_over(&stored)
            .unwrap();
        let line = &merged.lines()[0];
        assert_eq!(line["ActiveUserNum"], json!(2));
        assert_eq!(line["LoginTimes"], json!(9));
        assert!(!line.contains_key(PULLED_AT_COLUMN));

        let unchanged = DailyObject::from_rows(7, d, [&full])
            .merged_over(&stored)
            .unwrap();
        assert_eq!(
            unchanged.content_sha256(),
            DailyObject::from_rows(7, d, [&full]).content_sha256()
        );

        assert!(
            DailyObject::from_rows(7, d, [&subset])
                .merged_over(b"{}\n{}\n")
                .is_err()
        );
        assert!(
            DailyObject::from_rows(7, d, [&subset])
                .merged_over(b"not json")
                .is_err()
        );
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let zipped = gzip(br#"{"ErrorCode":0}"#).unwrap();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, r#"{"ErrorCode":0}"#);
    }
}
