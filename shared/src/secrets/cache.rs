//! The expiry-aware cache behind the UserSig secret reader, on the reader's
//! schedule ([`UserSigSecretProvider`](super::UserSigSecretProvider)'s constants).
//!
//! - Single flight: the lock is held across a load, so concurrent callers
//!   that find nothing usable wait for one load instead of each loading.
//! - Refresh before expiry: a value is served until `REFRESH_MARGIN_SECS`
//!   before its expiry, then loaded again. When a load brings nothing
//!   fresher, the next one waits `RECHECK_SECS` (a stuck source costs one
//!   load a minute, not one per request), and a value still valid is served
//!   meanwhile, also when loading fails.
//! - A refused value is never handed out again: once
//!   [`ExpiryCache::reload_rejected`] found the source still holding the
//!   value its user refused, [`ExpiryCache::get`] answers
//!   [`CacheError::Refused`] (each use would count toward Tencent's 70050
//!   lock-out) and asks the caller's cheap "has the source changed?" check
//!   at most once every `REFUSAL_CHECK_SECS`, loading only when it has.
//!
//! Time comes from the caller's [`Clock`], read once the lock is held (a
//! caller that waited for another's load judges expiry at the time it got
//! the lock), so the rules are tested without waiting.

use std::future::Future;

use tokio::sync::Mutex;

use crate::usersig::Clock;

use super::UserSigSecretProvider as Schedule;

/// A loaded value and the last second (unix) it may be used.
pub(super) type Expiring<T> = (T, u64);

/// Why [`ExpiryCache::get`] has no value to give.
#[derive(Debug)]
pub(super) enum CacheError<E> {
    /// Loading failed, and nothing still valid was cached.
    Load(E),
    /// The value (just loaded, or loaded within `RECHECK_SECS`) expired at
    /// this second: the source is not being renewed.
    Expired { expires_at: u64 },
    /// The source still holds the value its user refused.
    Refused,
}

struct Entry<T> {
    value: T,
    expires_at: u64,
    read_at: u64,
    /// Set when the source was found holding this value after it was
    /// refused: when the source was last asked whether it changed.
    refused_checked_at: Option<u64>,
}

impl<T> Entry<T> {
    fn loaded((value, expires_at): Expiring<T>, now: u64) -> Self {
        Self {
            value,
            expires_at,
            read_at: now,
            refused_checked_at: None,
        }
    }
}

/// A value loaded on first use and kept until shortly before it expires.
pub(super) struct ExpiryCache<T> {
    state: Mutex<Option<Entry<T>>>,
}

impl<T: Clone + PartialEq> ExpiryCache<T> {
    /// An empty cache.
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(None),
        }
    }

    /// Whether the refused `entry` may be given up: its source was asked
    /// less than `REFUSAL_CHECK_SECS` ago, or says it has not changed.
    async fn still_refused<Changed: Future<Output = bool>>(
        &self,
        entry: &mut Entry<T>,
        now: u64,
        source_changed: impl FnOnce() -> Changed,
    ) -> bool {
        let Some(checked_at) = entry.refused_checked_at else {
            return false;
        };
        if now < checked_at.saturating_add(Schedule::REFUSAL_CHECK_SECS) {
            return true;
        }
        entry.refused_checked_at = Some(now);
        !source_changed().await
    }

    /// The cached value, or a freshly loaded one. `on_stale` hears of a
    /// load failure that a still-valid cached value covers;
    /// `source_changed` is asked while the cached value is a refused one.
    pub(super) async fn get<E, Fut, Changed>(
        &self,
        clock: &dyn Clock,
        load: impl FnOnce() -> Fut,
        on_stale: impl FnOnce(&E),
        source_changed: impl FnOnce() -> Changed,
    ) -> Result<T, CacheError<E>>
    where
        Fut: Future<Output = Result<Expiring<T>, E>>,
        Changed: Future<Output = bool>,
    {
        // Held across the load: concurrent first calls wait for one load.
        let mut state = self.state.lock().await;
        let now = clock.now_unix();
        let mut refused = None;
        if let Some(entry) = state.as_mut() {
            if entry.refused_checked_at.is_some() {
                if self.still_refused(entry, now, source_changed).await {
                    return Err(CacheError::Refused);
                }
                refused = Some(entry.value.clone());
            } else {
                let fresh = now.saturating_add(Schedule::REFRESH_MARGIN_SECS) < entry.expires_at;
                let recently_read = now < entry.read_at.saturating_add(Schedule::RECHECK_SECS);
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
        }
        let loaded = match load().await {
            Ok(loaded) => loaded,
            // A cached value that is still valid (and not refused) beats
            // failing because the source hiccupped; load again after
            // `RECHECK_SECS`.
            Err(error) => match state.as_mut() {
                Some(entry) if refused.is_none() && now <= entry.expires_at => {
                    on_stale(&error);
                    entry.read_at = now;
                    return Ok(entry.value.clone());
                }
                _ => return Err(CacheError::Load(error)),
            },
        };
        if refused.as_ref() == Some(&loaded.0) {
            // "Changed" but the same value (e.g. a version check that could
            // not tell): still refused.
            return Err(CacheError::Refused);
        }
        let entry = state.insert(Entry::loaded(loaded, now));
        if now > entry.expires_at {
            let expires_at = entry.expires_at;
            return Err(CacheError::Expired { expires_at });
        }
        Ok(entry.value.clone())
    }

    /// After the value `is_rejected` recognises was refused: the cached value
    /// if another caller already replaced it, else a load; `None` while the
    /// source still holds the rejected value. Once the source
    /// was found holding the refused value, it is loaded again only if
    /// `source_changed` (a cheap check, e.g. the source's version id), asked
    /// at most once every `REFUSAL_CHECK_SECS`, says it holds something new.
    pub(super) async fn reload_rejected<E, Fut, Changed>(
        &self,
        clock: &dyn Clock,
        is_rejected: impl Fn(&T) -> bool,
        source_changed: impl FnOnce() -> Changed,
        load: impl FnOnce() -> Fut,
    ) -> Result<Option<T>, E>
    where
        Fut: Future<Output = Result<Expiring<T>, E>>,
        Changed: Future<Output = bool>,
    {
        let mut state = self.state.lock().await;
        let now = clock.now_unix();
        if let Some(entry) = state.as_mut() {
            if !is_rejected(&entry.value) && now <= entry.expires_at {
                return Ok(Some(entry.value.clone()));
            }
            if is_rejected(&entry.value) && self.still_refused(entry, now, source_changed).await {
                return Ok(None);
            }
        }
        let entry = state.insert(Entry::loaded(load().await?, now));
        if is_rejected(&entry.value) {
            entry.refused_checked_at = Some(now);
            return Ok(None);
        }
        Ok(Some(entry.value.clone()))
    }
}

#[cfg(test)]
mod tests;
