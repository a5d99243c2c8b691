//! The function's own configuration (Tencent's is read by
//! `tim::ClientConfig::from_env` and `tim::secrets::CredentialsSource::from_env`).

use crate::archive::{DEFAULT_PREFIX, Layout};

pub const BUCKET_ENV: &str = "OPS_BUCKET";
pub const PREFIX_ENV: &str = "OPS_PREFIX";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsConfig {
    pub bucket: String,
    pub layout: Layout,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("OPS_BUCKET is not set: name the S3 bucket that receives the archive")]
    MissingBucket,
    #[error("OPS_BUCKET={0:?} is not a bucket name (give the bare name, not an ARN or s3:// URL)")]
    InvalidBucket(String),
}

impl OpsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable lookup (tests pass a map).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bucket = var(BUCKET_ENV)
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .ok_or(ConfigError::MissingBucket)?;
        if !is_bucket_name(&bucket) {
            return Err(ConfigError::InvalidBucket(bucket));
        }
        let prefix = var(PREFIX_ENV).unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        Ok(Self {
            bucket,
            layout: Layout::new(&prefix),
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

/// The S3 client for the archive. Path-style addressing whenever an endpoint
/// override is configured (moto, local S3): `bucket.localhost` does not resolve.
pub fn s3_client(sdk_config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let endpoint_override = sdk_config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
    let config = aws_sdk_s3::config::Builder::from(sdk_config)
        .force_path_style(endpoint_override)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn bucket_is_required_and_named_in_the_error() {
        let err = OpsConfig::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err, ConfigError::MissingBucket);
        assert!(err.to_string().contains("OPS_BUCKET"));
        assert_eq!(
            OpsConfig::from_lookup(lookup(&[("OPS_BUCKET", " ")])).unwrap_err(),
            ConfigError::MissingBucket
        );
        let err = OpsConfig::from_lookup(lookup(&[("OPS_BUCKET", "s3://my-bucket")])).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidBucket(_)), "{err:?}");
    }

    #[test]
    fn prefix_defaults_and_is_normalised() {
        let config = OpsConfig::from_lookup(lookup(&[("OPS_BUCKET", "ops-archive")])).unwrap();
        assert_eq!(config.bucket, "ops-archive");
        assert_eq!(config.layout.prefix(), "tencent-chat/operations");
        let config = OpsConfig::from_lookup(lookup(&[
            ("OPS_BUCKET", "ops-archive"),
            ("OPS_PREFIX", "/a/b/"),
        ]))
        .unwrap();
        assert_eq!(config.layout.prefix(), "a/b");
    }
}
