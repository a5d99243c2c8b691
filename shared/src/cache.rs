//! The one expiry-aware cache behind every credentials source: the UserSig
//! secret reader and the key secret reader ([`crate::secrets`]) and the
//! local signer ([`crate::LocalSigner`]).
//!
//! - Single flight: the lock is held across a load, so concurrent callers
//!   that find nothing usable wait for one load instead of each loading.
//! - Refresh before expiry: a value is served until `refresh_margin_secs`
//!   before its expiry, then loaded again. When a load brings nothing
//!   fresher, the next one waits `recheck_secs` (a stuck source costs one
//!   load a minute, not one per request), and a value still valid is served
//!   meanwhile, also when loading fails.
//! - Forced re-read after a rejection: [`ExpiryCache::reload`] loads
//!   unconditionally; [`ExpiryCache::reload_rejected`] loads unless another
//!   caller already replaced the rejected value, and remembers for
//!   `recheck_secs` that the source still holds the rejected one. Within
//!   that time it asks the caller's cheap "has the source changed?" check
//!   before answering that nothing newer exists, so a value replaced at the
//!   source is loaded at once.
//!
//! Time comes from the caller's [`Clock`], read once the lock is held (a
//! caller that waited for another's load judges expiry at the time it got
//! the lock), so the rules are tested without waiting.

use std::future::Future;

use tokio::sync::Mutex;

use crate::usersig::Clock;

/// When cached values are loaded again (all in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachePolicy {
    /// Load again this long before the value expires.
    pub refresh_margin_secs: u64,
    /// After a load that brought nothing usable, wait this long before the
    /// next one. Zero: load whenever the value is within the margin.
    pub recheck_secs: u64,
}

/// A loaded value and the last second (unix) it may be used.
#[derive(Debug, Clone)]
pub(crate) struct Expiring<T> {
    pub value: T,
    pub expires_at: u64,
}

/// Why [`ExpiryCache::get`] has no value to give.
#[derive(Debug)]
pub(crate) enum CacheError<E> {
    /// Loading failed, and nothing still valid was cached.
    Load(E),
    /// The value (just loaded, or loaded within `recheck_secs`) expired at
    /// this second: the source is not being renewed.
    Expired { expires_at: u64 },
}

/// What [`ExpiryCache::reload_rejected`] found.
#[derive(Debug)]
pub(crate) enum Reloaded<T> {
    /// A value other than the rejected one.
    Fresh(T),
    /// The source still holds the rejected value (now, or at a load less
    /// than `recheck_secs` ago).
    StillRejected,
}

struct Entry<T> {
    value: T,
    expires_at: u64,
    read_at: u64,
}

struct State<T> {
    entry: Option<Entry<T>>,
    /// A value found still rejected by [`ExpiryCache::reload_rejected`], and
    /// when: further rejections of it within `recheck_secs` do not load.
    refused: Option<(T, u64)>,
}

/// A value loaded on first use and kept until shortly before it expires.
pub(crate) struct ExpiryCache<T> {
    policy: CachePolicy,
    state: Mutex<State<T>>,
}

impl<T: Clone> ExpiryCache<T> {
    /// An empty cache.
    pub(crate) fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State {
                entry: None,
                refused: None,
            }),
        }
    }

    /// The cached value, or a freshly loaded one. `on_stale` hears of a
    /// load failure that a still-valid cached value covers.
    pub(crate) async fn get<E, Fut>(
        &self,
        clock: &dyn Clock,
        load: impl FnOnce() -> Fut,
        on_stale: impl FnOnce(&E),
    ) -> Result<T, CacheError<E>>
    where
        Fut: Future<Output = Result<Expiring<T>, E>>,
    {
        // Held across the load: concurrent first calls wait for one load.
        let mut state = self.state.lock().await;
        let now = clock.now_unix();
        if let Some(entry) = &state.entry {
            let fresh = now.saturating_add(self.policy.refresh_margin_secs) < entry.expires_at;
            let recently_read = now < entry.read_at.saturating_add(self.policy.recheck_secs);
            if fresh || (recently_read && now <= entry.expires_at) {
                return Ok(entry.value.clone());
            }
            if recently_read {
                // Expired, and the source held nothing newer a moment ago.
                return Err(CacheError::Expired {
                    expires_at: entry.expires_at,
                });
            }
        }
        let loaded = match load().await {
            Ok(loaded) => loaded,
            // A cached value that is still valid beats failing because the
            // source hiccupped; load again after `recheck_secs`.
            Err(error) => match state.entry.as_mut() {
                Some(entry) if now <= entry.expires_at => {
                    on_stale(&error);
                    entry.read_at = now;
                    return Ok(entry.value.clone());
                }
                _ => return Err(CacheError::Load(error)),
            },
        };
        let expires_at = loaded.expires_at;
        state.entry = Some(Entry {
            value: loaded.value.clone(),
            expires_at,
            read_at: now,
        });
        if now > expires_at {
            return Err(CacheError::Expired { expires_at });
        }
        Ok(loaded.value)
    }

    /// Loads unconditionally (the value was rejected) and caches the result.
    /// A failed load leaves the cache as it was.
    #[cfg_attr(not(feature = "secrets-manager"), allow(dead_code))]
    pub(crate) async fn reload<E, Fut>(
        &self,
        clock: &dyn Clock,
        load: impl FnOnce() -> Fut,
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<Expiring<T>, E>>,
    {
        let mut state = self.state.lock().await;
        let now = clock.now_unix();
        let loaded = load().await?;
        state.entry = Some(Entry {
            value: loaded.value.clone(),
            expires_at: loaded.expires_at,
            read_at: now,
        });
        Ok(loaded.value)
    }

    /// After the value `is_rejected` recognises was refused: the cached value
    /// if another caller already replaced it, else a load. When the source
    /// was found holding the same value less than `recheck_secs` ago, the
    /// load only happens if `source_changed` (a cheap check, e.g. the
    /// source's version id) says the source holds something new since.
    pub(crate) async fn reload_rejected<E, Fut, Changed>(
        &self,
        clock: &dyn Clock,
        is_rejected: impl Fn(&T) -> bool,
        source_changed: impl FnOnce() -> Changed,
        load: impl FnOnce() -> Fut,
    ) -> Result<Reloaded<T>, E>
    where
        Fut: Future<Output = Result<Expiring<T>, E>>,
        Changed: Future<Output = bool>,
    {
        let mut state = self.state.lock().await;
        let now = clock.now_unix();
        if let Some(entry) = &state.entry
            && !is_rejected(&entry.value)
            && now <= entry.expires_at
        {
            return Ok(Reloaded::Fresh(entry.value.clone()));
        }
        let recently_refused = state.refused.as_ref().is_some_and(|(value, at)| {
            is_rejected(value) && now < at.saturating_add(self.policy.recheck_secs)
        });
        if recently_refused && !source_changed().await {
            return Ok(Reloaded::StillRejected);
        }
        let loaded = load().await?;
        let entry = Entry {
            value: loaded.value,
            expires_at: loaded.expires_at,
            read_at: now,
        };
        if !is_rejected(&entry.value) {
            let value = entry.value.clone();
            state.entry = Some(entry);
            state.refused = None;
            return Ok(Reloaded::Fresh(value));
        }
        state.refused = Some((entry.value.clone(), now));
        state.entry = Some(entry);
        Ok(Reloaded::StillRejected)
    }
}

#[cfg(test)]
mod tests;
