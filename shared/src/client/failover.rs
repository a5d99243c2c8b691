//! Which of an endpoint's base URLs to try first, remembering for a while
//! that the primary could not be connected to.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use crate::region::Endpoint;

/// After a connect failure at the primary base URL, how long calls go to the
/// backup first. The primary is still tried (second) when the backup cannot
/// be reached, and a success there ends the period early.
pub const PREFER_BACKUP_FOR: Duration = Duration::from_secs(300);

/// A base URL and the name log lines give it (never the URL itself).
pub(super) type Base<'e> = (&'static str, &'e Url);
/// The base URL to try first, and the one to try when it cannot be
/// connected to.
pub(super) type Order<'e> = (Base<'e>, Option<Base<'e>>);
/// The primary base URL's name in log lines (the other is `backup`).
pub(super) const PRIMARY: &str = "primary";

/// Remembers that a primary base URL refused connections, shared by clones
/// of a [`Client`](super::Client).
#[derive(Debug, Default)]
pub(super) struct FailoverMemory {
    primary_down: Mutex<Option<(Url, Instant)>>,
}

impl FailoverMemory {
    /// The endpoint's base URLs in the order to try them at `now`.
    pub(super) fn order<'e>(&self, endpoint: &'e Endpoint, now: Instant) -> Order<'e> {
        let primary = (PRIMARY, &endpoint.primary);
        let Some(backup) = &endpoint.backup else {
            return (primary, None);
        };
        let backup = ("backup", backup);
        match &*self.lock() {
            Some((url, until)) if *url == endpoint.primary && *until > now => {
                (backup, Some(primary))
            }
            _ => (primary, Some(backup)),
        }
    }

    /// What connecting to the primary at `now` showed: after a failure the
    /// backup is preferred for [`PREFER_BACKUP_FOR`]; a success forgets it.
    pub(super) fn note_primary(&self, endpoint: &Endpoint, connected: bool, now: Instant) {
        let mut down = self.lock();
        if connected {
            down.take_if(|(url, _)| *url == endpoint.primary);
        } else {
            *down = Some((endpoint.primary.clone(), now + PREFER_BACKUP_FOR));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Url, Instant)>> {
        // The guarded value is a plain Option: still whole after a panic.
        self.primary_down.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failover_memory_prefers_the_backup_for_a_while() {
        let endpoint = Endpoint::parse_override("http://127.0.0.1:1,http://127.0.0.1:2").unwrap();
        let memory = FailoverMemory::default();
        let now = Instant::now();
        let order = |endpoint: &Endpoint, at: Instant| {
            let (first, second) = memory.order(endpoint, at);
            std::iter::once(first)
                .chain(second)
                .map(|(route, _)| route)
                .collect::<Vec<_>>()
        };
        assert_eq!(order(&endpoint, now), [PRIMARY, "backup"]);
        memory.note_primary(&endpoint, false, now);
        assert_eq!(order(&endpoint, now), ["backup", PRIMARY]);
        assert_eq!(
            order(&endpoint, now + PREFER_BACKUP_FOR - Duration::from_secs(1)),
            ["backup", PRIMARY]
        );
        assert_eq!(
            order(&endpoint, now + PREFER_BACKUP_FOR),
            [PRIMARY, "backup"]
        );
        // Another endpoint's primary is not affected.
        let other = Endpoint::parse_override("http://127.0.0.1:3,http://127.0.0.1:4").unwrap();
        assert_eq!(order(&other, now), [PRIMARY, "backup"]);
        memory.note_primary(&endpoint, true, now);
        assert_eq!(order(&endpoint, now), [PRIMARY, "backup"]);
        // Without a backup there is nothing to prefer.
        let single = Endpoint::parse_override("http://127.0.0.1:1").unwrap();
        assert_eq!(order(&single, now), [PRIMARY]);
    }
}
