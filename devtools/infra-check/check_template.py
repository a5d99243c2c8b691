#!/usr/bin/env python3
"""Wiring checks of infra/template.yaml, offline.

Linters validate each resource against its schema; they do not know what this
stack is meant to wire together (and cfn-lint releases have let a broken
`ApiId` reference and an undefined authorizer through). This script expands
the SAM template with samtranslator exactly as CloudFormation's transform
would (no AWS calls: an explicit region, an empty managed-policy map), then
asserts the resources, policies and references we expect. It finally breaks
the template on purpose (mutations) and asserts that the checks notice.

The template declares each app's secrets once, in Fn::ForEach blocks over the
SdkAppIds parameter (AWS::LanguageExtensions). Every check runs on the
template expanded for TWO apps (APPS), as CloudFormation expands it before
the SAM transform (by cfn-lint's own transform: cfn_support.expand_for_each),
so per-app wiring is asserted for each app and lists for both, in SdkAppIds
order.

Who may read the secrets (the key secret's KMS key and resource policy, the
UserSig readers' VersionStage condition) is checked in secret_access.py, for
every combination of the optional parameters (Conditions are evaluated by
cfn-lint's evaluator, Fn::If resolved by cfn_support.py).

Facts that live in the Rust code (region names, the key secret's fields, the
getappinfo field list, what each function logs) are read from
infra/facts.json, which tests in the crates assert against the code
(shared/tests/facts.rs, functions/*/tests/facts.rs), so the template cannot
silently drift from them.

Run with the repo's venv: .venv/bin/python devtools/infra-check/check_template.py
Prints one line per failure and ends with `infra: N passed, M failed`.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable

import logging

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from cfn_support import (
    FACTS, Checks, as_list, check_patterns, edit, expand_for_each, failed_rules, per_app, props, put, render_sub,
    resolve_template, resources_of_type, role_statements, rule_parameters, statements, sub_variables, walk,
)
import dashboard_picture
from operations import OPERATIONS_CHECKS
from operations_breakages import OPERATIONS_MUTATIONS
from saved_queries import SAVED_QUERY_CHECKS, SAVED_QUERY_MUTATIONS
from secret_access import (
    APPS, SCENARIOS, SECRET_ACCESS_CHECKS, SECRET_ACCESS_MUTATIONS, USERSIG_ARN_PATTERN, THIS_STACKS_APPS,
    check_access_parameters, reader_key_grants, refresher_key_grants,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"

# The functions' metrics namespace (EMF), from the template's parameter.
METRICS_ENV = {"METRICS_NAMESPACE": {"Ref": "MetricsNamespace"}}

# Every app's UserSig secret, in SdkAppIds order: the names the template
# gives the secrets (check_secrets asserts those), comma-separated.
USERSIG_NAMES = ",".join(f"tencent-chat/{app}/usersig" for app in APPS)

# The readers' apps (TIM_SDKAPPIDS, compared rendered by evaluate_join for
# the two apps) and their UserSig secrets' name pattern (a literal).
READER_APPS_ENV = {"TIM_SDKAPPIDS": ",".join(APPS), "TIM_USERSIG_SECRET_ID": "tencent-chat/{sdkappid}/usersig"}

# What each function is, as the issues specify.
FUNCTIONS = {
    "OpsPullFunction": {
        "binary": "ops-pull",
        # Up to PUSH_ARCHIVE_DAYS Tencent calls per app at >= 1.1 s each.
        "timeout": 120,
        "role": "OpsPullRole",
        "log_group": "OpsPullLogGroup",
        "env": {
            "OPS_BUCKET": {"Ref": "ArchiveBucket"},
            "OPS_PREFIX": {"Ref": "OpsPrefix"},
            "PUSH_ARCHIVE_DAYS": {"Ref": "PushArchiveDays"},
            **READER_APPS_ENV,
            **METRICS_ENV,
        },
    },
    "PushStatsFunction": {
        "binary": "push-stats",
        "timeout": 10,
        "role": "PushStatsRole",
        "log_group": "PushStatsLogGroup",
        "env": {**READER_APPS_ENV, **METRICS_ENV},
    },
    # No TIM_KEY_SECRET_ID and no TIM_ROTATION_TARGETS: one pair per app,
    # TIM_ROTATION_TARGET_<id> = "<UserSig secret name>=<key secret name>"
    # (the names check_secrets asserts), the only secrets it serves.
    "UsersigRefresherFunction": {
        "binary": "usersig-refresher",
        "timeout": 30,
        "role": "UsersigRefresherRole",
        "log_group": "UsersigRefresherLogGroup",
        "env": {
            "USERSIG_VALIDITY_DAYS": {"Ref": "UserSigValidityDays"},
            "MIN_VALIDITY_HOURS": {
                "Fn::FindInMap": ["RotationInterval", {"Ref": "RotationIntervalDays"}, "MinValidityHours"]
            },
            "LIVE_CHECK": "true",
            # Which TIM_ROTATION_TARGET_<id> the refresher reads: every app.
            "TIM_ROTATION_APPS": ",".join(APPS),
            **{f"TIM_ROTATION_TARGET_{app}": f"tencent-chat/{app}/usersig=tencent-chat/{app}/key" for app in APPS},
            **METRICS_ENV,
        },
    },
}

# Least privilege, resource by resource: the exact (actions, resource,
# condition) triples each role may hold, from its inline policies and the
# AWS::IAM::Policy resources attached to it. Anything else is a failure.
ARCHIVE_OBJECTS = {"Fn::Sub": "${ArchiveBucket.Arn}/${OpsPrefix}/*"}
USERSIG_CURRENT_ONLY = {"ForAnyValue:StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}, **THIS_STACKS_APPS}
EXPECTED_GRANTS = {
    "OpsPullRole": [
        ({"logs:CreateLogStream", "logs:PutLogEvents"}, {"Fn::GetAtt": ["OpsPullLogGroup", "Arn"]}, None),
        ({"s3:PutObject", "s3:GetObject"}, ARCHIVE_OBJECTS, None),
        ({"s3:ListBucket"}, {"Fn::GetAtt": ["ArchiveBucket", "Arn"]}, None),
        ({"secretsmanager:GetSecretValue"}, USERSIG_ARN_PATTERN, USERSIG_CURRENT_ONLY),
        # After a refusal: did AWSCURRENT move? (no value, no decryption)
        ({"secretsmanager:DescribeSecret"}, USERSIG_ARN_PATTERN, THIS_STACKS_APPS),
        ({"sqs:SendMessage"}, {"Fn::GetAtt": ["OpsPullDeadLetterQueue", "Arn"]}, None),
    ],
    "PushStatsRole": [
        ({"logs:CreateLogStream", "logs:PutLogEvents"}, {"Fn::GetAtt": ["PushStatsLogGroup", "Arn"]}, None),
        ({"secretsmanager:GetSecretValue"}, USERSIG_ARN_PATTERN, USERSIG_CURRENT_ONLY),
        ({"secretsmanager:DescribeSecret"}, USERSIG_ARN_PATTERN, THIS_STACKS_APPS),
    ],
    # Plus its key-secret grants, which depend on the parameters
    # (secret_access.refresher_key_grants).
    "UsersigRefresherRole": [
        ({"logs:CreateLogStream", "logs:PutLogEvents"}, {"Fn::GetAtt": ["UsersigRefresherLogGroup", "Arn"]}, None),
        (
            {
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            },
            USERSIG_ARN_PATTERN,
            THIS_STACKS_APPS,
        ),
    ],
}

# "Maximum Calling Frequency: 1 time/second." for all_member_push_statistics
# (https://trtc.io/document/71894, https://www.tencentcloud.com/document/product/1047/71894).
TENCENT_PUSH_STATS_PER_SECOND = 1

PSEUDO_PARAMETERS = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
    "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

# Deploy-time values used when rendering Fn::Sub strings for comparison.
SAMPLE = {
    "ArchiveBucket": "archive-bucket",
    "AWS::Region": "eu-west-1",
    "AWS::URLSuffix": "amazonaws.com",
    **{f"KeySecret{app}": f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:tencent-chat/{app}/key-abcdef"
       for app in APPS},
    **{f"UserSigSecret{app}": f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:tencent-chat/{app}/usersig-ghijkl"
       for app in APPS},
    "PushStatsApi": "abc123",
}


# --------------------------------------------------------------------------- helpers


def load_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


def translate(sam: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """AWS::LanguageExtensions (Fn::ForEach over SdkAppIds = APPS), then
    SAM -> CloudFormation, offline. Local CodeUris become placeholder S3
    URIs, as `sam validate` does before calling the translator. Fn::Join
    over the SdkAppIds parameter is rendered for APPS (evaluate_join), so the
    checks compare the lists CloudFormation will build."""
    values = {"SdkAppIds": list(APPS), **(parameters or {})}
    sam = expand_for_each(sam, list(APPS))
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://placeholder-bucket/placeholder.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
    cfn = translator.translate(sam, values, get_managed_policy_map=lambda: {})
    return evaluate_joins(cfn, values)


def evaluate_joins(node: Any, params: dict[str, Any]) -> Any:
    """Fn::Join nodes whose parts are literals and Refs to the list
    parameters in params become the string CloudFormation builds."""
    if isinstance(node, list):
        return [evaluate_joins(v, params) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: evaluate_joins(v, params) for k, v in node.items()}
    if set(node) == {"Fn::Join"} and isinstance(node["Fn::Join"], list) and len(node["Fn::Join"]) == 2:
        delimiter, parts = node["Fn::Join"]
        if isinstance(parts, dict) and set(parts) == {"Ref"} and isinstance(params.get(parts["Ref"]), list):
            parts = params[parts["Ref"]]
        if isinstance(delimiter, str) and isinstance(parts, list) and all(isinstance(p, str) for p in parts):
            return delimiter.join(parts)
    return node


# --------------------------------------------------------------------------- source-level checks


def check_sources(c: Checks, sam: dict[str, Any]) -> None:
    """What `sam build` needs: each CodeUri is a workspace member whose
    package builds the named binary."""
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    for logical_id, spec in FUNCTIONS.items():
        function = sam["Resources"].get(logical_id, {})
        c.equal(function.get("Type"), "AWS::Serverless::Function", f"{logical_id} type")
        metadata = function.get("Metadata", {})
        c.equal(metadata.get("BuildMethod"), "rust-cargolambda", f"{logical_id} BuildMethod")
        c.equal(metadata.get("BuildProperties", {}).get("Binary"), spec["binary"], f"{logical_id} Binary")
        code_uri = function.get("Properties", {}).get("CodeUri", "")
        crate = (TEMPLATE.parent / str(code_uri)).resolve()
        manifest = crate / "Cargo.toml"
        if c.check(manifest.is_file(), f"{logical_id} CodeUri {code_uri!r} is not a crate folder"):
            package = tomllib.loads(manifest.read_text()).get("package", {}).get("name")
            c.equal(package, spec["binary"], f"{logical_id} crate name at {code_uri}")
            member = crate.relative_to(ROOT).as_posix() if crate.is_relative_to(ROOT) else str(crate)
            c.check(member in workspace, f"{logical_id} CodeUri {member} is not a workspace member")


def check_parameters(c: Checks, sam: dict[str, Any]) -> None:
    params = sam["Parameters"]
    for name in [
        "SdkAppIds", "TencentRegion", "AdminIdentifier", "ScheduleExpression", "RotationIntervalDays",
        "UserSigValidityDays", "Architecture", "LogRetentionDays", "OpsPrefix", "AlarmEmail", "AlarmTopicArn",
        "AlarmsReachNobody", "MetricsNamespace", "NewestDayLagAlarmHours", "UserSigAlarmHoursLeft",
        "PushStats5xxAlarmThreshold", "PushArchiveDays",
    ]:
        c.check(name in params, f"parameter {name} missing")
    c.check("SDKAppID" not in params, "the single-app SDKAppID parameter is gone (SdkAppIds replaces it)")
    apps = params.get("SdkAppIds", {})
    c.check("Default" not in apps, "SdkAppIds must be asked for, not defaulted")
    c.equal(apps.get("Type"), "CommaDelimitedList", "SdkAppIds is a list")
    # CloudFormation applies a CommaDelimitedList's AllowedPattern to each item.
    check_patterns(c, params, {"SdkAppIds": (
        ["1400000000", "1400000001", "20000", "999999999999"],
        ["", "0", "1400000000,1400000001", " 1400000000", "14000a0000", "0400000000", "1234", "1234567890123"],
    )})
    push_days = params.get("PushArchiveDays", {})
    c.equal((push_days.get("Type"), push_days.get("Default"), push_days.get("MinValue"), push_days.get("MaxValue")),
            ("Number", 7, 0, 28), "PushArchiveDays: default 7, 0 (off) to 28 (Tencent's oldest days are partial)")
    c.equal(params["Architecture"].get("Default"), "arm64", "Architecture default")
    c.equal(sorted(params["Architecture"].get("AllowedValues", [])), ["arm64", "x86_64"], "Architecture values")
    regions = [region["name"] for region in FACTS["regions"]]
    c.equal(sorted(params["TencentRegion"].get("AllowedValues", [])), sorted(regions),
            "TencentRegion values vs tim::Region names")
    c.check(params["TencentRegion"].get("Default") in regions, "TencentRegion default is a region")
    c.equal(params["AdminIdentifier"].get("Default"), "administrator", "AdminIdentifier default")
    c.equal(params["OpsPrefix"].get("Default"), "tencent-chat/operations", "OpsPrefix default (ops-pull's default)")
    check_patterns(c, params, {"OpsPrefix": (["tencent-chat/operations", "ops", "a/b/c"], ["/ops", "ops/", "a//b", ""])})
    # 02:30 UTC = 10:30 China time, after Tencent publishes T-1 (~10:00).
    c.equal(params["ScheduleExpression"].get("Default"), "cron(30 2 * * ? *)", "ScheduleExpression default")
    c.check(params["AlarmEmail"].get("Default") == "", "AlarmEmail is optional (empty default)")
    c.check(
        not any("key" in name.lower() and name != "KeySecret" for name in params),
        "no parameter may carry the app key",
    )


def check_rules_and_mappings(c: Checks, sam: dict[str, Any]) -> None:
    """validity > interval (the template asks for >= 2x): evaluate the rules
    for every allowed pair; every interval has its mapping entry."""
    params = sam["Parameters"]
    intervals = params["RotationIntervalDays"]["AllowedValues"]
    validities = params["UserSigValidityDays"]["AllowedValues"]
    defaults = {"RotationIntervalDays": params["RotationIntervalDays"]["Default"],
                "UserSigValidityDays": params["UserSigValidityDays"]["Default"]}
    # The rules that only concern these two parameters (the alarm rules are
    # checked in operations.py).
    pair_rules = {name: rule for name, rule in sam.get("Rules", {}).items()
                  if rule_parameters(rule) <= {"RotationIntervalDays", "UserSigValidityDays"}}
    c.check(len(pair_rules) >= 4, f"interval/validity rules found: {sorted(pair_rules)}")
    wrong = []
    for interval in intervals:
        for validity in validities:
            values = {"RotationIntervalDays": interval, "UserSigValidityDays": validity}
            accepted = not failed_rules(pair_rules, values)
            if accepted != (int(validity) >= 2 * int(interval)):
                wrong.append((interval, validity, accepted))
    c.check(not wrong, f"rules accept/reject the wrong (interval, validity) pairs: {wrong}")
    c.check(int(defaults["UserSigValidityDays"]) >= 2 * int(defaults["RotationIntervalDays"]),
            "default validity is at least twice the default interval")
    mapping = sam["Mappings"]["RotationInterval"]
    c.equal(sorted(mapping, key=int), sorted(intervals, key=int), "RotationInterval mapping keys")
    for interval in intervals:
        entry = mapping.get(interval, {})
        c.equal(entry.get("Days"), int(interval), f"RotationInterval[{interval}].Days")
        c.equal(entry.get("MinValidityHours"), str((int(interval) + 1) * 24),
                f"RotationInterval[{interval}].MinValidityHours")
        # A fresh UserSig of the smallest accepted validity passes testSecret.
        smallest = min(int(v) for v in validities if int(v) >= 2 * int(interval))
        c.check(smallest * 24 > int(entry.get("MinValidityHours", 0)),
                f"interval {interval}: a fresh {smallest}-day UserSig would fail MIN_VALIDITY_HOURS")


# --------------------------------------------------------------------------- transformed-template checks


def check_references(c: Checks, cfn: dict[str, Any]) -> None:
    """Every Ref, GetAtt, Sub variable, DependsOn, Condition and FindInMap
    resolves: a broken ApiId or a typo anywhere fails here."""
    resources = cfn["Resources"]
    params = set(cfn.get("Parameters", {}))
    conditions = set(cfn.get("Conditions", {}))
    mappings = cfn.get("Mappings", {})
    known = set(resources) | params | PSEUDO_PARAMETERS
    broken: list[str] = []
    for node in walk({"Resources": resources, "Outputs": cfn.get("Outputs", {})}):
        if "Ref" in node and len(node) == 1 and node["Ref"] not in known:
            broken.append(f"Ref {node['Ref']}")
        if "Fn::GetAtt" in node and len(node) == 1:
            target = node["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if name not in resources:
                broken.append(f"GetAtt {name}")
        if "Fn::Sub" in node and len(node) == 1:
            text, local = sub_variables(node["Fn::Sub"])
            for var in re.findall(r"\$\{([^}!][^}]*)\}", text):
                base = var.split(".")[0]
                if var not in local and base not in known:
                    broken.append(f"Sub ${{{var}}}")
                if "." in var and base not in resources and var not in local:
                    broken.append(f"Sub ${{{var}}} (attribute of a non-resource)")
        if "Fn::FindInMap" in node and len(node) == 1:
            if node["Fn::FindInMap"][0] not in mappings:
                broken.append(f"FindInMap {node['Fn::FindInMap'][0]}")
        if "Fn::If" in node and len(node) == 1 and node["Fn::If"][0] not in conditions:
            broken.append(f"If {node['Fn::If'][0]}")
    # Conditions refer to parameters and to other conditions only.
    for name, condition in cfn.get("Conditions", {}).items():
        for node in walk(condition):
            if "Ref" in node and len(node) == 1 and node["Ref"] not in params:
                broken.append(f"Condition {name}: Ref {node['Ref']}")
            if "Condition" in node and len(node) == 1 and node["Condition"] not in conditions:
                broken.append(f"Condition {name}: Condition {node['Condition']}")
    for logical_id, resource in resources.items():
        for dep in as_list(resource.get("DependsOn", [])):
            if dep not in resources:
                broken.append(f"{logical_id} DependsOn {dep}")
        if "Condition" in resource and resource["Condition"] not in conditions:
            broken.append(f"{logical_id} Condition {resource['Condition']}")
    c.check(not broken, f"unresolved references: {broken}")


def check_functions(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    functions = resources_of_type(cfn, "AWS::Lambda::Function")
    c.equal(sorted(functions), sorted(FUNCTIONS), "Lambda functions")
    for logical_id, spec in FUNCTIONS.items():
        props = functions.get(logical_id, {}).get("Properties", {})
        c.equal(props.get("Runtime"), "provided.al2023", f"{logical_id} Runtime")
        c.equal(props.get("Handler"), "bootstrap", f"{logical_id} Handler")
        c.equal(props.get("Architectures"), [{"Ref": "Architecture"}], f"{logical_id} Architectures")
        c.equal(props.get("Timeout"), spec["timeout"], f"{logical_id} Timeout")
        c.check(128 <= props.get("MemorySize", 0) <= 512, f"{logical_id} MemorySize sensible")
        c.equal(props.get("Role"), {"Fn::GetAtt": [spec["role"], "Arn"]}, f"{logical_id} Role")
        c.equal(props.get("Environment", {}).get("Variables"), spec["env"], f"{logical_id} environment")
        logging = props.get("LoggingConfig", {})
        c.equal(logging.get("LogFormat"), "JSON", f"{logical_id} LogFormat")
        c.equal(logging.get("LogGroup"), {"Ref": spec["log_group"]}, f"{logical_id} LogGroup")
        group = resources.get(spec["log_group"], {})
        c.equal(group.get("Type"), "AWS::Logs::LogGroup", f"{spec['log_group']} type")
        c.equal(group.get("Properties", {}).get("RetentionInDays"), {"Ref": "LogRetentionDays"},
                f"{spec['log_group']} retention")
        name = group.get("Properties", {}).get("LogGroupName", {})
        c.check(isinstance(name, dict) and spec["binary"] in str(name.get("Fn::Sub", "")),
                f"{spec['log_group']} name names the function")
    # No reservation by default (a new account's quota of 10 cannot grant
    # one): ops-pull's lease keeps runs one at a time; reserving is opt-in.
    reserved = {k: f.get("Properties", {}).get("ReservedConcurrentExecutions") for k, f in functions.items()}
    c.equal(reserved, {"OpsPullFunction": {"Fn::If": ["HasOpsPullReservation", {"Ref": "OpsPullReservedConcurrency"},
                                                      {"Ref": "AWS::NoValue"}]},
                       "PushStatsFunction": None, "UsersigRefresherFunction": None},
            "reserved concurrency only as an opt-in")
    c.equal(cfn.get("Parameters", {}).get("OpsPullReservedConcurrency", {}).get("Default"), 0,
            "no reservation by default")
    # No secret in any environment: only ids of secrets and plain settings.
    env_values = json.dumps([f.get("Properties", {}).get("Environment") for f in functions.values()])
    c.check("PASTE" not in env_values and "usersig\":" not in env_values.lower(), "no secret values in env")


def check_iam(c: Checks, cfn: dict[str, Any]) -> None:
    roles = resources_of_type(cfn, "AWS::IAM::Role")
    c.equal(sorted(roles), sorted(EXPECTED_GRANTS), "IAM roles (no extra SAM-generated roles)")
    for role_id, expected in EXPECTED_GRANTS.items():
        props = roles.get(role_id, {}).get("Properties", {})
        c.check(not props.get("ManagedPolicyArns"), f"{role_id} has managed policies (too wide)")
        trust = statements(props.get("AssumeRolePolicyDocument", {}))
        c.check(
            len(trust) == 1 and trust[0].get("Principal") == {"Service": "lambda.amazonaws.com"}
            and trust[0].get("Action") == "sts:AssumeRole",
            f"{role_id} trusts exactly lambda.amazonaws.com",
        )
    # Same set of (actions, resource, condition) triples, order-insensitive,
    # for every combination of the optional parameters.
    def canonical(triples: list[tuple[set[str], Any, Any]]) -> list[str]:
        return sorted(json.dumps([sorted(a), r, cond], sort_keys=True) for a, r, cond in triples)

    for label, values in SCENARIOS.items():
        resolved = resolve_template(cfn, values)
        for role_id, expected in EXPECTED_GRANTS.items():
            if role_id == "UsersigRefresherRole":
                expected = expected + refresher_key_grants(values)
            else:
                expected = expected + reader_key_grants(values)
            granted: list[tuple[set[str], Any, Any]] = []
            for statement in role_statements(resolved, role_id):
                c.equal(statement.get("Effect"), "Allow", f"{role_id} statement effect")
                c.check("Condition" not in statement or statement.get("Effect") == "Allow",
                        f"{role_id} statement condition")
                for resource in as_list(statement.get("Resource")):
                    granted.append((set(as_list(statement.get("Action"))), resource, statement.get("Condition")))
            c.equal(canonical(granted), canonical(expected), f"[{label}] {role_id} grants")
    # Separate policies attach only to these roles; no managed policies.
    for policy_id, policy in resources_of_type(cfn, "AWS::IAM::Policy").items():
        attached = as_list(policy.get("Properties", {}).get("Roles", []))
        c.check(bool(attached) and all(r in [{"Ref": role} for role in EXPECTED_GRANTS] for r in attached),
                f"{policy_id} attaches to the stack's roles only: {attached}")
    c.equal(resources_of_type(cfn, "AWS::IAM::ManagedPolicy"), {}, "no managed policies")
    # Across the whole template: no Allow on "*" and no wildcard action. A KMS
    # key policy's Resource is always "*" (this key) and AWS's default
    # account statement allows "kms:*": secret_access.check_key_policy pins
    # that policy statement by statement instead.
    for logical_id, resource in cfn["Resources"].items():
        offences = []
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::KMS::Key":
            props = {k: v for k, v in props.items() if k != "KeyPolicy"}
        for node in walk(props):
            if node.get("Effect") != "Allow" or "Action" not in node:
                continue
            offences += [f"action {a!r}" for a in as_list(node.get("Action"))
                         if not isinstance(a, str) or a.endswith("*")]
            offences += ["Resource '*'" for r in as_list(node.get("Resource", [])) if r == "*"]
        c.check(not offences, f"{logical_id}: wildcard grants {offences}")
    # The only object-level S3 grant is under the prefix, rendered for real.
    c.equal(render_sub(ARCHIVE_OBJECTS["Fn::Sub"], {"ArchiveBucket.Arn": "arn:aws:s3:::archive-bucket",
                                                     "OpsPrefix": "tencent-chat/operations"}),
            "arn:aws:s3:::archive-bucket/tencent-chat/operations/*", "ops-pull object grant")


def check_bucket(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    bucket = resources.get("ArchiveBucket", {})
    props = bucket.get("Properties", {})
    c.equal(bucket.get("DeletionPolicy"), "Retain", "archive bucket survives stack deletion")
    c.equal(props.get("VersioningConfiguration", {}).get("Status"), "Enabled", "bucket versioning")
    sse = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])
    c.check(sse[0].get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") in {"AES256", "aws:kms"},
            "bucket default encryption")
    block = props.get("PublicAccessBlockConfiguration", {})
    for flag in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]:
        c.equal(block.get(flag), True, f"bucket {flag}")
    rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
    c.check(any(r.get("NoncurrentVersionExpiration") and r.get("Status") == "Enabled" for r in rules),
            "lifecycle expires noncurrent versions")
    c.check(any(r.get("AbortIncompleteMultipartUpload") for r in rules), "lifecycle aborts incomplete uploads")
    # Only the Athena results expire; nothing under the archive prefix does.
    expiring = [r for r in rules if "ExpirationInDays" in r]
    c.check(all(r.get("Prefix") == "athena-results/" for r in expiring), "only athena-results/ expires")
    policies = resources_of_type(cfn, "AWS::S3::BucketPolicy")
    tls = [
        s for p in policies.values() if p["Properties"].get("Bucket") == {"Ref": "ArchiveBucket"}
        for s in statements(p["Properties"]["PolicyDocument"])
        if s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    c.check(len(tls) == 1, "TLS-only bucket policy")
    if tls:
        c.equal(sorted(json.dumps(r, sort_keys=True) for r in as_list(tls[0]["Resource"])),
                sorted(json.dumps(r, sort_keys=True) for r in
                       [{"Fn::GetAtt": ["ArchiveBucket", "Arn"]}, {"Fn::Sub": "${ArchiveBucket.Arn}/*"}]),
                "TLS deny covers bucket and objects")
        c.equal(tls[0].get("Action"), "s3:*", "TLS deny covers all actions")


def check_secrets(c: Checks, cfn: dict[str, Any]) -> None:
    """Per app: a key secret and a UserSig secret with the names the
    functions' lists use, tagged with the app (and the UserSig with its key
    secret, the refresher's contract), and a rotation schedule of that
    UserSig secret by usersig-refresher. One invoke permission for every
    app's UserSig secret."""
    resources = cfn["Resources"]
    secrets = resources_of_type(cfn, "AWS::SecretsManager::Secret")
    c.equal(sorted(secrets), sorted(f"{kind}{app}" for app in APPS for kind in ["KeySecret", "UserSigSecret"]),
            "secrets: a key and a UserSig secret per app")
    for name, secret in secrets.items():
        props = secret.get("Properties", {})
        c.check("SecretString" not in props and "GenerateSecretString" not in props,
                f"{name} has no value in the template")
    schedules = resources_of_type(cfn, "AWS::SecretsManager::RotationSchedule")
    c.equal(sorted(schedules), sorted(f"UserSigRotationSchedule{app}" for app in APPS), "a rotation schedule per app")
    # One invoke permission per app, for exactly that app's UserSig secret.
    permissions = {
        k: p["Properties"] for k, p in resources_of_type(cfn, "AWS::Lambda::Permission").items()
        if p["Properties"].get("Principal") == "secretsmanager.amazonaws.com"
    }
    c.equal(sorted(permissions), sorted(f"UserSigRotationPermission{app}" for app in APPS),
            "a Lambda permission for Secrets Manager per app")
    for perm_id, perm in permissions.items():
        c.equal(perm.get("FunctionName"), {"Fn::GetAtt": ["UsersigRefresherFunction", "Arn"]},
                f"{perm_id}: Secrets Manager may invoke usersig-refresher")
        c.equal(perm.get("Action"), "lambda:InvokeFunction", f"{perm_id} action")
        c.equal(perm.get("SourceAccount"), {"Ref": "AWS::AccountId"}, f"{perm_id} limited to this account")
        c.equal(perm.get("SourceArn"), {"Ref": perm_id.replace("UserSigRotationPermission", "UserSigSecret")},
                f"{perm_id} limited to its app's UserSig secret")
    for app in APPS:
        key = secrets.get(f"KeySecret{app}", {}).get("Properties", {})
        usersig = secrets.get(f"UserSigSecret{app}", {}).get("Properties", {})
        c.equal(key.get("Name"), f"tencent-chat/{app}/key", f"app {app}: key secret name")
        c.equal(usersig.get("Name"), f"tencent-chat/{app}/usersig", f"app {app}: UserSig secret name")
        c.check(render_sub(key.get("Description", {}).get("Fn::Sub", ""), {"AWS::StackName": "s"}).count(app) == 1,
                f"app {app}: key secret description names the app")
        c.equal(key.get("Tags"), [{"Key": "tim:sdkappid", "Value": app}], f"app {app}: key secret tags")
        # No tim:key-secret tag: the refresher's TIM_ROTATION_TARGET_<id>
        # pairs alone choose the key secret.
        c.equal(usersig.get("Tags"), [{"Key": "tim:sdkappid", "Value": app}], f"app {app}: UserSig secret tags")
        rotation = schedules.get(f"UserSigRotationSchedule{app}", {})
        props = rotation.get("Properties", {})
        c.equal(props.get("SecretId"), {"Ref": f"UserSigSecret{app}"}, f"app {app}: rotation rotates its UserSig secret")
        c.equal(props.get("RotationLambdaARN"), {"Fn::GetAtt": ["UsersigRefresherFunction", "Arn"]},
                f"app {app}: rotation Lambda is usersig-refresher")
        c.equal(props.get("RotateImmediatelyOnUpdate"), False, f"app {app}: no rotation at deploy (key not set yet)")
        c.equal(props.get("RotationRules", {}).get("AutomaticallyAfterDays"),
                {"Fn::FindInMap": ["RotationInterval", {"Ref": "RotationIntervalDays"}, "Days"]},
                f"app {app}: rotation interval from the parameter")
        c.check(f"UserSigRotationPermission{app}" in as_list(rotation.get("DependsOn", [])),
                f"app {app}: rotation schedule waits for its app's invoke permission")
        # The roles' pattern covers this secret's ARN.
        arn = SAMPLE[f"UserSigSecret{app}"]
        pattern = render_sub(USERSIG_ARN_PATTERN["Fn::Sub"], {"AWS::Partition": "aws", "AWS::Region": "eu-west-1",
                                                               "AWS::AccountId": "123456789012"})
        c.check(fnmatch.fnmatchcase(arn, pattern), f"app {app}: {arn} outside the pattern {pattern}")
        # The refresher serves exactly this pair: the two names above.
        env = resources.get("UsersigRefresherFunction", {}).get("Properties", {}).get("Environment", {})
        pair = env.get("Variables", {}).get(f"TIM_ROTATION_TARGET_{app}", {})
        c.equal(pair, f"{usersig.get('Name')}={key.get('Name')}",
                f"app {app}: the refresher's pair names its UserSig and key secrets")
    # The readers' pattern names exactly these secrets.
    names = [secrets.get(f"UserSigSecret{app}", {}).get("Properties", {}).get("Name") for app in APPS]
    pattern = READER_APPS_ENV["TIM_USERSIG_SECRET_ID"]
    c.equal(names, [pattern.replace("{sdkappid}", app) for app in APPS],
            "TIM_USERSIG_SECRET_ID's pattern names each app's UserSig secret")
    c.equal(",".join(names), USERSIG_NAMES, "the UserSig secrets' names")
    c.equal(cfn.get("Outputs", {}).get("UserSigSecretIds", {}).get("Value"), USERSIG_NAMES, "UserSigSecretIds output")


def check_schedule(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    rules = resources_of_type(cfn, "AWS::Events::Rule")
    c.equal(len(rules), 1, "one schedule rule")
    if not rules:
        return
    rule_id, rule = next(iter(rules.items()))
    props = rule["Properties"]
    c.equal(props.get("ScheduleExpression"), {"Ref": "ScheduleExpression"}, "schedule from the parameter")
    c.equal(props.get("State"), "ENABLED", "schedule enabled")
    targets = props.get("Targets", [])
    c.equal(len(targets), 1, "schedule has one target")
    target = targets[0] if targets else {}
    c.equal(target.get("Arn"), {"Fn::GetAtt": ["OpsPullFunction", "Arn"]}, "schedule targets ops-pull")
    retry = target.get("RetryPolicy", {})
    c.check(retry.get("MaximumRetryAttempts", 0) >= 1, "schedule target retries")
    c.check(0 < retry.get("MaximumEventAgeInSeconds", 0) <= 86400, "schedule target event age bounded")
    dlq = {"Fn::GetAtt": ["OpsPullDeadLetterQueue", "Arn"]}
    c.equal(target.get("DeadLetterConfig", {}).get("Arn"), dlq, "schedule target dead-letter queue")
    c.equal(resources.get("OpsPullDeadLetterQueue", {}).get("Type"), "AWS::SQS::Queue", "DLQ is a queue")
    invoke = [
        p["Properties"] for p in resources_of_type(cfn, "AWS::Lambda::Permission").values()
        if p["Properties"].get("Principal") == "events.amazonaws.com"
    ]
    c.check(len(invoke) == 1 and invoke[0].get("FunctionName") == {"Ref": "OpsPullFunction"}
            and invoke[0].get("SourceArn") == {"Fn::GetAtt": [rule_id, "Arn"]},
            "EventBridge may invoke ops-pull, from this rule only")
    # Function errors: EventBridge invokes asynchronously, so Lambda retries
    # and the on-failure destination is what catches a failed pull.
    configs = resources_of_type(cfn, "AWS::Lambda::EventInvokeConfig")
    c.equal(len(configs), 1, "one async invoke config")
    config = next(iter(configs.values()), {}).get("Properties", {})
    c.equal(config.get("FunctionName"), {"Ref": "OpsPullFunction"}, "async config is ops-pull's")
    c.equal(config.get("MaximumRetryAttempts"), 0, "ops-pull failed runs are not retried by Lambda")
    c.equal(config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"), dlq,
            "failed ops-pull runs go to the DLQ")
    queue_policies = [
        p["Properties"] for p in resources_of_type(cfn, "AWS::SQS::QueuePolicy").values()
        if {"Ref": "OpsPullDeadLetterQueue"} in p["Properties"].get("Queues", [])
    ]
    allows = [
        s for p in queue_policies for s in statements(p["PolicyDocument"])
        if s.get("Effect") == "Allow" and s.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    c.check(
        len(allows) == 1 and allows[0].get("Action") == "sqs:SendMessage"
        and allows[0].get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn") == {"Fn::GetAtt": [rule_id, "Arn"]},
        "DLQ accepts dead letters from this rule only",
    )


def check_http_api(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    apis = resources_of_type(cfn, "AWS::ApiGatewayV2::Api")
    c.equal(list(apis), ["PushStatsApi"], "one HTTP API")
    body = apis.get("PushStatsApi", {}).get("Properties", {}).get("Body", {})
    paths = body.get("paths", {})
    c.equal(sorted(paths), ["/push-stats"], "API paths")
    c.equal(sorted(paths.get("/push-stats", {})), ["get", "post"], "/push-stats methods")
    schemes = body.get("components", {}).get("securitySchemes", {})
    for method, operation in paths.get("/push-stats", {}).items():
        security = operation.get("security")
        c.equal(security, [{"AWS_IAM": []}], f"{method.upper()} /push-stats uses IAM auth")
        for requirement in security or []:
            for scheme in requirement:
                c.check(scheme in schemes, f"{method.upper()} uses undefined authorizer {scheme!r}")
        integration = operation.get("x-amazon-apigateway-integration", {})
        c.equal(integration.get("type"), "aws_proxy", f"{method.upper()} integration type")
        c.equal(integration.get("payloadFormatVersion"), "2.0", f"{method.upper()} payload format")
        c.check("${PushStatsFunction.Arn}" in str(integration.get("uri", {}).get("Fn::Sub", "")),
                f"{method.upper()} integrates push-stats")
    c.equal(schemes.get("AWS_IAM", {}).get("x-amazon-apigateway-authtype"), "awsSigv4", "AWS_IAM is SigV4")
    # Routes and authorizers outside the OpenAPI body, if SAM ever emits them.
    for route_id, route in resources_of_type(cfn, "AWS::ApiGatewayV2::Route").items():
        c.equal(route["Properties"].get("AuthorizationType"), "AWS_IAM", f"{route_id} authorization")
    c.equal(resources_of_type(cfn, "AWS::ApiGatewayV2::Authorizer"), {}, "no custom authorizers")
    stages = resources_of_type(cfn, "AWS::ApiGatewayV2::Stage")
    c.equal(len(stages), 1, "one stage")
    stage = next(iter(stages.values()), {}).get("Properties", {})
    c.equal(stage.get("ApiId"), {"Ref": "PushStatsApi"}, "stage belongs to the API")
    c.equal(stage.get("StageName"), "$default", "default stage (URL without stage path)")
    c.equal(stage.get("AccessLogSettings", {}).get("DestinationArn"),
            {"Fn::GetAtt": ["PushStatsApiAccessLogGroup", "Arn"]}, "API access log group")
    c.check(stage.get("DefaultRouteSettings", {}).get("ThrottlingRateLimit", 0) > 0, "API throttled")
    # The access log joins the function's line (integration request id) and
    # the caller; never a header (the Authorization header carries SigV4).
    log = json.loads(stage.get("AccessLogSettings", {}).get("Format", "{}"))
    for field, variable in [("requestId", "$context.requestId"), ("integrationRequestId", "$context.integration.requestId"),
                            ("user", "$context.identity.userArn")]:
        c.equal(log.get(field), variable, f"access log {field}")
    c.check(not [v for v in log.values() if "header" in v.lower() or "authoriz" in v.lower()],
            f"access log carries no header or authorizer value: {log}")
    # Tencent's limit for all_member_push_statistics (one Tencent call per
    # request): a higher rate or burst only buys Tencent rate-limit errors.
    throttling = stage.get("DefaultRouteSettings", {})
    c.equal(throttling.get("ThrottlingRateLimit"), TENCENT_PUSH_STATS_PER_SECOND, "API rate = Tencent's")
    c.equal(throttling.get("ThrottlingBurstLimit"), TENCENT_PUSH_STATS_PER_SECOND, "API burst = Tencent's")
    for route, settings in stage.get("RouteSettings", {}).items():
        c.check(settings.get("ThrottlingRateLimit", 0) <= TENCENT_PUSH_STATS_PER_SECOND
                and settings.get("ThrottlingBurstLimit", 0) <= TENCENT_PUSH_STATS_PER_SECOND,
                f"route {route} throttled above Tencent's limit")
    permissions = [
        p["Properties"] for p in resources_of_type(cfn, "AWS::Lambda::Permission").values()
        if p["Properties"].get("Principal") == "apigateway.amazonaws.com"
    ]
    routes = set()
    for perm in permissions:
        c.equal(perm.get("FunctionName"), {"Ref": "PushStatsFunction"}, "API permission names push-stats")
        text, local = perm.get("SourceArn", {}).get("Fn::Sub", ["", {}])
        c.equal(local.get("__ApiId__"), {"Ref": "PushStatsApi"}, "API permission ApiId")
        routes.add(text.rsplit("}/", 1)[-1])
    c.equal(sorted(routes), ["GET/push-stats", "POST/push-stats"], "API permissions per route")
    endpoint = cfn.get("Outputs", {}).get("PushStatsEndpoint", {}).get("Value", {})
    c.equal(render_sub(endpoint.get("Fn::Sub", ""), SAMPLE),
            "https://abc123.execute-api.eu-west-1.amazonaws.com/push-stats", "endpoint URL output")


def check_alarms(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    alarms = resources_of_type(cfn, "AWS::CloudWatch::Alarm")
    watched_functions = []
    watched_queues = []
    # The alarms on AWS's metrics (each function's errors, the DLQ); the
    # alarms on the functions' own metrics and every alarm's actions are
    # checked in operations.py.
    for alarm_id, alarm in alarms.items():
        props = alarm["Properties"]
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        if props.get("Namespace") == "AWS/Lambda":
            c.equal(props.get("MetricName"), "Errors", f"{alarm_id} metric")
            watched_functions.append(dims.get("FunctionName"))
        elif props.get("Namespace") == "AWS/SQS":
            c.equal(props.get("MetricName"), "ApproximateNumberOfMessagesVisible", f"{alarm_id} metric")
            watched_queues.append(dims.get("QueueName"))
        else:
            continue
        c.equal(props.get("ComparisonOperator"), "GreaterThanOrEqualToThreshold", f"{alarm_id} comparison")
        c.equal(props.get("Threshold"), 1, f"{alarm_id} threshold")
        c.equal(props.get("TreatMissingData"), "notBreaching", f"{alarm_id} missing data")
    c.equal(sorted(json.dumps(f, sort_keys=True) for f in watched_functions),
            sorted(json.dumps({"Ref": f}) for f in FUNCTIONS), "an Errors alarm per function")
    c.equal(watched_queues, [{"Fn::GetAtt": ["OpsPullDeadLetterQueue", "QueueName"]}], "DLQ depth alarm")
    topic = resources.get("AlarmTopic", {})
    c.equal(topic.get("Condition"), "HasAlarmEmail", "alarm topic only with an e-mail")
    c.equal(topic.get("Properties", {}).get("Subscription"), [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}],
            "alarm e-mail subscription")


def check_glue(c: Checks, cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    database = resources.get("OpsDatabase", {})
    c.equal(database.get("Type"), "AWS::Glue::Database", "Glue database")
    c.equal(database.get("Properties", {}).get("DatabaseInput", {}).get("Name"), {"Ref": "AthenaDatabaseName"},
            "database name from the parameter")
    table = resources.get("OpsDailyTable", {}).get("Properties", {})
    c.equal(table.get("DatabaseName"), {"Ref": "OpsDatabase"}, "table in the database")
    table_input = table.get("TableInput", {})
    c.equal(table_input.get("Name"), "operations_daily", "table name")
    c.equal(table_input.get("TableType"), "EXTERNAL_TABLE", "external table")
    c.equal([k["Name"] for k in table_input.get("PartitionKeys", [])], ["sdkappid", "dt"], "partition keys")
    p = table_input.get("Parameters", {})
    c.equal(p.get("projection.enabled"), "true", "projection enabled")
    c.equal(p.get("projection.dt.type"), "date", "dt projection type")
    c.equal(p.get("projection.dt.format"), "yyyy-MM-dd", "dt format = ops-pull's dt=YYYY-MM-DD")
    c.check(str(p.get("projection.dt.range", "")).endswith(",NOW"), "dt range reaches today")
    c.equal(p.get("projection.dt.interval.unit"), "DAYS", "dt interval unit")
    c.check(p.get("projection.sdkappid.type") in {"enum", "injected"}, "sdkappid projection type")
    if p.get("projection.sdkappid.type") == "enum":
        c.equal(p.get("projection.sdkappid.values"), ",".join(APPS), "sdkappid enum = every app of the stack")
    # The ops-pull key layout, rendered for a sample app and day.
    values = {"ArchiveBucket": "archive-bucket", "OpsPrefix": "tencent-chat/operations"}
    key = "tencent-chat/operations/daily/sdkappid=1400000000/dt=2026-11-01/operations.json"
    template = render_sub(p.get("storage.location.template", {}).get("Fn::Sub", ""), values)
    c.equal(template.replace("${sdkappid}", "1400000000").replace("${dt}", "2026-11-01") + "operations.json",
            f"s3://archive-bucket/{key}", "location template matches the ops-pull key layout")
    storage = table_input.get("StorageDescriptor", {})
    location = render_sub(storage.get("Location", {}).get("Fn::Sub", ""), values)
    c.check(f"s3://archive-bucket/{key}".startswith(location) and location.endswith("/daily/"),
            f"table location {location!r} is the daily/ prefix")
    serde = storage.get("SerdeInfo", {})
    c.equal(serde.get("SerializationLibrary"), "org.openx.data.jsonserde.JsonSerDe", "JSON SerDe")
    c.equal(storage.get("InputFormat"), "org.apache.hadoop.mapred.TextInputFormat", "text input format")
    columns = {col["Name"]: col["Type"] for col in storage.get("Columns", [])}
    c.check(not set(columns) & {"sdkappid", "dt"}, "no data column repeats a partition key")
    for name in ["date", "pulled_at"]:
        c.equal(columns.get(name), "string", f"column {name}")
    # ops-pull's "malformed" object: field name -> original text.
    c.equal(columns.get("malformed"), "map<string,string>", "column malformed")
    numeric, text = FACTS["getappinfo"]["numeric_fields"], FACTS["getappinfo"]["text_fields"]
    mappings = {k[len("mapping."):]: v for k, v in serde.get("Parameters", {}).items() if k.startswith("mapping.")}
    for field in numeric + text:
        column = field.lower()
        c.equal(columns.get(column), "bigint" if field in numeric else "string", f"column for {field}")
        c.equal(mappings.get(column, column), field, f"SerDe mapping for {field}")
    for column, key_name in mappings.items():
        c.check(column in columns and key_name.lower() == column, f"mapping.{column} -> {key_name}")
    c.equal(mappings.get("malformed", "malformed"), "malformed", "SerDe mapping for malformed")
    c.check(serde.get("Parameters", {}).get("case.insensitive") == "false" or not mappings,
            "explicit mappings with case-sensitive keys")


# The push-history rows ops-pull writes (issue 13), as Glue columns.
PUSH_COLUMNS = {
    "date": "string", "event": "string", "event_code": "int", "platform": "string", "platform_code": "int",
    "total": "bigint", "sent": "bigint", "delivered": "bigint", "clicked": "bigint", "delivery_rate": "double",
    "click_rate": "double", "pulled_at": "string", "malformed": "map<string,string>",
}


def check_push_table(c: Checks, cfn: dict[str, Any]) -> None:
    """push_statistics: the push/ layout, both apps projected, the columns
    of ops-pull's rows, the same SerDe and types as operations_daily."""
    resources = cfn["Resources"]
    tables = resources_of_type(cfn, "AWS::Glue::Table")
    c.equal(sorted(tables), ["OpsDailyTable", "PushStatisticsTable"], "Glue tables")
    table = tables.get("PushStatisticsTable", {}).get("Properties", {})
    c.equal(table.get("DatabaseName"), {"Ref": "OpsDatabase"}, "push table in the database")
    table_input = table.get("TableInput", {})
    c.equal(table_input.get("Name"), "push_statistics", "push table name")
    c.equal(table_input.get("TableType"), "EXTERNAL_TABLE", "push table external")
    daily = resources.get("OpsDailyTable", {}).get("Properties", {}).get("TableInput", {})
    c.equal(table_input.get("PartitionKeys"), daily.get("PartitionKeys"), "push table partitions = operations_daily's")
    p = table_input.get("Parameters", {})
    c.equal(p.get("projection.enabled"), "true", "push projection enabled")
    c.equal((p.get("projection.sdkappid.type"), p.get("projection.sdkappid.values")), ("enum", ",".join(APPS)),
            "push sdkappid enum = every app of the stack")
    daily_p = daily.get("Parameters", {})
    for key in ["projection.dt.type", "projection.dt.format", "projection.dt.range", "projection.dt.interval",
                "projection.dt.interval.unit"]:
        c.equal(p.get(key), daily_p.get(key), f"push {key} = operations_daily's")
    values = {"ArchiveBucket": "archive-bucket", "OpsPrefix": "tencent-chat/operations"}
    key = f"tencent-chat/operations/push/sdkappid={APPS[1]}/dt=2026-11-01/push_statistics.json"
    template = render_sub(p.get("storage.location.template", {}).get("Fn::Sub", ""), values)
    c.equal(template.replace("${sdkappid}", APPS[1]).replace("${dt}", "2026-11-01") + "push_statistics.json",
            f"s3://archive-bucket/{key}", "push location template matches ops-pull's push/ layout")
    storage = table_input.get("StorageDescriptor", {})
    location = render_sub(storage.get("Location", {}).get("Fn::Sub", ""), values)
    c.equal(location, "s3://archive-bucket/tencent-chat/operations/push/", "push table location is the push/ prefix")
    daily_storage = daily.get("StorageDescriptor", {})
    for part in ["InputFormat", "OutputFormat"]:
        c.equal(storage.get(part), daily_storage.get(part), f"push table {part}")
    c.equal(storage.get("SerdeInfo", {}).get("SerializationLibrary"), "org.openx.data.jsonserde.JsonSerDe",
            "push table JSON SerDe")
    columns = {col["Name"]: col["Type"] for col in storage.get("Columns", [])}
    c.equal(columns, PUSH_COLUMNS, "push table columns (no sdkappid column: it is the partition)")
    daily_columns = {col["Name"]: col["Type"] for col in daily_storage.get("Columns", [])}
    c.equal(columns.get("pulled_at"), daily_columns.get("pulled_at"), "pulled_at typed as in operations_daily")


def check_outputs(c: Checks, cfn: dict[str, Any]) -> None:
    outputs = cfn.get("Outputs", {})
    for name in ["PushStatsEndpoint", "ArchiveBucketName", "UserSigSecretIds", "ArchivePushLocation",
                 *(f"SetKeyCommand{app}" for app in APPS), *(f"RotateUserSigCommand{app}" for app in APPS)]:
        c.check(name in outputs, f"output {name}")
    # Callers' IAM policies name these: execute-api ARNs of exactly the two
    # routes, on the HTTP API's default stage.
    route_arns = outputs.get("PushStatsRouteArns", {}).get("Value", {}).get("Fn::Join", ["", []])[1]
    arn_values = {"PushStatsApi": "api1", "AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123"}
    rendered = [render_sub(part.get("Fn::Sub", ""), arn_values) for part in route_arns]
    c.equal([r.split(":", 5)[-1] for r in rendered], ["api1/$default/GET/push-stats", "api1/$default/POST/push-stats"],
            "PushStatsRouteArns: the GET and POST routes")
    c.check(all(r.startswith("arn:aws:execute-api:eu-west-1:123:") for r in rendered),
            "PushStatsRouteArns are execute-api ARNs")
    per_app = sorted(k for k in outputs if k.startswith(("SetKeyCommand", "RotateUserSigCommand")))
    c.equal(per_app, sorted([f"SetKeyCommand{app}" for app in APPS] + [f"RotateUserSigCommand{app}" for app in APPS]),
            "per-app outputs: a set-key and a rotate command per app")
    values = {**SAMPLE, "AdminIdentifier": "administrator", "TencentRegion": "singapore"}
    fields = FACTS["key_secret_fields"]
    for app in APPS:
        command = render_sub(outputs.get(f"SetKeyCommand{app}", {}).get("Value", {}).get("Fn::Sub", ""), values)
        c.check(f"aws secretsmanager put-secret-value --region eu-west-1 --secret-id {SAMPLE[f'KeySecret{app}']} "
                in command, f"SetKeyCommand{app} targets its key secret")
        # The key never on a command line nor on disk: a hidden prompt, the
        # builtin printf piped to the CLI, which reads stdin.
        for part in ['read -rsp ', '"$key"', "--secret-string file:///dev/stdin"]:
            c.check(part in command, f"SetKeyCommand{app} lacks {part!r}")
        c.check("--secret-string '" not in command and "--secret-string \"" not in command,
                f"SetKeyCommand{app} puts the secret string on the command line")
        c.check(not re.search(r">\s*\S+\.json|shred", command), f"SetKeyCommand{app} writes the key to a file")
        skeleton = re.search(r"printf '(\{.*?\})' \"\$key\"", command)
        if c.check(skeleton is not None, f"SetKeyCommand{app} has a JSON skeleton"):
            document = json.loads(skeleton.group(1).replace("%s", "KEY"))
            c.equal(sorted(document), sorted(fields), "skeleton fields = tim::secrets::KeySecret fields")
            c.equal(document.get("sdkappid"), int(app), f"SetKeyCommand{app} skeleton sdkappid is the app, a number")
            c.equal(document.get("region"), "singapore", "skeleton region")
            c.equal(document.get("key"), "KEY", "skeleton key is the prompted one")
        rotate = render_sub(outputs.get(f"RotateUserSigCommand{app}", {}).get("Value", {}).get("Fn::Sub", ""), values)
        c.check(rotate.startswith("aws secretsmanager rotate-secret ")
                and rotate.endswith(f"--secret-id {SAMPLE[f'UserSigSecret{app}']}"), f"RotateUserSigCommand{app}")


WIRING_CHECKS: list[Callable[[Checks, dict[str, Any]], None]] = [
    check_references, check_functions, check_iam, check_bucket, check_secrets,
    check_schedule, check_http_api, check_alarms, check_glue, check_push_table, check_outputs,
    *SECRET_ACCESS_CHECKS, *OPERATIONS_CHECKS, *SAVED_QUERY_CHECKS,
]


def run_wiring(c: Checks, cfn: dict[str, Any]) -> None:
    for check in WIRING_CHECKS:
        try:
            check(c, cfn)
        except Exception as error:  # a malformed template is a failure, not a crash
            c.failures.append(f"{check.__name__} crashed: {type(error).__name__}: {error}")


# --------------------------------------------------------------------------- mutations


def _env(sam: dict[str, Any], function_id: str) -> dict[str, Any]:
    return props(sam, function_id)["Environment"]["Variables"]


def _column(sam: dict[str, Any], table_id: str, name: str) -> dict[str, Any]:
    return next(col for col in _columns(sam, table_id) if col["Name"] == name)


def _columns(sam: dict[str, Any], table_id: str) -> list[dict[str, Any]]:
    return props(sam, table_id)["TableInput"]["StorageDescriptor"]["Columns"]


_SET_KEY = lambda sam: per_app(sam, "SetKeyCommand", "Outputs")["Value"]  # noqa: E731
_LOCATION = "storage.location.template"

TEMPLATE_MUTATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mutate_api_id": lambda sam: props(sam, "PushStatsFunction")["Events"]["GetPushStats"]["Properties"].update(
        ApiId={"Ref": "PushStatsApii"}),
    "mutate_broken_getatt": lambda sam: props(sam, "PushStatsApi")["AccessLogSettings"].update(
        DestinationArn={"Fn::GetAtt": ["PushStatsApiLogGroup", "Arn"]}),
    # A route added outside SAM, with a dangling ApiId and no authorization:
    # the translator passes it through untouched.
    "mutate_raw_route": lambda sam: sam["Resources"].update(ExtraRoute={
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {"ApiId": {"Ref": "PushStatsHttpApi"}, "RouteKey": "GET /push-stats/debug",
                       "AuthorizationType": "NONE"}}),
    "mutate_undefined_authorizer": lambda sam: props(sam, "PushStatsApi")["Auth"].update(
        DefaultAuthorizer="MissingAuthorizer"),
    "mutate_no_auth_on_post": lambda sam: props(sam, "PushStatsFunction")["Events"]["PostPushStats"]["Properties"].update(
        Auth={"Authorizer": "NONE"}),
    "mutate_wide_secret_grant": lambda sam: props(sam, "PushStatsRole")["Policies"][0]["PolicyDocument"]["Statement"][1]
    .update(Resource="*"),
    "mutate_rotation_target": lambda sam: per_app(sam, "UserSigRotationSchedule")["Properties"].update(
        RotationLambdaARN={"Fn::GetAtt": ["PushStatsFunction", "Arn"]}),
    "mutate_schedule_without_dlq": lambda sam: props(sam, "OpsPullFunction")["Events"]["DailySchedule"]["Properties"]
    .pop("DeadLetterConfig"),
    "mutate_alarm_dimension": lambda sam: props(sam, "PushStatsErrorsAlarm")["Dimensions"][0].update(
        Value={"Ref": "OpsPullFunction"}),
    "mutate_location_template": lambda sam: props(sam, "OpsDailyTable")["TableInput"]["Parameters"].update({
        _LOCATION: {"Fn::Sub": "s3://${ArchiveBucket}/${OpsPrefix}/daily/${!sdkappid}/${!dt}/"}}),
    "mutate_broken_sub": lambda sam: per_app(sam, "RotateUserSigCommand", "Outputs").update(
        Value={"Fn::Sub": "aws secretsmanager rotate-secret --secret-id ${UserSigSecrett${AppId}}"}),
    "mutate_key_in_template": lambda sam: per_app(sam, "KeySecret")["Properties"].update(SecretString='{"key": "oops"}'),
    # Every schedule rotates one app's secret (a copy-paste slip).
    "mutate_rotation_of_first_app_only": lambda sam: per_app(sam, "UserSigRotationSchedule")["Properties"].update(
        SecretId={"Ref": "UserSigSecret1400000001"}),
    "mutate_rotation_target_key_of_other_app": lambda sam: put(
        _env(sam, "UsersigRefresherFunction")["Fn::ForEach::RotationTargets"], 2,
        {"TIM_ROTATION_TARGET_${AppId}": {"Fn::Sub": "tencent-chat/${AppId}/usersig=tencent-chat/1400000001/key"}}),
    "mutate_rotation_targets_missing": lambda sam: _env(sam, "UsersigRefresherFunction").pop(
        "Fn::ForEach::RotationTargets"),
    "mutate_key_secret_tag_back": lambda sam: per_app(sam, "UserSigSecret")["Properties"]["Tags"].append(
        {"Key": "tim:key-secret", "Value": {"Ref": {"Fn::Sub": "KeySecret${AppId}"}}}),
    # Back to one SourceArn pattern for every tencent-chat/*/usersig secret.
    "mutate_rotation_permission_pattern": lambda sam: per_app(sam, "UserSigRotationPermission")["Properties"].update(
        SourceArn={"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
                              "tencent-chat/*/usersig-??????"}),
    "mutate_rotation_waits_for_other_permission": lambda sam: put(
        per_app(sam, "UserSigRotationSchedule")["DependsOn"], 0, "UserSigRotationPermission1400000001"),
    "mutate_ops_pull_reserved": lambda sam: props(sam, "OpsPullFunction").update(ReservedConcurrentExecutions=1),
    "mutate_ops_pull_retried": lambda sam: props(sam, "OpsPullFunction")["EventInvokeConfig"].update(
        MaximumRetryAttempts=2),
    # The key back on the command line (shell history, ps).
    "mutate_set_key_literal": lambda sam: edit(
        _SET_KEY(sam), "Fn::Sub", "--secret-string file:///dev/stdin",
        "--secret-string '{\"sdkappid\": ${AppId}, \"key\": \"c2VjcmV0a2V5\"}'"),
    "mutate_set_key_on_disk": lambda sam: edit(
        _SET_KEY(sam), "Fn::Sub", "--secret-string file:///dev/stdin", "--secret-string file://key.json"),
    "mutate_access_log_without_integration_id": lambda sam: edit(
        props(sam, "PushStatsApi")["AccessLogSettings"], "Format",
        '"integrationRequestId":"$context.integration.requestId",', ""),
    "mutate_access_log_authorization_header": lambda sam: edit(
        props(sam, "PushStatsApi")["AccessLogSettings"], "Format", '"ip":', '"auth":"$request.header.Authorization","ip":'),
    "mutate_malformed_as_string": lambda sam: _column(sam, "OpsDailyTable", "malformed").update(Type="string"),
    "mutate_push_table_without_malformed": lambda sam: _columns(sam, "PushStatisticsTable").remove(
        _column(sam, "PushStatisticsTable", "malformed")),
    "mutate_push_days_thirty": lambda sam: sam["Parameters"]["PushArchiveDays"].update(MaxValue=30),
    "mutate_schedule_before_tencent": lambda sam: sam["Parameters"]["ScheduleExpression"].update(
        Default="cron(15 1 * * ? *)"),
    "mutate_usersig_name_without_app": lambda sam: per_app(sam, "UserSigSecret")["Properties"].update(
        Name={"Fn::Sub": "tencent-chat/usersig-${AppId}"}),
    "mutate_env_ids_one_app": lambda sam: _env(sam, "PushStatsFunction").update(
        TIM_SDKAPPIDS={"Fn::Select": [0, {"Ref": "SdkAppIds"}]}),
    "mutate_env_ids_wrong_delimiter": lambda sam: put(_env(sam, "OpsPullFunction")["TIM_SDKAPPIDS"]["Fn::Join"], 0, ";"),
    "mutate_env_old_secret_list": lambda sam: _env(sam, "OpsPullFunction").update(TIM_USERSIG_SECRET_ID={
        "Fn::Join": ["", ["tencent-chat/", {"Fn::Join": ["/usersig,tencent-chat/", {"Ref": "SdkAppIds"}]}, "/usersig"]]}),
    "mutate_env_pattern_of_one_app": lambda sam: _env(sam, "PushStatsFunction").update(
        TIM_USERSIG_SECRET_ID="tencent-chat/1400000001/usersig"),
    "mutate_refresher_keeps_key_variable": lambda sam: _env(sam, "UsersigRefresherFunction").update(
        TIM_KEY_SECRET_ID={"Ref": "KeySecret1400000001"}),
    "mutate_glue_enum_one_app": lambda sam: props(sam, "OpsDailyTable")["TableInput"]["Parameters"].update({
        "projection.sdkappid.values": {"Fn::Select": [0, {"Ref": "SdkAppIds"}]}}),
    "mutate_push_table_daily_location": lambda sam: props(sam, "PushStatisticsTable")["TableInput"]["Parameters"].update({
        _LOCATION: {"Fn::Sub": "s3://${ArchiveBucket}/${OpsPrefix}/daily/sdkappid=${!sdkappid}/dt=${!dt}/"}}),
    "mutate_push_table_rate_as_string": lambda sam: _column(sam, "PushStatisticsTable", "delivery_rate").update(
        Type="string"),
    "mutate_ops_pull_old_timeout": lambda sam: props(sam, "OpsPullFunction").update(Timeout=60),
    "mutate_no_push_archive_days": lambda sam: _env(sam, "OpsPullFunction").pop("PUSH_ARCHIVE_DAYS"),
    "mutate_set_key_command_of_other_app": lambda sam: edit(
        _SET_KEY(sam), "Fn::Sub", '"sdkappid": ${AppId}', '"sdkappid": 1400000001'),
    "mutate_route_arn_any_method": lambda sam: edit(
        sam["Outputs"]["PushStatsRouteArns"]["Value"]["Fn::Join"][1][1], "Fn::Sub", "/POST/", "/*/"),
}
MUTATIONS = {**TEMPLATE_MUTATIONS, **SECRET_ACCESS_MUTATIONS, **OPERATIONS_MUTATIONS, **SAVED_QUERY_MUTATIONS}


def check_mutations(c: Checks, sam: dict[str, Any]) -> None:
    """Each deliberate breakage must be caught: by the translator refusing
    the template, or by at least one wiring check failing."""
    for name, mutate in MUTATIONS.items():
        broken = copy.deepcopy(sam)
        try:
            mutate(broken)
        except (KeyError, IndexError, StopIteration, TypeError) as error:
            # The template no longer has what the mutation breaks: the
            # mutation must follow the template, not silently pass.
            c.failures.append(f"mutation {name} no longer applies: {type(error).__name__}: {error}")
            continue
        try:
            cfn = translate(broken)
        except Exception:
            c.check(True, "")
            continue
        probe = Checks()
        run_wiring(probe, cfn)
        check_parameters(probe, broken)  # the parameters' defaults and bounds
        c.check(bool(probe.failures), f"mutation {name} went unnoticed")


# --------------------------------------------------------------------------- main


def main() -> int:
    # samtranslator warns about unpublished metrics on every translation.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    c = Checks()
    sam = load_template()
    for step in (check_sources, check_parameters, check_rules_and_mappings, check_access_parameters):
        try:
            step(c, sam)
        except Exception as error:
            c.failures.append(f"{step.__name__} crashed: {type(error).__name__}: {error}")
    try:
        c.check(dashboard_picture.is_current(),
                "infra/dashboard.svg is stale: run .venv/bin/python devtools/infra-check/dashboard_picture.py")
    except Exception as error:
        c.failures.append(f"dashboard picture: {type(error).__name__}: {error}")
    try:
        cfn = translate(sam)
    except Exception as error:
        c.failures.append(f"SAM transform failed: {error}")
    else:
        run_wiring(c, cfn)
        # With an alarm e-mail and x86_64 too: the conditional parts still resolve.
        run_wiring(c, translate(sam, {"AlarmEmail": "ops@example.com", "Architecture": "x86_64"}))
    check_mutations(c, sam)
    for failure in c.failures:
        print(f"FAIL: {failure}")
    print(f"infra: {c.passed} passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
