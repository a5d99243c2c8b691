//! The Lambda wiring, for `lambda_kit::start`: what is read at init, what
//! the first request builds, and how an event reaches [`handle`](crate::handler::handle).

use std::convert::Infallible;

use aws_config::SdkConfig;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_kit::metrics::Metrics;
use lambda_kit::usersig_hours::report_rotated;
use lambda_kit::{Env, Function, Setup, StartupError};
use tim::secrets::CredentialsSource;
use tim::{ClientConfig, OnRateLimit};

use crate::apps::{App, Apps};
use crate::context::CallContext;
use crate::error::ApiError;
use crate::handler::{Answered, answer, error_response};

/// What the environment says, read and checked once at init.
#[derive(Debug)]
pub struct Settings {
    /// `TIM_SDKAPPIDS` and each app's secret: `TIM_USERSIG_SECRET_ID` (the
    /// UserSig secrets' names) or `TIM_KEY_SECRET_ID` (UserSigs signed locally).
    pub credentials: CredentialsSource,
    pub client_config: ClientConfig,
    /// The HTTP client (keep-alive pool) for Tencent.
    pub http: reqwest::Client,
    /// Where the EMF documents go (`METRICS_NAMESPACE`).
    pub metrics: Metrics,
}

impl Settings {
    /// Every variable push-stats reads; the first missing or unusable one
    /// stops the cold start.
    pub fn from_env(env: &Env) -> Result<Self, StartupError> {
        let credentials = CredentialsSource::from_env(env)?;
        let client_config = ClientConfig {
            // Interactive: a rate limit goes back as 429 at once (API
            // Gateway throttles at Tencent's 1/s; the caller waits).
            on_rate_limit: OnRateLimit::ReturnAtOnce,
            ..ClientConfig::from_env(env)?
        };
        Ok(Self {
            credentials,
            http: lambda_kit::http_client(&client_config)?,
            client_config,
            metrics: Metrics::from_env(env)?,
        })
    }
}

/// The deployed function: a Tencent client per app (sharing one HTTP pool),
/// and where the metrics go.
#[derive(Debug)]
pub struct PushStats {
    pub apps: Apps<tim::Client>,
    pub metrics: Metrics,
}

impl Setup for Settings {
    type Function = PushStats;

    /// No network here: each app's secret is read on its first request.
    async fn build(&self, aws: &SdkConfig) -> PushStats {
        let secrets = aws_sdk_secretsmanager::Client::new(aws);
        let configured = self.credentials.apps(&secrets);
        // `UserSigHoursLeft` (dimension: that app's SDKAppID) for every
        // UserSig read from a rotated secret.
        let rotated = self.credentials.usersigs_rotate();
        let providers = configured
            .iter()
            .map(|app| app.credentials.clone())
            .collect();
        let providers = report_rotated(rotated, providers, &self.metrics);
        let apps = configured.iter().zip(providers).map(|(app, provider)| App {
            sdkappid: app.sdkappid,
            source: tim::Client::new(self.http.clone(), self.client_config.clone(), provider),
        });
        PushStats {
            apps: Apps::new(apps.collect()),
            metrics: self.metrics.clone(),
        }
    }
}

impl Function for PushStats {
    type Event = ApiGatewayV2httpRequest;
    type Output = ApiGatewayV2httpResponse;
    /// Every outcome, failures included, is an HTTP answer.
    type Error = Infallible;

    async fn handle(
        &self,
        event: ApiGatewayV2httpRequest,
        invocation: &lambda_kit::Invocation,
    ) -> Result<ApiGatewayV2httpResponse, Infallible> {
        let call = CallContext::from_lambda(invocation);
        let Answered { response, upstream } = answer(&event, &call, &self.apps).await;
        crate::metrics::record(&self.metrics, response.status_code, upstream);
        Ok(response)
    }

    /// A panic is answered like any internal error: the JSON 500 with the
    /// request id (lambda_kit has logged the panic under that id), not
    /// API Gateway's bare 500.
    fn on_panic(&self, invocation: &lambda_kit::Invocation) -> Option<ApiGatewayV2httpResponse> {
        let response = error_response(&ApiError::internal(), &invocation.request_id);
        // Counted like any other answer: a 5xx in the Requests metric.
        crate::metrics::record(&self.metrics, response.status_code, None);
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_answered_with_the_json_500_and_the_request_id() {
        let settings = settings(&[("TIM_SDKAPPIDS", "1400000000")]).unwrap();
        let aws = SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let function = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(settings.build(&aws));
        let invocation = lambda_kit::Invocation {
            request_id: "req-p".into(),
            deadline_ms: 0,
            cold_start: false,
        };
        let response = function.on_panic(&invocation).unwrap();
        assert_eq!(response.status_code, 500);
        let Some(aws_lambda_events::encodings::Body::Text(body)) = response.body else {
            panic!("no text body: {:?}", response.body);
        };
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");
        assert_eq!(body["error"]["request_id"], "req-p");
    }

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, StartupError> {
        Settings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn every_variable_is_read_at_init_and_errors_name_it() {
        let s = settings(&[
            ("TIM_SDKAPPIDS", "1400000001, 1400000002"),
            ("TIM_USERSIG_SECRET_ID", "tencent-chat/{sdkappid}/usersig"),
            ("TIM_ENDPOINT", "http://127.0.0.1:9000"),
            ("TIM_REGION", "tokyo"),
        ])
        .unwrap();
        assert_eq!(s.credentials.sdkappids(), [1_400_000_001, 1_400_000_002]);
        assert!(s.credentials.usersigs_rotate());
        let port = s.client_config.endpoint.as_ref().map(|e| e.primary.port());
        assert_eq!(port, Some(Some(9000)));
        assert_eq!(s.client_config.region, Some(tim::Region::Tokyo));
        assert_eq!(s.client_config.on_rate_limit, OnRateLimit::ReturnAtOnce);
        assert_eq!(s.metrics.namespace(), "TencentChat");
        // The key secret: UserSigs signed locally, not rotated.
        let s = settings(&[("TIM_SDKAPPIDS", "1"), ("TIM_KEY_SECRET_ID", "k")]).unwrap();
        assert!(!s.credentials.usersigs_rotate());

        const IDS: (&str, &str) = ("TIM_SDKAPPIDS", "1");
        for (pairs, variable) in [
            (&[][..], "TIM_SDKAPPIDS"),
            (
                &[IDS, ("TIM_USERSIG_SECRET_ID", "prod/app-1, prod/app-2")][..],
                "TIM_USERSIG_SECRET_ID",
            ),
            (&[IDS, ("TIM_ENDPOINT", "ftp://x")][..], "TIM_ENDPOINT"),
            (&[IDS, ("TIM_REGION", "mars")][..], "TIM_REGION"),
            (
                &[IDS, ("METRICS_NAMESPACE", "AWS/X")][..],
                "METRICS_NAMESPACE",
            ),
        ] {
            match settings(pairs) {
                Err(StartupError::Config(e)) => assert_eq!(e.variable, variable, "{e}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }
}
