//! What the request handlers share: the apps, the clock, the fault queue,
//! the counters and the getappinfo overrides. Its own module so that the
//! server and the parts it dispatches to (`admin`, `rates`) all read it
//! without importing each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use tim::usersig::Clock;

use crate::auth::App;
use crate::faults::FaultQueue;
use crate::opsdata::Overrides;
use crate::stats::Counters;

/// Everything the request handlers share.
pub(crate) struct State {
    pub(crate) apps: BTreeMap<u64, App>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) faults: FaultQueue,
    pub(crate) counters: Counters,
    pub(crate) overrides: Overrides,
    pub(crate) enforce_rate_limits: bool,
}

impl State {
    /// Today (UTC) by the emulator's clock.
    pub(crate) fn today(&self) -> NaiveDate {
        let now = i64::try_from(self.clock.now_unix()).unwrap_or(i64::MAX);
        DateTime::from_timestamp(now, 0)
            .unwrap_or_default()
            .date_naive()
    }

    /// Faults, counters and overrides back to a fresh start.
    pub(crate) fn reset(&self) {
        self.faults.clear();
        self.counters.reset();
        self.overrides.clear();
    }
}
