//! One app's `getappinfo`, grouped by day.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use tim::api::appinfo::{AppInfo, MalformedAnswer};

use crate::archive::object::DailyObject;
use crate::tencent::freshness::china_today;

/// A pull Tencent answered with `ErrorCode` 0, grouped by day.
pub(crate) struct Pulled {
    pub pulled_at: DateTime<Utc>,
    pub raw: bytes::Bytes,
    pub days: BTreeMap<NaiveDate, DailyObject>,
    /// The rows of `Result` (0: an empty list, or a malformed answer).
    pub rows: usize,
    pub malformed_rows: usize,
    /// Rows without a valid `Date`, or dated after today (in no day; kept
    /// in the raw copy).
    pub unkeyable_rows: usize,
    /// `Result` missing or not a list: the run fails for this app, only the
    /// raw copy is kept (as evidence).
    pub malformed_answer: Option<MalformedAnswer>,
}

/// Groups Tencent's rows, pulled now, by their `Date`, counting what is malformed. Of
/// two rows with the same `Date`, the later in Tencent's order wins (one
/// row a day, so that a `sum()` in Athena never counts a day twice); both
/// stay in the raw copy. A row dated after today (China time) is malformed:
/// archived, it would be the newest day for ever and mask the lag.
pub(crate) fn group_days(app: &str, sdkappid: u64, info: AppInfo) -> Pulled {
    let pulled_at = Utc::now();
    let mut days = BTreeMap::new();
    let mut malformed_rows = 0;
    let mut unkeyable_rows = 0;
    for row in &info.days {
        match row.date {
            Ok(date) if date > china_today(pulled_at) => {
                unkeyable_rows += 1;
                tracing::warn!(app, sdkappid, %date, "row dated after today (China time): kept in the raw copy only");
            }
            Ok(date) => {
                let malformed: Vec<&str> = row.malformed_fields().collect();
                if !malformed.is_empty() {
                    malformed_rows += 1;
                    tracing::warn!(app, sdkappid, %date, fields = ?malformed, "counts that are not integers: written as null, their text in \"malformed\"");
                }
                let object = DailyObject::from_row(sdkappid, date, row);
                if days.insert(date, object).is_some() {
                    malformed_rows += 1;
                    tracing::warn!(app, sdkappid, %date, "Tencent sent this Date more than once: the later row is archived, both are in the raw copy");
                }
            }
            Err(ref text) => {
                unkeyable_rows += 1;
                tracing::warn!(app, sdkappid, date = %text, "row without a valid Date: kept in the raw copy only");
            }
        }
    }
    Pulled {
        pulled_at,
        raw: info.raw.clone(),
        days,
        rows: info.days.len(),
        // An unkeyable row is a malformed one too.
        malformed_rows: malformed_rows + unkeyable_rows,
        unkeyable_rows,
        malformed_answer: info.malformed(),
    }
}
