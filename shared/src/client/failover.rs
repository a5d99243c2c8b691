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

/// Which base URL a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Primary,
    Backup,
}

impl Route {
    /// The name log lines use (never the URL).
    pub(super) fn name(self) -> &'static str {
        match self {
            Route::Primary => "primary",
            Route::Backup => "backup",
        }
    }

    /// This route's base URL in `endpoint`, if it has one.
    pub(super) fn base(self, endpoint: &Endpoint) -> Option<&Url> {
        match self {
            Route::Primary => Some(&endpoint.primary),
            Route::Backup => endpoint.backup.as_ref(),
        }
    }
}

/// Remembers that a primary base URL refused connections, shared by clones
/// of a [`Client`](super::Client).
#[derive(Debug, Default)]
pub(super) struct FailoverMemory {
    primary_down: Mutex<Option<(Url, Instant)>>,
}

impl FailoverMemory {
    /// Order in which to try the endpoint's base URLs at `now`.
    pub(super) fn order(&self, endpoint: &Endpoint, now: Instant) -> Vec<Route> {
        if endpoint.backup.is_none() {
            return vec![Route::Primary];
        }
        let down = self.lock();
        match &*down {
            Some((url, until)) if *url == endpoint.primary && *until > now => {
                vec![Route::Backup, Route::Primary]
            }
            _ => vec![Route::Primary, Route::Backup],
        }
    }

    /// Connecting to the primary failed at `now`: prefer the backup for
    /// [`PREFER_BACKUP_FOR`].
    pub(super) fn primary_unreachable(&self, endpoint: &Endpoint, now: Instant) {
        *self.lock() = Some((endpoint.primary.clone(), now + PREFER_BACKUP_FOR));
    }

    /// The primary answered: forget that it was down.
    pub(super) fn primary_reachable(&self, endpoint: &Endpoint) {
        self.lock().take_if(|(url, _)| *url == endpoint.primary);
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
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Primary, Route::Backup]
        );
        memory.primary_unreachable(&endpoint, now);
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Backup, Route::Primary]
        );
        assert_eq!(
            memory.order(&endpoint, now + PREFER_BACKUP_FOR - Duration::from_secs(1)),
            [Route::Backup, Route::Primary]
        );
        assert_eq!(
            memory.order(&endpoint, now + PREFER_BACKUP_FOR),
            [Route::Primary, Route::Backup]
        );
        // Another endpoint's primary is not affected.
        let other = Endpoint::parse_override("http://127.0.0.1:3,http://127.0.0.1:4").unwrap();
        assert_eq!(memory.order(&other, now), [Route::Primary, Route::Backup]);
        memory.primary_reachable(&endpoint);
        assert_eq!(
            memory.order(&endpoint, now),
            [Route::Primary, Route::Backup]
        );
        // Without a backup there is nothing to prefer.
        let single = Endpoint::parse_override("http://127.0.0.1:1").unwrap();
        assert_eq!(memory.order(&single, now), [Route::Primary]);
    }
}
