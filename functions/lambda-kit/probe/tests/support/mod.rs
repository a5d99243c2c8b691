//! A Lambda Runtime API on loopback (the four endpoints a runtime calls,
//! as Lambda's Runtime API reference describes them), and the probe
//! binary run against it.

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

/// One POST the runtime made: `…/invocation/{id}/response`,
/// `…/invocation/{id}/error` or `…/init/error`.
#[derive(Debug, Clone)]
pub struct Posted {
    pub path: String,
    /// `Lambda-Runtime-Function-Error-Type`, when sent.
    pub error_type_header: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Queue {
    events: Mutex<VecDeque<(String, Value)>>,
    ready: Notify,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    queue: Arc<Queue>,
    posted: mpsc::UnboundedReceiver<Posted>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let queue = Arc::new(Queue::default());
        let (sender, posted) = mpsc::unbounded_channel();
        let served = queue.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (queue, sender) = (served.clone(), sender.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        answer(request, queue.clone(), sender.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            queue,
            posted,
        }
    }

    /// Queues an event for the next `GET …/invocation/next`.
    pub fn invoke(&self, request_id: &str, event: Value) {
        self.queue
            .events
            .lock()
            .unwrap()
            .push_back((request_id.to_owned(), event));
        self.queue.ready.notify_one();
    }

    /// The next POST the runtime makes (panics after 20 s).
    pub async fn next_post(&mut self) -> Posted {
        tokio::time::timeout(Duration::from_secs(20), self.posted.recv())
            .await
            .expect("no POST from the runtime within 20 s")
            .expect("the fake Runtime API stopped")
    }
}

async fn answer(
    request: Request<Incoming>,
    queue: Arc<Queue>,
    posted: mpsc::UnboundedSender<Posted>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    if path == "/2018-06-01/runtime/invocation/next" {
        let (request_id, event) = loop {
            let ready = queue.ready.notified();
            if let Some(next) = queue.events.lock().unwrap().pop_front() {
                break next;
            }
            ready.await;
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Ok(Response::builder()
            .header("Lambda-Runtime-Aws-Request-Id", request_id)
            .header("Lambda-Runtime-Deadline-Ms", deadline.to_string())
            .header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:probe",
            )
            .body(Full::new(Bytes::from(event.to_string())))
            .unwrap());
    }
    let error_type_header = request
        .headers()
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let bytes = request.into_body().collect().await?.to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let _ = posted.send(Posted {
        path,
        error_type_header,
        body,
    });
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")))
        .unwrap())
}

/// The probe under test: `LAMBDA_KIT_PROBE_BIN` when set (an absolute
/// path: the tests run in the package's folder; to run them against the
/// release build), else this test build's.
pub fn probe_binary() -> String {
    std::env::var("LAMBDA_KIT_PROBE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_lambda-kit-probe").to_owned())
}

/// The probe as Lambda would start it, against `api`, with JSON logs at
/// TRACE (and the AWS SDK asked to log sensitive bodies) plus `extra`.
pub fn spawn_probe(api: SocketAddr, extra: &[(&str, String)]) -> Probe {
    let mut command = Command::new(probe_binary());
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "probe")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .env("LOG_SENSITIVE_BODIES", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn the probe");
    // Drained as they come: TRACE output would fill a pipe and block the probe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    Probe {
        child,
        stdout,
        stderr,
    }
}

pub struct Probe {
    child: Child,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Probe {
    /// Ends the process (if still running) and returns stdout and stderr.
    pub fn finish(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.stdout.join().unwrap(), self.stderr.join().unwrap())
    }

    /// Waits for the process to exit by itself (panics after 10 s).
    pub fn exit_status(&mut self) -> std::process::ExitStatus {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the probe did not exit");
    }
}
