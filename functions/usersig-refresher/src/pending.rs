//! Whether a pending value can still become AWSCURRENT under the key secret
//! as it is *now*.
//!
//! createSecret and testSecret both ask. A value that fails can never pass
//! on a retry: Secrets Manager retries a failed rotation with the same
//! token, and a version's value can never change. So it is taken off
//! AWSPENDING (by the caller) and the next rotation starts with a new
//! token, signed under the key as it then is.

use tim::Region;
use tim::secrets::{KeySecret, UserSigSecret};
use tim::usersig::{Signer, UserSigError};

/// Why a pending value is stale. Messages never carry the key or the UserSig.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PendingFault {
    #[error("it is not a UserSig secret: {0}")]
    Malformed(String),

    #[error("it is for SDKAppID {pending}, the key secret for {key}")]
    Sdkappid { pending: u64, key: u64 },

    #[error("it is for identifier {pending:?}, the key secret for {key:?}")]
    Identifier { pending: String, key: String },

    #[error("it is for region {pending}, the key secret for {key}")]
    Region { pending: Region, key: Region },

    #[error("its UserSig does not verify under the key secret: {0}")]
    UserSig(UserSigError),

    #[error("its expires_at differs from the UserSig's own expiry")]
    ExpiresAt,

    #[error(
        "it is valid for {hours_left} more hour(s), less than MIN_VALIDITY_HOURS={minimum_hours}"
    )]
    TooShort { hours_left: u64, minimum_hours: u64 },
}

impl PendingFault {
    /// One stable word: `malformed`, `sdkappid`, `identifier`, `region`,
    /// the UserSig's own reason (`signature`, `expired`, …), `expires_at`,
    /// `too_short`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Sdkappid { .. } => "sdkappid",
            Self::Identifier { .. } => "identifier",
            Self::Region { .. } => "region",
            Self::UserSig(e) => e.reason(),
            Self::ExpiresAt => "expires_at",
            Self::TooShort { .. } => "too_short",
        }
    }
}

/// Checks `text` (a pending version's value) against `key` at `now`:
/// app, account, region, a signature under the key, and at least
/// `min_validity_secs` left. Returns the parsed value.
pub fn check(
    text: &str,
    key: &KeySecret,
    now: u64,
    min_validity_secs: u64,
) -> Result<UserSigSecret, PendingFault> {
    let pending =
        UserSigSecret::from_json(text).map_err(|e| PendingFault::Malformed(e.to_string()))?;
    if pending.sdkappid != key.sdkappid {
        return Err(PendingFault::Sdkappid {
            pending: pending.sdkappid,
            key: key.sdkappid,
        });
    }
    if pending.identifier != key.identifier {
        return Err(PendingFault::Identifier {
            pending: pending.identifier,
            key: key.identifier.clone(),
        });
    }
    // The functions send requests to the secret's region: one the key
    // secret no longer names would be the wrong data centre.
    if pending.region != key.region {
        return Err(PendingFault::Region {
            pending: pending.region,
            key: key.region,
        });
    }
    let claims = Signer::new(key.sdkappid, key.key.clone())
        .verify(pending.usersig.expose_secret(), &key.identifier, now)
        .map_err(PendingFault::UserSig)?;
    if pending.expires_at_unix() != Some(claims.expires_at_unix()) {
        return Err(PendingFault::ExpiresAt);
    }
    let left = claims.expires_at_unix().saturating_sub(now);
    if left < min_validity_secs {
        return Err(PendingFault::TooShort {
            hours_left: left / 3_600,
            minimum_hours: min_validity_secs / 3_600,
        });
    }
    Ok(pending)
}
