//! What the emulator counts, so tests can assert retries and connection reuse.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// API requests received (anything outside `/__emulator/`), faulted or not.
    pub requests: u64,
    /// TCP connections accepted (admin calls' connections included).
    pub connections: u64,
    /// API requests by `service/command` (the URL path after `/v4/`; other
    /// paths under their full path).
    pub per_command: BTreeMap<String, u64>,
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters(Mutex<Stats>);

impl Counters {
    fn with<R>(&self, f: impl FnOnce(&mut Stats) -> R) -> R {
        // A poisoned lock only means a panicking test thread; counts stay usable.
        let mut stats = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut stats)
    }

    pub(crate) fn connection(&self) {
        self.with(|s| s.connections += 1);
    }

    pub(crate) fn request(&self, command: &str) {
        self.with(|s| {
            s.requests += 1;
            *s.per_command.entry(command.to_owned()).or_default() += 1;
        });
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.with(|s| s.clone())
    }

    pub(crate) fn reset(&self) {
        self.with(|s| *s = Stats::default());
    }
}
