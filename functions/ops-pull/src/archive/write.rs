//! The S3 side of a run. Every job (a day, a raw copy, a listing) holds one
//! of [`WRITE_CONCURRENCY`] permits shared by all apps, and gives up at the
//! storage deadline. What is archived is asked of S3 itself (a HEAD per day,
//! its content hash in the metadata): no index of our own to keep in step.

use std::io::Read;

use chrono::NaiveDate;
use tim::Deadline;
use tokio::sync::Semaphore;

use crate::archive::object::{DailyObject, stored_lines};
use crate::archive::store::{ArchiveStore, PutCondition, PutRequest, StoreError};

/// S3 jobs in flight at once, across all apps of a run. S3 serves far more;
/// this bounds sockets and memory, and at 20 ms a request keeps 100 apps'
/// first run (about 4,000 requests) near a second of S3 time.
pub const WRITE_CONCURRENCY: usize = 64;

/// What a job gives: S3's answer, or why it failed.
type Answer<T> = Result<T, StoreError>;

/// One day written (or found unchanged), and what of the archived day its
/// rule kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayWritten {
    pub written: bool,
    pub kept: Vec<String>,
}

/// The store with the run's bound, deadline and mode.
pub struct Writer<'a, A> {
    store: &'a A,
    permits: Semaphore,
    deadline: Deadline,
    pub dry_run: bool,
    /// A field-subset run: merge into the stored objects.
    pub merge: bool,
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

    /// `job` with a permit, before the deadline; its failure as text. The
    /// job's future (an S3 call's is several kilobytes) is made and boxed
    /// only once it holds a permit: a run waits on thousands of jobs at once,
    /// and holding every one's future from the start cost 100 apps' first
    /// run 60 MB.
    async fn bounded<T>(&self, job: impl AsyncFnOnce() -> Answer<T>) -> Result<T, String> {
        let permitted = async {
            // The semaphore is never closed.
            let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
            Box::pin(job()).await.map_err(|e| e.to_string())
        };
        let timed = tokio::time::timeout_at(self.deadline.0, permitted).await;
        timed.unwrap_or_else(|_| Err("deadline reached before S3 answered".to_owned()))
    }

    /// Gzips and writes Tencent's body under its own key (never replaced).
    pub async fn raw(&self, key: &str, raw: &[u8]) -> Result<(), String> {
        if self.dry_run {
            return Ok(());
        }
        self.bounded(async || {
            let mut body = Vec::with_capacity(raw.len() / 4);
            // Gzip at the default compression level.
            let read = flate2::read::GzEncoder::new(raw, Default::default()).read_to_end(&mut body);
            read.map_err(|e| StoreError::Failed(format!("gzip: {e}")))?;
            let put = PutRequest {
                key: key.to_owned(),
                body,
                content_type: "application/json",
                content_encoding: Some("gzip"),
                condition: PutCondition::IfAbsent,
                ..Default::default()
            };
            self.store.put(put).await.map(drop)
        })
        .await
    }

    /// The keys under `folder`, in key order (one listing).
    pub async fn list(&self, folder: &str) -> Result<Vec<String>, String> {
        self.bounded(|| self.store.list(folder)).await
    }

    /// The newest `dt=` day archived under `folder`;
    /// `None` when there is none or the listing failed.
    pub async fn newest_day(&self, folder: &str) -> Option<NaiveDate> {
        let dated = |key: &String| {
            let dt = key.split("/dt=").nth(1)?.split('/').next()?;
            NaiveDate::parse_from_str(dt, "%Y-%m-%d").ok()
        };
        let keys = self.list(folder).await.inspect_err(|error| {
            tracing::warn!(folder, error = %error, "listing failed: the newest archived day is unknown");
        });
        keys.ok()?.iter().filter_map(dated).max()
    }

    /// The body at `key` (`None`: no such object).
    pub async fn body(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.bounded(|| self.store.get(key)).await?.map(|(_, b)| b))
    }

    /// Writes one day unless S3 already holds the same content, under
    /// `rule` when it differs. A field-subset run merges into the stored
    /// object so that it never drops the fields it did not pull. A
    /// replacement is conditional on the ETag read.
    pub async fn day(
        &self,
        key: String,
        mut object: DailyObject,
        pulled_at: &str,
        rule: fn(DailyObject, &[u8]) -> (DailyObject, Vec<String>),
    ) -> Result<DayWritten, String> {
        self.bounded(async move || {
            // A subset run always reads the day; a full one only when its hash differs.
            let archived = if self.merge {
                self.store.get(&key).await?
            } else {
                match self.store.head(&key).await? {
                    Some(head) if head.content_sha256 == Some(object.content_sha256()) => {
                        return Ok(DayWritten::default());
                    }
                    Some(_) => self.store.get(&key).await?,
                    None => None,
                }
            };
            let (mut written, mut kept, mut condition) = (true, Vec::new(), PutCondition::IfAbsent);
            if let Some((stored, body)) = archived {
                if self.merge {
                    object = object.merged_over(&body)?;
                }
                (object, kept) = rule(object, &body);
                // What was kept may be all there is: the body is the truth.
                written = stored_lines(&body).as_deref() != Some(&object.lines[..]);
                condition = stored.etag.into();
            }
            if written && !self.dry_run {
                let put = PutRequest {
                    body: object.body(Some(pulled_at)),
                    key,
                    content_type: "application/x-ndjson",
                    content_sha256: Some(object.content_sha256()),
                    condition,
                    ..Default::default()
                };
                self.store.put(put).await?;
            }
            Ok(DayWritten { written, kept })
        })
        .await
    }
}
