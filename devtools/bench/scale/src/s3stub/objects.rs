//! The stub's bucket contents and S3's semantics over them: conditional
//! PUTs, ETags, and ListObjectsV2 paging. No HTTP here.

use std::collections::BTreeMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use md5::{Digest, Md5};

/// One stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: Bytes,
    /// Quoted hex MD5 of the body, as S3 answers for a single-part PUT.
    pub etag: String,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// `x-amz-meta-*` without the prefix, names lower-cased.
    pub metadata: BTreeMap<String, String>,
    pub last_modified: DateTime<Utc>,
}

/// What a PUT asks for besides the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutObject {
    pub body: Bytes,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `If-None-Match: *`.
    pub if_none_match_any: bool,
    /// `If-Match` (quoted or not).
    pub if_match: Option<String>,
}

/// Why a PUT was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutRefused {
    /// 412: the condition does not hold.
    PreconditionFailed,
    /// 404: `If-Match` on a key that does not exist.
    NoSuchKey,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub keys: Vec<(String, Object)>,
    /// The token for the next page (the last key returned), when truncated.
    pub next: Option<String>,
}

/// Objects by (bucket, key), in key order (S3 lists in UTF-8 binary order).
#[derive(Debug, Default)]
pub struct Objects(Mutex<BTreeMap<(String, String), Object>>);

/// S3's ETag of a single-part upload.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Md5::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn unquoted(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

impl Objects {
    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<(String, String), Object>) -> R) -> R {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut map)
    }

    /// Stores the object unless its condition fails; returns its ETag.
    pub fn put(&self, bucket: &str, key: &str, put: PutObject) -> Result<String, PutRefused> {
        self.with(|map| {
            let id = (bucket.to_owned(), key.to_owned());
            let existing = map.get(&id);
            if put.if_none_match_any && existing.is_some() {
                return Err(PutRefused::PreconditionFailed);
            }
            if let Some(wanted) = &put.if_match {
                match existing {
                    None => return Err(PutRefused::NoSuchKey),
                    Some(object) if unquoted(&object.etag) != unquoted(wanted) => {
                        return Err(PutRefused::PreconditionFailed);
                    }
                    Some(_) => {}
                }
            }
            let etag = etag_of(&put.body);
            map.insert(
                id,
                Object {
                    body: put.body,
                    etag: etag.clone(),
                    content_type: put.content_type,
                    content_encoding: put.content_encoding,
                    metadata: put.metadata,
                    last_modified: Utc::now(),
                },
            );
            Ok(etag)
        })
    }

    pub fn get(&self, bucket: &str, key: &str) -> Option<Object> {
        self.with(|map| map.get(&(bucket.to_owned(), key.to_owned())).cloned())
    }

    /// Keys under `prefix` after `after` (exclusive), at most `max_keys`.
    pub fn list(&self, bucket: &str, prefix: &str, after: &str, max_keys: usize) -> ListPage {
        self.with(|map| {
            let start = (bucket.to_owned(), after.max(prefix).to_owned());
            let mut matching = map
                .range(start..)
                .take_while(|((b, k), _)| b == bucket && k.starts_with(prefix))
                .filter(|((_, k), _)| k.as_str() > after);
            let keys: Vec<(String, Object)> = matching
                .by_ref()
                .take(max_keys)
                .map(|((_, k), o)| (k.clone(), o.clone()))
                .collect();
            let truncated = matching.next().is_some();
            let next = if truncated {
                keys.last().map(|(k, _)| k.clone())
            } else {
                None
            };
            ListPage { keys, next }
        })
    }

    /// Objects stored, over every bucket.
    pub fn len(&self) -> usize {
        self.with(|map| map.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: &str) -> PutObject {
        PutObject {
            body: Bytes::from(body.to_owned()),
            ..PutObject::default()
        }
    }

    #[test]
    fn etag_is_the_quoted_md5_of_the_body() {
        assert_eq!(etag_of(b""), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }

    #[test]
    fn conditions_hold_as_s3_checks_them() {
        let objects = Objects::default();
        let absent = PutObject {
            if_none_match_any: true,
            ..put("a")
        };
        let etag = objects.put("b", "k", absent.clone()).unwrap();
        assert_eq!(
            objects.put("b", "k", absent),
            Err(PutRefused::PreconditionFailed)
        );
        let stale = PutObject {
            if_match: Some(etag_of(b"other")),
            ..put("x")
        };
        assert_eq!(
            objects.put("b", "k", stale),
            Err(PutRefused::PreconditionFailed)
        );
        let fresh = PutObject {
            if_match: Some(etag.trim_matches('"').to_owned()),
            ..put("new")
        };
        assert_eq!(objects.put("b", "k", fresh), Ok(etag_of(b"new")));
        let missing = PutObject {
            if_match: Some(etag),
            ..put("y")
        };
        assert_eq!(
            objects.put("b", "other", missing),
            Err(PutRefused::NoSuchKey)
        );
        assert_eq!(objects.get("b", "k").unwrap().body, "new");
        assert!(objects.get("other-bucket", "k").is_none());
    }

    #[test]
    fn listing_pages_through_a_prefix_in_key_order() {
        let objects = Objects::default();
        for key in ["p/3", "p/1", "p/2", "q/1", "o/9"] {
            objects.put("b", key, put(key)).unwrap();
        }
        objects.put("c", "p/0", put("other bucket")).unwrap();
        let page = objects.list("b", "p/", "", 2);
        let keys: Vec<&str> = page.keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["p/1", "p/2"]);
        assert_eq!(page.next.as_deref(), Some("p/2"));
        let rest = objects.list("b", "p/", "p/2", 2);
        assert_eq!(rest.keys.len(), 1);
        assert_eq!(rest.next, None);
        assert_eq!(objects.list("b", "", "", 1000).keys.len(), 5);
        assert_eq!(objects.list("b", "", "p/1", 1000).keys.len(), 3);
    }
}
