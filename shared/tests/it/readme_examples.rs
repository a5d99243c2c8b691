//! The examples the crate's README used to carry as doctests, kept as tests
//! (the README now links here): a client against the emulator, the error
//! classes, and configuration from the environment.

use std::sync::Arc;
use std::time::Duration;

use tim::api::appinfo::{AppInfoRequest, OpsValue};
use tim::config::Env;
use tim::usersig::SecretKey;
use tim::{Client, ClientConfig, Deadline, Error, ErrorClass, LocalSigner, Region};
use tim_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn a_client_built_from_the_environment_pulls_from_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(1400000000, "app-key"))
        .await
        .unwrap();
    // In a function: Env::from_process(), read once at cold start.
    let env = Env::from_pairs([("TIM_ENDPOINT", emulator.base_url())]);
    let config = ClientConfig::from_env(&env).unwrap(); // TIM_ENDPOINT, TIM_REGION
    let http = tim::client::try_http_client(&config).unwrap(); // once per process
    let key = SecretKey::new("app-key");
    let creds = Arc::new(LocalSigner::new(1400000000, "administrator", key, None));
    let client = Client::new(http, config, creds);

    // In a handler: Lambda's deadline minus a margin to report a failure.
    let deadline = Deadline::after(Duration::from_secs(10));
    let info = client
        .get_app_info(&AppInfoRequest::only(["ActiveUserNum"]), deadline)
        .await
        .unwrap();
    assert!(!info.days.is_empty());
    assert!(
        info.days
            .iter()
            .all(|day| matches!(day.values.get("ActiveUserNum"), Some(OpsValue::Number(_))))
    );
    emulator.shutdown().await;
}

#[test]
fn errors_are_classified_and_carry_their_hints() {
    let err = Error::Api {
        command: "openconfigsvr/getappinfo".into(),
        code: 60007,
        info: String::new(),
    };
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert_eq!(err.error_type(), "TencentRetryable");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    let err = Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code: 90045,
        info: String::new(),
    };
    match err.class() {
        ErrorClass::Configuration => {
            assert_eq!(err.hint(), Some("push is not enabled for this app"))
        }
        other => panic!("90045 is a configuration error, not {other:?}"),
    }
    assert!(
        ErrorClass::ALL
            .iter()
            .all(|class| class.error_type().starts_with("Tencent"))
    );
}

#[test]
fn configuration_is_read_once_and_errors_name_the_variable() {
    let env = Env::from_pairs([("TIM_REGION", " Tokyo "), ("TIM_ENDPOINT", "")]);
    let config = ClientConfig::from_env(&env).unwrap();
    assert_eq!(config.region, Some(Region::Tokyo));
    assert_eq!(config.endpoint, None); // empty = unset

    let err = ClientConfig::from_env(&Env::from_pairs([("TIM_ENDPOINT", "ftp://x")])).unwrap_err();
    assert_eq!(err.variable, "TIM_ENDPOINT");
}
