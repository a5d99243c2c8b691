//! Where the archive's objects go under the configured prefix, and the
//! datasets: each Tencent API archived day by day is one [`Dataset`] value.
//!
//! ```text
//! {prefix}/daily/sdkappid={id}/dt={YYYY-MM-DD}/operations.json   JSON Lines, one row a line
//! {prefix}/raw/sdkappid={id}/pulled_at={YYYYMMDDTHHMMSS.mmmZ}-{run id}.json.gz   Tencent's body, gzip
//! {prefix}/push/sdkappid={id}/dt={YYYY-MM-DD}/push_statistics.json   JSON Lines (see `push_rows`)
//! {prefix}/raw/push/sdkappid={id}/dt={YYYY-MM-DD}/pulled_at={…}-{run id}.json.gz   Tencent's push body, gzip
//! {prefix}/lease/ops-pull.json   the run that holds the lease, until when (see `lease`)
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use crate::archive::object::DailyObject;

/// `OPS_PREFIX` when unset.
pub const DEFAULT_PREFIX: &str = "tencent-chat/operations";

/// One Tencent API archived day by day: its name in reports, its folders,
/// its Glue table (in `infra/template.yaml`) and its row rule. A third API
/// is one more value and one pull function.
pub struct Dataset {
    pub name: &'static str,
    /// The table's folder and each day's file name.
    pub folder: &'static str,
    pub file: &'static str,
    /// The raw copies' folder.
    pub raw_folder: &'static str,
    pub glue_table: &'static str,
    /// What of an archived day a new answer may never make worse: the new
    /// day over the archived one (its body), and what of the archived day
    /// was kept.
    pub rule: fn(DailyObject, &[u8]) -> (DailyObject, Vec<String>),
}

/// getappinfo: one answer holds the last 30 days.
pub const OPERATIONS: Dataset = Dataset {
    name: "operations",
    folder: "daily",
    file: "operations.json",
    raw_folder: "raw",
    glue_table: "operations_daily",
    // A count archived as a number is never replaced by null, text or absence.
    rule: DailyObject::keeping_numbers_of,
};

/// all_member_push_statistics: one answer per day.
pub const PUSH: Dataset = Dataset {
    name: "push",
    folder: "push",
    file: "push_statistics.json",
    raw_folder: "raw/push",
    glue_table: "push_statistics",
    // Counts only grow: a row that went lower keeps its archived counts.
    rule: super::push_rows::keeping_lower_rows,
};

/// Where objects go: under the configured prefix, empty (the bucket's
/// root) or ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout(String);

impl Layout {
    /// `prefix` without leading or trailing slashes (empty: the bucket's root).
    pub fn new(prefix: &str) -> Self {
        let prefix = prefix.trim().trim_matches('/');
        Self(format!("{prefix}/").trim_start_matches('/').to_owned())
    }

    /// An app's part of a dataset's `folder` (its days, or its raw copies,
    /// whose keys sort by time), for listings.
    pub fn folder(&self, folder: &str, sdkappid: u64) -> String {
        format!("{}{folder}/sdkappid={sdkappid}/", self.0)
    }

    pub fn day_key(&self, dataset: &Dataset, sdkappid: u64, date: NaiveDate) -> String {
        let folder = self.folder(dataset.folder, sdkappid);
        format!("{folder}dt={date}/{}", dataset.file)
    }

    /// Millisecond resolution, no colons (they need escaping in many
    /// tools), then the run's id: two runs in one millisecond never collide
    /// on `If-None-Match`. The time first, so an app's keys sort by time;
    /// an answer for one day (`date`) goes in that day's folder.
    pub fn raw_key(
        &self,
        dataset: &Dataset,
        sdkappid: u64,
        date: Option<NaiveDate>,
        pulled_at: DateTime<Utc>,
        run_id: &str,
    ) -> String {
        let folder = self.folder(dataset.raw_folder, sdkappid);
        let day = date.map_or_else(String::new, |date| format!("dt={date}/"));
        let at = pulled_at.format("%Y%m%dT%H%M%S%.3fZ");
        format!("{folder}{day}pulled_at={at}-{run_id}.json.gz")
    }

    /// The lease that keeps runs one at a time (see `lease`); outside the
    /// Glue tables' folders.
    pub fn lease_key(&self) -> String {
        format!("{}lease/ops-pull.json", self.0)
    }
}

// Only tests use these.
#[cfg(test)]
impl Layout {
    pub fn prefix(&self) -> &str {
        self.0.trim_end_matches('/')
    }
}

#[cfg(test)]
impl Default for Layout {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hive_partitions_under_a_normalised_prefix() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-02T06:00:01.234Z")
            .unwrap()
            .to_utc();
        let layout = Layout::new("/ops/data/ ");
        assert_eq!(layout.prefix(), "ops/data");
        assert_eq!(
            layout.day_key(&OPERATIONS, 1400000000, d),
            "ops/data/daily/sdkappid=1400000000/dt=2026-11-01/operations.json"
        );
        assert_eq!(
            layout.raw_key(&OPERATIONS, 1400000000, None, t, "req-1"),
            "ops/data/raw/sdkappid=1400000000/pulled_at=20261102T060001.234Z-req-1.json.gz"
        );
        assert_eq!(
            layout.day_key(&PUSH, 1400000000, d),
            "ops/data/push/sdkappid=1400000000/dt=2026-11-01/push_statistics.json"
        );
        assert_eq!(
            layout.raw_key(&PUSH, 7, Some(d), t, "req-1"),
            "ops/data/raw/push/sdkappid=7/dt=2026-11-01/pulled_at=20261102T060001.234Z-req-1.json.gz"
        );
        assert_eq!(layout.folder(PUSH.folder, 7), "ops/data/push/sdkappid=7/");
        let raw = layout.folder(OPERATIONS.raw_folder, 7);
        assert_eq!(raw, "ops/data/raw/sdkappid=7/");
        assert_eq!(layout.lease_key(), "ops/data/lease/ops-pull.json");
        assert_eq!(
            Layout::new("/").day_key(&OPERATIONS, 1, d),
            "daily/sdkappid=1/dt=2026-11-01/operations.json"
        );
        assert_eq!(Layout::default().prefix(), DEFAULT_PREFIX);
    }

    #[test]
    fn every_dataset_has_its_glue_table_in_the_template() {
        let template = include_str!("../../../../infra/template.yaml");
        for dataset in [&OPERATIONS, &PUSH] {
            let name = format!("Name: {}", dataset.glue_table);
            assert!(template.contains(&name), "{name}");
        }
    }
}
