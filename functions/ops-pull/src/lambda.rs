//! The Lambda wiring, for `lambda_kit::start`: what is read at init (the
//! function's own variables here; Tencent's by `tim::ClientConfig::from_env`
//! and `tim::secrets::CredentialsSource::from_env`, all through the shared
//! layer, `tim::config::Env`), what the first invocation builds, and how an
//! event reaches [`OpsPull::handle`].

use aws_config::SdkConfig;
use aws_sdk_s3::config::Builder;
use lambda_kit::metrics::Metrics;
use lambda_kit::usersig_hours::report_rotated;
use lambda_kit::{ConfigError, Env, Function, Invocation, Setup, StartupError};
use serde_json::Value;
use tim::ClientConfig;
use tim::secrets::CredentialsSource;

use crate::archive::layout::{DEFAULT_PREFIX, Layout};
use crate::tencent::push_history::{DEFAULT_DAYS, MAX_DAYS, PushHistory};
use crate::{App, Deadlines, OpsPull, RunError, RunSummary, S3Store, TencentApp};

/// What the environment says, read and checked once at init.
#[derive(Debug)]
pub struct Settings {
    /// `OPS_BUCKET`: the bucket that receives the archive.
    pub bucket: String,
    /// Its keys, under `OPS_PREFIX`.
    pub layout: Layout,
    /// `PUSH_ARCHIVE_DAYS`: days of push statistics re-pulled each run (0
    /// switches it off).
    pub push_history: PushHistory,
    /// `AWS_ENDPOINT_URL_S3` (the AWS SDK's S3-only endpoint override: moto,
    /// a local S3) is set: the archive is addressed path-style (see
    /// [`s3_client`]).
    pub s3_endpoint_override: bool,
    pub credentials: CredentialsSource,
    pub client_config: ClientConfig,
    /// One HTTP client (connection pool) for every app's Tencent calls.
    pub http: reqwest::Client,
    /// EMF documents to stdout, namespace from `METRICS_NAMESPACE`.
    pub metrics: Metrics,
}

impl Settings {
    /// Every variable ops-pull reads; the first missing or unusable one
    /// stops the cold start.
    pub fn from_env(env: &Env) -> Result<Self, StartupError> {
        let client_config = ClientConfig::from_env(env)?;
        let what = "the name of the S3 bucket that receives the archive";
        let bucket = env.required("OPS_BUCKET", what)?;
        // S3's bucket naming rules, loosely: 3–63 of `a-z 0-9 . -`.
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b);
        if !(3..=63).contains(&bucket.len()) || !bucket.bytes().all(allowed) {
            let problem = "is not a bucket name (give the bare name, not an ARN or s3:// URL)";
            let problem = format!("{bucket:?} {problem}");
            return Err(ConfigError::new("OPS_BUCKET", problem).into());
        }
        let days = env.parse_with("PUSH_ARCHIVE_DAYS", |text| match text.parse::<u32>() {
            Ok(days) if days <= MAX_DAYS => Ok(days),
            _ => Err(format!(
                "{text:?} is not a number of days from 0 (off) to {MAX_DAYS} (Tencent keeps 30; the days at its edge may be partial)"
            )),
        })?;
        let days = days.unwrap_or(DEFAULT_DAYS);
        Ok(Self {
            bucket,
            // Unset or empty: the default. `/` is the bucket root.
            layout: Layout::new(env.get("OPS_PREFIX").as_deref().unwrap_or(DEFAULT_PREFIX)),
            push_history: PushHistory { days },
            s3_endpoint_override: env.get("AWS_ENDPOINT_URL_S3").is_some(),
            credentials: CredentialsSource::from_env(env)?,
            http: lambda_kit::http_client(&client_config)?,
            client_config,
            metrics: Metrics::from_env(env)?,
        })
    }
}

impl Setup for Settings {
    /// The deployed function: the real Tencent client and S3.
    type Function = OpsPull<TencentApp, S3Store>;

    /// One client per app, sharing the HTTP pool; the S3 store. No network
    /// here: the secrets are read on first use.
    async fn build(&self, aws: &SdkConfig) -> Self::Function {
        let secrets = aws_sdk_secretsmanager::Client::new(aws);
        let configured = self.credentials.apps(&secrets);
        let providers = configured.iter().map(|a| a.credentials.clone()).collect();
        let rotated = self.credentials.usersigs_rotate();
        let providers = report_rotated(rotated, providers, &self.metrics);
        // Each app is named in reports by the secret it comes from.
        let apps = configured.iter().zip(providers).map(|(app, provider)| App {
            name: app.secret_id.clone(),
            sdkappid: app.sdkappid,
            source: TencentApp {
                client: tim::Client::new(self.http.clone(), self.client_config.clone(), provider),
                secret: Some((secrets.clone(), app.secret_id.clone())),
            },
        });
        let client = s3_client(aws, self.s3_endpoint_override);
        OpsPull {
            apps: apps.collect(),
            store: S3Store::new(client, self.bucket.clone()),
            layout: self.layout.clone(),
            push: self.push_history,
            metrics: self.metrics.clone(),
        }
    }
}

impl Function for OpsPull<TencentApp, S3Store> {
    type Event = Value;
    type Output = RunSummary;
    type Error = RunError;

    async fn handle(&self, event: Value, invocation: &Invocation) -> Result<RunSummary, RunError> {
        let deadlines = Deadlines::within(invocation.time_left());
        // The inherent `OpsPull::handle` (it takes the request id).
        self.handle(event, deadlines, Some(&invocation.request_id))
            .await
    }
}

/// The S3 client for the archive. Path-style addressing whenever an
/// endpoint override is configured (`AWS_ENDPOINT_URL`, which the SDK
/// config carries, or `s3_endpoint_override`: moto, local S3), because
/// `bucket.localhost` does not resolve.
pub fn s3_client(aws: &SdkConfig, s3_endpoint_override: bool) -> aws_sdk_s3::Client {
    let path_style = s3_endpoint_override || aws.endpoint_url().is_some();
    let config = Builder::from(aws).force_path_style(path_style).build();
    aws_sdk_s3::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, StartupError> {
        Settings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    const BASE: [(&str, &str); 2] = [
        ("OPS_BUCKET", "ops-archive"),
        ("TIM_SDKAPPIDS", "1400000001, 1400000002"),
    ];

    /// OPS_* and PUSH_ARCHIVE_DAYS errors: the tests below.
    #[test]
    fn every_variable_is_read_at_init_and_errors_name_it() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("OPS_PREFIX", "ops"),
            ("TIM_ENDPOINT", "http://127.0.0.1:9000"),
            ("TIM_REGION", "seoul"),
            ("METRICS_NAMESPACE", "Chat/Test"),
            ("PUSH_ARCHIVE_DAYS", "3"),
        ]);
        let s = settings(&pairs).unwrap();
        assert_eq!(s.bucket, "ops-archive");
        assert_eq!(s.layout.prefix(), "ops");
        assert_eq!(s.credentials.sdkappids(), [1_400_000_001, 1_400_000_002]);
        let endpoint = s.client_config.endpoint.as_ref().map(|e| e.primary.port());
        assert_eq!(endpoint, Some(Some(9000)));
        assert_eq!(s.client_config.region, Some(tim::Region::Seoul));
        assert_eq!(s.metrics.namespace(), "Chat/Test");
        assert_eq!(s.push_history.days, 3);

        for (change, variable) in [
            (("TIM_SDKAPPIDS", " "), "TIM_SDKAPPIDS"),
            (
                ("TIM_USERSIG_SECRET_ID", "prod/app-1,prod/app-2"),
                "TIM_USERSIG_SECRET_ID",
            ),
            (("TIM_ENDPOINT", "ftp://x"), "TIM_ENDPOINT"),
            (("TIM_REGION", "mars"), "TIM_REGION"),
            (("METRICS_NAMESPACE", "AWS/Lambda"), "METRICS_NAMESPACE"),
        ] {
            let mut pairs: Vec<_> = BASE
                .iter()
                .filter(|(k, _)| *k != change.0)
                .copied()
                .collect();
            pairs.push(change);
            match settings(&pairs) {
                Err(StartupError::Config(e)) => assert_eq!(e.variable, variable, "{e}"),
                other => panic!("{change:?}: {other:?}"),
            }
        }
    }

    /// `settings` with an app configured; a configuration error as such.
    fn read(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let app = ("TIM_SDKAPPIDS", "1400000001");
        settings(&[&[app], pairs].concat()).map_err(|e| match e {
            StartupError::Config(e) => e,
            other => panic!("{other}"),
        })
    }

    #[test]
    fn bucket_is_required_and_named_in_the_error() {
        for missing in [&[][..], &[("OPS_BUCKET", " ")][..]] {
            let err = read(missing).unwrap_err();
            assert_eq!(err.variable, "OPS_BUCKET");
            assert_eq!(
                err.to_string(),
                "OPS_BUCKET: required: the name of the S3 bucket that receives the archive"
            );
        }
        let err = read(&[("OPS_BUCKET", "s3://my-bucket")]).unwrap_err();
        assert_eq!(err.variable, "OPS_BUCKET");
        assert!(err.to_string().contains("is not a bucket name"), "{err}");
        assert!(read(&[("OPS_BUCKET", "arn:aws:s3:::my-bucket")]).is_err());
    }

    /// (How a prefix is normalised: `archive::layout`.)
    #[test]
    fn prefix_defaults_and_an_s3_endpoint_override_is_noticed() {
        let config = read(&[("OPS_BUCKET", " ops-archive ")]).unwrap();
        assert_eq!(config.bucket, "ops-archive");
        assert_eq!(config.layout.prefix(), "tencent-chat/operations");
        assert!(!config.s3_endpoint_override);
        let config = read(&[
            ("OPS_BUCKET", "ops-archive"),
            ("OPS_PREFIX", "/a/b/"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(config.layout.prefix(), "a/b");
        assert!(config.s3_endpoint_override);
    }

    #[test]
    fn push_archive_days_default_to_seven_and_zero_is_off() {
        let days = |value: &str| {
            read(&[("OPS_BUCKET", "b-1"), ("PUSH_ARCHIVE_DAYS", value)])
                .map(|c| c.push_history.days)
        };
        assert_eq!(read(&[("OPS_BUCKET", "b-1")]).unwrap().push_history.days, 7);
        assert_eq!(days("").unwrap(), 7);
        assert_eq!(days("0").unwrap(), 0);
        assert_eq!(days(" 28 ").unwrap(), 28);
        // Not the days at the edge of Tencent's 30: they may be partial.
        for bad in ["29", "30", "31", "-1", "seven", "1.5"] {
            let err = days(bad).unwrap_err();
            assert_eq!(err.variable, "PUSH_ARCHIVE_DAYS", "{bad}");
            assert!(err.to_string().contains("0 (off) to 28"), "{err}");
        }
    }
}
