"""Helpers shared by the infra checks: an assertion counter, walking a
CloudFormation template, rendering Fn::Sub, and resolving Conditions/Fn::If
for a given set of parameter values (samtranslator leaves them in place, as
CloudFormation evaluates them only at deploy time)."""

from __future__ import annotations

import re
from typing import Any, Iterator

NO_VALUE = {"Ref": "AWS::NoValue"}


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


def render_sub(sub: Any, values: dict[str, str]) -> str:
    """Renders an Fn::Sub string with sample values; `${!x}` stays `${x}`."""
    text, _ = sub_variables(sub)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name not in values:
            raise KeyError(f"no sample value for ${{{name}}}")
        return values[name]

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy_document.get("Statement", []))


# --------------------------------------------------------------------------- conditions


def parameter_values(cfn: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    """Each parameter's default, overridden by the given values."""
    values = {name: spec.get("Default") for name, spec in cfn.get("Parameters", {}).items()}
    return {**values, **overrides}


def condition_value(cfn: dict[str, Any], name: str, params: dict[str, str]) -> bool:
    """Evaluates a named condition of the template."""
    conditions = cfn.get("Conditions", {})
    if name not in conditions:
        raise KeyError(f"undefined condition {name!r}")
    return bool(_evaluate(conditions[name], cfn, params))


def _evaluate(node: Any, cfn: dict[str, Any], params: dict[str, str]) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Ref":
            if arg not in params:
                raise KeyError(f"condition refers to unknown parameter {arg!r}")
            return params[arg]
        if fn == "Condition":
            return condition_value(cfn, arg, params)
        if fn == "Fn::Equals":
            return _evaluate(arg[0], cfn, params) == _evaluate(arg[1], cfn, params)
        if fn == "Fn::Not":
            return not _evaluate(arg[0], cfn, params)
        if fn == "Fn::And":
            return all(_evaluate(v, cfn, params) for v in arg)
        if fn == "Fn::Or":
            return any(_evaluate(v, cfn, params) for v in arg)
        raise ValueError(f"unsupported condition function {fn}")
    return node


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
    resources = {
        logical_id: resolve(resource, cfn, params)
        for logical_id, resource in cfn["Resources"].items()
        if "Condition" not in resource or condition_value(cfn, resource["Condition"], params)
    }
    outputs = {
        name: resolve(output, cfn, params)
        for name, output in cfn.get("Outputs", {}).items()
        if "Condition" not in output or condition_value(cfn, output["Condition"], params)
    }
    return {**cfn, "Resources": resources, "Outputs": outputs}


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

FOR_EACH = re.compile(r"^Fn::ForEach::[A-Za-z0-9]+$")


def expand_for_each(template: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The template with every Fn::ForEach expanded (what the
    AWS::LanguageExtensions transform does before the SAM transform), and
    that transform dropped from Transform.

    A small expander of our own, not SAM CLI's: SAM CLI's also resolves every
    other intrinsic it can (parameter Refs with their defaults, Fn::If,
    Fn::Sub into plain strings with the pseudo parameters left raw), which
    would hide the very wiring these checks assert. Substitution follows
    cfn-lint's expansion (run.sh lints with it): ${Id} and &{Id} in keys
    and in Fn::Sub strings, {"Ref": Id} becomes the value, and
    {"Ref": {"Fn::Sub": ...}} names the expanded resource. Plain strings are
    left alone (the template must not rely on them), except in DependsOn."""
    out = {key: _expand(value, {}, params) for key, value in template.items()}
    transforms = [t for t in as_list(out.get("Transform", [])) if t != "AWS::LanguageExtensions"]
    out["Transform"] = transforms[0] if len(transforms) == 1 else transforms
    return out


def _collection(node: Any, params: dict[str, Any]) -> list[str]:
    if isinstance(node, list):
        return [str(v) for v in node]
    if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in params:
        value = params[node["Ref"]]
        return [str(v) for v in value] if isinstance(value, list) else str(value).split(",")
    raise ValueError(f"Fn::ForEach collection {node!r} cannot be resolved")


def _substitute(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace("${" + name + "}", value)
        text = text.replace("&{" + name + "}", re.sub(r"[^0-9A-Za-z]", "", value))
    return text


def _expand(node: Any, ids: dict[str, str], params: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_expand(v, ids, params) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and "Ref" in node:
        target = node["Ref"]
        if isinstance(target, str) and target in ids:
            return ids[target]
        if isinstance(target, dict) and set(target) == {"Fn::Sub"} and isinstance(target["Fn::Sub"], str):
            return {"Ref": _substitute(target["Fn::Sub"], ids)}
        return {"Ref": _expand(target, ids, params)}
    if len(node) == 1 and "Fn::Sub" in node and ids:
        sub = node["Fn::Sub"]
        if isinstance(sub, str):
            return {"Fn::Sub": _substitute(sub, ids)}
        return {"Fn::Sub": [_substitute(sub[0], ids), *_expand(sub[1:], ids, params)]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if FOR_EACH.match(key):
            identifier, collection, fragment = value
            for item in _collection(collection, params):
                expanded = _expand(fragment, {**ids, identifier: item}, params)
                for new_key, new_value in expanded.items():
                    if new_key in out:
                        raise ValueError(f"Fn::ForEach {key} produces {new_key} twice")
                    out[new_key] = new_value
            continue
        new_key = _substitute(key, ids) if ids else key
        if new_key in out:
            raise ValueError(f"Fn::ForEach produces {new_key} twice")
        out[new_key] = _expand(value, ids, params)
        # DependsOn takes no functions, so a per-app dependency is a plain
        # string, which AWS's transform substitutes (every string of the
        # fragment) but cfn-lint's does not: substitute it here only.
        if key == "DependsOn" and ids:
            out[new_key] = [_substitute(d, ids) if isinstance(d, str) else d for d in as_list(value)]
    return out


def per_app(sam: dict[str, Any], logical_id: str, section: str = "Resources") -> dict[str, Any]:
    """The per-app template of a resource or output inside the section's
    Fn::ForEach block (for the deliberate breakages): its key ends in
    ${AppId}."""
    for key, value in sam[section].items():
        if FOR_EACH.match(key) and f"{logical_id}${{AppId}}" in value[2]:
            return value[2][f"{logical_id}${{AppId}}"]
    raise KeyError(f"{logical_id}${{AppId}} in a Fn::ForEach of {section}")
