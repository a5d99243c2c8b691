//! An in-memory S3 for the benchmark, reached by the real `aws-sdk-s3`
//! through its endpoint URL (path-style): every request is held for a fixed
//! delay (S3's latency), then answered from memory.
//!
//! Why not moto: it serves one request at a time and takes longer per
//! request than the 20 ms being simulated, so with thousands of requests it
//! would measure itself. Why not a crate: the S3 servers on crates.io are
//! whole storage services (disk, auth, multipart); the five calls ops-pull
//! makes fit in this module.
//!
//! Served: PutObject (`If-None-Match: *`, `If-Match`, `x-amz-meta-*`,
//! Content-Type/-Encoding, `aws-chunked` bodies; ETag = quoted MD5),
//! HeadObject, GetObject, ListObjectsV2 (`prefix`, `start-after`,
//! `continuation-token`, `max-keys`), CreateBucket (accepted; any bucket
//! exists). Anything else: 501 NotImplemented. Signatures are not checked.

mod messages;
mod objects;
mod wire;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use objects::{Object, Objects, PutObject, PutRefused, etag_of};

use messages::{HttpResponse, error, object_response, put_request, respond};

/// Requests served, by S3 operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct S3Counts {
    pub put: u64,
    pub head: u64,
    pub get: u64,
    pub list: u64,
    /// CreateBucket and anything not served.
    pub other: u64,
    /// The most requests in flight at once (the delay included).
    pub max_in_flight: u64,
}

impl S3Counts {
    pub fn total(&self) -> u64 {
        self.put + self.head + self.get + self.list + self.other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Put,
    Head,
    Get,
    List,
    CreateBucket,
    Unsupported,
}

#[derive(Debug, Default)]
struct Counters {
    put: AtomicU64,
    head: AtomicU64,
    get: AtomicU64,
    list: AtomicU64,
    other: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

impl Counters {
    fn count(&self, operation: Operation) {
        let counter = match operation {
            Operation::Put => &self.put,
            Operation::Head => &self.head,
            Operation::Get => &self.get,
            Operation::List => &self.list,
            Operation::CreateBucket | Operation::Unsupported => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> S3Counts {
        S3Counts {
            put: self.put.load(Ordering::Relaxed),
            head: self.head.load(Ordering::Relaxed),
            get: self.get.load(Ordering::Relaxed),
            list: self.list.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        for counter in [
            &self.put,
            &self.head,
            &self.get,
            &self.list,
            &self.other,
            &self.max_in_flight,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// Marks one request in flight until dropped.
struct InFlight<'a>(&'a Counters);

impl<'a> InFlight<'a> {
    fn enter(counters: &'a Counters) -> Self {
        let now = counters.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        counters.max_in_flight.fetch_max(now, Ordering::Relaxed);
        Self(counters)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

struct State {
    objects: Objects,
    counters: Counters,
    delay: Duration,
}

/// A running stub; dropping it stops the accept loop.
pub struct S3Stub {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl S3Stub {
    /// Listens on an ephemeral loopback port, served by the current runtime.
    pub async fn start(delay: Duration) -> io::Result<S3Stub> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            objects: Objects::default(),
            counters: Counters::default(),
            delay,
        });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        Ok(S3Stub { addr, state, stop })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_S3`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn counts(&self) -> S3Counts {
        self.state.counters.snapshot()
    }

    pub fn reset_counts(&self) {
        self.state.counters.reset();
    }

    /// The stored objects (for checks).
    pub fn objects(&self) -> &Objects {
        &self.state.objects
    }
}

impl Drop for S3Stub {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<HttpResponse, Infallible> {
    let _in_flight = InFlight::enter(&state.counters);
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let target = Target::of(&parts);
    let operation = target.operation(&parts.method);
    state.counters.count(operation);
    tokio::time::sleep(state.delay).await;
    Ok(answer(&state, operation, &target, &parts, body))
}

/// Bucket, key and query of a path-style request.
struct Target {
    bucket: String,
    key: String,
    query: BTreeMap<String, String>,
}

impl Target {
    fn of(parts: &Parts) -> Self {
        let path = parts.uri.path().trim_start_matches('/');
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        Self {
            bucket: decode(bucket),
            key: decode(key),
            query,
        }
    }

    fn operation(&self, method: &Method) -> Operation {
        let listing = self.query.get("list-type").map(String::as_str) == Some("2");
        match (method, self.key.is_empty()) {
            (&Method::PUT, false) => Operation::Put,
            (&Method::HEAD, false) => Operation::Head,
            (&Method::GET, false) => Operation::Get,
            (&Method::GET, true) if listing && !self.query.contains_key("delimiter") => {
                Operation::List
            }
            (&Method::PUT, true) if self.query.is_empty() => Operation::CreateBucket,
            _ => Operation::Unsupported,
        }
    }
}

fn answer(
    state: &State,
    operation: Operation,
    target: &Target,
    parts: &Parts,
    body: Bytes,
) -> HttpResponse {
    let resource = parts.uri.path();
    match operation {
        Operation::Put => match put_request(&parts.headers, body) {
            Ok(put) => match state.objects.put(&target.bucket, &target.key, put) {
                Ok(etag) => respond(StatusCode::OK, &[("etag", etag)], Bytes::new()),
                Err(PutRefused::PreconditionFailed) => error(
                    StatusCode::PRECONDITION_FAILED,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    resource,
                ),
                Err(PutRefused::NoSuchKey) => error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    resource,
                ),
            },
            Err(reason) => error(StatusCode::BAD_REQUEST, "InvalidRequest", &reason, resource),
        },
        Operation::Head | Operation::Get => {
            match state.objects.get(&target.bucket, &target.key) {
                Some(object) => object_response(object, operation == Operation::Get),
                // HEAD answers have no body: the SDK reads the status only.
                None if operation == Operation::Head => {
                    respond(StatusCode::NOT_FOUND, &[], Bytes::new())
                }
                None => error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    resource,
                ),
            }
        }
        Operation::List => list(state, target, resource),
        Operation::CreateBucket => respond(StatusCode::OK, &[], Bytes::new()),
        Operation::Unsupported => error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            &format!("the S3 stub does not serve {} {}", parts.method, parts.uri),
            resource,
        ),
    }
}

fn list(state: &State, target: &Target, resource: &str) -> HttpResponse {
    let query = &target.query;
    let max_keys = match query.get("max-keys").map(|v| v.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) => n.min(1000),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "max-keys is not a number",
                resource,
            );
        }
    };
    let token = query.get("continuation-token").cloned();
    let after_token = match token.as_deref().map(wire::key_of_token) {
        None => String::new(),
        Some(Some(key)) => key,
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "The continuation token provided is incorrect",
                resource,
            );
        }
    };
    let start_after = query.get("start-after").cloned();
    // A token supersedes start-after, as in S3.
    let after = if token.is_some() {
        after_token
    } else {
        start_after.clone().unwrap_or_default()
    };
    let list_query = wire::ListQuery {
        prefix: query.get("prefix").cloned().unwrap_or_default(),
        start_after,
        continuation_token: token,
        max_keys,
    };
    let page = state
        .objects
        .list(&target.bucket, &list_query.prefix, &after, max_keys);
    let xml = wire::list_result(&target.bucket, &list_query, &page);
    respond(
        StatusCode::OK,
        &[("content-type", "application/xml".to_owned())],
        Bytes::from(xml),
    )
}
