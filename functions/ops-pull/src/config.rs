//! The function's own configuration (Tencent's is read by
//! `tim::ClientConfig::from_env` and `tim::secrets::CredentialsSource::from_env`),
//! read once at init through the shared layer, `tim::config::Env`.

use tim::config::{ConfigError, Env};

use crate::archive::layout::{DEFAULT_PREFIX, Layout};
use crate::tencent::push_history::{self, PushHistory};

pub const BUCKET_ENV: &str = "OPS_BUCKET";
pub const PREFIX_ENV: &str = "OPS_PREFIX";
/// Days of push statistics re-pulled each run (0 switches it off).
pub const PUSH_DAYS_ENV: &str = "PUSH_ARCHIVE_DAYS";
/// The AWS SDK's S3-only endpoint override; with it the archive is
/// addressed path-style (see [`s3_client`]).
pub const S3_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_S3";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsConfig {
    pub bucket: String,
    pub layout: Layout,
    pub push_history: PushHistory,
    /// `AWS_ENDPOINT_URL_S3` is set (moto, a local S3).
    pub s3_endpoint_override: bool,
}

impl OpsConfig {
    /// Reads `OPS_BUCKET` (required), `OPS_PREFIX`, `PUSH_ARCHIVE_DAYS` and whether
    /// `AWS_ENDPOINT_URL_S3` is set.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let what = "the name of the S3 bucket that receives the archive";
        let bucket = env.required(BUCKET_ENV, what)?;
        if !is_bucket_name(&bucket) {
            let problem = "is not a bucket name (give the bare name, not an ARN or s3:// URL)";
            return Err(ConfigError::new(
                BUCKET_ENV,
                format!("{bucket:?} {problem}"),
            ));
        }
        // Unset or empty: the default. `/` is the bucket root.
        let prefix = env.get(PREFIX_ENV);
        let days = env
            .parse_with(PUSH_DAYS_ENV, |text| match text.parse::<u32>() {
                Ok(days) if days <= push_history::MAX_DAYS => Ok(days),
                _ => Err(format!(
                    "{text:?} is not a number of days from 0 (off) to {} (Tencent keeps 30; the days at its edge may be partial)",
                    push_history::MAX_DAYS
                )),
            })?
            .unwrap_or(push_history::DEFAULT_DAYS);
        Ok(Self {
            bucket,
            layout: Layout::new(prefix.as_deref().unwrap_or(DEFAULT_PREFIX)),
            push_history: PushHistory::of_days(days),
            s3_endpoint_override: env.get(S3_ENDPOINT_ENV).is_some(),
        })
    }
}

/// S3's bucket naming rules, loosely: 3–63 of `a-z 0-9 . -`.
fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// The S3 client for the archive. Path-style addressing whenever an
/// endpoint override is configured (`AWS_ENDPOINT_URL`, which the SDK
/// config carries, or `s3_endpoint_override`: moto, local S3), because
/// `bucket.localhost` does not resolve.
pub fn s3_client(
    sdk_config: &aws_config::SdkConfig,
    s3_endpoint_override: bool,
) -> aws_sdk_s3::Client {
    let path_style = s3_endpoint_override || sdk_config.endpoint_url().is_some();
    let config = aws_sdk_s3::config::Builder::from(sdk_config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<OpsConfig, ConfigError> {
        OpsConfig::read(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn bucket_is_required_and_named_in_the_error() {
        for missing in [&[][..], &[(BUCKET_ENV, " ")][..]] {
            let err = read(missing).unwrap_err();
            assert_eq!(err.variable, BUCKET_ENV);
            assert_eq!(
                err.to_string(),
                "OPS_BUCKET: required: the name of the S3 bucket that receives the archive"
            );
        }
        let err = read(&[(BUCKET_ENV, "s3://my-bucket")]).unwrap_err();
        assert_eq!(err.variable, BUCKET_ENV);
        assert!(err.to_string().contains("is not a bucket name"), "{err}");
        assert!(read(&[(BUCKET_ENV, "arn:aws:s3:::my-bucket")]).is_err());
    }

    /// (How a prefix is normalised: `archive::layout`.)
    #[test]
    fn prefix_defaults_and_an_s3_endpoint_override_is_noticed() {
        let config = read(&[(BUCKET_ENV, " ops-archive ")]).unwrap();
        assert_eq!(config.bucket, "ops-archive");
        assert_eq!(config.layout.prefix(), "tencent-chat/operations");
        assert!(!config.s3_endpoint_override);
        let config = read(&[
            (BUCKET_ENV, "ops-archive"),
            (PREFIX_ENV, "/a/b/"),
            (S3_ENDPOINT_ENV, "http://127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(config.layout.prefix(), "a/b");
        assert!(config.s3_endpoint_override);
    }

    #[test]
    fn push_archive_days_default_to_seven_and_zero_is_off() {
        let days = |value: &str| {
            read(&[(BUCKET_ENV, "b-1"), (PUSH_DAYS_ENV, value)]).map(|c| c.push_history.days)
        };
        assert_eq!(read(&[(BUCKET_ENV, "b-1")]).unwrap().push_history.days, 7);
        assert_eq!(days("").unwrap(), 7);
        assert_eq!(days("0").unwrap(), 0);
        assert_eq!(days(" 28 ").unwrap(), 28);
        // Not the days at the edge of Tencent's 30: they may be partial.
        for bad in ["29", "30", "31", "-1", "seven", "1.5"] {
            let err = days(bad).unwrap_err();
            assert_eq!(err.variable, PUSH_DAYS_ENV, "{bad}");
            assert!(err.to_string().contains("0 (off) to 28"), "{err}");
        }
    }
}
