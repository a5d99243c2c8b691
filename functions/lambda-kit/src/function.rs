//! The two traits a function implements, and the runner that builds the
//! function once and hands it each event.

use std::fmt::Debug;
use std::panic::AssertUnwindSafe;

use aws_config::SdkConfig;
use futures::{FutureExt, future::BoxFuture};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::Invocation;
use crate::panic::{self, panic_message};

/// What a function read from the environment at init, and how it builds
/// itself on the first invocation.
///
/// `build` gets the AWS SDK config, loaded on the first invocation rather
/// than at init: loading it (and the SDK's HTTPS client, which reads the OS
/// trust store) is what init would otherwise spend its time on, and nothing
/// needs it before the first event. `build` makes clients only; no network
/// call (secrets are read on first use).
pub trait Setup: Send + Sync + 'static {
    /// The function, built once per execution environment.
    type Function: Function;

    fn build(&self, aws: &SdkConfig) -> impl Future<Output = Self::Function> + Send;
}

/// One event in, one answer out.
pub trait Function: Send + Sync + 'static {
    /// The payload, as Lambda delivers it.
    type Event: DeserializeOwned + Send;
    /// The answer (serialised as JSON).
    type Output: Serialize + Send;
    /// A failed invocation; its `Diagnostic` gives Lambda's `errorType`.
    type Error: Into<Diagnostic> + Debug + Send;

    fn handle(
        &self,
        event: Self::Event,
        invocation: &Invocation,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// The answer to an invocation whose handler panicked (the panic is
    /// logged at ERROR and the process stays warm). `None`, the default,
    /// reports the invocation as failed with `errorType` `Panic` and a fixed
    /// message naming the request id; a function whose caller expects an
    /// answer (an HTTP API) gives one here.
    fn on_panic(&self, _invocation: &Invocation) -> Option<Self::Output> {
        None
    }
}

/// What an invocation answers: the function's output, or Lambda's report of
/// its failure.
type Answer<F> = Result<<F as Function>::Output, Diagnostic>;

/// Settings, and the function once built.
pub(crate) struct Runner<S: Setup> {
    setup: S,
    function: OnceCell<S::Function>,
    /// Loads the AWS SDK config (tests give a fixed one).
    load_aws: fn() -> BoxFuture<'static, SdkConfig>,
}

impl<S: Setup> Runner<S> {
    pub(crate) fn new(setup: S) -> Self {
        Self {
            setup,
            function: OnceCell::new(),
            // Region and credentials from the Lambda environment, `AWS_ENDPOINT_URL*` honoured.
            load_aws: || aws_config::load_defaults(aws_config::BehaviorVersion::latest()).boxed(),
        }
    }

    /// One invocation, inside a span carrying `cold_start` (every log line
    /// of the invocation shows it: true until a build succeeded): the
    /// function is built on the first (concurrent first calls share one
    /// build), then handles the event. A panic in either is caught here and
    /// answered by [`Function::on_panic`] (a build that panicked is tried
    /// again by the next invocation).
    pub(crate) async fn invoke(
        &self,
        event: LambdaEvent<<S::Function as Function>::Event>,
    ) -> Answer<S::Function> {
        let invocation = Invocation {
            request_id: event.context.request_id,
            deadline_ms: event.context.deadline,
            cold_start: !self.function.initialized(),
        };
        let span = tracing::info_span!("invocation", cold_start = invocation.cold_start);
        async {
            // Boxed as a trait object: the function's own future type, nested
            // in these wrappers, otherwise overflows rustc's query depth
            // in a `main` (usersig-refresher's).
            let handling: BoxFuture<'_, _> = Box::pin(async {
                let build = || async { self.setup.build(&(self.load_aws)().await).await };
                let function = self.function.get_or_init(build).await;
                function.handle(event.payload, &invocation).await
            });
            match AssertUnwindSafe(handling).catch_unwind().await {
                Ok(result) => result.map_err(Into::into),
                Err(payload) => {
                    // The panic's text may hold anything: logged (here and,
                    // with its place, by the panic hook), never reported.
                    tracing::error!(
                        error_type = "Panic",
                        panic = panic_message(payload.as_ref()),
                        "the handler panicked"
                    );
                    self.function
                        .get()
                        .and_then(|function| function.on_panic(&invocation))
                        .ok_or_else(|| panic::diagnostic(&invocation.request_id))
                }
            }
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts builds; answers each event with what it was told.
    struct CountingSetup {
        builds: Arc<AtomicUsize>,
    }

    struct Echo {
        build_number: usize,
    }

    impl Setup for CountingSetup {
        type Function = Echo;

        async fn build(&self, aws: &SdkConfig) -> Echo {
            assert_eq!(aws.region().map(|r| r.as_ref()), Some("eu-west-1"));
            Echo {
                build_number: self.builds.fetch_add(1, Ordering::SeqCst) + 1,
            }
        }
    }

    impl Function for Echo {
        type Event = serde_json::Value;
        type Output = serde_json::Value;
        type Error = String;

        async fn handle(
            &self,
            event: serde_json::Value,
            invocation: &Invocation,
        ) -> Result<serde_json::Value, String> {
            if event == "fail" {
                return Err("asked to fail".into());
            }
            if event == "panic" {
                panic!("secret-in-panic");
            }
            Ok(serde_json::json!({
                "event": event,
                "build": self.build_number,
                "request_id": invocation.request_id,
                "cold_start": invocation.cold_start,
                "deadline_ms": invocation.deadline_ms,
            }))
        }
    }

    fn fixed_aws() -> BoxFuture<'static, SdkConfig> {
        Box::pin(async {
            SdkConfig::builder()
                .region(aws_config::Region::new("eu-west-1"))
                .build()
        })
    }

    fn runner<S: Setup>(setup: S) -> Runner<S> {
        Runner {
            load_aws: fixed_aws,
            ..Runner::new(setup)
        }
    }

    fn event(payload: serde_json::Value, request_id: &str) -> LambdaEvent<serde_json::Value> {
        let mut context = lambda_runtime::Context::default();
        context.request_id = request_id.into();
        context.deadline = 600_000;
        LambdaEvent::new(payload, context)
    }

    #[tokio::test]
    async fn the_function_is_built_once_on_the_first_invocation() {
        let builds = Arc::new(AtomicUsize::new(0));
        let runner = runner(CountingSetup {
            builds: builds.clone(),
        });
        assert_eq!(builds.load(Ordering::SeqCst), 0, "nothing built at init");

        let first = runner.invoke(event("a".into(), "r1")).await.unwrap();
        assert_eq!(
            first,
            serde_json::json!({"event": "a", "build": 1, "request_id": "r1", "cold_start": true, "deadline_ms": 600_000})
        );
        let second = runner.invoke(event("b".into(), "r2")).await.unwrap();
        assert_eq!(second["build"], 1);
        assert_eq!(second["cold_start"], false);
        assert_eq!(second["request_id"], "r2");
        let failed = runner.invoke(event("fail".into(), "r3")).await.unwrap_err();
        assert_eq!(failed.error_message, "asked to fail");
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_panic_is_an_invocation_failure_and_the_next_event_is_served() {
        let builds = Arc::new(AtomicUsize::new(0));
        let runner = runner(CountingSetup {
            builds: builds.clone(),
        });
        assert_eq!(
            runner.invoke(event("panic".into(), "r1")).await,
            Err(panic::diagnostic("r1"))
        );
        let next = runner.invoke(event("b".into(), "r2")).await.unwrap();
        assert_eq!(
            (next["build"].clone(), next["cold_start"].clone()),
            (1.into(), false.into())
        );
    }

    /// Answers a panic itself, as an HTTP API does.
    struct Answering;

    impl Setup for Answering {
        type Function = AnsweringFunction;
        async fn build(&self, _: &SdkConfig) -> AnsweringFunction {
            AnsweringFunction
        }
    }

    struct AnsweringFunction;

    impl Function for AnsweringFunction {
        type Event = serde_json::Value;
        type Output = String;
        type Error = String;

        async fn handle(&self, _: serde_json::Value, _: &Invocation) -> Result<String, String> {
            panic!("boom")
        }

        fn on_panic(&self, invocation: &Invocation) -> Option<String> {
            Some(format!("500 for {}", invocation.request_id))
        }
    }

    #[tokio::test]
    async fn on_panic_gives_the_answer_to_a_panicked_invocation() {
        let runner = runner(Answering);
        assert_eq!(
            runner.invoke(event("x".into(), "r7")).await,
            Ok("500 for r7".to_owned())
        );
    }

    #[tokio::test]
    async fn concurrent_first_invocations_share_one_build() {
        let builds = Arc::new(AtomicUsize::new(0));
        let runner = runner(CountingSetup {
            builds: builds.clone(),
        });
        let (a, b) = tokio::join!(
            runner.invoke(event(1.into(), "r1")),
            runner.invoke(event(2.into(), "r2"))
        );
        assert_eq!(
            (a.unwrap()["build"].clone(), b.unwrap()["build"].clone()),
            (1.into(), 1.into())
        );
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }
}
