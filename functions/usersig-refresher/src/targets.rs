//! Which secrets this function rotates, and with which key secret: one
//! `TIM_ROTATION_TARGET_<id>` pair per app of `TIM_ROTATION_APPS`, read once
//! at init.
//!
//! The refresher signs admin UserSigs, so whoever can make Secrets Manager
//! invoke it for a secret would otherwise obtain a UserSig of any app whose
//! key secret that secret names (a self-made secret tagged with a real
//! app's key secret). So the stack hands it the exact UserSig secrets, each
//! paired with its key secret, and every step refuses any other secret
//! before it reads a key or writes anything.
//!
//! The UserSig side is a full ARN (`arn:…:secret:NAME-AbCdEf`) or a plain
//! name: a rotated secret matches an ARN when DescribeSecret's `ARN` is it
//! exactly, a name when its `Name` is (unique per account and region). The
//! key side is passed to GetSecretValue as given.

use crate::store::SecretMetadata;

/// The length of the `-AbCdEf` Secrets Manager appends to a name in an ARN.
const ARN_SUFFIX_LEN: usize = 7;

/// One UserSig secret this function serves, its app's key secret, and the
/// app the stack names the pair for (a key secret of another app is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationTarget {
    /// A full ARN or a name, as configured.
    pub usersig: String,
    /// The key secret's name or ARN, as configured (given to GetSecretValue).
    pub key_secret_id: String,
    pub sdkappid: u64,
}

impl RotationTarget {
    /// `<UserSig secret>=<key secret>` (sides trimmed) for app `sdkappid`.
    /// The error is the problem, without the variable's name.
    pub fn parse(sdkappid: u64, pair: &str) -> Result<Self, String> {
        if pair.contains(',') {
            return Err(format!("{pair:?} holds more than one pair"));
        }
        let sides = pair.split_once('=').map(|(u, k)| (u.trim(), k.trim()));
        let one_each = |(u, k): &(&str, &str)| !u.is_empty() && !k.is_empty() && !k.contains('=');
        let Some((usersig, key)) = sides.filter(one_each) else {
            return Err(format!(
                "{pair:?} needs one UserSig secret and one key secret: <UserSig secret ARN or name>=<key secret ARN or name>"
            ));
        };
        if usersig.starts_with("arn:") && arn_resource(usersig).and_then(strip_arn_suffix).is_none()
        {
            return Err(format!(
                "{usersig:?} is not a full secret ARN (arn:…:secret:NAME-XXXXXX); give the full ARN or the plain name"
            ));
        }
        let (usersig, key_secret_id) = (usersig.to_owned(), key.to_owned());
        Ok(Self {
            usersig,
            key_secret_id,
            sdkappid,
        })
    }

    /// The authoritative test, on what DescribeSecret says.
    pub fn is(&self, metadata: &SecretMetadata) -> bool {
        let described = if self.usersig.starts_with("arn:") {
            &metadata.arn
        } else {
            &metadata.name
        };
        described.as_deref() == Some(self.usersig.as_str())
    }

    /// The secret's name: the name itself, or an ARN's without its suffix.
    pub fn name(&self) -> &str {
        let name = arn_resource(&self.usersig).and_then(strip_arn_suffix);
        name.unwrap_or(&self.usersig)
    }

    /// Whether an event's `SecretId` could name this secret: a cheap
    /// pre-check, so an event for a stranger's ARN is refused without any
    /// call; a `true` is always confirmed by [`RotationTarget::is`]. A name
    /// only DescribeSecret can tell; a full ARN ends in `NAME-AbCdEf`, a
    /// partial one in `NAME`.
    pub fn may_be(&self, secret_id: &str) -> bool {
        arn_resource(secret_id).is_none_or(|resource| {
            resource == self.name() || strip_arn_suffix(resource) == Some(self.name())
        })
    }
}

/// `NAME-AbCdEf` of a full secret ARN `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf`.
fn arn_resource(id: &str) -> Option<&str> {
    let (_, resource) = id.strip_prefix("arn:")?.split_once(":secret:")?;
    Some(resource)
}

fn strip_arn_suffix(resource: &str) -> Option<&str> {
    let cut = resource.len().checked_sub(ARN_SUFFIX_LEN)?;
    let random = resource.get(cut..)?.strip_prefix('-')?;
    let random_ok = random.bytes().all(|b| b.is_ascii_alphanumeric());
    resource.get(..cut).filter(|_| random_ok)
}

#[cfg(test)]
mod tests;
