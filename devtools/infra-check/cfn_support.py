"""Helpers shared by the infra checks: an assertion counter, walking a
CloudFormation template, rendering Fn::Sub, expanding Fn::ForEach and
evaluating Conditions (both by cfn-lint's own code), resolving Fn::If for a
given set of parameter values (samtranslator leaves them in place, as
CloudFormation evaluates them only at deploy time; cfn-lint only enumerates
scenarios), the template's Rules, and the breakages' edits."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from cfnlint.conditions._condition import ConditionNamed
from cfnlint.conditions._utils import get_hash
from cfnlint.template.transforms._language_extensions import language_extension

NO_VALUE = {"Ref": "AWS::NoValue"}
ROOT = Path(__file__).resolve().parents[2]
# Facts from the Rust code (region names and domains, the getappinfo fields,
# the key secret's members, what each function logs); tests in the crates
# (shared/tests/facts.rs, functions/*/tests/facts.rs) assert them.
FACTS = json.loads((ROOT / "infra" / "facts.json").read_text())


class Checks:
    """Counts assertions; records failures instead of stopping at the first."""

    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []

    def check(self, condition: bool, what: str) -> bool:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        return bool(condition)

    def equal(self, actual: Any, expected: Any, what: str) -> bool:
        return self.check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resources_of_type(cfn: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in cfn["Resources"].items() if v.get("Type") == type_name}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Yields every dict in a JSON-like tree."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def sub_variables(sub: Any) -> tuple[str, set[str]]:
    """The template string of an Fn::Sub and its local variable names."""
    if isinstance(sub, list):
        return sub[0], set(sub[1].keys()) if len(sub) > 1 and isinstance(sub[1], dict) else set()
    return sub, set()


def render_sub(sub: Any, values: dict[str, Any], missing: Callable[[str], str] | None = None) -> str:
    """Renders an Fn::Sub string with sample values (`missing` names the
    others, else they raise); `${!x}` stays `${x}`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name not in values and missing is None:
            raise KeyError(f"no sample value for ${{{name}}}")
        return str(values[name]) if name in values else missing(name)

    return re.sub(r"\$\{([^}]+)\}", replace, sub_variables(sub)[0])


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy_document.get("Statement", []))


# --------------------------------------------------------------------------- conditions


def parameter_values(cfn: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    """Each parameter's default, overridden by the given values."""
    values = {name: spec.get("Default") for name, spec in cfn.get("Parameters", {}).items()}
    return {**values, **overrides}


def condition_value(cfn: dict[str, Any], name: str, params: dict[str, str]) -> bool:
    """A named condition's value for these parameter values, by cfn-lint's
    condition evaluator (an undefined condition raises)."""
    return ConditionNamed(name, cfn.get("Conditions", {})).test({get_hash({"Ref": k}): v for k, v in params.items()})


def resolve(node: Any, cfn: dict[str, Any], params: dict[str, str]) -> Any:
    """The node as CloudFormation sees it for these parameters: Fn::If picks
    its branch, AWS::NoValue disappears. Other intrinsics stay as they are."""
    if isinstance(node, dict):
        if len(node) == 1 and "Fn::If" in node:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if condition_value(cfn, name, params) else when_false, cfn, params)
        out = {}
        for key, value in node.items():
            value = resolve(value, cfn, params)
            if value != NO_VALUE:
                out[key] = value
        return out
    if isinstance(node, list):
        return [v for v in (resolve(item, cfn, params) for item in node) if v != NO_VALUE]
    return node


def resolve_template(cfn: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """The template's resources and outputs for the given parameter values:
    resources and outputs whose condition is false are gone."""
    params = parameter_values(cfn, overrides)

    def kept(section: str) -> dict[str, Any]:
        return {name: resolve(item, cfn, params) for name, item in cfn.get(section, {}).items()
                if "Condition" not in item or condition_value(cfn, item["Condition"], params)}

    return {**cfn, "Resources": kept("Resources"), "Outputs": kept("Outputs")}


# --------------------------------------------------------------------------- IAM


def role_statements(cfn: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement granted to a role: its inline policies and the
    AWS::IAM::Policy resources attached to it."""
    role = cfn["Resources"].get(role_id, {}).get("Properties", {})
    found = [s for p in role.get("Policies", []) for s in statements(p.get("PolicyDocument", {}))]
    for policy in resources_of_type(cfn, "AWS::IAM::Policy").values():
        props = policy.get("Properties", {})
        if {"Ref": role_id} in as_list(props.get("Roles", [])):
            found += statements(props.get("PolicyDocument", {}))
    return found


# --------------------------------------------------------------------------- rules


def evaluate_rule_fn(node: Any, params: dict[str, str]) -> Any:
    """Minimal evaluator of the CloudFormation rule functions this template uses."""
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Ref":
            return params[arg]
        if fn == "Fn::Equals":
            return evaluate_rule_fn(arg[0], params) == evaluate_rule_fn(arg[1], params)
        if fn == "Fn::Contains":
            return evaluate_rule_fn(arg[1], params) in [evaluate_rule_fn(v, params) for v in arg[0]]
        if fn == "Fn::Not":
            return not evaluate_rule_fn(arg[0], params)
        if fn == "Fn::And":
            return all(evaluate_rule_fn(v, params) for v in arg)
        if fn == "Fn::Or":
            return any(evaluate_rule_fn(v, params) for v in arg)
        raise ValueError(f"unsupported rule function {fn}")
    return node


def rule_parameters(rule: dict[str, Any]) -> set[str]:
    """The parameters a rule's condition and assertions refer to."""
    return {node["Ref"] for node in walk(rule) if "Ref" in node and len(node) == 1}


def failed_rules(rules: dict[str, Any], params: dict[str, str]) -> list[str]:
    """The names of the rules whose assertions fail for these parameter
    values (a rule applies when its RuleCondition holds)."""
    return [
        name for name, rule in rules.items()
        if evaluate_rule_fn(rule.get("RuleCondition", True), params)
        and not all(evaluate_rule_fn(a["Assert"], params) for a in rule["Assertions"])
    ]


def check_patterns(c: Any, params: dict[str, Any], samples: dict[str, tuple[list[str], list[str]]]) -> None:
    """Each parameter's AllowedPattern accepts its good samples and refuses its
    bad ones (a missing pattern accepts nothing but the empty string)."""
    for name, (good, bad) in samples.items():
        pattern = re.compile(params.get(name, {}).get("AllowedPattern", "^$"))
        for value in good:
            c.check(pattern.fullmatch(value) is not None, f"{name} pattern rejects {value!r}")
        for value in bad:
            c.check(pattern.fullmatch(value) is None, f"{name} pattern accepts {value!r}")


# --------------------------------------------------------------------------- Fn::ForEach


def expand_for_each(template: dict[str, Any], apps: list[str]) -> dict[str, Any]:
    """The template with every Fn::ForEach expanded over SdkAppIds = apps by
    cfn-lint's AWS::LanguageExtensions transform, and that transform dropped
    from Transform.

    cfn-lint's, not SAM CLI's: SAM CLI's also resolves every other intrinsic
    it can, which would hide the very wiring these checks assert. cfn-lint's
    does that in two places, worked around here: it leaves ${AppId} in
    DependsOn strings, which AWS's transform substitutes (it substitutes
    Fn::Sub strings, so they are wrapped in one), and it resolves
    Fn::FindInMap with a guessed key (so the function's name is hidden from
    it). A fully substituted Fn::Sub becomes a plain string, as on AWS."""
    template = copy.deepcopy(template)
    template["Parameters"]["SdkAppIds"]["Default"] = ",".join(apps)
    for key, block in template["Resources"].items():
        for resource in block[2].values() if FOR_EACH.match(key) else []:
            if "DependsOn" in resource:
                resource["DependsOn"] = [{"Fn::Sub": d} for d in as_list(resource["DependsOn"])]
    shielded = json.loads(json.dumps(template).replace('"Fn::FindInMap"', '"Fn::FindInMap "'))
    errors, out = language_extension(SimpleNamespace(template=shielded, regions=["us-east-1"], filename="template"))
    if errors:
        raise ValueError(f"AWS::LanguageExtensions: {[e.message for e in errors]}")
    out = json.loads(json.dumps(out).replace('"Fn::FindInMap "', '"Fn::FindInMap"'))
    del out["Parameters"]["SdkAppIds"]["Default"]
    transforms = [t for t in as_list(out.get("Transform", [])) if t != "AWS::LanguageExtensions"]
    out["Transform"] = transforms[0] if len(transforms) == 1 else transforms
    return out


FOR_EACH = re.compile(r"^Fn::ForEach::[A-Za-z0-9]+$")


def props(sam: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return sam["Resources"][logical_id]["Properties"]


def put(node: Any, key: Any, value: Any) -> None:
    node[key] = value


def edit(node: dict[str, Any], key: str, old: str, new: str, count: int = -1) -> None:
    """Replaces text in node[key]; raises KeyError if it is not there."""
    if old not in node[key]:
        raise KeyError(old)
    node[key] = node[key].replace(old, new, count)


def per_app(sam: dict[str, Any], logical_id: str, section: str = "Resources") -> dict[str, Any]:
    """The per-app template of a resource or output inside the section's
    Fn::ForEach block (for the deliberate breakages): its key ends in
    ${AppId}."""
    for key, value in sam[section].items():
        if FOR_EACH.match(key) and f"{logical_id}${{AppId}}" in value[2]:
            return value[2][f"{logical_id}${{AppId}}"]
    raise KeyError(f"{logical_id}${{AppId}} in a Fn::ForEach of {section}")
