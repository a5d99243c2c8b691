//! How a run fails, with a stable Lambda `errorType`.
//!
//! | errorType | meaning | retry helps |
//! |---|---|---|
//! | `InvalidInput` | the invocation payload is wrong; nothing was called | no |
//! | `TencentConfiguration`, `TencentUserSigRejected`, `TencentBadRequest` | a pull failed in a way an operator must fix | no |
//! | `TencentRetryable`, `TencentNetwork` | a pull failed transiently | yes |
//! | `StorageFailed` | pulls succeeded, some S3 writes failed | yes |
//!
//! When several things failed, the least retryable one names the run's error.

use lambda_runtime::Diagnostic;

use crate::input::InputError;
use crate::summary::RunSummary;

/// Most failure items spelled out in an error message.
const MAX_LISTED_FAILURES: usize = 40;

pub const INVALID_INPUT: &str = "InvalidInput";
pub const STORAGE_FAILED: &str = "StorageFailed";

#[derive(thiserror::Error)]
pub enum RunError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    /// Some pull or write failed; everything else of the run still landed.
    #[error("{message}")]
    Incomplete {
        error_type: &'static str,
        message: String,
        summary: Box<RunSummary>,
    },
}

/// One thing that went wrong in a run, for the error's message and type.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub error_type: &'static str,
    pub text: String,
}

impl Failure {
    pub fn pull(error: &tim::Error, text: String) -> Self {
        Self {
            error_type: error.error_type(),
            text,
        }
    }

    pub fn storage(text: String) -> Self {
        Self {
            error_type: STORAGE_FAILED,
            text,
        }
    }
}

/// Lower is more severe: operator action beats a transient failure.
fn severity(error_type: &str) -> u8 {
    match error_type {
        INVALID_INPUT => 0,
        "TencentConfiguration" | "TencentUserSigRejected" | "TencentBadRequest" => 1,
        "TencentRetryable" | "TencentNetwork" => 2,
        _ => 3,
    }
}

pub fn is_retryable_type(error_type: &str) -> bool {
    matches!(
        error_type,
        "TencentRetryable" | "TencentNetwork" | STORAGE_FAILED
    )
}

impl RunError {
    pub(crate) fn incomplete(failures: &[Failure], summary: RunSummary) -> Self {
        let error_type = failures
            .iter()
            .map(|f| f.error_type)
            .min_by_key(|t| severity(t))
            .unwrap_or(STORAGE_FAILED);
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
            error_type,
            message,
            summary: Box::new(summary),
        }
    }

    /// Stable Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            RunError::InvalidInput(_) => INVALID_INPUT,
            RunError::Incomplete { error_type, .. } => error_type,
        }
    }

    /// Whether running again unchanged may succeed.
    pub fn is_retryable(&self) -> bool {
        is_retryable_type(self.error_type())
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
        assert_eq!(diagnostic.error_type, STORAGE_FAILED);
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
        assert_eq!(Diagnostic::from(err).error_type, INVALID_INPUT);
    }
}
