//! The function's own configuration (Tencent's is read by
//! `tim::ClientConfig::from_env` and `tim::secrets::CredentialsSource::from_env`),
//! read once at init through the shared layer, `tim::config::Env`.

use aws_sdk_s3::config::Builder;
use tim::config::{ConfigError, Env};

use crate::archive::layout::{DEFAULT_PREFIX, Layout};
use crate::tencent::push_history::{DEFAULT_DAYS, MAX_DAYS, PushHistory};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsConfig {
    pub bucket: String,
    pub layout: Layout,
    pub push_history: PushHistory,
    /// `AWS_ENDPOINT_URL_S3` (the AWS SDK's S3-only endpoint override: moto,
    /// a local S3) is set: the archive is addressed path-style (see
    /// [`s3_client`]).
    pub s3_endpoint_override: bool,
}

impl OpsConfig {
    /// Reads `OPS_BUCKET` (required), `OPS_PREFIX`, `PUSH_ARCHIVE_DAYS` (days
    /// of push statistics re-pulled each run, 0 switches it off) and whether
    /// `AWS_ENDPOINT_URL_S3` is set.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let what = "the name of the S3 bucket that receives the archive";
        let bucket = env.required("OPS_BUCKET", what)?;
        // S3's bucket naming rules, loosely: 3–63 of `a-z 0-9 . -`.
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b);
        if !(3..=63).contains(&bucket.len()) || !bucket.bytes().all(allowed) {
            let problem = "is not a bucket name (give the bare name, not an ARN or s3:// URL)";
            let problem = format!("{bucket:?} {problem}");
            return Err(ConfigError::new("OPS_BUCKET", problem));
        }
        let days = env.parse_with("PUSH_ARCHIVE_DAYS", |text| match text.parse::<u32>() {
            Ok(days) if days <= MAX_DAYS => Ok(days),
            _ => Err(format!(
                "{text:?} is not a number of days from 0 (off) to {MAX_DAYS} (Tencent keeps 30; the days at its edge may be partial)"
            )),
        })?;
        Ok(Self {
            bucket,
            // Unset or empty: the default. `/` is the bucket root.
            layout: Layout::new(env.get("OPS_PREFIX").as_deref().unwrap_or(DEFAULT_PREFIX)),
            push_history: PushHistory::of_days(days.unwrap_or(DEFAULT_DAYS)),
            s3_endpoint_override: env.get("AWS_ENDPOINT_URL_S3").is_some(),
        })
    }
}

/// The S3 client for the archive. Path-style addressing whenever an
/// endpoint override is configured (`AWS_ENDPOINT_URL`, which the SDK
/// config carries, or `s3_endpoint_override`: moto, local S3), because
/// `bucket.localhost` does not resolve.
pub fn s3_client(aws: &aws_config::SdkConfig, s3_endpoint_override: bool) -> aws_sdk_s3::Client {
    let path_style = s3_endpoint_override || aws.endpoint_url().is_some();
    let config = Builder::from(aws).force_path_style(path_style).build();
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
