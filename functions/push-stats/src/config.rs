//! Configuration read once at cold start; every failure names the variable.

use std::sync::Arc;

use tim::CredentialsProvider;

/// Why the function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Setting(#[from] tim::config::ConfigError),
    #[error(
        "TIM_USERSIG_SECRET_ID names {0} secrets, but push-stats serves exactly one app: deploy one \
         push-stats per app, each with one secret id"
    )]
    SeveralApps(usize),
    #[error("TIM_USERSIG_SECRET_ID / TIM_KEY_SECRET_ID name no secret")]
    NoApp,
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

/// The one app's credentials. Several apps are refused at start-up rather
/// than picked per request: a caller cannot choose another app's data by
/// accident, and a misconfiguration shows at deploy time, not at 3 a.m.
pub fn single_app(
    mut providers: Vec<Arc<dyn CredentialsProvider>>,
) -> Result<Arc<dyn CredentialsProvider>, ConfigError> {
    match providers.len() {
        0 => Err(ConfigError::NoApp),
        1 => providers.pop().ok_or(ConfigError::NoApp),
        n => Err(ConfigError::SeveralApps(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tim::LocalSigner;
    use tim::usersig::SecretKey;

    fn provider() -> Arc<dyn CredentialsProvider> {
        Arc::new(LocalSigner::new(
            1_400_000_000,
            "administrator",
            SecretKey::new("k"),
            None,
        ))
    }

    #[test]
    fn exactly_one_app_is_served() {
        assert!(single_app(vec![provider()]).is_ok());
        assert!(matches!(single_app(vec![]), Err(ConfigError::NoApp)));
        let err = single_app(vec![provider(), provider()])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("TIM_USERSIG_SECRET_ID names 2 secrets"),
            "{err}"
        );
    }
}
