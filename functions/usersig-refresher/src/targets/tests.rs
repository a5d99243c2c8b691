//! Matching an event's secret against the configured pairs.

use super::*;

const ARN_1: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000001/usersig-AbCdEf";
const KEY_1: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000001/key-XyZ123";
const EVIL_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/evil/usersig-QwErTy";

/// The pairs, one per app in order (apps 1, 2, …).
fn targets(pairs: &[&str]) -> Vec<RotationTarget> {
    let parsed = (1..).zip(pairs);
    parsed
        .map(|(app, pair)| RotationTarget::parse(app, pair).unwrap())
        .collect()
}

fn key_for<'a>(targets: &'a [RotationTarget], metadata: &SecretMetadata) -> Option<&'a str> {
    let target = targets.iter().find(|t| t.is(metadata));
    target.map(|t| t.key_secret_id.as_str())
}

fn described(arn: &str, name: &str) -> SecretMetadata {
    SecretMetadata {
        arn: Some(arn.into()),
        name: Some(name.into()),
        ..SecretMetadata::default()
    }
}

#[test]
fn an_arn_entry_serves_exactly_that_arn() {
    let targets = targets(&[&format!("{ARN_1}={KEY_1}")]);
    let own = described(ARN_1, "tencent-chat/1400000001/usersig");
    assert_eq!(key_for(&targets, &own), Some(KEY_1));
    // The same name under another suffix is another secret (deleted and
    // re-created, or another account's): not served.
    let recreated = described(
        &ARN_1.replace("AbCdEf", "ZzZzZz"),
        "tencent-chat/1400000001/usersig",
    );
    assert_eq!(key_for(&targets, &recreated), None);
    let other_account = described(
        &ARN_1.replace("123456789012", "210987654321"),
        "tencent-chat/1400000001/usersig",
    );
    assert_eq!(key_for(&targets, &other_account), None);
    assert_eq!(
        key_for(&targets, &described(EVIL_ARN, "tencent-chat/evil/usersig")),
        None
    );
    // Nothing described: never served.
    assert_eq!(key_for(&targets, &SecretMetadata::default()), None);
}

#[test]
fn a_name_entry_serves_the_secret_of_that_name() {
    let targets = targets(&["tencent-chat/1400000001/usersig=tencent-chat/1400000001/key"]);
    assert_eq!(
        key_for(
            &targets,
            &described(ARN_1, "tencent-chat/1400000001/usersig")
        ),
        Some("tencent-chat/1400000001/key")
    );
    for name in [
        "tencent-chat/evil/usersig",
        "tencent-chat/1400000001/usersig2",
        "tencent-chat/1400000001/usersi",
        "x/tencent-chat/1400000001/usersig",
    ] {
        assert_eq!(
            key_for(&targets, &described(EVIL_ARN, name)),
            None,
            "{name}"
        );
    }
}

#[test]
fn an_event_arn_no_entry_can_be_is_refused_before_any_call() {
    let targets = targets(&[
        &format!("{ARN_1}={KEY_1}"),
        "tencent-chat/1400000002/usersig=tencent-chat/1400000002/key",
    ]);
    // Full and partial ARNs of served secrets, and names (only
    // DescribeSecret can resolve a name), go on to be described.
    for id in [
        ARN_1,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000001/usersig",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000002/usersig-Ab12Cd",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000002/usersig",
        "tencent-chat/evil/usersig",
    ] {
        assert!(targets.iter().any(|t| t.may_be(id)), "{id}");
    }
    for id in [
        EVIL_ARN,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/evil/usersig",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000002/usersig-x-Ab12Cd",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tencent-chat/1400000003/usersig-Ab12Cd",
    ] {
        assert!(!targets.iter().any(|t| t.may_be(id)), "{id}");
    }
}
