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
use tim::ErrorClass;

use crate::input::InputError;
use crate::lease::LeaseError;
use crate::report::summary::RunSummary;

/// Most failure items spelled out in an error message.
const MAX_LISTED_FAILURES: usize = 40;

/// What kind of failure ended a run: its Lambda `errorType`, whether a
/// retry helps, and how severe it is next to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunErrorKind {
    /// The invocation payload is wrong; nothing was called.
    InvalidInput,
    /// Tencent refused the app's configuration (SDKAppID, admin, region, IP allowlist).
    TencentConfiguration,
    /// Tencent refused the UserSig, even after a fresh one.
    TencentUserSigRejected,
    /// Tencent refused the request as malformed.
    TencentBadRequest,
    /// Tencent failed transiently (rate limit, 5xx, timeout) through the retries.
    TencentRetryable,
    /// The connection to Tencent failed through the retries.
    TencentNetwork,
    /// getappinfo's `Result` had rows but not one with a valid `Date`
    /// (Tencent changed its format): nothing could be archived, the raw
    /// copy is kept. Not retryable: the same answer comes again.
    TencentUnkeyableRows,
    /// Tencent answered `ErrorCode` 0 but its data (`Result`, `Results`)
    /// was missing or not a list, or not in the API's shape. Retryable: a successful envelope without its data is most
    /// likely a glitch on Tencent's side, and a retry costs one call and
    /// writes nothing twice; if Tencent changed the API, every retry fails
    /// the same way and the alarms fire all the same.
    TencentMalformedAnswer,
    /// getappinfo answered an empty `Result` in [`crate::tencent::freshness::EMPTY_ANSWERS_FAIL_AFTER`]
    /// runs in a row (the first is a warning). Retryable: Tencent may
    /// publish later.
    TencentEmptyAnswer,
    /// Pulls succeeded, some S3 writes failed.
    StorageFailed,
    /// Another run held the lease (see `lease`) for all of this
    /// invocation's time: nothing was called.
    RunInProgress,
}

impl RunErrorKind {
    pub const ALL: [RunErrorKind; 11] = [
        RunErrorKind::InvalidInput,
        RunErrorKind::TencentConfiguration,
        RunErrorKind::TencentUserSigRejected,
        RunErrorKind::TencentBadRequest,
        RunErrorKind::TencentRetryable,
        RunErrorKind::TencentNetwork,
        RunErrorKind::TencentUnkeyableRows,
        RunErrorKind::TencentMalformedAnswer,
        RunErrorKind::TencentEmptyAnswer,
        RunErrorKind::StorageFailed,
        RunErrorKind::RunInProgress,
    ];

    /// The kind of a failed pull, from the client's class of the error; an
    /// answer that is not in the API's shape is a malformed answer.
    pub fn of_pull(error: &tim::Error) -> Self {
        if matches!(error, tim::Error::Decode { .. }) {
            return Self::TencentMalformedAnswer;
        }
        match error.class() {
            ErrorClass::Configuration => Self::TencentConfiguration,
            ErrorClass::UserSigRejected => Self::TencentUserSigRejected,
            ErrorClass::BadRequest => Self::TencentBadRequest,
            ErrorClass::Retryable => Self::TencentRetryable,
            ErrorClass::Network => Self::TencentNetwork,
        }
    }

    /// The stable Lambda `errorType` (a contract: alarms and callers match it).
    pub fn error_type(self) -> &'static str {
        match self {
            Self::InvalidInput => "InvalidInput",
            Self::TencentConfiguration => "TencentConfiguration",
            Self::TencentUserSigRejected => "TencentUserSigRejected",
            Self::TencentBadRequest => "TencentBadRequest",
            Self::TencentRetryable => "TencentRetryable",
            Self::TencentNetwork => "TencentNetwork",
            Self::TencentUnkeyableRows => "TencentUnkeyableRows",
            Self::TencentMalformedAnswer => "TencentMalformedAnswer",
            Self::TencentEmptyAnswer => "TencentEmptyAnswer",
            Self::StorageFailed => "StorageFailed",
            Self::RunInProgress => "RunInProgress",
        }
    }

    /// Whether running again unchanged may succeed.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::TencentRetryable
            | Self::TencentNetwork
            | Self::TencentMalformedAnswer
            | Self::TencentEmptyAnswer
            | Self::StorageFailed
            | Self::RunInProgress => true,
            Self::InvalidInput
            | Self::TencentConfiguration
            | Self::TencentUserSigRejected
            | Self::TencentBadRequest
            | Self::TencentUnkeyableRows => false,
        }
    }

    /// Lower is more severe: operator action beats a transient failure.
    fn severity(self) -> u8 {
        match self {
            Self::InvalidInput => 0,
            Self::TencentConfiguration
            | Self::TencentUserSigRejected
            | Self::TencentBadRequest
            | Self::TencentUnkeyableRows => 1,
            Self::TencentRetryable
            | Self::TencentNetwork
            | Self::TencentMalformedAnswer
            | Self::TencentEmptyAnswer => 2,
            Self::StorageFailed | Self::RunInProgress => 3,
        }
    }
}

#[derive(thiserror::Error)]
pub enum RunError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
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
        Self {
            kind: RunErrorKind::of_pull(error),
            text,
        }
    }

    pub fn of_kind(kind: RunErrorKind, text: String) -> Self {
        Self { kind, text }
    }

    pub fn storage(text: String) -> Self {
        Self {
            kind: RunErrorKind::StorageFailed,
            text,
        }
    }
}

impl RunError {
    pub(crate) fn incomplete(failures: &[RunFailure], summary: RunSummary) -> Self {
        let kind = failures
            .iter()
            .map(|f| f.kind)
            .min_by_key(|kind| kind.severity())
            .unwrap_or(RunErrorKind::StorageFailed);
        let mut listed: Vec<&str> = failures
            .iter()
            .take(MAX_LISTED_FAILURES)
            .map(|f| f.text.as_str())
            .collect();
        let more = failures.len().saturating_sub(MAX_LISTED_FAILURES);
        let more_text = format!("… and {more} more (see the summary log line)");
        if more > 0 {
            listed.push(&more_text);
        }
        let message = format!(
            "ops-pull incomplete ({} failure(s); everything else landed): {}",
            failures.len(),
            listed.join("; ")
        );
        RunError::Incomplete {
            kind,
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

    /// Stable Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        self.kind().error_type()
    }

    /// Whether running again unchanged may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The run's summary, when the run got as far as pulling.
    pub fn summary(&self) -> Option<&RunSummary> {
        match self {
            RunError::InvalidInput(_) | RunError::Lease(_) => None,
            RunError::Incomplete { summary, .. } => Some(summary),
        }
    }
}

/// Short: the Lambda runtime logs the error's `Debug`; the summary has its
/// own log line.
impl std::fmt::Debug for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {self}", self.error_type())
    }
}

impl From<RunError> for Diagnostic {
    fn from(error: RunError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
