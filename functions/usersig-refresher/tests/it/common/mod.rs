//! Shared set-up: secrets in moto_server, events from `events/`, a rotator.
#![allow(dead_code)] // each test module uses its own subset

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_secretsmanager::types::RotationRulesType;
use lambda_kit::metrics::{Captured, Metrics};
use tim::Deadline;
use tim::config::Env;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use usersig_refresher::{Config, RotationError, RotationEvent, Rotator, StepReport};

pub const SDKAPPID: u64 = 1_400_000_000;
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
/// No such function in moto (see [`Fixture::start_rotation`]).
pub const ROTATION_LAMBDA_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:usersig-refresher";
pub const NAMESPACE: &str = "TencentChat";
pub const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

pub async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await)
}

pub fn key_json(sdkappid: u64, key: &str) -> String {
    serde_json::json!({"sdkappid": sdkappid, "identifier": "administrator", "key": key, "region": "singapore"}).to_string()
}

/// A UserSig secret value signed with `key`, issued `issued` (unix).
pub fn usersig_json(key: &str, issued: u64, validity: u64) -> String {
    let at = |t: u64| {
        chrono::DateTime::from_timestamp(t as i64, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    UserSigSecret {
        sdkappid: SDKAPPID,
        identifier: "administrator".into(),
        region: tim::Region::Singapore,
        usersig: Signer::new(SDKAPPID, SecretKey::new(key)).sign("administrator", validity, issued),
        issued_at: at(issued),
        expires_at: at(issued + validity),
    }
    .to_json()
}

pub fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

/// A key secret and a UserSig secret in moto. `rotating` starts a rotation
/// the way `aws secretsmanager rotate-secret` does (moto runs no Lambda):
/// rotation enabled, the returned token staged AWSPENDING without a value.
pub struct Fixture {
    pub sm: aws_sdk_secretsmanager::Client,
    pub key_id: String,
    /// The UserSig secret's name (the events name it so).
    pub secret_id: String,
    /// Its full ARN, as DescribeSecret (and Secrets Manager's events) give it.
    pub secret_arn: String,
    pub first_version: String,
    pub token: String,
}

impl Fixture {
    pub async fn new(key_value: Option<&str>, rotating: bool) -> Self {
        let sm = secrets_manager().await;
        let key_id = testkit::unique_name("tencent-chat-key");
        if let Some(value) = key_value {
            sm.create_secret()
                .name(&key_id)
                .secret_string(value)
                .send()
                .await
                .unwrap();
        }
        let secret_id = testkit::unique_name("tencent-chat-usersig");
        let created = sm
            .create_secret()
            .name(&secret_id)
            .secret_string(usersig_json(KEY, now() - 86_400, 30 * 86_400))
            .send()
            .await
            .unwrap();
        let first_version = created.version_id.unwrap();
        let mut fixture = Self {
            sm,
            key_id,
            secret_id,
            secret_arn: created.arn.unwrap(),
            first_version,
            token: String::new(),
        };
        if rotating {
            fixture.token = fixture.start_rotation().await;
        }
        fixture
    }

    /// Starts a rotation as `aws secretsmanager rotate-secret` does on AWS:
    /// rotation enabled (7 days), a fresh token staged AWSPENDING without a
    /// value, the function then invoked step by step (here: by the tests).
    ///
    /// moto can't invoke a Lambda: without a RotationLambdaARN it moves
    /// AWSCURRENT to the new (empty) version at once, which is not what AWS
    /// does; with an ARN it stages the version and enables rotation exactly
    /// like AWS, then fails to find the function and answers
    /// ResourceNotFoundException. The staged state is what the tests need,
    /// so the error is expected and the state is checked instead.
    pub async fn start_rotation(&self) -> String {
        let token = uuid();
        let answer = self
            .sm
            .rotate_secret()
            .secret_id(&self.secret_id)
            .client_request_token(&token)
            .rotation_lambda_arn(ROTATION_LAMBDA_ARN)
            .rotation_rules(
                RotationRulesType::builder()
                    .automatically_after_days(7)
                    .build(),
            )
            .send()
            .await;
        if let Err(e) = answer {
            use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
            assert_eq!(
                e.code(),
                Some("ResourceNotFoundException"),
                "moto's RotateSecret: {e:?}"
            );
        }
        let describe = self
            .sm
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .unwrap();
        assert_eq!(describe.rotation_enabled(), Some(true), "rotation enabled");
        assert_eq!(
            describe
                .version_ids_to_stages()
                .unwrap()
                .get(&token)
                .map(Vec::as_slice),
            Some(&["AWSPENDING".to_owned()][..]),
            "token staged AWSPENDING"
        );
        token
    }

    pub fn config(&self, live_check: bool, endpoint: Option<&str>) -> Config {
        let mut env = vec![
            ("TIM_ROTATION_APPS", SDKAPPID.to_string()),
            (
                "TIM_ROTATION_TARGET_1400000000",
                format!("{}={}", self.secret_id, self.key_id),
            ),
            ("LIVE_CHECK", live_check.to_string()),
        ];
        env.extend(endpoint.map(|e| ("TIM_ENDPOINT", e.to_owned())));
        let mut config = Config::read(&Env::from_pairs(env)).unwrap();
        config.client.retry = tim::RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        };
        config
    }

    pub fn rotator(
        &self,
        live_check: bool,
        endpoint: Option<&str>,
    ) -> Rotator<aws_sdk_secretsmanager::Client> {
        self.rotator_with_metrics(live_check, endpoint).0
    }

    /// A rotator whose EMF documents (namespace [`NAMESPACE`]) are kept.
    pub fn rotator_with_metrics(
        &self,
        live_check: bool,
        endpoint: Option<&str>,
    ) -> (Rotator<aws_sdk_secretsmanager::Client>, Captured) {
        let (metrics, captured) = Metrics::capture(NAMESPACE);
        let rotator = Rotator::new(
            self.sm.clone(),
            self.config(live_check, endpoint),
            reqwest::Client::new(),
            metrics,
        );
        (rotator, captured)
    }

    /// The sample event for `step`, aimed at this fixture's secret and token.
    pub fn event(&self, step: &str) -> RotationEvent {
        self.event_with_token(step, &self.token)
    }

    pub fn event_with_token(&self, step: &str, token: &str) -> RotationEvent {
        let mut event = sample_event(step);
        event.secret_id = self.secret_id.clone();
        event.client_request_token = token.to_owned();
        event
    }

    pub async fn run(
        &self,
        rotator: &Rotator<aws_sdk_secretsmanager::Client>,
        step: &str,
    ) -> Result<StepReport, RotationError> {
        rotator
            .handle(&self.event(step), Deadline::after(Duration::from_secs(20)))
            .await
    }

    /// Version id → sorted stages, versions without a stage left out.
    pub async fn stages(&self) -> BTreeMap<String, Vec<String>> {
        let out = self
            .sm
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .unwrap();
        out.version_ids_to_stages()
            .unwrap()
            .iter()
            .filter(|(_, stages)| !stages.is_empty())
            .map(|(id, stages)| {
                let mut stages = stages.clone();
                stages.sort();
                (id.clone(), stages)
            })
            .collect()
    }

    pub async fn value(&self, stage: &str) -> Option<String> {
        self.sm
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await
            .ok()
            .and_then(|out| out.secret_string)
    }

    pub async fn pending_value(&self) -> Option<String> {
        self.sm
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_id(&self.token)
            .version_stage("AWSPENDING")
            .send()
            .await
            .ok()
            .and_then(|out| out.secret_string)
    }

    /// Everything observable: stages and the value of every staged version.
    pub async fn state(&self) -> (BTreeMap<String, Vec<String>>, Vec<Option<String>>) {
        let stages = self.stages().await;
        let mut values = Vec::new();
        for stage in ["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"] {
            values.push(self.value(stage).await);
        }
        (stages, values)
    }
}

pub fn sample_event(step: &str) -> RotationEvent {
    testkit::event_as("usersig-refresher", step)
}

pub fn uuid() -> String {
    let n = fastrand::u128(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 96) as u32,
        (n >> 80) as u16,
        (n >> 64) as u16 & 0xfff,
        (n >> 48) as u16 & 0xfff,
        n as u64 & 0xffff_ffff_ffff
    )
}
