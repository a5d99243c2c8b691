//! What Tencent's numeric `ErrorCode`s mean to a caller: one table
//! ([`TENCENT_CODES`]) gives each known code its class, the wait Tencent asks
//! for, whether it is a timeout, and an operator's hint. Every question
//! [`Error`](super::Error) answers about a code is read from it.
//!
//! Sources: Tencent's pages (the REST overview's common codes, getappinfo's
//! and all_member_push_statistics' own codes) and, for the 70xxx UserSig
//! codes no page here lists, the project's `docs/usersig.md`. The README's
//! code table quotes the sentence each class rests on.

use std::time::Duration;

use super::ErrorClass;
use ErrorClass::{Configuration, Retryable, UserSigRejected};

/// What the client knows about a range of Tencent `ErrorCode`s. Codes not in
/// [`TENCENT_CODES`] are the request's fault ([`ErrorClass::BadRequest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TencentCode {
    /// First code of the range.
    pub first: i64,
    /// Last code of the range (inclusive; equal to `first` for one code).
    pub last: i64,
    /// What a caller should do.
    pub class: ErrorClass,
    /// The wait Tencent asks for (frequency limits): set exactly for the
    /// rate-limit codes.
    pub retry_after: Option<Duration>,
    /// Tencent (or its backend) timed out rather than refused.
    pub timeout: bool,
    /// An operator's hint (static text, never request data).
    pub hint: Option<&'static str>,
}

impl TencentCode {
    const fn range(first: i64, last: i64, class: ErrorClass) -> Self {
        Self {
            first,
            last,
            class,
            retry_after: None,
            timeout: false,
            hint: None,
        }
    }

    const fn one(code: i64, class: ErrorClass) -> Self {
        Self::range(code, code, class)
    }

    const fn with_hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    const fn with_retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after = Some(Duration::from_secs(secs));
        self
    }

    const fn with_timeout(mut self) -> Self {
        self.timeout = true;
        self
    }

    /// The table's entry for `code`, if the code is known.
    pub fn lookup(code: i64) -> Option<&'static TencentCode> {
        TENCENT_CODES
            .iter()
            .find(|known| (known.first..=known.last).contains(&code))
    }
}

const SIGNATURE_MISMATCH: &str = "the UserSig does not verify: check that the key belongs to this SDKAppID and that the region matches the app's";
const UNKNOWN_APP: &str = "the SDKAppID (or its key) is unknown to Tencent in this region";
const NOT_ADMIN: &str = "the identifier is not an app admin account";
const APP_DISABLED: &str = "the app is disabled or its edition has expired";

/// Every Tencent `ErrorCode` the client treats specially, in ascending order
/// and without overlaps (a test checks both).
pub const TENCENT_CODES: &[TencentCode] = &[
    // 60xxx: REST gateway.
    TencentCode::range(60004, 60005, UserSigRejected),
    TencentCode::one(60006, Configuration).with_hint(UNKNOWN_APP),
    TencentCode::one(60007, Retryable).with_retry_after_secs(1),
    TencentCode::one(60008, Retryable).with_timeout(),
    TencentCode::one(60010, Configuration).with_hint(NOT_ADMIN),
    TencentCode::one(60011, Retryable).with_retry_after_secs(1),
    TencentCode::range(60013, 60014, Retryable),
    TencentCode::range(60016, 60017, Configuration).with_hint(APP_DISABLED),
    TencentCode::range(60018, 60019, Retryable).with_retry_after_secs(1),
    TencentCode::one(60020, Configuration).with_hint(APP_DISABLED),
    TencentCode::one(60021, Configuration)
        .with_hint("Tencent refuses this source IP: check the app's IP allowlist"),
    // 70xxx: UserSig and account checks.
    TencentCode::range(70001, 70003, UserSigRejected),
    TencentCode::one(70004, UserSigRejected).with_hint(SIGNATURE_MISMATCH),
    TencentCode::one(70005, UserSigRejected),
    TencentCode::range(70006, 70010, UserSigRejected).with_hint(SIGNATURE_MISMATCH),
    TencentCode::one(70013, Configuration)
        .with_hint("the admin identifier in the request differs from the UserSig's"),
    TencentCode::one(70014, Configuration)
        .with_hint("the SDKAppID in the request differs from the UserSig's"),
    TencentCode::one(70016, Configuration).with_hint(UNKNOWN_APP),
    TencentCode::one(70019, UserSigRejected),
    TencentCode::one(70020, Configuration).with_hint(UNKNOWN_APP),
    // "too many failed verifications: wait at least 60 s"
    TencentCode::one(70050, Configuration).with_retry_after_secs(60),
    TencentCode::one(70052, UserSigRejected),
    TencentCode::one(70169, Retryable).with_timeout(),
    TencentCode::one(70202, Retryable),
    TencentCode::one(70500, Retryable),
    // 90xxx: the called service (push, app info).
    TencentCode::one(90009, Configuration).with_hint(NOT_ADMIN),
    TencentCode::one(90045, Configuration).with_hint("push is not enabled for this app"),
    TencentCode::one(90102, Retryable),
    TencentCode::one(90103, Configuration)
        .with_hint("Tencent could not switch to the identifier: check that it is a valid account"),
    // 130xxx: storage errors.
    TencentCode::range(130009, 130012, Retryable),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of_code(code: i64) -> ErrorClass {
        let info = String::new();
        let command = "x".to_owned();
        super::super::Error::Api {
            command,
            code,
            info,
        }
        .class()
    }

    #[test]
    fn codes_fall_into_the_documented_classes() {
        for code in [
            60007, 60008, 60011, 60018, 60019, 70169, 70202, 70500, 130009, 130012, 90102,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::Retryable, "{code}");
        }
        for code in [
            70001, 70002, 70003, 70005, 70019, 70052, 70004, 70006, 70009, 70010, 60004,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::UserSigRejected, "{code}");
        }
        for code in [
            60006, 60010, 60021, 70013, 70014, 70016, 70020, 90009, 90045, 90103,
        ] {
            assert_eq!(class_of_code(code), ErrorClass::Configuration, "{code}");
        }
        // 91000, "Request error. According to the error prompt, troubleshoot
        // the problem.": the request's fault, not a passing one.
        for code in [60002, 60003, 60009, 60012, 90100, 91000, 130001] {
            assert_eq!(class_of_code(code), ErrorClass::BadRequest, "{code}");
        }
    }

    #[test]
    fn the_table_is_sorted_without_overlaps() {
        for known in TENCENT_CODES {
            assert!(known.first <= known.last, "{known:?}");
        }
        for pair in TENCENT_CODES.windows(2) {
            assert!(pair[0].last < pair[1].first, "{pair:?}");
        }
    }

    #[test]
    fn only_rate_limits_ask_for_a_wait_and_bad_requests_are_not_listed() {
        let waits: Vec<i64> = TENCENT_CODES
            .iter()
            .filter(|known| known.retry_after.is_some())
            .flat_map(|known| known.first..=known.last)
            .collect();
        assert_eq!(waits, [60007, 60011, 60018, 60019, 70050]);
        assert!(
            TENCENT_CODES
                .iter()
                .all(|known| known.class != ErrorClass::BadRequest)
        );
    }
}
