use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::usersig::FixedClock;

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
        Ok((value, expires_at))
    }
}

async fn get(
    cache: &ExpiryCache<&'static str>,
    source: &Source,
    now: u64,
) -> Result<&'static str, CacheError<&'static str>> {
    let unchanged = || std::future::ready(false);
    cache
        .get(&FixedClock(now), || source.load(), |_| {}, unchanged)
        .await
}

#[tokio::test]
async fn serves_the_cached_value_until_the_margin_then_loads_again() {
    let source = Source::holding("a", 10_000);
    let cache = ExpiryCache::new();
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
    let cache = ExpiryCache::new();
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
    let cache = ExpiryCache::new();
    get(&cache, &source, 1_000).await.unwrap();
    source.failing(true);
    let mut stale = 0;
    let value = cache
        .get(
            &FixedClock(9_500),
            || source.load(),
            |_| stale += 1,
            || std::future::ready(false),
        )
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
    let cache = Arc::new(ExpiryCache::new());
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

/// The cache after the source was found still holding the refused "a" at
/// second 1_000.
async fn refused_a(source: &Source) -> ExpiryCache<&'static str> {
    let cache = ExpiryCache::new();
    get(&cache, source, 900).await.unwrap();
    let found = cache
        .reload_rejected(
            &FixedClock(1_000),
            |value: &&str| *value == "a",
            || std::future::ready(true),
            || source.load(),
        )
        .await;
    assert!(matches!(found, Ok(None)));
    assert_eq!(source.loads(), 2, "the first refusal loads without asking");
    cache
}

#[tokio::test]
async fn a_refused_value_is_not_given_out_until_the_source_changes() {
    let source = Source::holding("a", 10_000);
    let cache = refused_a(&source).await;
    let checks = AtomicU32::new(0);
    let get_checked = |now: u64, changed: bool| {
        let checks = &checks;
        let cache = &cache;
        let source = &source;
        async move {
            let check = || {
                checks.fetch_add(1, Ordering::SeqCst);
                std::future::ready(changed)
            };
            cache
                .get(&FixedClock(now), || source.load(), |_| {}, check)
                .await
        }
    };
    // Within refusal_check_secs: refused at once, the source not even asked.
    for now in [1_000, 1_001, 1_004] {
        assert!(matches!(
            get_checked(now, true).await,
            Err(CacheError::Refused)
        ));
    }
    assert_eq!((source.loads(), checks.load(Ordering::SeqCst)), (2, 0));
    // Then asked once per interval; unchanged means refused, without a load.
    for now in [1_005, 1_006, 1_009] {
        assert!(matches!(
            get_checked(now, false).await,
            Err(CacheError::Refused)
        ));
    }
    assert_eq!((source.loads(), checks.load(Ordering::SeqCst)), (2, 1));
    // "Changed" but still "a": refused; a real change is loaded and served.
    assert!(matches!(
        get_checked(1_010, true).await,
        Err(CacheError::Refused)
    ));
    source.set("b", 20_000);
    assert!(matches!(get_checked(1_015, true).await, Ok("b")));
    assert_eq!(get(&cache, &source, 1_016).await.unwrap(), "b");
    assert_eq!((source.loads(), checks.load(Ordering::SeqCst)), (4, 3));
}

#[tokio::test]
async fn a_late_rejection_reuses_the_replacement_or_waits_for_the_next_check() {
    let source = Source::holding("a", 10_000);
    let cache = refused_a(&source).await;
    let rejected_a = |value: &&str| *value == "a";
    let changed = || std::future::ready(true);
    // Other requests refused with "a" meanwhile: no load, no check.
    let found = cache
        .reload_rejected(&FixedClock(1_004), rejected_a, changed, || source.load())
        .await;
    assert!(matches!(found, Ok(None)));
    assert_eq!(source.loads(), 2);
    // After the interval the check is asked, and the rotated value loaded.
    source.set("b", 20_000);
    let found = cache
        .reload_rejected(&FixedClock(1_005), rejected_a, changed, || source.load())
        .await;
    assert!(matches!(found, Ok(Some("b"))));
    // Another caller rejected "a" too: "b" is already cached, no load.
    let found = cache
        .reload_rejected(&FixedClock(1_006), rejected_a, changed, || source.load())
        .await;
    assert!(matches!(found, Ok(Some("b"))));
    assert_eq!(source.loads(), 3);
}
