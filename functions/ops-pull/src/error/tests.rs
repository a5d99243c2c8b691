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
        RunFailure::storage("a".into()),
        RunFailure::pull(&api(60007), "b".into()),
        RunFailure::pull(&api(60006), "c".into()),
    ];
    let err = RunError::incomplete(&failures, RunSummary::default());
    assert_eq!(err.kind().error_type(), "TencentConfiguration");
    assert!(!err.kind().is_retryable());
    let err = RunError::incomplete(&failures[..2], RunSummary::default());
    assert_eq!(err.kind().error_type(), "TencentRetryable");
    assert!(err.kind().is_retryable());
    // An unkeyable answer outranks transient failures and is not retried.
    let unkeyable = [
        RunFailure {
            kind: RunErrorKind::TencentEmptyAnswer,
            text: "empty".into(),
        },
        RunFailure {
            kind: RunErrorKind::TencentUnkeyableRows,
            text: "no Date".into(),
        },
    ];
    let err = RunError::incomplete(&unkeyable, RunSummary::default());
    assert_eq!(err.kind().error_type(), "TencentUnkeyableRows");
    assert!(!err.kind().is_retryable());
    let diagnostic = Diagnostic::from(RunError::incomplete(&failures[..1], RunSummary::default()));
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
        .map(|i| RunFailure::storage(format!("day {i}")))
        .collect();
    let message = RunError::incomplete(&failures, RunSummary::default()).to_string();
    assert!(message.contains("day 39;"), "{message}");
    assert!(!message.contains("day 40;"), "{message}");
    assert!(message.contains("60 more"), "{message}");
}

#[test]
fn error_types_are_the_documented_strings() {
    let kinds: Vec<(&str, bool)> = RunErrorKind::ALL
        .iter()
        .map(|k| (k.error_type(), k.is_retryable()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("InvalidInput", false),
            ("TencentConfiguration", false),
            ("TencentUserSigRejected", false),
            ("TencentBadRequest", false),
            ("TencentRetryable", true),
            ("TencentNetwork", true),
            ("TencentUnkeyableRows", false),
            ("TencentMalformedAnswer", true),
            ("TencentEmptyAnswer", true),
            ("StorageFailed", true),
            ("RunInProgress", true)
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
        (api(60006), RunErrorKind::TencentConfiguration),
        (api(70001), RunErrorKind::TencentUserSigRejected),
        (api(90100), RunErrorKind::TencentBadRequest),
        (api(60007), RunErrorKind::TencentRetryable),
        (network, RunErrorKind::TencentNetwork),
    ] {
        assert_eq!(RunErrorKind::of_pull(&error), kind, "{error}");
        assert_eq!(kind.error_type(), error.error_type(), "{error}");
        assert_eq!(kind.is_retryable(), error.is_retryable(), "{error}");
    }
    // An answer not in the API's shape (push `Results` missing) is named as
    // such, and stays retryable.
    let garbled = tim::Error::Decode {
        command: "timpush/all_member_push_statistics".into(),
        reason: "ErrorCode 0 but no Results list".into(),
    };
    assert_eq!(
        RunErrorKind::of_pull(&garbled),
        RunErrorKind::TencentMalformedAnswer
    );
    assert!(garbled.is_retryable());
}
