//! Which secrets this function rotates, and with which key secret:
//! `TIM_ROTATION_TARGETS`, read once at init.
//!
//! The refresher signs admin UserSigs, so whoever can make Secrets Manager
//! invoke it for a secret would otherwise obtain a UserSig of any app whose
//! key secret that secret names (issue 18 §1: a self-made secret tagged with
//! a real app's key secret). So the stack hands it the exact list of its
//! UserSig secrets, each paired with its key secret, and every step refuses
//! any other secret before it reads a key or writes anything.
//!
//! Each side of a pair is a full ARN (`arn:…:secret:NAME-AbCdEf`, what
//! CloudFormation's `Ref` of a secret gives) or a plain name
//! (`tencent-chat/1400000001/usersig`). A rotated secret matches an ARN
//! entry when its ARN (from DescribeSecret) is that ARN exactly, and a name
//! entry when its `Name` is that name exactly (names are unique per account
//! and region). The key side is passed to GetSecretValue as given.

use std::collections::BTreeSet;

use crate::store::SecretMetadata;

pub const ROTATION_TARGETS_ENV: &str = "TIM_ROTATION_TARGETS";

/// The length of the `-AbCdEf` Secrets Manager appends to a name in an ARN.
const ARN_SUFFIX_LEN: usize = 7;

/// How a configured UserSig secret is named.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretRef {
    /// A full ARN: the rotated secret's ARN must equal it.
    Arn(String),
    /// A secret name: the rotated secret's `Name` must equal it.
    Name(String),
}

impl SecretRef {
    fn parse(text: &str) -> Self {
        if text.starts_with("arn:") {
            Self::Arn(text.to_owned())
        } else {
            Self::Name(text.to_owned())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Arn(s) | Self::Name(s) => s,
        }
    }

    /// The authoritative test, on what DescribeSecret says.
    fn is(&self, metadata: &SecretMetadata) -> bool {
        let described = match self {
            Self::Arn(_) => metadata.arn.as_deref(),
            Self::Name(_) => metadata.name.as_deref(),
        };
        described == Some(self.as_str())
    }

    /// The secret's name: the name itself, or an ARN's without its suffix.
    fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            Self::Arn(arn) => arn_resource(arn).and_then(strip_arn_suffix).unwrap_or(arn),
        }
    }

    /// Whether an event's `SecretId` could name this secret. Only a cheap
    /// pre-check (so an event for a stranger's ARN is refused without any
    /// call, even where the role may not describe it): a `true` is always
    /// confirmed by [`SecretRef::is`].
    fn may_be(&self, secret_id: &str) -> bool {
        let Some(resource) = arn_resource(secret_id) else {
            // A name (or something else): only DescribeSecret can tell.
            return true;
        };
        // A full ARN ends in `NAME-AbCdEf`, a partial one in `NAME`.
        let name = self.name();
        resource == name || strip_arn_suffix(resource) == Some(name)
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `NAME-AbCdEf` of a full secret ARN `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf`.
fn arn_resource(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("arn:")?;
    let (_, resource) = rest.split_once(":secret:")?;
    Some(resource)
}

fn strip_arn_suffix(resource: &str) -> Option<&str> {
    let cut = resource.len().checked_sub(ARN_SUFFIX_LEN)?;
    let (name, suffix) = (resource.get(..cut)?, resource.get(cut..)?);
    let random = suffix.strip_prefix('-')?;
    let random_ok = random.bytes().all(|b| b.is_ascii_alphanumeric());
    random_ok.then_some(name)
}

/// One UserSig secret this function serves, and its app's key secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationTarget {
    pub usersig: SecretRef,
    /// The key secret's name or ARN, as configured (given to GetSecretValue).
    pub key_secret_id: String,
    /// The SDKAppID the stack names the pair for (`TIM_ROTATION_TARGET_<id>`):
    /// a key secret of any other app is refused.
    pub sdkappid: Option<u64>,
}

/// `TIM_ROTATION_TARGETS`, parsed: at least one pair, no UserSig secret twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationTargets(Vec<RotationTarget>);

impl RotationTargets {
    /// `usersig=key,usersig=key,…` (items and sides trimmed). The error is
    /// the problem (without the variable's name, which the caller adds).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut targets = Vec::new();
        let mut seen = BTreeSet::new();
        for (index, item) in text.split(',').map(str::trim).enumerate() {
            let position = index + 1;
            if item.is_empty() {
                return Err(format!("entry {position} is empty (a stray comma?)"));
            }
            let Some((usersig, key)) = item.split_once('=') else {
                return Err(format!(
                    "entry {position} ({item:?}) has no `=`: expected <UserSig secret ARN or name>=<key secret ARN or name>"
                ));
            };
            let (usersig, key) = (usersig.trim(), key.trim());
            if usersig.is_empty() || key.is_empty() || key.contains('=') {
                return Err(format!(
                    "entry {position} ({item:?}) needs one UserSig secret and one key secret: <UserSig secret>=<key secret>"
                ));
            }
            let usersig = SecretRef::parse(usersig);
            if let SecretRef::Arn(arn) = &usersig
                && arn_resource(arn).is_none_or(|r| strip_arn_suffix(r).is_none())
            {
                return Err(format!(
                    "entry {position}: {arn:?} is not a full secret ARN (arn:…:secret:NAME-XXXXXX); give the full ARN or the plain name"
                ));
            }
            // An ARN and the name of the same secret are the same entry.
            if !seen.insert(usersig.name().to_owned()) {
                return Err(format!(
                    "entry {position}: UserSig secret {usersig} is listed twice"
                ));
            }
            targets.push(RotationTarget {
                usersig,
                key_secret_id: key.to_owned(),
                sdkappid: None,
            });
        }
        Ok(Self(targets))
    }

    pub fn targets(&self) -> &[RotationTarget] {
        &self.0
    }

    /// Whether an event for `secret_id` may be for one of these secrets
    /// (before any call; see [`SecretRef::may_be`]).
    pub fn may_serve(&self, secret_id: &str) -> bool {
        self.0.iter().any(|t| t.usersig.may_be(secret_id))
    }

    /// The key secret of the described secret, `None` when it is not one of
    /// these.
    pub fn key_for(&self, metadata: &SecretMetadata) -> Option<&str> {
        self.target_for(metadata).map(|t| t.key_secret_id.as_str())
    }

    /// The pair of the described secret, `None` when it is not one of these.
    pub fn target_for(&self, metadata: &SecretMetadata) -> Option<&RotationTarget> {
        self.0.iter().find(|t| t.usersig.is(metadata))
    }

    /// Names the app of each pair, in order (the stack's per-app form).
    pub(crate) fn for_apps(mut self, sdkappids: &[u64]) -> Self {
        for (target, id) in self.0.iter_mut().zip(sdkappids) {
            target.sdkappid = Some(*id);
        }
        self
    }
}

#[cfg(test)]
mod tests;
