//! What an emulator serves: its listen address, its apps and its clock.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tim::usersig::{Clock, SystemClock};

use crate::auth::{App, DEFAULT_ADMINS};

/// Configuration of an [`Emulator`](crate::Emulator). Built with the `with_*` methods.
#[derive(Clone)]
pub struct EmulatorConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) apps: BTreeMap<u64, App>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) enforce_rate_limits: bool,
}

impl Default for EmulatorConfig {
    /// Loopback on an ephemeral port, no apps, the system clock.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            apps: BTreeMap::new(),
            clock: Arc::new(SystemClock),
            enforce_rate_limits: false,
        }
    }
}

impl EmulatorConfig {
    /// Adds (or replaces) an app whose admins are "administrator" and "admin".
    pub fn with_app(self, sdkappid: u64, key: impl Into<String>) -> Self {
        self.with_app_admins(sdkappid, key, DEFAULT_ADMINS)
    }

    /// Adds (or replaces) an app with exactly these admin identifiers.
    pub fn with_app_admins(
        mut self,
        sdkappid: u64,
        key: impl Into<String>,
        admins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.apps.insert(sdkappid, App::new(sdkappid, key, admins));
        self
    }

    /// The address to bind (default `127.0.0.1:0`).
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// The clock UserSigs are verified at and "yesterday" is computed from.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// With `true`, a call beyond its API's per-second limit for its app
    /// ([`Command::per_second_limit`](crate::convention::Command::per_second_limit),
    /// counted by the emulator's clock) is answered 60007, as Tencent
    /// answers a REST API over its frequency limit. Off by default: tests
    /// call much faster than Tencent allows; the calls are counted either way.
    pub fn with_enforced_rate_limits(mut self, enforce: bool) -> Self {
        self.enforce_rate_limits = enforce;
        self
    }

    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The configured SDKAppIDs.
    pub fn sdkappids(&self) -> impl Iterator<Item = u64> + '_ {
        self.apps.keys().copied()
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("apps", &self.apps.values().collect::<Vec<_>>())
            .field("enforce_rate_limits", &self.enforce_rate_limits)
            .finish_non_exhaustive()
    }
}
