//! A day's object: its lines, its content hash and its body.
//!
//! A daily line holds every field of Tencent's row for the day: a known
//! count is a JSON number or null, never text (Athena's `bigint` columns
//! would fail the whole partition on text); the original text of a count
//! that is not a 64-bit integer goes to the line's `malformed` object.
//!
//! An object's identity is the SHA-256 of its lines without `pulled_at`
//! (kept in the object's metadata), so that a re-pull of the same numbers is
//! recognised as unchanged although it was pulled at another time.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tim::api::appinfo::{AppInfoDay, OpsValue};

use crate::archive::store::StoreError;

/// User metadata key (`x-amz-meta-content-sha256`) holding the content hash.
pub const HASH_METADATA_KEY: &str = "content-sha256";

/// Added to Tencent's fields on every line, as are `sdkappid` and `date`.
pub const PULLED_AT_COLUMN: &str = "pulled_at";
/// The original text of counts that are not integers, by Tencent's field
/// name (only on lines that have one).
pub const MALFORMED_COLUMN: &str = "malformed";

/// One line without `pulled_at`. A `BTreeMap` so that the serialisation (and
/// with it the content hash) does not depend on serde_json's map features.
pub type Line = BTreeMap<String, Value>;

/// One day's object before `pulled_at` is stamped on it.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyObject {
    pub date: NaiveDate,
    /// One for an operations day; a push day has a totals line and one per
    /// channel (in a stable order).
    pub(crate) lines: Vec<Line>,
}

impl DailyObject {
    /// Tencent's row for `date` as one line: counts as numbers or null,
    /// their odd texts in `malformed`, text fields as text.
    pub fn from_row(sdkappid: u64, date: NaiveDate, row: &AppInfoDay) -> Self {
        let (mut line, mut malformed) = (Line::new(), Map::new());
        for (name, value) in &row.values {
            // The value, and the text of a count that is not one.
            let (json, odd) = match value {
                OpsValue::Number(n) => (Value::from(*n), None),
                OpsValue::Text(text) => (Value::from(text.as_str()), None),
                OpsValue::Null => (Value::Null, None),
                OpsValue::Malformed(text) => (Value::Null, Some(text)),
            };
            malformed.extend(odd.map(|text| (name.clone(), Value::from(text.as_str()))));
            line.insert(name.clone(), json);
        }
        put_malformed(&mut line, malformed);
        line.insert("sdkappid".to_owned(), Value::from(sdkappid));
        line.insert("date".to_owned(), Value::from(date.to_string()));
        Self::from_lines(date, vec![line])
    }

    /// Lines built elsewhere (push statistics), in a stable order.
    pub fn from_lines(date: NaiveDate, mut lines: Vec<Line>) -> Self {
        lines.sort_by_cached_key(|line| serde_json::to_string(line).unwrap_or_default());
        Self { date, lines }
    }

    /// This (field-subset) object laid over the stored one: pulled fields
    /// replace theirs, every other stored field is kept.
    pub fn merged_over(mut self, stored: &[u8]) -> Result<Self, StoreError> {
        let ([new_line], Some(mut line)) = (self.lines.as_mut_slice(), one_line(stored)) else {
            return Err(StoreError::Failed(
                "the stored object is not one JSON object on one line; run without \"fields\" to rewrite it".into(),
            ));
        };
        // The stored odd texts of the fields pulled now are replaced by the
        // new ones (if any): a count that became a number loses its entry.
        let mut malformed = take_malformed(&mut line);
        malformed.retain(|field, _| !new_line.contains_key(field));
        malformed.extend(take_malformed(new_line));
        line.append(new_line);
        put_malformed(&mut line, malformed);
        Ok(Self::from_lines(self.date, vec![line]))
    }

    /// This (one-line) day over the archived one (`stored`, its JSON Lines),
    /// field by field: a count archived as a number is never replaced by
    /// null, by text or by its absence (Tencent corrects late data with
    /// numbers, up or down, but a field it stops sending or sends as text
    /// would otherwise lose the only good copy). A new text goes to
    /// `malformed`. Returns the day and the fields kept; an archived object
    /// that is not one readable line keeps nothing (the new day repairs it).
    pub fn keeping_numbers_of(mut self, stored: &[u8]) -> (Self, Vec<String>) {
        let ([line], Some(archived)) = (self.lines.as_mut_slice(), one_line(stored)) else {
            return (self, Vec::new());
        };
        let (mut kept, mut malformed) = (Vec::new(), take_malformed(line));
        for (field, value) in archived {
            if value.is_number() && !line.get(&field).is_some_and(Value::is_number) {
                if let Some(text @ Value::String(_)) = line.insert(field.clone(), value) {
                    malformed.insert(field.clone(), text);
                }
                kept.push(field);
            }
        }
        put_malformed(line, malformed);
        (self, kept)
    }

    /// Hex SHA-256 of the lines without `pulled_at`.
    pub fn content_sha256(&self) -> String {
        let hash = Sha256::digest(self.body(None));
        hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The object's body: one JSON object a line, each ending in `\n`, each
    /// stamped with `pulled_at` when given.
    pub fn body(&self, pulled_at: Option<&str>) -> Vec<u8> {
        let mut body = Vec::new();
        for mut line in self.lines.iter().cloned() {
            line.extend(pulled_at.map(|at| (PULLED_AT_COLUMN.to_owned(), Value::from(at))));
            // Serialising a map of JSON values into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut body, &line);
            body.push(b'\n');
        }
        body
    }
}

/// A stored body's lines without `pulled_at` (read as serde_json's stream
/// of objects); `None` when it is not JSON objects.
pub fn stored_lines(body: &[u8]) -> Option<Vec<Line>> {
    let lines = serde_json::Deserializer::from_slice(body).into_iter::<Line>();
    let unstamped = |mut line: Line| {
        line.remove(PULLED_AT_COLUMN);
        line
    };
    lines.map(|line| line.ok().map(unstamped)).collect()
}

/// The one line of a stored object, without `pulled_at`.
fn one_line(stored: &[u8]) -> Option<Line> {
    stored_lines(stored).filter(|lines| lines.len() == 1)?.pop()
}

/// The line's `malformed` map, taken out of it (empty when it has none).
fn take_malformed(line: &mut Line) -> Map<String, Value> {
    let taken = line.remove(MALFORMED_COLUMN).map(serde_json::from_value);
    taken.and_then(Result::ok).unwrap_or_default()
}

/// Puts `malformed` back on the line, unless it is empty (no empty map in the archive).
pub(crate) fn put_malformed(line: &mut Line, malformed: Map<String, Value>) {
    if !malformed.is_empty() {
        line.insert(MALFORMED_COLUMN.to_owned(), Value::Object(malformed));
    }
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

    /// Day 2026-11-01 of app 7 from Tencent's row `json`.
    fn object(json: Value) -> DailyObject {
        DailyObject::from_row(7, date("2026-11-01"), &day(json))
    }

    #[test]
    fn a_line_has_numbers_text_unknown_fields_and_our_columns() {
        let row = day(
            json!({"Date": "20261101", "ActiveUserNum": "2014", "AppName": "demo",
                             "UpMsgNum": "abc", "NewThing": "5", "LoginTimes": null,
                             "MaxOnlineNum": "99999999999999999999", "C2CUpMsgNum": ""}),
        );
        let full = DailyObject::from_row(1400000000, date("2026-11-01"), &row);
        let body = full.body(Some("2026-11-02T06:00:01.234Z"));
        let text = String::from_utf8(body).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().count(), 1);
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        // Counts are numbers or null; their odd texts are in `malformed`
        // (a null has no text to keep).
        assert_eq!(
            line,
            json!({"ActiveUserNum": 2014, "AppName": "demo", "UpMsgNum": null, "NewThing": 5,
                   "LoginTimes": null, "MaxOnlineNum": null, "C2CUpMsgNum": null,
                   "malformed": {"UpMsgNum": "abc", "MaxOnlineNum": "99999999999999999999",
                                 "C2CUpMsgNum": ""},
                   "sdkappid": 1400000000u64, "date": "2026-11-01",
                   "pulled_at": "2026-11-02T06:00:01.234Z"})
        );
        let sound = object(json!({"Date": "20261101", "ActiveUserNum": "1"}));
        assert!(!sound.lines[0].contains_key(MALFORMED_COLUMN));
    }

    #[test]
    fn the_hash_ignores_pulled_at_and_sees_every_value() {
        let a = json!({"Date": "20261101", "ActiveUserNum": "1"});
        let first = object(a.clone());
        assert_eq!(first.content_sha256(), object(a.clone()).content_sha256());
        assert_eq!(first.content_sha256().len(), 64);
        assert_ne!(first.body(Some("t1")), first.body(Some("t2")));
        let b = json!({"Date": "20261101", "ActiveUserNum": "2"});
        assert_ne!(first.content_sha256(), object(b).content_sha256());
        let of_app_8 = DailyObject::from_row(8, date("2026-11-01"), &day(a));
        assert_ne!(first.content_sha256(), of_app_8.content_sha256());
    }

    #[test]
    fn a_subset_is_merged_over_the_stored_line() {
        let full = json!({"Date": "20261101", "ActiveUserNum": "1", "LoginTimes": "9"});
        let subset = json!({"Date": "20261101", "ActiveUserNum": "2"});
        let merged = |row: &Value, stored: &[u8]| object(row.clone()).merged_over(stored);
        let stored = object(full.clone()).body(Some("old"));
        let line = merged(&subset, &stored).unwrap().lines[0].clone();
        assert_eq!(
            (&line["ActiveUserNum"], &line["LoginTimes"]),
            (&json!(2), &json!(9))
        );
        assert!(!line.contains_key(PULLED_AT_COLUMN));
        let unchanged = merged(&full, &stored).unwrap().content_sha256();
        assert_eq!(unchanged, object(full.clone()).content_sha256());
        for unreadable in [&b"{}\n{}\n"[..], b"not json"] {
            assert!(merged(&subset, unreadable).is_err());
        }

        // A count pulled sound loses its stored odd text; one pulled odd
        // gains it; the others' entries stay.
        let stored = object(json!({"Date": "20261101", "ActiveUserNum": "x", "LoginTimes": "y"}))
            .body(Some("old"));
        let fixed = merged(&subset, &stored).unwrap().lines[0].clone();
        assert_eq!(fixed["ActiveUserNum"], json!(2));
        assert_eq!(fixed[MALFORMED_COLUMN], json!({"LoginTimes": "y"}));
        let broken = json!({"Date": "20261101", "LoginTimes": "9"});
        let both = merged(&broken, &stored).unwrap().lines[0].clone();
        assert_eq!(both[MALFORMED_COLUMN], json!({"ActiveUserNum": "x"}));
        let all_fixed = merged(&full, &stored).unwrap().lines[0].clone();
        assert!(!all_fixed.contains_key(MALFORMED_COLUMN));
    }
}
