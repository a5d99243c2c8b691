use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::usersig::FixedClock;

const POLICY: CachePolicy = CachePolicy {
    refresh_margin_secs: 600,
    recheck_secs: 60,
};

/// A source whose value and expiry the test sets, counting loads.
#[derive(Default)]
struct Source {
    value: std::sync::Mutex<(&'static str, u64)>,
    fail: std::sync::atomic::AtomicBool,
    loads: AtomicU32,
}

impl Source {
    fn holding(value: &'static str, expires_at: u64) -> Arc<Self> {
        let source = Arc::new(Self::default());
        source.set(value, expires_at);
        source
    }

    fn set(&self, value: &'static str, expires_at: u64) {
        *self.value.lock().unwrap() = (value, expires_at);
    }

    fn failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    fn loads(&self) -> u32 {
        self.loads.load(Ordering::SeqCst)
    }

    async fn load(&self) -> Result<Expiring<&'static str>, &'static str> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        if self.fail.load(Ordering::SeqCst) {
            return Err("unavailable");
        }
        let (value, expires_at) = *self.value.lock().unwrap();
        Ok(Expiring { value, expires_at })
    }
}

async fn get(
    cache: &ExpiryCache<&'static str>,
    source: &Source,
    now: u64,
) -> Result<&'static str, CacheError<&'static str>> {
    cache.get(&FixedClock(now), || source.load(), |_| {}).await
}

#[tokio::test]
async fn serves_the_cached_value_until_the_margin_then_loads_again() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new(POLICY);
    assert_eq!(get(&cache, &source, 1_000).await.unwrap(), "a");
    assert_eq!(get(&cache, &source, 9_399).await.unwrap(), "a");
    assert_eq!(source.loads(), 1);
    source.set("b", 20_000);
    // 9_400 + 600 is not before 10_000: within the margin.
    assert_eq!(get(&cache, &source, 9_400).await.unwrap(), "b");
    assert_eq!(source.loads(), 2);
}

#[tokio::test]
async fn a_stuck_source_is_rechecked_at_most_once_a_minute_then_fails_clearly() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new(POLICY);
    get(&cache, &source, 1_000).await.unwrap();
    // Within the margin, the source still holds the same value.
    assert_eq!(get(&cache, &source, 9_500).await.unwrap(), "a");
    assert_eq!(get(&cache, &source, 9_559).await.unwrap(), "a");
    assert_eq!(source.loads(), 2, "no load within recheck_secs");
    assert_eq!(get(&cache, &source, 9_990).await.unwrap(), "a");
    assert_eq!(source.loads(), 3);
    // Past the expiry: recently read, so it fails without loading...
    assert!(matches!(
        get(&cache, &source, 10_001).await,
        Err(CacheError::Expired { expires_at: 10_000 })
    ));
    assert_eq!(source.loads(), 3);
    // ...and after recheck_secs it loads, finds the same expired value, fails.
    assert!(matches!(
        get(&cache, &source, 10_100).await,
        Err(CacheError::Expired { expires_at: 10_000 })
    ));
    assert_eq!(source.loads(), 4);
}

#[tokio::test]
async fn a_failed_load_is_covered_by_a_still_valid_value() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new(POLICY);
    get(&cache, &source, 1_000).await.unwrap();
    source.failing(true);
    let mut stale = 0;
    let value = cache
        .get(&FixedClock(9_500), || source.load(), |_| stale += 1)
        .await
        .unwrap();
    assert_eq!((value, stale), ("a", 1));
    // The failure counts as a read: no new load within recheck_secs.
    assert_eq!(get(&cache, &source, 9_550).await.unwrap(), "a");
    assert_eq!(source.loads(), 2);
    // Once expired, the failure is the answer.
    assert!(matches!(
        get(&cache, &source, 10_001).await,
        Err(CacheError::Load("unavailable"))
    ));
}

#[tokio::test]
async fn concurrent_first_calls_share_one_load() {
    let source = Source::holding("a", u64::MAX);
    let cache = Arc::new(ExpiryCache::new(POLICY));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (cache, source) = (cache.clone(), source.clone());
            tokio::spawn(async move { get(&cache, &source, 1).await.unwrap() })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), "a");
    }
    assert_eq!(source.loads(), 1);
}

#[tokio::test]
async fn reload_always_loads_and_keeps_the_cache_on_failure() {
    let source = Source::holding("a", u64::MAX);
    let cache = ExpiryCache::new(POLICY);
    get(&cache, &source, 1).await.unwrap();
    source.set("b", u64::MAX);
    assert_eq!(
        cache.reload(&FixedClock(2), || source.load()).await,
        Ok("b")
    );
    assert_eq!(
        cache.reload(&FixedClock(2), || source.load()).await,
        Ok("b")
    );
    assert_eq!(source.loads(), 3);
    source.failing(true);
    assert_eq!(
        cache.reload(&FixedClock(3), || source.load()).await,
        Err("unavailable")
    );
    assert_eq!(get(&cache, &source, 4).await.unwrap(), "b");
}

#[tokio::test]
async fn reload_rejected_reuses_a_replacement_and_remembers_a_refusal() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new(POLICY);
    get(&cache, &source, 1_000).await.unwrap();
    let rejected_a = |value: &&str| *value == "a";
    let unchanged = || std::future::ready(false);
    // The source still holds the rejected value: one load, then none for a
    // minute while the check says the source is unchanged.
    let found = cache
        .reload_rejected(&FixedClock(1_000), rejected_a, unchanged, || source.load())
        .await;
    assert!(matches!(found, Ok(Reloaded::StillRejected)));
    let found = cache
        .reload_rejected(&FixedClock(1_059), rejected_a, unchanged, || source.load())
        .await;
    assert!(matches!(found, Ok(Reloaded::StillRejected)));
    assert_eq!(source.loads(), 2);
    // After recheck_secs it loads again and finds the rotated value.
    source.set("b", 20_000);
    let found = cache
        .reload_rejected(&FixedClock(1_060), rejected_a, unchanged, || source.load())
        .await;
    assert!(matches!(found, Ok(Reloaded::Fresh("b"))));
    assert_eq!(source.loads(), 3);
    // Another caller rejected "a" too: "b" is already cached, no load.
    let found = cache
        .reload_rejected(&FixedClock(1_061), rejected_a, unchanged, || source.load())
        .await;
    assert!(matches!(found, Ok(Reloaded::Fresh("b"))));
    assert_eq!(source.loads(), 3);
    assert_eq!(get(&cache, &source, 1_062).await.unwrap(), "b");
}

#[tokio::test]
async fn a_source_changed_since_the_refusal_is_loaded_at_once() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new(POLICY);
    get(&cache, &source, 1_000).await.unwrap();
    let rejected_a = |value: &&str| *value == "a";
    let checks = AtomicU32::new(0);
    let changed = |answer: bool| {
        checks.fetch_add(1, Ordering::SeqCst);
        std::future::ready(answer)
    };
    let found = cache
        .reload_rejected(
            &FixedClock(1_000),
            rejected_a,
            || changed(true),
            || source.load(),
        )
        .await;
    assert!(matches!(found, Ok(Reloaded::StillRejected)));
    assert_eq!(
        (source.loads(), checks.load(Ordering::SeqCst)),
        (2, 0),
        "the first refusal loads without asking"
    );
    // The operator replaced the value a second later: the check sees it and
    // the very next refusal loads it, well within recheck_secs.
    source.set("b", 20_000);
    let found = cache
        .reload_rejected(
            &FixedClock(1_001),
            rejected_a,
            || changed(true),
            || source.load(),
        )
        .await;
    assert!(matches!(found, Ok(Reloaded::Fresh("b"))), "{found:?}");
    assert_eq!((source.loads(), checks.load(Ordering::SeqCst)), (3, 1));
}
