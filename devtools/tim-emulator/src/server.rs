//! The server: an accept loop of its own (so TCP connections can be
//! counted), HTTP/1.1 with keep-alive per connection, and the routing of
//! each request to the admin API or to the emulated Tencent API.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use chrono::NaiveDate;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::config::EmulatorConfig;
use crate::convention::{self, Command};
use crate::faults::{Fault, FaultQueue, FaultSpec};
use crate::opsdata::{self, Overrides};
use crate::pushstats;
use crate::reply::{self, ApiError, HttpResponse};
use crate::state::State;
use crate::stats::{Counters, Stats};

/// Request bodies beyond this are refused (Tencent's bodies are tiny).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A running emulator. Dropping it stops the server as well (without
/// waiting); [`Emulator::shutdown`] stops it and waits.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    stopped: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `config`'s address (default `127.0.0.1:0`) and serves on the
    /// current tokio runtime until shut down or dropped.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (emulator, stop, stopped) = Self::parts(addr, config);
        let state = Arc::clone(&emulator.state);
        tokio::spawn(async move {
            accept_loop(listener, state, stop).await;
            let _ = stopped.send(());
        });
        Ok(emulator)
    }

    /// As [`Emulator::start`], but served by a runtime on a thread of its
    /// own: for one emulator shared by tests that each run their own
    /// runtime (e.g. in a `static OnceLock`).
    pub fn start_in_background(config: EmulatorConfig) -> io::Result<Emulator> {
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (emulator, stop, stopped) = Self::parts(addr, config);
        let state = Arc::clone(&emulator.state);
        std::thread::Builder::new()
            .name(format!("tim-emulator-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => accept_loop(listener, state, stop).await,
                        Err(err) => tracing::error!(error = %err, "cannot serve the bound socket"),
                    }
                });
                let _ = stopped.send(());
            })?;
        Ok(emulator)
    }

    fn parts(
        addr: SocketAddr,
        config: EmulatorConfig,
    ) -> (Emulator, watch::Receiver<bool>, oneshot::Sender<()>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = oneshot::channel();
        let state = Arc::new(State {
            apps: config.apps,
            clock: config.clock,
            faults: FaultQueue::default(),
            counters: Counters::default(),
            overrides: Overrides::default(),
            enforce_rate_limits: config.enforce_rate_limits,
        });
        let emulator = Emulator {
            addr,
            state,
            stop: stop_tx,
            stopped: tokio::sync::Mutex::new(Some(stopped_rx)),
        };
        (emulator, stop_rx, stopped_tx)
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL for `tim::ClientConfig` / `TIM_ENDPOINT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `times` API answers (any command) get `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.state.faults.push(fault, times, None);
    }

    /// The next `times` answers to `command` (`service/command`, e.g.
    /// `openconfigsvr/getappinfo`) get `fault`.
    pub fn inject_for(&self, command: impl Into<String>, fault: Fault, times: usize) {
        self.state.faults.push(fault, times, Some(command.into()));
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// The faults still pending, oldest first, with their remaining uses.
    pub fn pending_faults(&self) -> Vec<FaultSpec> {
        self.state.faults.pending()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.state.counters.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.state.counters.reset();
    }

    /// Overrides one getappinfo value of one day (until [`Emulator::reset`]).
    /// A field the emulator does not generate is added to that day's row.
    pub fn set_ops_value(
        &self,
        sdkappid: u64,
        date: NaiveDate,
        field: impl Into<String>,
        value: impl Into<String>,
    ) {
        self.state
            .overrides
            .set(sdkappid, date, field.into(), Some(value.into()));
    }

    /// Serves one getappinfo value of one day as JSON `null`.
    pub fn set_ops_null(&self, sdkappid: u64, date: NaiveDate, field: impl Into<String>) {
        self.state.overrides.set(sdkappid, date, field.into(), None);
    }

    /// Clears faults, counters and getappinfo overrides.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// The days getappinfo answers now (yesterday back 30 days, UTC by the
    /// emulator's clock), newest first.
    pub fn ops_days(&self) -> Vec<NaiveDate> {
        opsdata::days_covered(self.state.today())
    }

    /// Stops accepting, closes open connections, and waits until done.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let stopped = self.stopped.lock().await.take();
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    state.counters.connection();
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
                }
                Err(err) => {
                    // E.g. out of file descriptors: wait a moment, keep serving.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    if let Err(err) = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(error = %err, "connection ended with an error");
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<HttpResponse, Infallible> {
    let path = request.uri().path().to_owned();
    if path == crate::admin::PREFIX.trim_end_matches('/') || path.starts_with(crate::admin::PREFIX)
    {
        return Ok(crate::admin::handle(&state, request).await);
    }
    let command = convention::command_key(&path).to_owned();
    state.counters.request(&command);
    let (parts, body) = request.into_parts();
    // Read the body whatever the answer, so the connection stays reusable.
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .ok();

    let fault = state.faults.take(&command);
    if let Some(fault) = &fault {
        tracing::info!(%command, ?fault, "injecting fault");
    }
    let response = match fault {
        Some(Fault::ErrorCode(code)) => ApiError::new(
            code,
            format!("fault injected by tim-emulator: ErrorCode {code}"),
        )
        .into_response(),
        Some(Fault::EchoingErrorCode(code)) => ApiError::new(
            code,
            format!(
                "fault injected by tim-emulator: ErrorCode {code} for request {}",
                parts.uri
            ),
        )
        .into_response(),
        Some(Fault::HttpStatus(status)) => {
            reply::gateway_page(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
        }
        Some(Fault::NonJsonBody) => reply::bytes_response(
            StatusCode::OK,
            "text/html",
            Bytes::from_static(
                b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>\n",
            ),
        ),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            answer(&state, &parts, body.as_ref())
        }
        Some(Fault::TruncatedBody) => truncate(answer(&state, &parts, body.as_ref())).await,
        Some(Fault::Result(fault)) => answer_with(&state, &parts, body.as_ref(), fault),
        None => answer(&state, &parts, body.as_ref()),
    };
    Ok(response)
}

/// The same response with the first half of its body (and a matching
/// Content-Length, so the framing stays correct).
async fn truncate(response: HttpResponse) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let half = bytes.slice(..bytes.len() / 2);
    HttpResponse::from_parts(parts, Full::new(half))
}

/// The emulated Tencent answer to a request.
fn answer(
    state: &State,
    parts: &hyper::http::request::Parts,
    body: Option<&Bytes>,
) -> HttpResponse {
    let outcome = api_outcome(state, parts, body);
    let command = convention::command_key(parts.uri.path());
    match outcome {
        Ok(value) => {
            tracing::info!(%command, code = 0, "answered");
            reply::json_response(StatusCode::OK, &value)
        }
        Err(err) => {
            tracing::info!(%command, code = err.code, info = %err.info, "answered with an error");
            err.into_response()
        }
    }
}

/// The emulated answer with its `Result` changed by `fault` (errors as usual).
fn answer_with(
    state: &State,
    parts: &hyper::http::request::Parts,
    body: Option<&Bytes>,
    fault: crate::faults::ResultFault,
) -> HttpResponse {
    match api_outcome(state, parts, body) {
        Ok(mut value) => {
            let request = body
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            fault.apply(&mut value, &request);
            reply::json_response(StatusCode::OK, &value)
        }
        Err(err) => err.into_response(),
    }
}

fn api_outcome(
    state: &State,
    parts: &hyper::http::request::Parts,
    body: Option<&Bytes>,
) -> Result<serde_json::Value, ApiError> {
    let call = convention::check_call(&parts.method, parts.uri.path(), parts.uri.query())?;
    let app = state
        .apps
        .get(&call.sdkappid)
        .ok_or_else(|| ApiError::new(60006, format!("invalid SDKAppID {}", call.sdkappid)))?;
    let now = state.clock.now_unix();
    app.authenticate(&call.identifier, &call.usersig, now)?;
    crate::rates::check(state, call.command, call.sdkappid, now)?;
    let body = body.ok_or_else(|| ApiError::new(60003, "request body too large or unreadable"))?;
    let body = convention::parse_body(body)?;
    match call.command {
        Command::GetAppInfo => {
            opsdata::answer(call.sdkappid, state.today(), &body, &state.overrides)
        }
        Command::AllMemberPushStatistics => {
            pushstats::validate(&body).map(|query| pushstats::answer(call.sdkappid, &query))
        }
    }
}
