//! The apps' UserSig secrets in moto_server, in the shape usersig-refresher
//! writes (`tim::secrets::UserSigSecret`), and how fast moto serves them.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tim::Region;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};

/// The admin every secret is signed for.
pub const ADMIN: &str = "administrator";
const VALIDITY_SECS: u64 = 30 * 86_400;
/// Requests to moto at once while creating (it serves one at a time anyway).
const CONCURRENCY: usize = 8;

/// The emulator's key of app `sdkappid` (demo keys only).
pub fn key_of(sdkappid: u64) -> String {
    format!("scale-bench-key-{sdkappid}")
}

fn rfc3339(unix: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(unix).unwrap_or(i64::MAX), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A fresh 30-day UserSig secret of `sdkappid`, signed now.
pub fn secret_of(sdkappid: u64, now: u64) -> UserSigSecret {
    let usersig =
        Signer::new(sdkappid, SecretKey::new(key_of(sdkappid))).sign(ADMIN, VALIDITY_SECS, now);
    UserSigSecret {
        sdkappid,
        identifier: ADMIN.into(),
        region: Region::Singapore,
        usersig,
        issued_at: rfc3339(now),
        expires_at: rfc3339(now + VALIDITY_SECS),
    }
}

/// Creates one secret per app, named by `pattern` (`{sdkappid}` standing
/// for the id); returns their names, in the apps' order.
pub async fn create(
    client: &aws_sdk_secretsmanager::Client,
    pattern: &str,
    sdkappids: &[u64],
) -> Result<Vec<String>, String> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let created: Vec<Result<String, String>> = futures::stream::iter(sdkappids.iter().copied())
        .map(|sdkappid| async move {
            let name = pattern.replace("{sdkappid}", &sdkappid.to_string());
            client
                .create_secret()
                .name(&name)
                .secret_string(secret_of(sdkappid, now).to_json())
                .send()
                .await
                .map(|_| name)
                .map_err(|e| {
                    format!(
                        "CreateSecret for app {sdkappid}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                    )
                })
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    created.into_iter().collect()
}

/// Time for moto to answer GetSecretValue for every secret at once, as a
/// run's first calls do.
pub async fn probe_reads(
    client: &aws_sdk_secretsmanager::Client,
    names: &[String],
) -> Result<Duration, String> {
    let started = Instant::now();
    let reads = futures::future::join_all(
        names
            .iter()
            .map(|name| client.get_secret_value().secret_id(name).send()),
    )
    .await;
    for read in reads {
        read.map_err(|e| {
            format!(
                "GetSecretValue: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            )
        })?;
    }
    Ok(started.elapsed())
}
