//! Where the archive is written: a small trait over the four S3 calls the
//! run needs, implemented by `aws_sdk_s3::Client` (tests add in-memory fakes).

use std::collections::HashMap;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::archive::object::HASH_METADATA_KEY;

/// What a HEAD (or GET) tells about a stored object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredObject {
    /// The `content-sha256` metadata, if the object has it.
    pub content_sha256: Option<String>,
    pub etag: Option<String>,
}

/// Guard of a PUT against a concurrent writer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PutCondition {
    /// Last writer wins (every writer of the key writes complete data).
    #[default]
    Always,
    /// `If-None-Match: *`: only if the key does not exist.
    IfAbsent,
    /// `If-Match: etag`: only if the object is still the one we read.
    IfMatch(String),
}

/// `If-Match` on the ETag read, when S3 told one.
impl From<Option<String>> for PutCondition {
    fn from(etag: Option<String>) -> Self {
        etag.map_or(Self::Always, Self::IfMatch)
    }
}

/// One object to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutRequest {
    pub key: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub content_encoding: Option<&'static str>,
    /// Stored as `content-sha256` metadata when set.
    pub content_sha256: Option<String>,
    pub condition: PutCondition,
}

/// A failed storage call (or a stored object that cannot be read), reduced
/// to text that carries no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the object changed while it was being written (precondition failed)")]
    PreconditionFailed,
    #[error("{0}")]
    Failed(String),
}

/// The storage calls of a run. Only this crate and its tests implement it,
/// and each future is awaited where its concrete type (and so its `Send`) is known.
#[allow(async_fn_in_trait)]
pub trait ArchiveStore: Sync {
    /// `None` when the key does not exist.
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError>;
    /// The object and its body; `None` when the key does not exist.
    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError>;
    /// Writes the object; the new object's ETag when S3 tells it.
    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError>;
    /// Every key under `prefix`, in key order (all pages).
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
}

/// An S3 bucket as the archive.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Store {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

fn stored_object(metadata: Option<&HashMap<String, String>>, etag: Option<&str>) -> StoredObject {
    StoredObject {
        content_sha256: metadata.and_then(|m| m.get(HASH_METADATA_KEY)).cloned(),
        etag: etag.map(str::to_owned),
    }
}

/// S3's error code and message (the SDK's `Display` alone says "service error").
fn describe(operation: &str, e: &(impl ProvideErrorMetadata + std::error::Error)) -> StoreError {
    let detail = match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(e).to_string(),
    };
    StoreError::Failed(format!("S3 {operation} failed: {detail}"))
}

impl ArchiveStore for S3Store {
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let head = self.client.head_object().bucket(&self.bucket).key(key);
        match head.send().await {
            Ok(out) => Ok(Some(stored_object(out.metadata(), out.e_tag()))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(describe("HeadObject", &e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<(StoredObject, Vec<u8>)>, StoreError> {
        let get = self.client.get_object().bucket(&self.bucket).key(key);
        match get.send().await {
            Ok(out) => {
                let stored = stored_object(out.metadata(), out.e_tag());
                let body = out.body.collect().await;
                let body = body.map_err(|e| StoreError::Failed(format!("S3 GetObject body: {e}")));
                Ok(Some((stored, body?.to_vec())))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(describe("GetObject", &e)),
        }
    }

    async fn put(&self, request: PutRequest) -> Result<Option<String>, StoreError> {
        let hash = request.content_sha256;
        let meta = hash.map(|hash| HashMap::from([(HASH_METADATA_KEY.to_owned(), hash)]));
        let put = self.client.put_object().bucket(&self.bucket);
        let put = put.key(request.key).body(request.body.into());
        let put = put.content_type(request.content_type).set_metadata(meta);
        let put = put.set_content_encoding(request.content_encoding.map(str::to_owned));
        let put = match request.condition {
            PutCondition::Always => put,
            PutCondition::IfAbsent => put.if_none_match("*"),
            PutCondition::IfMatch(etag) => put.if_match(etag),
        };
        match put.send().await {
            Ok(out) => Ok(out.e_tag().map(str::to_owned)),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => {
                Err(StoreError::PreconditionFailed)
            }
            Err(e) => Err(describe("PutObject", &e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let list = self.client.list_objects_v2().bucket(&self.bucket);
        let list = list.prefix(prefix);
        let pages = list.into_paginator().send().try_collect().await;
        let pages = pages.map_err(|e| describe("ListObjectsV2", &e))?;
        let objects = pages.into_iter().filter_map(|p| p.contents).flatten();
        Ok(objects.filter_map(|o| o.key).collect())
    }
}
