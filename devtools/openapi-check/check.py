#!/usr/bin/env python3
"""infra/openapi.yaml against itself and against push-stats' real answers.

1. The document is valid OpenAPI 3.1 (openapi-spec-validator).
2. Every error code has exactly one status (`x-status` of the ErrorCode schema),
   and that status is a documented response of both operations.
3. Every answer recorded by push-stats' tests (PUSH_STATS_ANSWERS_DIR, one JSON
   file per answer: method, status, headers, body; see testkit::answers) is
   documented: its status is a response of its operation, its body validates
   against that response's schema, its required headers are there, and an
   error's code is answered with the status x-status gives it.
4. A self-test: deliberately broken answers must be refused, so a checker that
   accepts everything fails.

Usage: check.py ANSWERS_DIR. Ends with `openapi: N passed, M failed`.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource

SPEC_PATH = Path(__file__).resolve().parents[2] / "infra" / "openapi.yaml"
SPEC_URI = "urn:push-stats-openapi"
# 200 and at least these must be among the recorded answers: the statuses
# every test run produces (a client error, the upstream failures).
MUST_SEE_STATUSES = {200, 400, 429, 502}


class Spec:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        # Local refs made absolute, so that any sub-schema validates alone.
        self.absolute = _absolute_refs(copy.deepcopy(document))
        resource = Resource.from_contents(self.absolute, default_specification=_draft())
        self.registry = Registry().with_resource(SPEC_URI, resource)
        error_code = document["components"]["schemas"]["ErrorCode"]
        self.codes: list[str] = error_code["enum"]
        self.status_of: dict[str, int] = error_code["x-status"]

    def operation(self, method: str) -> dict[str, Any]:
        return self.document["paths"]["/push-stats"][method.lower()]

    def response(self, method: str, status: int) -> dict[str, Any] | None:
        found = self.operation(method)["responses"].get(str(status))
        if found is None:
            return None
        return self.resolve(found)

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            ref = node["$ref"]
            node = self.registry.resolver(base_uri=SPEC_URI).lookup(ref if ref.startswith(SPEC_URI) else SPEC_URI + ref).contents
        return node

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(_absolute_refs(copy.deepcopy(schema)), registry=self.registry, format_checker=FormatChecker())


def _absolute_refs(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            node["$ref"] = SPEC_URI + node["$ref"]
        for value in node.values():
            _absolute_refs(value)
    elif isinstance(node, list):
        for value in node:
            _absolute_refs(value)
    return node


def _draft():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def check_document(spec: Spec) -> list[str]:
    problems = []
    try:
        validate(spec.document)
    except Exception as error:  # the validator's own exception types vary by version
        problems.append(f"not valid OpenAPI 3.1: {error}")
    if sorted(spec.codes) != sorted(spec.status_of):
        problems.append(f"ErrorCode enum and x-status differ: {sorted(set(spec.codes) ^ set(spec.status_of))}")
    for code, status in spec.status_of.items():
        for method in ("get", "post"):
            if status in (413, 415) and method == "get":
                continue  # bodies only come with a POST
            if spec.response(method, status) is None:
                problems.append(f"{code} is answered {status}, which {method.upper()} does not document")
    return problems


def check_answer(spec: Spec, answer: dict[str, Any]) -> list[str]:
    status = answer["status"]
    method = (answer.get("method") or "").upper()
    if method not in ("GET", "POST"):
        # Not recorded, or another method (answered 405 by either operation):
        # judge it by the operation that documents the status, GET first.
        method = "GET" if spec.response("get", status) is not None else "POST"
    where = f"{answer.get('source', '?')} ({method} -> {status})"
    response = spec.response(method, status)
    if response is None:
        return [f"{where}: status {status} is not documented for {method}"]
    problems = []
    try:
        body = json.loads(answer["body"])
    except (TypeError, ValueError) as error:
        return [f"{where}: body is not JSON: {error}"]
    code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    for name, header in (response.get("headers") or {}).items():
        header = spec.resolve(header)
        # x-required-for-codes: required only on the answers with those error codes.
        required = header.get("required", name.lower() == "x-request-id") or code in header.get("x-required-for-codes", [])
        value, schema = headers.get(name.lower()), header.get("schema", {})
        if value is None:
            if required:
                problems.append(f"{where}: header {name} missing")
        elif "const" in schema and value != schema["const"]:
            problems.append(f"{where}: header {name} is {value!r}")
        elif schema.get("type") == "integer" and not (value.isdigit() and int(value) >= schema.get("minimum", 0)):
            problems.append(f"{where}: header {name} is {value!r}, not an integer >= {schema.get('minimum', 0)}")
    schema = response["content"]["application/json"]["schema"]
    for error in spec.validator(schema).iter_errors(body):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{where}: body at /{path}: {error.message}")
    if status != 200 and isinstance(body, dict):
        if code in spec.status_of and spec.status_of[code] != status:
            problems.append(f"{where}: {code} answered {status}, documented {spec.status_of[code]}")
    return problems


def self_test(spec: Spec, answers: list[dict[str, Any]]) -> list[str]:
    """Broken copies of real answers that the checks must refuse."""
    ok = next((a for a in answers if a["status"] == 200), None)
    err = next((a for a in answers if a["status"] == 400), None)
    if ok is None or err is None:
        return ["self-test needs a recorded 200 and a 400"]
    broken = []
    body = json.loads(ok["body"])
    body.pop("window", None)
    broken.append(("a 200 without window", dict(ok, body=json.dumps(body))))
    body = json.loads(ok["body"])
    body["results"] = [dict(r, total="12") for r in body["results"]] or [{"total": "12"}]
    broken.append(("a count as text", dict(ok, body=json.dumps(body))))
    body = json.loads(err["body"])
    body["error"]["code"] = "no_such_code"
    broken.append(("an undocumented code", dict(err, body=json.dumps(body))))
    broken.append(("a 400 code answered 502", dict(err, status=502)))
    headers = {k: v for k, v in (err.get("headers") or {}).items() if k.lower() != "x-request-id"}
    broken.append(("no x-request-id", dict(err, headers=headers)))
    broken.append(("an undocumented status", dict(err, status=418)))
    auth = next((a for a in answers if '"upstream_auth"' in (a.get("body") or "")), None)
    if auth is not None:
        headers = {k: v for k, v in (auth.get("headers") or {}).items() if k.lower() != "retry-after"}
        broken.append(("an upstream_auth without Retry-After", dict(auth, headers=headers)))
        broken.append(("a Retry-After of 0", dict(auth, headers=dict(headers, **{"retry-after": "0"}))))
    return [f"self-test: {name} was accepted" for name, answer in broken if not check_answer(spec, copy.deepcopy(answer))]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    spec = Spec(yaml.safe_load(SPEC_PATH.read_text()))
    answers = []
    for path in sorted(Path(argv[1]).glob("*.json")):
        answer = json.loads(path.read_text())
        answer["source"] = answer.get("source") or path.name
        answers.append(answer)
    passed = failed = 0

    def report(name: str, problems: list[str]) -> None:
        nonlocal passed, failed
        if problems:
            failed += 1
            for problem in problems:
                print(f"FAIL {name}: {problem}")
        else:
            passed += 1

    report("document", check_document(spec))
    seen = {a["status"] for a in answers}
    report("coverage", [f"no recorded answer with status {s}" for s in sorted(MUST_SEE_STATUSES - seen)])
    for answer in answers:
        report(answer["source"], check_answer(spec, answer))
    report("self-test", self_test(spec, answers))
    codes = set()
    for answer in answers:
        try:
            codes.add(json.loads(answer["body"]).get("error", {}).get("code"))
        except (TypeError, ValueError, AttributeError):
            pass
    codes.discard(None)
    print(f"[openapi-check] {len(answers)} answers, statuses {sorted(seen)}, {len(codes)} of {len(spec.codes)} error codes seen")
    unseen = sorted(set(spec.codes) - codes)
    if unseen:
        print(f"[openapi-check] codes no test produced: {', '.join(unseen)}")
    print(f"openapi: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
