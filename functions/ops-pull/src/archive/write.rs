//! The S3 side of a run. Every job (a day, a raw copy, a listing) holds one
//! of [`WRITE_CONCURRENCY`] permits shared by all apps, and gives up at the
//! storage deadline. What is archived is asked of S3 itself (a HEAD per day,
//! its content hash in the metadata): no index of our own to keep in step.

use std::future::Future;

use tim::Deadline;
use tokio::sync::Semaphore;

use chrono::NaiveDate;

use crate::archive::object::{self, DailyObject};
use crate::archive::store::{ArchiveStore, PutCondition, PutRequest, StoredObject};

/// S3 jobs in flight at once, across all apps of a run. S3 serves far more;
/// this bounds sockets and memory, and at 20 ms a request keeps 100 apps'
/// first run (about 4,000 requests) near a second of S3 time.
pub const WRITE_CONCURRENCY: usize = 64;

/// What happened to one day's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOutcome {
    Written,
    Unchanged,
}

/// One day written (or found unchanged), and what of the archived day its
/// rule kept (see [`Guard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayWritten {
    pub outcome: DayOutcome,
    pub kept: Vec<String>,
}

/// The `dt=YYYY-MM-DD` of a key.
fn dated(key: &str) -> Option<NaiveDate> {
    let dt = key.split("/dt=").nth(1)?.split('/').next()?;
    NaiveDate::parse_from_str(dt, "%Y-%m-%d").ok()
}

/// What of an archived day a new answer may never make worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Operations: a number is never replaced by null, text or absence
    /// (see [`DailyObject::keeping_numbers_of`]).
    KeepNumbers,
    /// Push statistics only grow: a row that went lower keeps its archived
    /// counts (see [`crate::archive::push_rows::keeping_lower_rows`]).
    NeverLower,
}

impl Guard {
    fn apply(self, object: DailyObject, archived: &[u8]) -> (DailyObject, Vec<String>) {
        match self {
            Self::KeepNumbers => object.keeping_numbers_of(archived),
            Self::NeverLower => crate::archive::push_rows::keeping_lower_rows(object, archived),
        }
    }
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

    /// The newest `dt=` day archived under `folder` after `start_after`
    /// (one listing); `None` when there is none or the listing failed.
    pub async fn newest_day(&self, folder: &str, start_after: &str) -> Option<NaiveDate> {
        let listed = self
            .bounded(|| async {
                self.store
                    .list(folder, start_after)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await;
        match listed {
            Ok(listed) => listed.iter().filter_map(|o| dated(&o.key)).max(),
            Err(error) => {
                tracing::warn!(folder, error = %error, "listing failed: the newest archived day is unknown");
                None
            }
        }
    }

    /// The bodies of the objects under `folder` but `except`, newest key
    /// first, read while `wanted` says so (raw copies: their keys sort by
    /// time).
    pub async fn newest_bodies(
        &self,
        folder: &str,
        except: &str,
        mut wanted: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        let mut listed = self
            .bounded(|| async { self.store.list(folder, "").await.map_err(|e| e.to_string()) })
            .await?;
        listed.sort_by(|a, b| b.key.cmp(&a.key));
        for key in listed
            .iter()
            .map(|o| o.key.as_str())
            .filter(|k| *k != except)
        {
            let read = self
                .bounded(|| async { self.store.get(key).await.map_err(|e| e.to_string()) })
                .await?;
            if let Some((_, body)) = read
                && !wanted(&body)
            {
                break;
            }
        }
        Ok(())
    }

    /// Writes one day unless the stored object already holds the same
    /// content, under `guard`'s rule when it differs. A field-subset run
    /// merges into the stored object so that it never drops the fields it
    /// did not pull. A replacement is conditional on the ETag read.
    pub async fn day(
        &self,
        key: String,
        object: DailyObject,
        pulled_at: &str,
        guard: Guard,
    ) -> Result<DayWritten, String> {
        self.bounded(|| self.write_day(key, object, pulled_at, guard))
            .await
    }

    async fn write_day(
        &self,
        key: String,
        mut object: DailyObject,
        pulled_at: &str,
        guard: Guard,
    ) -> Result<DayWritten, String> {
        let failed = |e: crate::archive::store::StoreError| e.to_string();
        // The archived object and its body, once this write had to read it.
        let mut archived: Option<(StoredObject, Vec<u8>)> = None;
        let known = if self.merge {
            archived = self.store.get(&key).await.map_err(failed)?;
            if let Some((_, body)) = &archived {
                object = object.merged_over(body).map_err(|e| e.to_string())?;
            }
            archived.as_ref().map(|(stored, _)| stored.clone())
        } else {
            self.store.head(&key).await.map_err(failed)?
        };
        let unchanged = |known: &StoredObject, hash: &str, kept: Vec<String>| {
            (known.content_sha256.as_deref() == Some(hash)).then_some(DayWritten {
                outcome: DayOutcome::Unchanged,
                kept,
            })
        };
        let mut kept = Vec::new();
        let mut condition = PutCondition::IfAbsent;
        if let Some(known) = &known {
            if let Some(same) = unchanged(known, &object.content_sha256(), Vec::new()) {
                return Ok(same);
            }
            // It differs: apply the rule against what is archived, and
            // replace exactly what was compared.
            if archived.is_none() {
                archived = self.store.get(&key).await.map_err(failed)?;
            }
            condition = PutCondition::Always;
            if let Some((mut archived, body)) = archived {
                (object, kept) = guard.apply(object, &body);
                // What was kept may be all there is: compare with the body.
                archived.content_sha256 = object::stored_sha256(&body).or(archived.content_sha256);
                if let Some(same) = unchanged(&archived, &object.content_sha256(), kept.clone()) {
                    return Ok(same);
                }
                condition = archived
                    .etag
                    .map_or(PutCondition::Always, PutCondition::IfMatch);
            }
        } else if !self.merge {
            condition = PutCondition::Always;
        }
        if self.dry_run {
            return Ok(DayWritten {
                outcome: DayOutcome::Written,
                kept,
            });
        }
        self.store
            .put(PutRequest {
                body: object.body(pulled_at),
                key,
                content_type: object::DAILY_CONTENT_TYPE,
                content_encoding: None,
                content_sha256: Some(object.content_sha256()),
                condition,
            })
            .await
            .map_err(failed)?;
        Ok(DayWritten {
            outcome: DayOutcome::Written,
            kept,
        })
    }
}
