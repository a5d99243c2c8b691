//! The error table and the mapping of Tencent failures.

use super::*;

fn api(code: i64) -> tim::Error {
    tim::Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code,
        info: "info from Tencent".into(),
    }
}

fn mapped(error: tim::Error) -> (u16, &'static str, Option<u64>) {
    let api = ApiError::from_upstream(&error);
    (api.status(), api.code.as_str(), api.retry_after_secs)
}

#[test]
fn codes_are_unique_snake_case_and_every_status_is_an_error() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
        assert!(seen.insert(code.as_str()), "{code:?}");
        assert!(
            code.as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
        );
        assert!((400..600).contains(&code.status()));
    }
}

#[test]
fn rate_limits_become_429_with_retry_after() {
    assert_eq!(mapped(api(60007)), (429, "rate_limited", Some(1)));
    assert_eq!(mapped(api(70050)), (429, "rate_limited", Some(60)));
    let http429 = tim::Error::Http {
        command: "x".into(),
        status: 429,
    };
    assert_eq!(mapped(http429), (429, "rate_limited", Some(1)));
    let deadline = tim::Error::Deadline {
        command: "x".into(),
        attempts: 4,
        last: Some(Box::new(api(60007))),
    };
    assert_eq!(mapped(deadline), (429, "rate_limited", Some(1)));
}

#[test]
fn usersig_and_configuration_problems_name_what_to_fix() {
    let auth = ApiError::from_upstream(&api(70001));
    assert_eq!((auth.status(), auth.code), (502, ErrorCode::UpstreamAuth));
    assert_eq!(auth.tencent_error_code, Some(70001));
    assert!(auth.message.contains("UserSig secret"));
    assert_eq!(
        auth.tencent_error_info, None,
        "Tencent's text is not echoed for auth failures"
    );

    let config = ApiError::from_upstream(&api(90045));
    assert_eq!(
        (config.status(), config.code),
        (502, ErrorCode::UpstreamConfiguration)
    );
    assert!(
        config.message.contains("push is not enabled"),
        "{}",
        config.message
    );

    let creds = ApiError::from_upstream(&tim::Error::credentials("secret arn:…:psst not found"));
    assert_eq!(creds.code, ErrorCode::CredentialsUnavailable);
    assert_eq!(creds.tencent_error_code, None);
    assert!(
        !creds.message.contains("psst"),
        "the reason stays in the logs"
    );
}

#[test]
fn a_usersig_still_refused_after_the_re_read_is_upstream_auth_with_tencents_code() {
    // What the client returns when the re-read found the same UserSig.
    let still_refused = tim::Error::Credentials {
        reason:
            "Tencent refused the UserSig in secret \"s\" and the secret still holds the same one"
                .into(),
        class: tim::ErrorClass::UserSigRejected,
        refused_with: None,
    }
    .after_refusal(&api(70003));
    let mapped = ApiError::from_upstream(&still_refused);
    assert_eq!(
        (mapped.status(), mapped.code, mapped.tencent_error_code),
        (502, ErrorCode::UpstreamAuth, Some(70003))
    );
    assert!(
        mapped.message.contains("(Tencent ErrorCode 70003)"),
        "{}",
        mapped.message
    );
    // An unreadable secret during the re-read stays an IAM/secret matter.
    let unreadable = tim::Error::credentials("AccessDenied").after_refusal(&api(70001));
    assert_eq!(
        ApiError::from_upstream(&unreadable).code,
        ErrorCode::CredentialsUnavailable
    );
}

#[test]
fn the_table_gives_every_code_its_name_and_status() {
    assert_eq!(ErrorCode::ALL.len(), 26);
    assert_eq!(ErrorCode::ALL[0], ErrorCode::MissingParameter);
    assert_eq!(
        (
            ErrorCode::RateLimited.as_str(),
            ErrorCode::RateLimited.status()
        ),
        ("rate_limited", 429)
    );
    assert_eq!(
        (
            ErrorCode::UpstreamTimeout.as_str(),
            ErrorCode::UpstreamTimeout.status()
        ),
        ("upstream_timeout", 504)
    );
    assert_eq!(ErrorCode::InternalError.status(), 500);
}

#[test]
fn timeouts_server_errors_and_refusals() {
    let timeout = tim::Error::Network {
        command: "x".into(),
        kind: tim::error::NetworkFailure::Timeout,
        detail: "timed out".into(),
    };
    assert_eq!(mapped(timeout).0, 504);
    let deadline = tim::Error::Deadline {
        command: "x".into(),
        attempts: 2,
        last: None,
    };
    assert_eq!(mapped(deadline), (504, "upstream_timeout", None));
    assert_eq!(mapped(api(60008)), (504, "upstream_timeout", None));
    let bad_gateway = tim::Error::Http {
        command: "x".into(),
        status: 502,
    };
    assert_eq!(mapped(bad_gateway), (502, "upstream_error", None));
    assert_eq!(mapped(api(90102)), (502, "upstream_error", None));
    let garbled = tim::Error::Decode {
        command: "x".into(),
        reason: "EOF".into(),
    };
    assert_eq!(mapped(garbled), (502, "upstream_error", None));

    let refused = ApiError::from_upstream(&api(90100));
    assert_eq!(
        (refused.status(), refused.code),
        (502, ErrorCode::UpstreamRejected)
    );
    assert_eq!(
        refused.tencent_error_info.as_deref(),
        Some("info from Tencent")
    );
}

#[test]
fn body_has_a_stable_shape() {
    let body = ApiError::param(ErrorCode::InvalidTime, "start", "start is bad").body("req-1");
    assert_eq!(
        body,
        json!({"error": {"code": "invalid_time", "message": "start is bad", "parameter": "start", "request_id": "req-1"}})
    );
    let body = ApiError::new(ErrorCode::NotFound, None, "no").body("req-2");
    assert_eq!(body["error"]["parameter"], serde_json::Value::Null);
}

#[test]
fn echo_shortens_and_escapes() {
    assert_eq!(echo("a\u{7}b"), "\"a\\u{7}b\"");
    assert_eq!(echo(&"x".repeat(100)).chars().count(), 43);
}

#[test]
fn the_readme_lists_every_code_with_its_status() {
    let readme = include_str!("../../README.md");
    for code in ErrorCode::ALL {
        let row = format!("| {} | `{}` |", code.status(), code.as_str());
        assert!(readme.contains(&row), "README lacks {row}");
    }
}
