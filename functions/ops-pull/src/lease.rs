//! One run at a time without a reserved concurrency (which a new account's
//! quota of 10 cannot grant): a run holds a lease object, taken with a
//! conditional PUT (`If-None-Match: *` when absent, `If-Match` on the ETag
//! of an expired or released one), so two runs never pace one app's push
//! calls twice (Tencent allows one a second). The lease ends at the holder's
//! own deadline, so a run that Lambda ended frees it by then.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tim::Deadline;

use crate::archive::store::{ArchiveStore, PutCondition, PutRequest, StoreError};

/// How often a waiting run looks at the lease again.
pub const POLL: Duration = Duration::from_secs(1);

/// The lease object's body.
#[derive(Debug, Serialize, Deserialize)]
struct Body {
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

/// Why no lease was taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("another run ({holder}) holds the lease {key} until {until}; this run gave up waiting")]
    Held {
        key: String,
        holder: String,
        until: DateTime<Utc>,
    },
    #[error("lease {key}: {error}")]
    Storage { key: String, error: StoreError },
}

fn put(key: &str, body: &Body, condition: PutCondition) -> PutRequest {
    PutRequest {
        key: key.to_owned(),
        // A struct of a string and a date always serialises.
        body: serde_json::to_vec(body).unwrap_or_default(),
        content_type: "application/json",
        content_encoding: None,
        content_sha256: None,
        condition,
    }
}

/// Takes the lease at `key` for `holder` until `until`, waiting (polling
/// every [`POLL`]) while another run holds it, up to `deadline`.
pub async fn acquire<A: ArchiveStore>(
    store: &A,
    key: &str,
    holder: &str,
    until: DateTime<Utc>,
    deadline: Deadline,
) -> Result<Lease, LeaseError> {
    let storage = |error| LeaseError::Storage {
        key: key.to_owned(),
        error,
    };
    let body = Body {
        holder: holder.to_owned(),
        expires_at: until,
    };
    loop {
        let condition = match store.get(key).await.map_err(storage)? {
            None => PutCondition::IfAbsent,
            Some((stored, text)) => match serde_json::from_slice::<Body>(&text) {
                Ok(held) if held.expires_at > Utc::now() => {
                    if tokio::time::Instant::now() + POLL >= deadline.0 {
                        return Err(LeaseError::Held {
                            key: key.to_owned(),
                            holder: held.holder,
                            until: held.expires_at,
                        });
                    }
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                // Expired, released, or unreadable: take it over.
                _ => stored
                    .etag
                    .map_or(PutCondition::Always, PutCondition::IfMatch),
            },
        };
        match store.put(put(key, &body, condition)).await {
            Ok(etag) => {
                let key = key.to_owned();
                return Ok(Lease { key, body, etag });
            }
            // Another run took it between the read and the write.
            Err(StoreError::PreconditionFailed) => continue,
            Err(error) => return Err(storage(error)),
        }
    }
}

impl Lease {
    /// Frees the lease for the next run (a failure only makes it wait for
    /// the expiry).
    pub async fn release<A: ArchiveStore>(self, store: &A) {
        let expires_at = Utc::now();
        let body = Body {
            expires_at,
            ..self.body
        };
        let condition = self
            .etag
            .map_or(PutCondition::Always, PutCondition::IfMatch);
        if let Err(error) = store.put(put(&self.key, &body, condition)).await {
            tracing::warn!(key = self.key, error = %error, "lease not released: the next run waits for its expiry");
        }
    }
}
