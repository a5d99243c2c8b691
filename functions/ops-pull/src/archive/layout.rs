//! Where the archive's objects go under the configured prefix:
//!
//! ```text
//! {prefix}/daily/sdkappid={id}/dt={YYYY-MM-DD}/operations.json   JSON Lines, one row a line
//! {prefix}/raw/sdkappid={id}/pulled_at={YYYYMMDDTHHMMSS.mmmZ}-{run id}.json.gz   Tencent's body, gzip
//! {prefix}/push/sdkappid={id}/dt={YYYY-MM-DD}/push_statistics.json   JSON Lines (see `push_rows`)
//! {prefix}/raw/push/sdkappid={id}/dt={YYYY-MM-DD}/pulled_at={…}-{run id}.json.gz   Tencent's push body, gzip
//! {prefix}/lease/ops-pull.json   the run that holds the lease, until when (see `lease`)
//! ```

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// `OPS_PREFIX` when unset.
pub const DEFAULT_PREFIX: &str = "tencent-chat/operations";

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

    /// The folder of an app's getappinfo raw copies (their keys sort by time).
    pub fn raw_folder(&self, sdkappid: u64) -> String {
        self.under_prefix(format!("raw/sdkappid={sdkappid}/"))
    }

    /// Millisecond resolution, no colons (they need escaping in many
    /// tools), then the run's id: two runs in one millisecond (a manual
    /// invoke beside the schedule) never collide on `If-None-Match`. The
    /// time first, so the keys of an app sort by time.
    pub fn raw_key(&self, sdkappid: u64, pulled_at: DateTime<Utc>, run_id: &str) -> String {
        self.under_prefix(format!(
            "raw/sdkappid={sdkappid}/pulled_at={}-{run_id}.json.gz",
            pulled_at.format("%Y%m%dT%H%M%S%.3fZ")
        ))
    }
}

impl Layout {
    /// The lease that keeps runs one at a time (see `lease`); outside the
    /// Glue tables' folders.
    pub fn lease_key(&self) -> String {
        self.under_prefix("lease/ops-pull.json".to_owned())
    }

    /// The raw copy of one day's push answer: by day, then as [`Layout::raw_key`].
    pub fn push_raw_key(
        &self,
        sdkappid: u64,
        date: NaiveDate,
        pulled_at: DateTime<Utc>,
        run_id: &str,
    ) -> String {
        self.under_prefix(format!(
            "raw/push/sdkappid={sdkappid}/dt={}/pulled_at={}-{run_id}.json.gz",
            date.format("%Y-%m-%d"),
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

#[cfg(test)]
mod tests {
    use super::*;

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
            layout.raw_key(1400000000, t, "req-1"),
            "ops/data/raw/sdkappid=1400000000/pulled_at=20261102T060001.234Z-req-1.json.gz"
        );
        assert_eq!(
            layout.push_key(1400000000, d),
            "ops/data/push/sdkappid=1400000000/dt=2026-11-01/push_statistics.json"
        );
        assert_eq!(
            layout.push_raw_key(7, d, t, "req-1"),
            "ops/data/raw/push/sdkappid=7/dt=2026-11-01/pulled_at=20261102T060001.234Z-req-1.json.gz"
        );
        assert_eq!(layout.daily_folder(7), "ops/data/daily/sdkappid=7/");
        assert_eq!(layout.push_folder(7), "ops/data/push/sdkappid=7/");
        assert_eq!(layout.raw_folder(7), "ops/data/raw/sdkappid=7/");
        assert_eq!(
            Layout::new("/").daily_key(1, d),
            "daily/sdkappid=1/dt=2026-11-01/operations.json"
        );
        assert_eq!(Layout::default().prefix(), DEFAULT_PREFIX);
    }
}
