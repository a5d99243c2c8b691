"""Who may read the secrets (issue 11, "the key belongs to the refresher
alone"), checked on the transformed template for every combination of the
optional parameters: the stack's own KMS key or the operator's, with or
without a break-glass role; on the template expanded for two apps (APPS),
each with its key secret and UserSig secret.

- Both kinds of secret are encrypted with one customer managed key: the
  stack's (key policy: AWS's default account statement; kms:Decrypt for the
  refresher and the break-glass role; kms:Decrypt of UserSig secrets only
  for ops-pull and push-stats; kms:GenerateDataKey of UserSig secrets only
  for the refresher; all through Secrets Manager only) or the operator's
  (the same uses granted by IAM, each for its secrets' ARN pattern).
- Each key secret's resource policy denies GetSecretValue, and only that, to
  every principal but the refresher's role and the break-glass role; each
  UserSig secret's to every principal but the three functions' roles and the
  break-glass role.
- The roles reach the secrets by name pattern (tencent-chat/*/key,
  tencent-chat/*/usersig) and only those tagged with one of SdkAppIds.
- ops-pull and push-stats may read only the AWSCURRENT UserSig; the
  refresher (which tests AWSPENDING) is not restricted that way.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from cfn_support import (
    check_patterns, per_app, props,
    Checks, as_list, condition_value, parameter_values, render_sub, resolve_template, resources_of_type,
    role_statements, statements,
)

# The two apps every check expands the template for (SdkAppIds order).
APPS = ("1400000001", "1400000002")
_SECRETS_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:tencent-chat/*/"
USERSIG_ARN_PATTERN = {"Fn::Sub": _SECRETS_ARN + "usersig-??????"}
KEY_ARN_PATTERN = {"Fn::Sub": _SECRETS_ARN + "key-??????"}
# Only this stack's apps: the secret's tim:sdkappid tag is one of SdkAppIds.
THIS_STACKS_APPS = {"StringEquals": {"aws:ResourceTag/tim:sdkappid": {"Ref": "SdkAppIds"}}}

OWN_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BREAK_GLASS = "arn:aws:iam::123456789012:role/ops/BreakGlass"
SCENARIOS = {
    "stack key": {"AppSecretKmsArn": "", "BreakGlassRoleArn": ""},
    "stack key + break-glass": {"AppSecretKmsArn": "", "BreakGlassRoleArn": BREAK_GLASS},
    "own key": {"AppSecretKmsArn": OWN_KEY, "BreakGlassRoleArn": ""},
    "own key + break-glass": {"AppSecretKmsArn": OWN_KEY, "BreakGlassRoleArn": BREAK_GLASS},
}

REFRESHER_ARN = {"Fn::GetAtt": ["UsersigRefresherRole", "Arn"]}
BREAK_GLASS_ARN = {"Ref": "BreakGlassRoleArn"}
VIA_SECRETS_MANAGER = {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
CURRENT_ONLY = {"ForAnyValue:StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}}
USERSIG_READERS = ["OpsPullRole", "PushStatsRole"]
KEY_POLICY_SAMPLE = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012"}


def key_readers(values: dict[str, str]) -> list[Any]:
    """The principals that may read the key secret in a scenario."""
    return [REFRESHER_ARN] + ([BREAK_GLASS_ARN] if values["BreakGlassRoleArn"] else [])


READER_ARNS = [{"Fn::GetAtt": [role, "Arn"]} for role in USERSIG_READERS]


def usersig_readers(values: dict[str, str]) -> list[Any]:
    """The principals that may read a UserSig secret in a scenario."""
    return READER_ARNS + key_readers(values)


# kms:* of UserSig secrets only, through Secrets Manager only.
USERSIG_KMS_CONDITION = {"StringEquals": {"kms:ViaService": VIA_SECRETS_MANAGER},
                         "StringLike": {"kms:EncryptionContext:SecretARN": USERSIG_ARN_PATTERN}}


def reader_key_grants(values: dict[str, str]) -> list[tuple[set[str], Any, Any]]:
    """ops-pull's and push-stats' grants on the operator's key (the stack's
    own key grants them in its key policy)."""
    return [({"kms:Decrypt"}, {"Ref": "AppSecretKmsArn"}, USERSIG_KMS_CONDITION)] if values["AppSecretKmsArn"] else []


def refresher_key_grants(values: dict[str, str]) -> list[tuple[set[str], Any, Any]]:
    """What the refresher holds on the key secret besides its role's own
    policy: reading it, and (with the operator's key) decrypting it there."""
    grants: list[tuple[set[str], Any, Any]] = [
        ({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, KEY_ARN_PATTERN, THIS_STACKS_APPS),
    ]
    if values["AppSecretKmsArn"]:
        grants.append((
            {"kms:Decrypt"}, {"Ref": "AppSecretKmsArn"},
            {"StringEquals": {"kms:ViaService": VIA_SECRETS_MANAGER},
             "StringLike": {"kms:EncryptionContext:SecretARN": KEY_ARN_PATTERN}},
        ))
        grants.append(({"kms:Decrypt", "kms:GenerateDataKey"}, {"Ref": "AppSecretKmsArn"}, USERSIG_KMS_CONDITION))
    return grants


# --------------------------------------------------------------------------- parameters


def check_access_parameters(c: Checks, sam: dict[str, Any]) -> None:
    """The two optional parameters, their patterns and the conditions they
    drive, both ways."""
    params = sam["Parameters"]
    for name in ["AppSecretKmsArn", "BreakGlassRoleArn"]:
        spec = params.get(name, {})
        c.equal(spec.get("Type"), "String", f"{name} type")
        c.equal(spec.get("Default"), "", f"{name} default (empty = optional)")
    samples = {
        "AppSecretKmsArn": (
            ["", OWN_KEY, "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"],
            ["alias/key-secret", "arn:aws:kms:eu-west-1:123456789012:alias/key-secret",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "arn:aws:iam::123456789012:role/x"],
        ),
        "BreakGlassRoleArn": (
            ["", BREAK_GLASS, "arn:aws:iam::123456789012:role/BreakGlass",
             "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd"],
            ["BreakGlass", "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:root",
             "arn:aws:sts::123456789012:assumed-role/BreakGlass/alice"],
        ),
    }
    check_patterns(c, params, samples)
    for label, values in SCENARIOS.items():
        values_all = parameter_values(sam, values)
        own, glass = bool(values["AppSecretKmsArn"]), bool(values["BreakGlassRoleArn"])
        c.equal(condition_value(sam, "CreateKeySecretKmsKey", values_all), not own, f"[{label}] CreateKeySecretKmsKey")
        c.equal(condition_value(sam, "HasOwnKeySecretKmsKey", values_all), own, f"[{label}] HasOwnKeySecretKmsKey")
        c.equal(condition_value(sam, "HasBreakGlassRole", values_all), glass, f"[{label}] HasBreakGlassRole")
    grouped = [p for group in sam.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
               .get("ParameterGroups", []) for p in group.get("Parameters", [])]
    for name in ["AppSecretKmsArn", "BreakGlassRoleArn"]:
        c.check(name in grouped, f"{name} is in a parameter group")


# --------------------------------------------------------------------------- key secret


def check_key_secret_encryption(c: Checks, cfn: dict[str, Any]) -> None:
    for label, values in SCENARIOS.items():
        r = resolve_template(cfn, values)
        own = bool(values["AppSecretKmsArn"])
        keys = resources_of_type(r, "AWS::KMS::Key")
        c.equal(sorted(keys), [] if own else ["KeySecretKmsKey"], f"[{label}] KMS keys the stack creates")
        expected_key = {"Ref": "AppSecretKmsArn"} if own else {"Fn::GetAtt": ["KeySecretKmsKey", "Arn"]}
        for app in APPS:
            secret = r["Resources"].get(f"KeySecret{app}", {}).get("Properties", {})
            c.equal(secret.get("KmsKeyId"), expected_key, f"[{label}] app {app}: key secret's KmsKeyId")
        # The UserSig secrets share the key (never aws/secretsmanager, which
        # any principal with GetSecretValue may use).
        for app in APPS:
            secret = r["Resources"].get(f"UserSigSecret{app}", {}).get("Properties", {})
            c.equal(secret.get("KmsKeyId"), expected_key, f"[{label}] app {app}: UserSig secret's KmsKeyId")
        c.equal(r["Outputs"].get("KeySecretKmsKeyArn", {}).get("Value"), expected_key,
                f"[{label}] KeySecretKmsKeyArn output")
        aliases = [a["Properties"] for a in resources_of_type(r, "AWS::KMS::Alias").values()]
        c.equal([a.get("TargetKeyId") for a in aliases], [] if own else [{"Ref": "KeySecretKmsKey"}],
                f"[{label}] key alias")
        if not own:
            check_key_policy(c, keys.get("KeySecretKmsKey", {}).get("Properties", {}), key_readers(values), label)


def check_key_policy(c: Checks, props: dict[str, Any], readers: list[Any], label: str) -> None:
    """Exactly four statements: AWS's default account statement;
    kms:Decrypt through Secrets Manager for the key secret's readers; for
    ops-pull and push-stats, kms:Decrypt of UserSig secrets only; for the
    refresher, kms:GenerateDataKey of UserSig secrets only."""
    c.equal(props.get("EnableKeyRotation"), True, f"[{label}] key rotation")
    found = statements(props.get("KeyPolicy", {}))
    c.equal(len(found), 4, f"[{label}] key policy statements")

    def principals(statement: dict[str, Any]) -> list[Any]:
        principal = statement.get("Principal", {})
        return as_list(principal.get("AWS", [])) if isinstance(principal, dict) else [principal]

    def is_root(statement: dict[str, Any]) -> bool:
        p = principals(statement)
        return (len(p) == 1 and isinstance(p[0], dict) and "Fn::Sub" in p[0]
                and render_sub(p[0]["Fn::Sub"], KEY_POLICY_SAMPLE) == "arn:aws:iam::123456789012:root")

    root = [s for s in found if is_root(s)]
    if c.equal(len(root), 1, f"[{label}] key policy keeps the account statement (else the key is unmanageable)"):
        s = root[0]
        c.check(s.get("Effect") == "Allow" and s.get("Action") == "kms:*" and s.get("Resource") == "*"
                and "Condition" not in s, f"[{label}] account statement is AWS's default one: {s}")
    others = [s for s in found if not is_root(s)]
    usersig_only = [s for s in others if s.get("Condition") == USERSIG_KMS_CONDITION]
    expected = {("kms:Decrypt",): READER_ARNS, ("kms:GenerateDataKey",): [REFRESHER_ARN]}
    c.equal({tuple(as_list(s.get("Action"))): principals(s) for s in usersig_only if s.get("Effect") == "Allow"
             and s.get("Resource") == "*"}, expected, f"[{label}] UserSig-only key uses (readers decrypt, refresher encrypts)")
    others = [s for s in others if s not in usersig_only]
    if c.equal(len(others), 1, f"[{label}] one key-use statement for every secret of the key"):
        s = others[0]
        c.equal(s.get("Effect"), "Allow", f"[{label}] key-use statement effect")
        c.equal(sorted(json.dumps(p, sort_keys=True) for p in principals(s)),
                sorted(json.dumps(p, sort_keys=True) for p in readers), f"[{label}] who may decrypt")
        c.equal(as_list(s.get("Action")), ["kms:Decrypt"], f"[{label}] key use is decrypt only")
        c.equal(s.get("Resource"), "*", f"[{label}] key-use resource (this key)")
        c.equal(s.get("Condition"), {"StringEquals": {"kms:ViaService": VIA_SECRETS_MANAGER}},
                f"[{label}] decrypt only through Secrets Manager")


def check_key_secret_policy(c: Checks, cfn: dict[str, Any]) -> None:
    for label, values in SCENARIOS.items():
        r = resolve_template(cfn, values)
        policies = resources_of_type(r, "AWS::SecretsManager::ResourcePolicy")
        c.equal(sorted(json.dumps(p["Properties"].get("SecretId")) for p in policies.values()),
                sorted(json.dumps({"Ref": f"{kind}{app}"}) for app in APPS for kind in ["KeySecret", "UserSigSecret"]),
                f"[{label}] two resource policies per app, on its key and UserSig secrets")
        for policy in policies.values():
            secret = policy["Properties"].get("SecretId", {}).get("Ref", "")
            readers = key_readers(values) if secret.startswith("KeySecret") else usersig_readers(values)
            check_deny_policy(c, policy["Properties"], readers, f"{label}, {secret}")


def check_deny_policy(c: Checks, props: dict[str, Any], readers: list[Any], label: str) -> None:
    """A secret's resource policy: reading denied to all but its readers."""
    c.equal(props.get("BlockPublicPolicy"), True, f"[{label}] BlockPublicPolicy")
    found = statements(props.get("ResourcePolicy", {}))
    if c.equal(len(found), 1, f"[{label}] resource policy statements"):
        s = found[0]
        c.equal(s.get("Effect"), "Deny", f"[{label}] resource policy denies")
        c.check(s.get("Principal") in ("*", {"AWS": "*"}), f"[{label}] deny applies to every principal")
        # Only reading: PutSecretValue (the operator) and the policy and
        # secret updates (CloudFormation) stay possible.
        c.equal(as_list(s.get("Action")), ["secretsmanager:GetSecretValue"], f"[{label}] denied action")
        c.equal(s.get("Resource"), "*", f"[{label}] deny resource (this secret)")
        c.equal(s.get("Condition"), {"ArnNotEquals": {"aws:PrincipalArn": readers}}, f"[{label}] deny exceptions")


def check_refresher_key_policy(c: Checks, cfn: dict[str, Any]) -> None:
    """The refresher's key-secret grants sit in their own AWS::IAM::Policy,
    attached before Secrets Manager first invokes the refresher."""
    policy = cfn["Resources"].get("UsersigRefresherKeySecretPolicy", {})
    c.equal(policy.get("Type"), "AWS::IAM::Policy", "refresher's key-secret policy")
    c.equal(policy.get("Properties", {}).get("Roles"), [{"Ref": "UsersigRefresherRole"}],
            "key-secret policy attached to the refresher only")
    for app in APPS:
        rotation = cfn["Resources"].get(f"UserSigRotationSchedule{app}", {})
        c.check("UsersigRefresherKeySecretPolicy" in as_list(rotation.get("DependsOn", [])),
                f"app {app}: rotation schedule (which invokes testSecret at once) waits for the key-secret policy")


def check_usersig_readers(c: Checks, cfn: dict[str, Any]) -> None:
    """ops-pull and push-stats read only AWSCURRENT; nobody else carries a
    VersionStage condition (the refresher must read AWSPENDING)."""
    for label, values in SCENARIOS.items():
        r = resolve_template(cfn, values)
        staged: dict[str, int] = {}
        for role_id in resources_of_type(r, "AWS::IAM::Role"):
            for s in role_statements(r, role_id):
                if "secretsmanager:VersionStage" in json.dumps(s.get("Condition", {})):
                    staged[role_id] = staged.get(role_id, 0) + 1
                reads_usersig = ("secretsmanager:GetSecretValue" in as_list(s.get("Action"))
                                 and USERSIG_ARN_PATTERN in as_list(s.get("Resource")))
                if reads_usersig and role_id in USERSIG_READERS:
                    c.equal(s.get("Condition"), {**CURRENT_ONLY, **THIS_STACKS_APPS},
                            f"[{label}] {role_id} reads only AWSCURRENT, of this stack's apps")
                elif reads_usersig:
                    c.equal(s.get("Condition"), THIS_STACKS_APPS,
                            f"[{label}] {role_id} may read AWSPENDING (rotation), of this stack's apps")
        c.equal(staged, {role: 1 for role in USERSIG_READERS}, f"[{label}] VersionStage conditions")


SECRET_ACCESS_CHECKS: list[Callable[[Checks, dict[str, Any]], None]] = [
    check_key_secret_encryption, check_key_secret_policy, check_refresher_key_policy, check_usersig_readers,
]


# --------------------------------------------------------------------------- mutations


def _by_sid(found: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in found if s.get("Sid") == sid)


def _key_policy(sam: dict[str, Any]) -> list[dict[str, Any]]:
    return props(sam, "KeySecretKmsKey")["KeyPolicy"]["Statement"]


def _key_statement(sam: dict[str, Any], sid: str = "RefresherDecryptsThroughSecretsManager") -> dict[str, Any]:
    return _by_sid(_key_policy(sam), sid)


def _deny(sam: dict[str, Any], secret: str = "KeySecret", sid: str = "OnlyTheRefresherReadsTheKey") -> dict[str, Any]:
    return _by_sid(per_app(sam, f"{secret}ResourcePolicy")["Properties"]["ResourcePolicy"]["Statement"], sid)


def _usersig_deny(sam: dict[str, Any]) -> dict[str, Any]:
    return _deny(sam, "UserSigSecret", "OnlyTheFunctionsReadTheUserSig")


def _statement(sam: dict[str, Any], role: str, sid: str) -> dict[str, Any]:
    """A statement of a role's first inline policy, or of the refresher's
    key-secret policy."""
    if role == "UsersigRefresherKeySecretPolicy":
        return _by_sid(props(sam, role)["PolicyDocument"]["Statement"], sid)
    return _by_sid(statements(props(sam, role)["Policies"][0]["PolicyDocument"]), sid)


def _own_key_grant(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The Fn::If-guarded grant on the operator's key (its true branch)."""
    return next(s["Fn::If"][1] for s in found if "Fn::If" in s)


SECRET_ACCESS_MUTATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mutate_usersig_deny_drops_push_stats": lambda sam: [
        branch.remove({"Fn::GetAtt": ["PushStatsRole", "Arn"]})
        for branch in _usersig_deny(sam)["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::If"][1:]],
    "mutate_usersig_deny_any_principal": lambda sam: _usersig_deny(sam)["Condition"]["ArnNotEquals"].update(
        {"aws:PrincipalArn": "*"}),
    "mutate_usersig_policy_public": lambda sam: per_app(sam, "UserSigSecretResourcePolicy")["Properties"].update(
        BlockPublicPolicy=False),
    "mutate_usersig_default_key": lambda sam: per_app(sam, "UserSigSecret")["Properties"].pop("KmsKeyId"),
    # ops-pull and push-stats could decrypt the key secrets' ciphertext too.
    "mutate_key_policy_readers_any_secret": lambda sam: _key_statement(
        sam, "ReadersDecryptUserSigsThroughSecretsManager")["Condition"].pop("StringLike"),
    "mutate_key_policy_everyone_decrypts": lambda sam: _key_statement(
        sam, "ReadersDecryptUserSigsThroughSecretsManager").update(Principal={"AWS": "*"}),
    "mutate_key_policy_refresher_encrypts_keys": lambda sam: _key_statement(
        sam, "RefresherEncryptsUserSigsThroughSecretsManager")["Condition"].pop("StringLike"),
    "mutate_own_key_reader_any_secret": lambda sam: _own_key_grant(
        statements(props(sam, "OpsPullRole")["Policies"][0]["PolicyDocument"]))["Condition"].pop("StringLike"),
    "mutate_reader_any_stage": lambda sam: _statement(sam, "PushStatsRole", "ReadUserSigSecrets")["Condition"].pop(
        "ForAnyValue:StringEquals"),
    "mutate_refresher_current_only": lambda sam: _statement(sam, "UsersigRefresherRole", "RotateUserSigSecrets").update(
        Condition={**CURRENT_ONLY, **THIS_STACKS_APPS}),
    "mutate_key_secret_default_key": lambda sam: per_app(sam, "KeySecret")["Properties"].pop("KmsKeyId"),
    "mutate_key_policy_wrong_reader": lambda sam: _key_statement(sam).update(
        Principal={"AWS": [{"Fn::GetAtt": ["PushStatsRole", "Arn"]}]}),
    "mutate_key_policy_without_account": lambda sam: _key_policy(sam).remove(
        _key_statement(sam, "EnableIAMUserPermissions")),
    "mutate_key_policy_any_service": lambda sam: _key_statement(sam).pop("Condition"),
    "mutate_key_policy_encrypts_too": lambda sam: _key_statement(sam).update(Action=["kms:Decrypt", "kms:GenerateDataKey"]),
    "mutate_deny_without_break_glass": lambda sam: _deny(sam)["Condition"]["ArnNotEquals"].update(
        {"aws:PrincipalArn": [dict(REFRESHER_ARN)]}),
    "mutate_deny_wrong_reader": lambda sam: _deny(sam)["Condition"]["ArnNotEquals"].update(
        {"aws:PrincipalArn": [{"Fn::GetAtt": ["PushStatsRole", "Arn"]}]}),
    "mutate_deny_blocks_writes": lambda sam: _deny(sam).update(Action="secretsmanager:*"),
    "mutate_deny_public_policy": lambda sam: per_app(sam, "KeySecretResourcePolicy")["Properties"].update(
        BlockPublicPolicy=False),
    "mutate_own_key_any_secret": lambda sam: _own_key_grant(
        props(sam, "UsersigRefresherKeySecretPolicy")["PolicyDocument"]["Statement"])["Condition"].pop("StringLike"),
    "mutate_key_always_created": lambda sam: sam["Resources"]["KeySecretKmsKey"].pop("Condition"),
    "mutate_break_glass_inverted": lambda sam: sam["Conditions"].update(
        HasBreakGlassRole={"Fn::Equals": [{"Ref": "BreakGlassRoleArn"}, ""]}),
    "mutate_rotation_before_key_policy": lambda sam: per_app(sam, "UserSigRotationSchedule").update(
        DependsOn="UserSigRotationPermission"),
    "mutate_burst_above_tencent": lambda sam: props(sam, "PushStatsApi")["DefaultRouteSettings"].update(
        ThrottlingBurstLimit=10),
    # ops-pull may read any app's UserSig in the account (no tag condition).
    "mutate_reader_every_app": lambda sam: _statement(sam, "OpsPullRole", "ReadUserSigSecrets")["Condition"].pop(
        "StringEquals"),
    "mutate_refresher_rotates_every_app": lambda sam: _statement(
        sam, "UsersigRefresherRole", "RotateUserSigSecrets").pop("Condition"),
    "mutate_refresher_reads_every_key": lambda sam: _statement(
        sam, "UsersigRefresherKeySecretPolicy", "ReadKeySecrets").pop("Condition"),
    "mutate_refresher_reads_usersig_as_key": lambda sam: _statement(
        sam, "UsersigRefresherKeySecretPolicy", "ReadKeySecrets").update(Resource=dict(USERSIG_ARN_PATTERN)),
    "mutate_readers_tag_is_one_app": lambda sam: _statement(
        sam, "PushStatsRole", "CheckUserSigSecretVersions")["Condition"]["StringEquals"].update(
        {"aws:ResourceTag/tim:sdkappid": {"Fn::Select": [0, {"Ref": "SdkAppIds"}]}}),
    "mutate_key_secret_untagged": lambda sam: per_app(sam, "KeySecret")["Properties"].pop("Tags"),
}
