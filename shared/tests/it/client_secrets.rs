//! Neither the app key nor a UserSig reaches a log line or an error's
//! `Display`/`Debug`, across the client's failure paths.
//!
//! The emulator runs on a thread of its own so that the captured logs are the
//! client's (and its HTTP stack's) only; the test's runtime runs on the test
//! thread, where the capturing subscriber is the default.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use testkit::http_client;
use tim::api::appinfo::AppInfoRequest;
use tim::region::Endpoint;
use tim::usersig::SecretKey;
use tim::{
    AppCredentials, Client, ClientConfig, CredentialsProvider, Deadline, Error, LocalSigner,
    RetryPolicy,
};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

use crate::common::client::closed_port_url;

const APP: u64 = 1_400_000_000;
/// Distinctive, so that a substring match means a leak.
const KEY: &str = "SECRET-app-key-7f3b9c1d5e2a4b6c8d0e";
const WRONG_KEY: &str = "SECRET-wrong-key-0a1b2c3d4e5f6a7b8c9d";

/// Everything written by the tracing subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Records every UserSig it hands out, so the test knows what must not leak.
struct Recording {
    inner: LocalSigner,
    handed_out: Mutex<Vec<String>>,
}

impl Recording {
    fn new(key: &str) -> Arc<Self> {
        Arc::new(Self {
            inner: LocalSigner::new(APP, "administrator", SecretKey::new(key), None),
            handed_out: Mutex::new(Vec::new()),
        })
    }

    fn record(&self, credentials: Result<AppCredentials, Error>) -> Result<AppCredentials, Error> {
        if let Ok(c) = &credentials {
            self.handed_out
                .lock()
                .unwrap()
                .push(c.usersig.expose_secret().to_owned());
        }
        credentials
    }

    fn usersigs(&self) -> Vec<String> {
        self.handed_out.lock().unwrap().clone()
    }
}

#[async_trait]
impl CredentialsProvider for Recording {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.record(self.inner.credentials().await)
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.record(self.inner.refresh(rejected).await)
    }
}

fn client(endpoint: &str, provider: Arc<Recording>, request_timeout: Duration) -> Client {
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(endpoint).unwrap()),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(10),
        },
        request_timeout,
        ..ClientConfig::default()
    };
    Client::new(http_client(&config), config, provider)
}

#[test]
fn no_secret_in_logs_or_error_texts() {
    let emu = Emulator::start_in_background(EmulatorConfig::default().with_app(APP, KEY)).unwrap();
    let base = emu.base_url();

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let good = Recording::new(KEY);
    let wrong = Recording::new(WRONG_KEY);
    let mut texts = Vec::new();
    let mut record = |err: Error| {
        texts.push(format!("{err}"));
        texts.push(format!("{err:?}"));
        texts.push(format!("{:?}", err.hint()));
        err
    };

    runtime.block_on(async {
        let long = Duration::from_secs(10);
        let request = AppInfoRequest::all_fields();
        let deadline = || Deadline::after(Duration::from_secs(10));

        // A success first, so the logs hold a full request cycle too.
        client(&base, good.clone(), long)
            .get_app_info(&request, deadline())
            .await
            .unwrap();

        // Connection refused (primary and backup both closed).
        let refused = format!("{},{}", closed_port_url(), closed_port_url());
        let err = client(&refused, good.clone(), long)
            .get_app_info(&request, deadline())
            .await
            .unwrap_err();
        assert!(matches!(record(err), Error::Network { .. }));

        // Per-request timeout.
        emu.inject(Fault::Delay(Duration::from_millis(600)), 3);
        let err = client(&base, good.clone(), Duration::from_millis(100))
            .get_app_info(&request, deadline())
            .await
            .unwrap_err();
        assert!(record(err).is_timeout());
        emu.clear_faults();

        // 70009: signed with the wrong key (a real verification failure), one
        // refresh, then the Api error.
        let err = client(&base, wrong.clone(), long)
            .get_app_info(&request, deadline())
            .await
            .unwrap_err();
        assert_eq!(record(err).code(), Some(70009));

        // Decode errors, every attempt.
        emu.inject(Fault::NonJsonBody, 3);
        let err = client(&base, good.clone(), long)
            .get_app_info(&request, deadline())
            .await
            .unwrap_err();
        assert!(matches!(record(err), Error::Decode { .. }));
        emu.inject(Fault::TruncatedBody, 3);
        let err = client(&base, good.clone(), long)
            .get_app_info(&request, deadline())
            .await
            .unwrap_err();
        assert!(record(err).is_retryable());

        // The deadline cutting a slow answer short.
        emu.inject(Fault::Delay(Duration::from_secs(2)), 3);
        let err = client(&base, good.clone(), long)
            .get_app_info(&request, Deadline::after(Duration::from_millis(200)))
            .await
            .unwrap_err();
        assert!(matches!(record(err), Error::Deadline { .. }));
        emu.clear_faults();
    });
    drop(runtime);
    runtime_shutdown(&emu);

    let logs = captured.text();
    // The capture works and saw the calls: otherwise this test proves nothing.
    assert!(logs.contains("openconfigsvr/getappinfo"), "{logs}");
    assert!(logs.contains("70009"), "{logs}");

    let mut secrets = vec![KEY.to_owned(), WRONG_KEY.to_owned()];
    secrets.extend(good.usersigs());
    secrets.extend(wrong.usersigs());
    assert!(good.usersigs().len() >= 6 && wrong.usersigs().len() >= 2);
    for secret in &secrets {
        assert!(secret.len() > 20);
        assert!(
            !logs.contains(secret.as_str()),
            "a secret appears in the logs"
        );
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        assert!(
            !logs.contains(&encoded),
            "a secret appears (encoded) in the logs"
        );
        for text in &texts {
            assert!(
                !text.contains(secret.as_str()),
                "a secret appears in an error text: {text}"
            );
        }
    }
    assert!(
        !logs.contains("usersig="),
        "a request URL appears in the logs"
    );
    for text in &texts {
        assert!(
            !text.contains("usersig="),
            "a request URL appears in an error text: {text}"
        );
    }
}

/// Stops the background emulator (its runtime is on its own thread).
fn runtime_shutdown(emu: &Emulator) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(emu.shutdown());
}
