//! What the archive already holds, learnt in a few requests instead of one
//! HEAD per object: a listing of each object family (its keys and their
//! ETags) and the app's manifest, which remembers the content hash each ETag
//! stands for.
//!
//! The manifest is a hint, never the truth. An entry counts only while the
//! listing shows the same ETag for its key, so an object changed or deleted
//! behind our back, a lost or stale manifest, or one left by an interrupted
//! or concurrent run each cost a HEAD (or a write), never a skipped write.
//! The "never half-written" rule is untouched: every object is still one
//! whole PUT, and the manifest is written after the objects it describes.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::archive::store::{ArchiveStore, ListedObject, PutCondition, PutRequest, StoreError};

/// Content type of the manifest.
pub const MANIFEST_CONTENT_TYPE: &str = "application/json";
/// Manifest entries for objects dated this many days before the newest are
/// dropped: the pulls never reach that far back (30 days of operations,
/// at most 30 of push statistics), so the manifest stays a few kilobytes.
pub const KEEP_DAYS: u64 = 45;

/// The content hash an object's ETag stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub sha256: String,
    pub etag: String,
}

/// The manifest object: one entry per archived key, and the app's count of
/// getappinfo answers with an empty `Result` in a row (see `empty`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub objects: BTreeMap<String, Entry>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub empty_answers: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Manifest {
    /// Parses a stored manifest; an unreadable one is treated as absent
    /// (it only costs HEADs) but logged.
    pub fn parse(key: &str, body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_else(|error| {
            tracing::warn!(key, error = %error, "manifest unreadable: ignored, objects will be checked one by one");
            Self::default()
        })
    }
}

/// What is known of one key before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The listing covers the key and does not show it.
    Absent,
    /// The listing shows the ETag the manifest records with this hash.
    Hashed(Entry),
    /// Listed without a matching manifest entry, or not listed at all:
    /// ask S3 (HEAD).
    Unverified,
}

/// One family's listing: every key under `prefix` after `start_after`.
#[derive(Debug, Clone)]
pub struct Listing {
    prefix: String,
    start_after: String,
    etags: HashMap<String, Option<String>>,
}

impl Listing {
    /// Lists `prefix` after `start_after`; `None` (with a warning) when the
    /// listing fails: the family's objects are then checked one by one.
    pub async fn load<A: ArchiveStore>(
        store: &A,
        prefix: String,
        start_after: String,
    ) -> Option<Self> {
        match store.list(&prefix, &start_after).await {
            Ok(listed) => Some(Self::new(prefix, start_after, listed)),
            Err(error) => {
                tracing::warn!(prefix, error = %error, "listing failed: objects will be checked one by one");
                None
            }
        }
    }

    pub fn new(prefix: String, start_after: String, listed: Vec<ListedObject>) -> Self {
        Self {
            etags: listed.into_iter().map(|o| (o.key, o.etag)).collect(),
            prefix,
            start_after,
        }
    }

    /// The newest `dt=YYYY-MM-DD` among the listed keys.
    pub fn newest_date(&self) -> Option<chrono::NaiveDate> {
        self.etags
            .keys()
            .filter_map(|key| dated(key))
            .filter_map(|dt| chrono::NaiveDate::parse_from_str(dt, "%Y-%m-%d").ok())
            .max()
    }

    fn covers(&self, key: &str) -> bool {
        key.starts_with(&self.prefix) && key > self.start_after.as_str()
    }

    /// What the listing and `manifest` together say about `key`.
    pub fn stored(listing: Option<&Self>, manifest: &Manifest, key: &str) -> Stored {
        let Some(listing) = listing.filter(|l| l.covers(key)) else {
            return Stored::Unverified;
        };
        match listing.etags.get(key) {
            None => Stored::Absent,
            Some(Some(etag)) => match manifest.objects.get(key) {
                Some(entry) if entry.etag == *etag => Stored::Hashed(entry.clone()),
                _ => Stored::Unverified,
            },
            Some(None) => Stored::Unverified,
        }
    }

    /// Whether the listing contradicts `entry` (the key is gone or holds
    /// another object).
    fn contradicts(&self, key: &str, entry: &Entry) -> bool {
        self.covers(key) && self.etags.get(key) != Some(&Some(entry.etag.clone()))
    }
}

/// The manifest a run leaves: the one it read, minus what this run's
/// listings contradict and what is older than `oldest_kept` (compared on
/// the keys' `dt=YYYY-MM-DD`), plus every entry this run verified or wrote;
/// `empty_answers` as this run counted it (`None`: as read).
pub fn next_manifest(
    read: &Manifest,
    listings: &[&Listing],
    learnt: impl IntoIterator<Item = (String, Entry)>,
    oldest_kept: &str,
    empty_answers: Option<u32>,
) -> Manifest {
    let mut objects: BTreeMap<String, Entry> = read
        .objects
        .iter()
        .filter(|(key, entry)| !listings.iter().any(|l| l.contradicts(key, entry)))
        .filter(|(key, _)| dated(key).is_none_or(|dt| dt >= oldest_kept))
        .map(|(key, entry)| (key.clone(), entry.clone()))
        .collect();
    objects.extend(learnt);
    Manifest {
        objects,
        empty_answers: empty_answers.unwrap_or(read.empty_answers),
    }
}

/// The `YYYY-MM-DD` of a key's `dt=` partition.
fn dated(key: &str) -> Option<&str> {
    let start = key.find("/dt=")? + 4;
    key.get(start..start + 10)
}

/// Writes `manifest` at `key`: last writer wins (a concurrent run's entries
/// that this one misses only cost that run's objects a HEAD next time).
pub async fn save<A: ArchiveStore>(
    store: &A,
    key: &str,
    manifest: &Manifest,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec(manifest).map_err(|e| StoreError::Failed(e.to_string()))?;
    store
        .put(PutRequest {
            key: key.to_owned(),
            body,
            content_type: MANIFEST_CONTENT_TYPE,
            content_encoding: None,
            content_sha256: None,
            condition: PutCondition::Always,
        })
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sha: &str, etag: &str) -> Entry {
        Entry {
            sha256: sha.into(),
            etag: etag.into(),
        }
    }

    fn listing(keys: &[(&str, &str)]) -> Listing {
        Listing::new(
            "p/daily/sdkappid=1/".into(),
            "p/daily/sdkappid=1/dt=2026-11-01/operations.json".into(),
            keys.iter()
                .map(|(k, e)| ListedObject {
                    key: (*k).into(),
                    etag: Some((*e).into()),
                })
                .collect(),
        )
    }

    const A: &str = "p/daily/sdkappid=1/dt=2026-11-02/operations.json";
    const B: &str = "p/daily/sdkappid=1/dt=2026-11-03/operations.json";
    const BEFORE: &str = "p/daily/sdkappid=1/dt=2026-10-30/operations.json";

    #[test]
    fn a_manifest_entry_counts_only_while_the_listing_shows_its_etag() {
        let manifest = Manifest {
            objects: BTreeMap::from([
                (A.into(), entry("h1", "\"e1\"")),
                (B.into(), entry("h2", "\"old\"")),
            ]),
            ..Manifest::default()
        };
        let l = listing(&[(A, "\"e1\""), (B, "\"e2\"")]);
        assert_eq!(
            l.newest_date(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 3)
        );
        assert_eq!(
            Listing::stored(Some(&l), &manifest, A),
            Stored::Hashed(entry("h1", "\"e1\""))
        );
        // Changed behind our back: the ETag differs.
        assert_eq!(Listing::stored(Some(&l), &manifest, B), Stored::Unverified);
        // Not listed although the listing covers it: absent, whatever the manifest says.
        let gone = listing(&[(B, "\"e2\"")]);
        assert_eq!(Listing::stored(Some(&gone), &manifest, A), Stored::Absent);
        // Outside the listing (before start_after) or no listing: ask S3.
        assert_eq!(
            Listing::stored(Some(&l), &manifest, BEFORE),
            Stored::Unverified
        );
        assert_eq!(Listing::stored(None, &manifest, A), Stored::Unverified);
        // Listed but unknown to the manifest.
        assert_eq!(
            Listing::stored(Some(&l), &Manifest::default(), A),
            Stored::Unverified
        );
    }

    #[test]
    fn the_next_manifest_drops_contradicted_and_old_entries_and_adds_what_was_learnt() {
        let read = Manifest {
            objects: BTreeMap::from([
                (A.into(), entry("h1", "\"e1\"")),
                (B.into(), entry("h2", "\"old\"")),
                (BEFORE.into(), entry("h0", "\"e0\"")),
                (
                    "p/daily/sdkappid=1/dt=2026-01-01/operations.json".into(),
                    entry("h", "\"e\""),
                ),
            ]),
            empty_answers: 1,
        };
        let l = listing(&[(A, "\"e1\""), (B, "\"e2\"")]);
        let next = next_manifest(
            &read,
            &[&l],
            [(B.to_owned(), entry("h2", "\"e2\""))],
            "2026-10-01",
            None,
        );
        assert_eq!(next.empty_answers, 1, "kept when the run did not count");
        assert_eq!(
            next.objects.keys().map(String::as_str).collect::<Vec<_>>(),
            [BEFORE, A, B]
        );
        assert_eq!(next.objects[B], entry("h2", "\"e2\""));
        // Contradicted and not re-learnt: dropped.
        let next = next_manifest(&read, &[&l], [], "2026-10-01", Some(0));
        assert!(!next.objects.contains_key(B));
        assert_eq!(next.empty_answers, 0);
    }

    #[test]
    fn an_unreadable_manifest_is_an_empty_one() {
        assert_eq!(Manifest::parse("k", b"not json"), Manifest::default());
        let manifest = Manifest {
            objects: BTreeMap::from([(A.into(), entry("h1", "\"e1\""))]),
            empty_answers: 2,
        };
        let body = serde_json::to_vec(&manifest).unwrap();
        assert_eq!(Manifest::parse("k", &body), manifest);
        // Older manifests have no count: zero.
        let old = br#"{"objects":{}}"#;
        assert_eq!(Manifest::parse("k", old), Manifest::default());
    }
}
