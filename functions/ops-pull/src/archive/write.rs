//! The S3 side of a run. Every job (a day, a raw copy, a listing, the
//! manifest) holds one of [`WRITE_CONCURRENCY`] permits shared by all apps,
//! and gives up at the storage deadline.

use std::future::Future;

use tim::Deadline;
use tokio::sync::Semaphore;

use crate::archive::index::{self, Entry, Listing, Manifest, Stored};
use crate::archive::object::{self, DailyObject};
use crate::archive::store::{ArchiveStore, PutCondition, PutRequest, StoredObject};

/// S3 jobs in flight at once, across all apps of a run. S3 serves far more;
/// this bounds sockets and memory, and at 20 ms a request keeps 100 apps'
/// first run (about 4,000 requests) near a second of S3 time.
pub const WRITE_CONCURRENCY: usize = 64;

/// What happened to one day's object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOutcome {
    Written,
    Unchanged,
    /// The new object would have replaced the archived one with lower
    /// counts ([`Guard::NeverLower`]): the archived one was kept.
    KeptArchived {
        reason: String,
    },
}

/// What a new object must be to replace a different archived one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Any new content replaces the old (Tencent's operations rows).
    Replace,
    /// Never lower counts (push statistics only grow: lower is a partial
    /// answer). Costs a GET of the archived object when it differs.
    NeverLower,
}

/// The store with the run's bound, deadline and mode.
pub struct Writer<'a, A> {
    store: &'a A,
    permits: Semaphore,
    deadline: Deadline,
    dry_run: bool,
    /// A field-subset run: merge into the stored objects.
    merge: bool,
}

impl<'a, A: ArchiveStore> Writer<'a, A> {
    pub fn new(store: &'a A, deadline: Deadline, dry_run: bool, merge: bool) -> Self {
        Self {
            store,
            permits: Semaphore::new(WRITE_CONCURRENCY),
            deadline,
            dry_run,
            merge,
        }
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    pub fn merge(&self) -> bool {
        self.merge
    }

    /// `job` with a permit, before the deadline. The job's future (an S3
    /// call's is several kilobytes) is made and boxed only once it holds a
    /// permit: a run waits on thousands of jobs at once, and holding every
    /// one's future from the start cost 100 apps' first run 60 MB.
    async fn bounded<T, F, J>(&self, job: J) -> Result<T, String>
    where
        J: FnOnce() -> F,
        F: Future<Output = Result<T, String>>,
    {
        let permitted = async {
            // The semaphore is never closed.
            let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
            Box::pin(job()).await
        };
        tokio::time::timeout_at(self.deadline.0, permitted)
            .await
            .unwrap_or_else(|_| Err("deadline reached before S3 answered".to_owned()))
    }

    /// Gzips and writes Tencent's body under its own key (never replaced).
    pub async fn raw(&self, key: &str, raw: &[u8]) -> Result<(), String> {
        if self.dry_run {
            return Ok(());
        }
        self.bounded(|| async {
            let body = object::gzip(raw).map_err(|e| format!("gzip: {e}"))?;
            self.store
                .put(PutRequest {
                    key: key.to_owned(),
                    body,
                    content_type: object::RAW_CONTENT_TYPE,
                    content_encoding: Some(object::RAW_CONTENT_ENCODING),
                    content_sha256: None,
                    condition: PutCondition::IfAbsent,
                })
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// The newest `dt=` day archived under `folder` (a whole listing of it);
    /// `None` when there is none or the listing failed.
    pub async fn newest_day(&self, folder: String) -> Option<chrono::NaiveDate> {
        self.listing(folder, String::new())
            .await
            .and_then(|listing| listing.newest_date())
    }

    /// A family's listing (see [`Listing::load`]); `None` when it failed.
    pub async fn listing(&self, prefix: String, start_after: String) -> Option<Listing> {
        self.bounded(|| async { Ok(Listing::load(self.store, prefix, start_after).await) })
            .await
            .unwrap_or_default()
    }

    /// The app's manifest; empty when there is none or it cannot be read
    /// (which costs HEADs, never a skipped write).
    pub async fn manifest(&self, key: &str) -> Manifest {
        let read = self
            .bounded(|| async { self.store.get(key).await.map_err(|e| e.to_string()) })
            .await;
        match read {
            Ok(Some((_, body))) => Manifest::parse(key, &body),
            Ok(None) => Manifest::default(),
            Err(error) => {
                tracing::warn!(key, error = %error, "manifest not read: objects will be checked one by one");
                Manifest::default()
            }
        }
    }

    /// Writes the manifest; a failure is logged (it only costs HEADs next run).
    pub async fn save_manifest(&self, key: &str, manifest: &Manifest) -> Result<(), String> {
        if self.dry_run {
            return Ok(());
        }
        self.bounded(|| async {
            index::save(self.store, key, manifest)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Writes one day unless the stored object already holds the same
    /// content; the object's entry for the manifest when known. A
    /// field-subset run merges into the stored object (and guards the PUT
    /// with its ETag) so that it never drops the fields it did not pull.
    pub async fn day(
        &self,
        key: String,
        object: DailyObject,
        pulled_at: &str,
        stored: Stored,
        guard: Guard,
    ) -> Result<(DayOutcome, Option<Entry>), String> {
        self.bounded(|| self.write_day(key, object, pulled_at, stored, guard))
            .await
    }

    async fn write_day(
        &self,
        key: String,
        object: DailyObject,
        pulled_at: &str,
        stored: Stored,
        guard: Guard,
    ) -> Result<(DayOutcome, Option<Entry>), String> {
        let failed = |e: crate::archive::store::StoreError| e.to_string();
        // The archived object and its body, when this write had to read it.
        let mut archived: Option<(StoredObject, Vec<u8>)> = None;
        let (object, condition, known) = if self.merge {
            match self.store.get(&key).await.map_err(failed)? {
                Some((stored, body)) => {
                    let merged = object.merged_over(&body).map_err(|e| e.to_string())?;
                    let condition = stored
                        .etag
                        .clone()
                        .map_or(PutCondition::Always, PutCondition::IfMatch);
                    (merged, condition, Some(stored))
                }
                None => (object, PutCondition::IfAbsent, None),
            }
        } else {
            let known = match stored {
                Stored::Absent => None,
                Stored::Hashed(entry) => Some(StoredObject {
                    content_sha256: Some(entry.sha256),
                    etag: Some(entry.etag),
                }),
                // A guarded day reads the body it may have to compare with
                // in the same request that tells its hash.
                Stored::Unverified if guard == Guard::NeverLower => {
                    archived = self.store.get(&key).await.map_err(failed)?;
                    archived.as_ref().map(|(stored, _)| stored.clone())
                }
                Stored::Unverified => self.store.head(&key).await.map_err(failed)?,
            };
            (object, PutCondition::Always, known)
        };
        let hash = object.content_sha256();
        if let Some(known) = &known
            && known.content_sha256.as_deref() == Some(hash.as_str())
        {
            let entry = known.etag.clone().map(|etag| Entry { sha256: hash, etag });
            return Ok((DayOutcome::Unchanged, entry));
        }
        let mut condition = condition;
        if guard == Guard::NeverLower && known.is_some() {
            // It differs: compare with what is archived before replacing it.
            if archived.is_none() {
                archived = self.store.get(&key).await.map_err(failed)?;
            }
            if let Some((archived, body)) = archived {
                if let Some(reason) = crate::archive::push_rows::lower_counts(&object, &body) {
                    let entry = archived
                        .content_sha256
                        .zip(archived.etag)
                        .map(|(sha256, etag)| Entry { sha256, etag });
                    return Ok((DayOutcome::KeptArchived { reason }, entry));
                }
                // Replace exactly what was compared.
                condition = archived
                    .etag
                    .map_or(PutCondition::Always, PutCondition::IfMatch);
            }
        }
        if self.dry_run {
            return Ok((DayOutcome::Written, None));
        }
        let etag = self
            .store
            .put(PutRequest {
                body: object.body(pulled_at),
                key,
                content_type: object::DAILY_CONTENT_TYPE,
                content_encoding: None,
                content_sha256: Some(hash.clone()),
                condition,
            })
            .await
            .map_err(failed)?;
        Ok((
            DayOutcome::Written,
            etag.map(|etag| Entry { sha256: hash, etag }),
        ))
    }
}
