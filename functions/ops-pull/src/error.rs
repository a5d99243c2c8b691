//! How a run fails, with a stable Lambda `errorType`.
//!
//! | errorType | meaning | retry helps |
//! |---|---|---|
//! | `InvalidInput` | the invocation payload is wrong; nothing was called | no |
//! | `TencentConfiguration`, `TencentUserSigRejected`, `TencentBadRequest` | a pull failed in a way an operator must fix | no |
//! | `TencentRetryable`, `TencentNetwork` | a pull failed transiently | yes |
//! | `TencentMalformedAnswer` | Tencent answered `ErrorCode` 0 without a `Result` list | yes |
//! | `StorageFailed` | pulls succeeded, some S3 writes failed | yes |
//!
//! When several things failed, the least retryable one names the run's error.

use lambda_kit::Diagnostic;
use tim::ErrorClass;

use crate::input::InputError;
use crate::summary::RunSummary;

/// Most failure items spelled out in an error message.
const MAX_LISTED_FAILURES: usize = 40;

/// What kind of failure ended a run: its Lambda `errorType`, whether a
/// retry helps, and how severe it is next to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
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
    /// Tencent answered `ErrorCode` 0 but `Result` was missing or not a
    /// list. Retryable: a successful envelope without its data is most
    /// likely a glitch on Tencent's side, and a retry costs one call and
    /// writes nothing twice; if Tencent changed the API, every retry fails
    /// the same way and the alarms fire all the same.
    TencentMalformedAnswer,
    /// Pulls succeeded, some S3 writes failed.
    StorageFailed,
}

impl FailureKind {
    pub const ALL: [FailureKind; 8] = [
        FailureKind::InvalidInput,
        FailureKind::TencentConfiguration,
        FailureKind::TencentUserSigRejected,
        FailureKind::TencentBadRequest,
        FailureKind::TencentRetryable,
        FailureKind::TencentNetwork,
        FailureKind::TencentMalformedAnswer,
        FailureKind::StorageFailed,
    ];

    /// The kind of a failed pull, from the client's class of the error.
    pub fn of_pull(error: &tim::Error) -> Self {
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
            Self::TencentMalformedAnswer => "TencentMalformedAnswer",
            Self::StorageFailed => "StorageFailed",
        }
    }

    /// Whether running again unchanged may succeed.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::TencentRetryable
            | Self::TencentNetwork
            | Self::TencentMalformedAnswer
            | Self::StorageFailed => true,
            Self::InvalidInput
            | Self::TencentConfiguration
            | Self::TencentUserSigRejected
            | Self::TencentBadRequest => false,
        }
    }

    /// Lower is more severe: operator action beats a transient failure.
    fn severity(self) -> u8 {
        match self {
            Self::InvalidInput => 0,
            Self::TencentConfiguration | Self::TencentUserSigRejected | Self::TencentBadRequest => {
                1
            }
            Self::TencentRetryable | Self::TencentNetwork | Self::TencentMalformedAnswer => 2,
            Self::StorageFailed => 3,
        }
    }
}

#[derive(thiserror::Error)]
pub enum RunError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    /// Some pull or write failed; everything else of the run still landed.
    #[error("{message}")]
    Incomplete {
        kind: FailureKind,
        message: String,
        summary: Box<RunSummary>,
    },
}

/// One thing that went wrong in a run, for the error's message and kind.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub text: String,
}

impl Failure {
    pub fn pull(error: &tim::Error, text: String) -> Self {
        Self {
            kind: FailureKind::of_pull(error),
            text,
        }
    }

    pub fn malformed(text: String) -> Self {
        Self {
            kind: FailureKind::TencentMalformedAnswer,
            text,
        }
    }

    pub fn storage(text: String) -> Self {
        Self {
            kind: FailureKind::StorageFailed,
            text,
        }
    }
}

impl RunError {
    pub(crate) fn incomplete(failures: &[Failure], summary: RunSummary) -> Self {
        let kind = failures
            .iter()
            .map(|f| f.kind)
            .min_by_key(|kind| kind.severity())
            .unwrap_or(FailureKind::StorageFailed);
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
    pub fn kind(&self) -> FailureKind {
        match self {
            RunError::InvalidInput(_) => FailureKind::InvalidInput,
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
            RunError::InvalidInput(_) => None,
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
mod tests {
    use super::*;

    fn api(code: i64) -> tim::Error {
        tim::Error::Api {
            command: "openconfigsvr/getappinfo".into(),
            code,
            info: "x".into(),
        }
    }

    #[test]
    fn the_least_retryable_failure_names_the_error() {
        let failures = [
            Failure::storage("a".into()),
            Failure::pull(&api(60007), "b".into()),
            Failure::pull(&api(60006), "c".into()),
        ];
        let err = RunError::incomplete(&failures, RunSummary::default());
        assert_eq!(err.error_type(), "TencentConfiguration");
        assert!(!err.is_retryable());
        let err = RunError::incomplete(&failures[..2], RunSummary::default());
        assert_eq!(err.error_type(), "TencentRetryable");
        assert!(err.is_retryable());
        let diagnostic =
            Diagnostic::from(RunError::incomplete(&failures[..1], RunSummary::default()));
        assert_eq!(diagnostic.error_type, "StorageFailed");
        assert!(
            diagnostic.error_message.contains("1 failure(s)"),
            "{}",
            diagnostic.error_message
        );
    }

    #[test]
    fn long_failure_lists_are_cut() {
        let failures: Vec<_> = (0..100)
            .map(|i| Failure::storage(format!("day {i}")))
            .collect();
        let message = RunError::incomplete(&failures, RunSummary::default()).to_string();
        assert!(message.contains("day 39;"), "{message}");
        assert!(!message.contains("day 40;"), "{message}");
        assert!(message.contains("60 more"), "{message}");
    }

    #[test]
    fn invalid_input_is_not_retryable() {
        let err = RunError::from(InputError::NoFields);
        assert_eq!(err.kind(), FailureKind::InvalidInput);
        assert!(!err.is_retryable());
        assert_eq!(Diagnostic::from(err).error_type, "InvalidInput");
    }

    #[test]
    fn error_types_are_the_documented_strings() {
        let types: Vec<&str> = FailureKind::ALL.iter().map(|k| k.error_type()).collect();
        assert_eq!(
            types,
            [
                "InvalidInput",
                "TencentConfiguration",
                "TencentUserSigRejected",
                "TencentBadRequest",
                "TencentRetryable",
                "TencentNetwork",
                "TencentMalformedAnswer",
                "StorageFailed"
            ]
        );
        let retryable: Vec<&str> = FailureKind::ALL
            .iter()
            .filter(|k| k.is_retryable())
            .map(|k| k.error_type())
            .collect();
        assert_eq!(
            retryable,
            [
                "TencentRetryable",
                "TencentNetwork",
                "TencentMalformedAnswer",
                "StorageFailed"
            ]
        );
    }

    #[test]
    fn a_pulls_kind_keeps_the_clients_error_type() {
        let network = tim::Error::Network {
            command: "openconfigsvr/getappinfo".into(),
            kind: tim::error::NetworkFailure::Connect,
            detail: "refused".into(),
        };
        for (error, kind) in [
            (api(60006), FailureKind::TencentConfiguration),
            (api(70001), FailureKind::TencentUserSigRejected),
            (api(90100), FailureKind::TencentBadRequest),
            (api(60007), FailureKind::TencentRetryable),
            (network, FailureKind::TencentNetwork),
        ] {
            assert_eq!(FailureKind::of_pull(&error), kind, "{error}");
            assert_eq!(kind.error_type(), error.error_type(), "{error}");
            assert_eq!(kind.is_retryable(), error.is_retryable(), "{error}");
        }
    }
}
