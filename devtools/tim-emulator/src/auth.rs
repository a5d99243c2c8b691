//! Apps and who may call them: the UserSig verified with the app's key at
//! the emulator's clock, then the identifier checked against the app's admins.

use std::fmt;

use tim::usersig::{SecretKey, Signer, UserSigError};

use crate::reply::ApiError;

/// Admin identifiers every app accepts unless configured otherwise.
pub const DEFAULT_ADMINS: [&str; 2] = ["administrator", "admin"];

/// One emulated Chat app: its SDKAppID, key and admin accounts.
#[derive(Clone)]
pub struct App {
    signer: Signer,
    admins: Vec<String>,
}

impl App {
    pub fn new(
        sdkappid: u64,
        key: impl Into<String>,
        admins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            signer: Signer::new(sdkappid, SecretKey::new(key)),
            admins: admins.into_iter().map(Into::into).collect(),
        }
    }

    pub fn sdkappid(&self) -> u64 {
        self.signer.sdkappid()
    }

    pub fn admins(&self) -> &[String] {
        &self.admins
    }

    /// Tencent's checks of `usersig` for `identifier` at `now`, as its codes.
    pub fn authenticate(&self, identifier: &str, usersig: &str, now: u64) -> Result<(), ApiError> {
        if usersig.is_empty() {
            return Err(ApiError::new(70002, "UserSig is empty"));
        }
        self.signer
            .verify(usersig, identifier, now)
            .map_err(|err| usersig_error(&err))?;
        if !self.admins.iter().any(|admin| admin == identifier) {
            return Err(ApiError::new(
                60010,
                format!(
                    "identifier {identifier:?} is not an app admin: the request needs app admin permission"
                ),
            ));
        }
        Ok(())
    }
}

/// Tencent's code for each verification failure. The texts never carry the
/// token or the key.
fn usersig_error(err: &UserSigError) -> ApiError {
    let code = match err {
        UserSigError::Expired { .. } => 70001,
        UserSigError::Malformed(_) | UserSigError::Version { .. } => 70003,
        UserSigError::Signature => 70009,
        UserSigError::Identifier { .. } => 70013,
        UserSigError::SdkAppId { .. } => 70014,
    };
    ApiError::new(code, err.to_string())
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signer's Debug redacts the key.
        f.debug_struct("App")
            .field("sdkappid", &self.sdkappid())
            .field("admins", &self.admins)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn app() -> App {
        App::new(1_400_000_000, "key-a", DEFAULT_ADMINS)
    }

    fn code(result: Result<(), ApiError>) -> i64 {
        result.err().map_or(0, |e| e.code)
    }

    #[test]
    fn each_failure_has_its_tencent_code() {
        let good = Signer::new(1_400_000_000, SecretKey::new("key-a"));
        let token = good.sign("admin", 60, NOW);
        assert_eq!(
            code(app().authenticate("admin", token.expose_secret(), NOW)),
            0
        );
        assert_eq!(
            code(app().authenticate("admin", token.expose_secret(), NOW + 61)),
            70001
        );
        assert_eq!(
            code(app().authenticate("administrator", token.expose_secret(), NOW)),
            70013
        );
        assert_eq!(code(app().authenticate("admin", "", NOW)), 70002);
        assert_eq!(code(app().authenticate("admin", "not-a-token", NOW)), 70003);
        let other_key = Signer::new(1_400_000_000, SecretKey::new("key-b")).sign("admin", 60, NOW);
        assert_eq!(
            code(app().authenticate("admin", other_key.expose_secret(), NOW)),
            70009
        );
        let other_app = Signer::new(1_400_000_001, SecretKey::new("key-a")).sign("admin", 60, NOW);
        assert_eq!(
            code(app().authenticate("admin", other_app.expose_secret(), NOW)),
            70014
        );
        let user = good.sign("alice", 60, NOW);
        assert_eq!(
            code(app().authenticate("alice", user.expose_secret(), NOW)),
            60010
        );
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!("{:?}", app()).contains("key-a"));
    }
}
