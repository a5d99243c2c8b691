//! How a run fails, with a stable Lambda `errorType`.
//!
//! | errorType | meaning | retry helps |
//! |---|---|---|
//! | `InvalidInput` | the invocation payload is wrong; nothing was called | no |
//! | `TencentConfiguration`, `TencentUserSigRejected`, `TencentBadRequest` | a pull failed in a way an operator must fix | no |
//! | `TencentRetryable`, `TencentNetwork` | a pull failed transiently | yes |
//! | `TencentUnkeyableRows` | getappinfo had rows, none with a valid `Date`: nothing written, raw copy kept | no |
//! | `TencentMalformedAnswer` | Tencent answered `ErrorCode` 0 without its data (`Result`, `Results`) | yes |
//! | `TencentEmptyAnswer` | getappinfo's `Result` was empty in two runs in a row | yes |
//! | `StorageFailed` | pulls succeeded, some S3 writes failed (or the lease could not be read or written) | yes |
//! | `RunInProgress` | another run held the lease for all of this invocation's time; nothing was called | yes |
//!
//! When several things failed, the least retryable one names the run's
//! error. Lambda does not retry a failed run (`MaximumRetryAttempts: 0`):
//! the client retries transient faults inside a run, and the next daily run
//! re-pulls the whole window.

use lambda_kit::Diagnostic;

use crate::lease::LeaseError;
use crate::report::summary::RunSummary;

/// Most failure items spelled out in an error message.
const MAX_LISTED: usize = 40;

/// Declares the kinds with their Lambda `errorType` (the variant's name, a
/// contract: alarms and callers match it), whether a retry helps and, for a
/// failed pull, the client's `ErrorClass` that is this kind.
macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident: retry $retry:literal $(, class $class:ident)?;)+) => {
        /// What kind of failure ended a run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RunErrorKind { $($(#[$doc])* $kind,)+ }

        impl RunErrorKind {
            pub const ALL: &[RunErrorKind] = &[$(Self::$kind,)+];

            /// The stable Lambda `errorType`.
            pub fn error_type(self) -> &'static str {
                match self { $(Self::$kind => stringify!($kind),)+ }
            }

            /// Whether running again unchanged may succeed.
            pub fn is_retryable(self) -> bool {
                match self { $(Self::$kind => $retry,)+ }
            }

            /// The kind of a failed pull, from the client's class of the
            /// error; an answer that is not in the API's shape is a
            /// malformed answer.
            pub fn of_pull(error: &tim::Error) -> Self {
                match (error, error.class()) {
                    (tim::Error::Decode { .. }, _) => Self::TencentMalformedAnswer,
                    $($((_, tim::ErrorClass::$class) => Self::$kind,)?)+
                }
            }
        }
    };
}

kinds! {
    /// The invocation payload is wrong; nothing was called.
    InvalidInput: retry false;
    /// Tencent refused the app's configuration (SDKAppID, admin, region, IP allowlist).
    TencentConfiguration: retry false, class Configuration;
    /// Tencent refused the UserSig, even after a fresh one.
    TencentUserSigRejected: retry false, class UserSigRejected;
    /// Tencent refused the request as malformed.
    TencentBadRequest: retry false, class BadRequest;
    /// Tencent failed transiently (rate limit, 5xx, timeout) through the retries.
    TencentRetryable: retry true, class Retryable;
    /// The connection to Tencent failed through the retries.
    TencentNetwork: retry true, class Network;
    /// getappinfo's `Result` had rows but not one with a valid `Date`
    /// (Tencent changed its format): the same answer comes again.
    TencentUnkeyableRows: retry false;
    /// Tencent answered `ErrorCode` 0 without its data (`Result`,
    /// `Results`) or not in the API's shape: most likely a glitch on its
    /// side; if Tencent changed the API, the alarms fire all the same.
    TencentMalformedAnswer: retry true;
    /// getappinfo answered an empty `Result` in
    /// [`crate::tencent::freshness::EMPTY_ANSWERS_FAIL_AFTER`] runs in a row
    /// (the first is a warning); Tencent may publish later.
    TencentEmptyAnswer: retry true;
    /// Pulls succeeded, some S3 writes failed.
    StorageFailed: retry true;
    /// Another run held the lease (see `lease`) for all of this
    /// invocation's time: nothing was called.
    RunInProgress: retry true;
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] crate::input::InputError),
    /// No lease: another run holds it, or S3 failed (see `lease`).
    #[error("ops-pull did not run: {0}")]
    Lease(#[from] LeaseError),
    /// Some pull or write failed; everything else of the run still landed.
    #[error("{message}")]
    Incomplete {
        kind: RunErrorKind,
        message: String,
        summary: Box<RunSummary>,
    },
}

/// One thing that went wrong in a run, for the error's message and kind.
#[derive(Debug, Clone)]
pub(crate) struct RunFailure {
    pub kind: RunErrorKind,
    pub text: String,
}

impl RunFailure {
    pub fn pull(error: &tim::Error, text: String) -> Self {
        let kind = RunErrorKind::of_pull(error);
        Self { kind, text }
    }

    pub fn storage(text: String) -> Self {
        let kind = RunErrorKind::StorageFailed;
        Self { kind, text }
    }
}

impl RunError {
    pub(crate) fn incomplete(failures: &[RunFailure], summary: RunSummary) -> Self {
        // The least retryable names the run: what an operator must fix, then
        // Tencent's transient failures, then S3's.
        let rank = |k: &RunErrorKind| (k.is_retryable(), *k == RunErrorKind::StorageFailed);
        let kind = failures.iter().map(|f| f.kind).min_by_key(rank);
        let more = failures.len().saturating_sub(MAX_LISTED);
        let more = (more > 0).then(|| format!("… and {more} more (see the summary log line)"));
        let texts = failures.iter().map(|f| f.text.as_str());
        let listed: Vec<&str> = texts.take(MAX_LISTED).chain(more.as_deref()).collect();
        let (count, listed) = (failures.len(), listed.join("; "));
        let message =
            format!("ops-pull incomplete ({count} failure(s); everything else landed): {listed}");
        RunError::Incomplete {
            kind: kind.unwrap_or(RunErrorKind::StorageFailed),
            message,
            summary: Box::new(summary),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> RunErrorKind {
        match self {
            RunError::InvalidInput(_) => RunErrorKind::InvalidInput,
            RunError::Lease(LeaseError::Held { .. }) => RunErrorKind::RunInProgress,
            RunError::Lease(LeaseError::Storage { .. }) => RunErrorKind::StorageFailed,
            RunError::Incomplete { kind, .. } => *kind,
        }
    }

    /// The run's summary, when the run got as far as pulling.
    pub fn summary(&self) -> Option<&RunSummary> {
        match self {
            RunError::InvalidInput(_) | RunError::Lease(_) => None,
            RunError::Incomplete { summary, .. } => Some(summary),
        }
    }
}

impl From<RunError> for Diagnostic {
    fn from(error: RunError) -> Self {
        Diagnostic {
            error_type: error.kind().error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
