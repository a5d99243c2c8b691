//! What the emulator counts, so tests can assert retries, connection reuse
//! and how fast each app calls each API.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;

/// Counts by `service/command`, then by SDKAppID (a JSON object keyed by
/// the SDKAppID's digits in `/__emulator/stats`).
pub type PerApp = BTreeMap<String, BTreeMap<u64, u64>>;

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
    /// Calls that reached an API: past the calling convention, the
    /// SDKAppID and the UserSig checks (so attributable to an app), whatever
    /// the body. An injected fault that answers before those checks
    /// (`ErrorCode`, `HttpStatus`, `NonJsonBody`) is not a call. Calls
    /// refused for their rate are counted.
    pub calls: PerApp,
    /// The most such calls within one second of the emulator's clock.
    pub calls_per_second_max: PerApp,
    /// Calls answered 60007 because rate limits are enforced
    /// ([`EmulatorConfig::with_enforced_rate_limits`](crate::EmulatorConfig::with_enforced_rate_limits)).
    pub rate_limited: PerApp,
}

impl Stats {
    /// Calls of `command` by `sdkappid` (0 if none).
    pub fn calls_of(&self, command: &str, sdkappid: u64) -> u64 {
        lookup(&self.calls, command, sdkappid)
    }

    /// The most calls of `command` by `sdkappid` within one second (0 if none).
    pub fn max_per_second(&self, command: &str, sdkappid: u64) -> u64 {
        lookup(&self.calls_per_second_max, command, sdkappid)
    }
}

fn lookup(counts: &PerApp, command: &str, sdkappid: u64) -> u64 {
    counts
        .get(command)
        .and_then(|apps| apps.get(&sdkappid))
        .copied()
        .unwrap_or(0)
}

/// The calls of one (command, app) in the current second.
#[derive(Debug, Clone, Copy)]
struct Window {
    second: u64,
    calls: u64,
}

#[derive(Debug, Default)]
struct Inner {
    stats: Stats,
    /// Only the current second is kept: memory stays one entry per
    /// (command, app) however long the emulator runs.
    windows: HashMap<(String, u64), Window>,
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters(Mutex<Inner>);

impl Counters {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        // A poisoned lock only means a panicking test thread; counts stay usable.
        let mut inner = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut inner)
    }

    pub(crate) fn connection(&self) {
        self.with(|s| s.stats.connections += 1);
    }

    pub(crate) fn request(&self, command: &str) {
        self.with(|s| {
            s.stats.requests += 1;
            *s.stats.per_command.entry(command.to_owned()).or_default() += 1;
        });
    }

    /// Counts one call of `command` by `sdkappid` at `second` (unix seconds,
    /// emulator clock) and returns the calls of that second so far, this one
    /// included. A clock that moved back starts a new second too.
    pub(crate) fn call(&self, command: &str, sdkappid: u64, second: u64) -> u64 {
        self.with(|s| {
            let window = s
                .windows
                .entry((command.to_owned(), sdkappid))
                .or_insert(Window { second, calls: 0 });
            if window.second != second {
                *window = Window { second, calls: 0 };
            }
            window.calls += 1;
            let in_second = window.calls;
            *entry(&mut s.stats.calls, command, sdkappid) += 1;
            let max = entry(&mut s.stats.calls_per_second_max, command, sdkappid);
            *max = (*max).max(in_second);
            in_second
        })
    }

    pub(crate) fn rate_limited(&self, command: &str, sdkappid: u64) {
        self.with(|s| *entry(&mut s.stats.rate_limited, command, sdkappid) += 1);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.with(|s| s.stats.clone())
    }

    pub(crate) fn reset(&self) {
        self.with(|s| *s = Inner::default());
    }
}

fn entry<'a>(counts: &'a mut PerApp, command: &str, sdkappid: u64) -> &'a mut u64 {
    counts
        .entry(command.to_owned())
        .or_default()
        .entry(sdkappid)
        .or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_second_per_command_and_app() {
        let counters = Counters::default();
        let (a, b) = (1_400_000_001, 1_400_000_002);
        assert_eq!(counters.call("x/y", a, 10), 1);
        assert_eq!(counters.call("x/y", a, 10), 2);
        assert_eq!(
            counters.call("x/y", b, 10),
            1,
            "another app, its own window"
        );
        assert_eq!(
            counters.call("x/z", a, 10),
            1,
            "another API, its own window"
        );
        assert_eq!(counters.call("x/y", a, 11), 1, "a new second");
        assert_eq!(counters.call("x/y", a, 9), 1, "a clock moved back");
        let stats = counters.snapshot();
        assert_eq!(stats.calls_of("x/y", a), 4);
        assert_eq!(stats.max_per_second("x/y", a), 2);
        assert_eq!(stats.max_per_second("x/y", b), 1);
        assert_eq!(stats.max_per_second("x/q", b), 0);
        counters.reset();
        assert_eq!(counters.call("x/y", a, 11), 1, "reset forgets the window");
    }
}
