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
}

/// Remembers that a primary base URL refused connections, shared by clones
/// of a [`Client`](super::Client).
#[derive(Debug, Default)]
pub(super) struct FailoverMemory {
    primary_down: Mutex<Option<(Url, Instant)>>,
}

impl FailoverMemory {
    /// The endpoint's base URLs in the order to try them at `now`: the first,
    /// and the one to try when the first cannot be connected to.
    pub(super) fn order<'e>(
        &self,
        endpoint: &'e Endpoint,
        now: Instant,
    ) -> ((Route, &'e Url), Option<(Route, &'e Url)>) {
        let primary = (Route::Primary, &endpoint.primary);
        let Some(backup) = &endpoint.backup else {
            return (primary, None);
        };
        let backup = (Route::Backup, backup);
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
        assert_eq!(order(&endpoint, now), [Route::Primary, Route::Backup]);
        memory.note_primary(&endpoint, false, now);
        assert_eq!(order(&endpoint, now), [Route::Backup, Route::Primary]);
        assert_eq!(
            order(&endpoint, now + PREFER_BACKUP_FOR - Duration::from_secs(1)),
            [Route::Backup, Route::Primary]
        );
        assert_eq!(
            order(&endpoint, now + PREFER_BACKUP_FOR),
            [Route::Primary, Route::Backup]
        );
        // Another endpoint's primary is not affected.
        let other = Endpoint::parse_override("http://127.0.0.1:3,http://127.0.0.1:4").unwrap();
        assert_eq!(order(&other, now), [Route::Primary, Route::Backup]);
        memory.note_primary(&endpoint, true, now);
        assert_eq!(order(&endpoint, now), [Route::Primary, Route::Backup]);
        // Without a backup there is nothing to prefer.
        let single = Endpoint::parse_override("http://127.0.0.1:1").unwrap();
        assert_eq!(order(&single, now), [Route::Primary]);
    }
}
