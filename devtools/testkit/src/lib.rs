//! Test support shared by the workspace's integration tests.
//!
//! [`moto()`] gives a `moto_server` on loopback (S3 and Secrets Manager) for
//! the real `aws-sdk-*` crates. The test command starts one and exports
//! `MOTO_ENDPOINT`; a plain `cargo test` starts one per test binary (from
//! `.venv/bin/moto_server` or `PATH`) that dies with the binary.
//!
//! [`event`] / [`event_as`] read the sample events in `events/`;
//! [`emf`] checks the functions' EMF output; [`log_facts`] their log lines
//! against `infra/facts.json`; [`http_client`] builds the
//! Tencent client's HTTP stack for tests (it panics instead of returning the
//! builder's error).

pub mod answers;
pub mod emf;
mod events;
mod http;
pub mod log_facts;
mod workspace;

pub use events::{event, event_as, events_dir};
pub use http::http_client;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use workspace::workspace_root;

/// A running moto_server.
#[derive(Debug)]
pub struct Moto {
    pub endpoint: String,
}

impl Moto {
    /// SDK config for this moto: region us-east-1, static test credentials,
    /// endpoint override. Build S3 clients with `force_path_style(true)`.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "testkit",
            ))
            .load()
            .await
    }

    /// Environment for a child process (a function binary, cargo lambda).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ]
    }
}

/// The moto_server for this test binary (started on first use).
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Moto { endpoint },
        _ => start_moto(),
    })
}

/// A unique name for a bucket or secret, so tests sharing one moto never clash.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

fn moto_binary() -> PathBuf {
    let venv = workspace_root().join(".venv/bin/moto_server");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("moto_server")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_moto() -> Moto {
    let port = free_port();
    let binary = moto_binary();
    // Spawned from a thread that lives as long as the process, so that
    // PR_SET_PDEATHSIG (which fires when the spawning *thread* exits) kills
    // moto when the test binary ends, and not when one test's thread does.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut command = Command::new(&binary);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; nothing else runs in pre_exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let spawned = command.spawn();
        let ok = spawned.is_ok();
        let _ = tx.send(
            spawned
                .map(|_| ())
                .map_err(|e| format!("{}: {e}", binary.display())),
        );
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    if let Ok(Err(e)) | Err(e) = rx.recv().map_err(|e| e.to_string()) {
        panic!(
            "cannot start moto_server ({e}); run devtools/setup.sh (pip install 'moto[server]')"
        );
    }
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto_server did not listen on 127.0.0.1:{port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}
