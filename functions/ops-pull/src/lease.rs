//! One run at a time without a reserved concurrency (which a new account's
//! quota of 10 cannot grant): a run holds a lease object, taken with a
//! conditional PUT (`If-None-Match: *` when absent, `If-Match` on the ETag
//! of an expired or released one), so two runs never pace one app's push
//! calls twice (Tencent allows one a second). The lease ends at the holder's
//! own deadline, so a run that Lambda ended frees it by then.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::from_slice;

use crate::Deadlines;
use crate::archive::store::{ArchiveStore, PutCondition, PutRequest, StoreError};

/// How often a waiting run looks at the lease again.
pub const POLL: Duration = Duration::from_secs(1);

/// The lease object's body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Body {
    holder: String,
    expires_at: DateTime<Utc>,
}

/// A lease this run holds.
#[derive(Debug)]
pub struct Lease {
    key: String,
    body: Body,
    etag: Option<String>,
}

/// Why no lease was taken: another run holds the lease at the key (the
/// body read), or the lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("another run ({holder}) holds the lease {0} until {until}; this run gave up waiting", holder = .1.holder, until = .1.expires_at)]
    Held(String, Body),
    #[error("lease {0}: {1}")]
    Storage(String, StoreError),
}

impl Body {
    fn put(&self, key: &str, condition: PutCondition) -> PutRequest {
        PutRequest {
            key: key.to_owned(),
            // A struct of a string and a date always serialises.
            body: serde_json::to_vec(self).unwrap_or_default(),
            content_type: "application/json",
            condition,
            ..Default::default()
        }
    }
}

/// Takes the lease at `key` for `holder` until the run's storage deadline,
/// waiting (polling every [`POLL`]) while another run holds it, up to the
/// run's Tencent deadline (nothing was called yet).
pub async fn acquire<A: ArchiveStore>(
    store: &A,
    key: String,
    holder: &str,
    deadlines: Deadlines,
) -> Result<Lease, LeaseError> {
    let expires_at = Utc::now() + deadlines.storage.remaining();
    let holder = holder.to_owned();
    let body = Body { holder, expires_at };
    loop {
        let stored = store.get(&key).await;
        let stored = stored.map_err(|error| LeaseError::Storage(key.clone(), error))?;
        let held: Option<Body> = stored.as_ref().and_then(|(_, b)| from_slice(b).ok());
        // Expired, released, or unreadable: taken over below.
        if let Some(held) = held.filter(|held| held.expires_at > Utc::now()) {
            if tokio::time::Instant::now() + POLL >= deadlines.tencent.0 {
                return Err(LeaseError::Held(key, held));
            }
            tokio::time::sleep(POLL).await;
            continue;
        }
        let condition = stored.map_or(PutCondition::IfAbsent, |(s, _)| s.etag.into());
        match store.put(body.put(&key, condition)).await {
            Ok(etag) => return Ok(Lease { key, body, etag }),
            // Another run took it between the read and the write.
            Err(StoreError::PreconditionFailed) => continue,
            Err(error) => return Err(LeaseError::Storage(key, error)),
        }
    }
}

impl Lease {
    /// Frees the lease for the next run (a failure only makes it wait for
    /// the expiry).
    pub async fn release<A: ArchiveStore>(mut self, store: &A) {
        self.body.expires_at = Utc::now();
        let put = self.body.put(&self.key, self.etag.into());
        if let Err(error) = store.put(put).await {
            tracing::warn!(key = self.key, error = %error, "lease not released: the next run waits for its expiry");
        }
    }
}
