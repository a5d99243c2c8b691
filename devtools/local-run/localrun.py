#!/usr/bin/env python3
"""The AWS side of devtools/local-run.sh: creates the demo resources in
moto_server, checks what each `cargo lambda invoke` returned and what it left
behind, and prints it for people.

Runs with the repo's venv (boto3 comes with moto). The endpoint and the test
credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION), as for the functions themselves.

Every passed check appends one line to the file named by LOCAL_RUN_CHECKS, so
the shell script can count them. A failed check prints its reason on stderr
and exits 1; nothing here prints a key or a UserSig.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import urllib.request
import zipfile
from pathlib import Path

import boto3

ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
# usersig-refresher's answer per step (its StepReport.outcome) on a first pass;
# "tested" (not "tested_locally") means the live call to Tencent was made.
STEP_OUTCOMES = {
    "createSecret": "created",
    "setSecret": "nothing_to_set",
    "testSecret": "tested",
    "finishSecret": "finished",
}
# Fields of the UserSig secret that are safe to show (everything but the UserSig).
USERSIG_METADATA = ("sdkappid", "identifier", "region", "issued_at", "expires_at")


class CheckFailed(Exception):
    """A check did not hold; the message says what and where."""


def passed(what: str) -> None:
    checks = os.environ.get("LOCAL_RUN_CHECKS")
    if checks:
        with open(checks, "a", encoding="utf-8") as f:
            f.write(what + "\n")


def check(condition: bool, what: str, otherwise: str) -> None:
    if not condition:
        raise CheckFailed(otherwise)
    passed(what)


def client(service: str):
    return boto3.client(service)


def s3_client():
    from botocore.config import Config

    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def truncate_lines(text: str, max_lines: int) -> str:
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    keep = lines[:max_lines]
    keep.append(f"... ({len(lines) - max_lines} more lines)")
    return "\n".join(keep)


# --------------------------------------------------------------------------
# events/usersig-refresher: which file holds which step, and the shared token


def rotation_events(folder: Path) -> dict[str, dict]:
    """Maps each rotation step to {"file", "secret_id", "token"} from the
    checked-in events, so this script uses exactly what the files say."""
    found: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CheckFailed(f"{path}: not readable JSON ({e})") from e
        if not isinstance(event, dict) or event.get("Step") not in ROTATION_STEPS:
            continue
        step = event["Step"]
        if step in found:
            # Several files for one step (e.g. a variant): prefer the plainest name.
            if len(path.name) >= len(Path(found[step]["file"]).name):
                continue
        found[step] = {
            "file": str(path),
            "secret_id": event.get("SecretId"),
            "token": event.get("ClientRequestToken"),
        }
    missing = [s for s in ROTATION_STEPS if s not in found]
    if missing:
        raise CheckFailed(f"{folder}: no event for step(s) {', '.join(missing)}")
    ids = {e["secret_id"] for e in found.values()}
    tokens = {e["token"] for e in found.values()}
    if len(ids) != 1 or len(tokens) != 1 or None in ids or None in tokens:
        raise CheckFailed(
            f"{folder}: the four step events must share one SecretId and one ClientRequestToken"
        )
    return found


def cmd_rotation_events(args) -> None:
    """Prints shell assignments: the secret id, the token, one file per step."""
    events = rotation_events(Path(args.folder))
    first = events[ROTATION_STEPS[0]]
    print(f"usersig_secret_id={sh_quote(first['secret_id'])}")
    print(f"rotation_token={sh_quote(first['token'])}")
    for step in ROTATION_STEPS:
        print(f"event_{step}={sh_quote(events[step]['file'])}")


def sh_quote(text: str) -> str:
    return "'" + str(text).replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------
# setup


def stub_rotation_lambda(endpoint: str, name: str) -> str:
    """A rotation function *registered* in moto, so that RotateSecret accepts
    its ARN: moto cannot run ours, and with Lambda's docker mode off it only
    records the call. The real steps are then invoked through cargo lambda."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    role = client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# placeholder: the real function runs in cargo lambda watch\n")
    return client("lambda").create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=role,
        Handler="bootstrap",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]


def cmd_setup(args) -> None:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    s3 = s3_client()
    sm = client("secretsmanager")

    s3.create_bucket(Bucket=args.bucket)
    check(
        any(b["Name"] == args.bucket for b in s3.list_buckets()["Buckets"]),
        "bucket created",
        f"bucket {args.bucket} not listed after CreateBucket",
    )

    key_secret = {
        "sdkappid": args.sdkappid,
        "identifier": args.identifier,
        "key": args.key,
        "region": args.region,
    }
    sm.create_secret(
        Name=args.key_secret_id,
        Description="Tencent Chat app key (local demo value)",
        SecretString=json.dumps(key_secret),
    )
    passed("key secret created")

    # The deployed stack creates this secret empty and its first RotateSecret
    # creates the pending version. moto's RotateSecret creates that version
    # only if the secret already has one, so here it starts with a placeholder
    # (which also shows AWSCURRENT moving and AWSPREVIOUS following).
    sm.create_secret(
        Name=args.usersig_secret_id,
        Description="Tencent Chat admin UserSig (written by usersig-refresher)",
        SecretString=json.dumps({"placeholder": "replaced by the first rotation"}),
    )
    # RotateSecret is what marks rotation enabled and stages the token as
    # AWSPENDING (a version with no value yet), exactly the state Secrets
    # Manager leaves before it calls createSecret.
    arn = stub_rotation_lambda(endpoint, "usersig-refresher")
    sm.rotate_secret(
        SecretId=args.usersig_secret_id,
        ClientRequestToken=args.token,
        RotationLambdaARN=arn,
        RotationRules={"AutomaticallyAfterDays": 7},
        RotateImmediately=True,
    )
    described = sm.describe_secret(SecretId=args.usersig_secret_id)
    stages = described.get("VersionIdsToStages", {})
    check(described.get("RotationEnabled") is True, "rotation enabled",
          "RotationEnabled is not true after RotateSecret")
    check(
        stages.get(args.token) == ["AWSPENDING"]
        and any("AWSCURRENT" in s for v, s in stages.items() if v != args.token),
        "token staged AWSPENDING, placeholder AWSCURRENT",
        f"unexpected staging after RotateSecret: {stages}",
    )
    print(f"  bucket          s3://{args.bucket}")
    print(f"  key secret      {args.key_secret_id}  (sdkappid {args.sdkappid}, identifier {args.identifier}, demo key)")
    print(f"  UserSig secret  {args.usersig_secret_id}  (placeholder AWSCURRENT; rotation enabled;"
          f" token {args.token} staged AWSPENDING)")


# --------------------------------------------------------------------------
# rotation


def stages_of(sm, secret_id: str) -> dict[str, list[str]]:
    return {
        version: sorted(stages)
        for version, stages in sm.describe_secret(SecretId=secret_id)
        .get("VersionIdsToStages", {})
        .items()
    }


def version_value(sm, secret_id: str, **selector) -> dict | None:
    try:
        text = sm.get_secret_value(SecretId=secret_id, **selector).get("SecretString")
    except sm.exceptions.ResourceNotFoundException:
        return None
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        raise CheckFailed(f"{secret_id} {selector}: the value is not JSON") from None


def check_usersig_value(value: dict | None, where: str, args) -> None:
    if value is None:
        raise CheckFailed(f"{where}: no value")
    missing = [f for f in USERSIG_METADATA + ("usersig",) if not value.get(f)]
    check(not missing, f"{where}: all fields present",
          f"{where}: missing field(s) {', '.join(missing)}")
    check(
        int(value["sdkappid"]) == args.sdkappid and value["identifier"] == args.identifier,
        f"{where}: sdkappid and identifier",
        f"{where}: sdkappid/identifier are {value['sdkappid']}/{value['identifier']},"
        f" expected {args.sdkappid}/{args.identifier}",
    )
    check(value["expires_at"] > value["issued_at"], f"{where}: expires after issued",
          f"{where}: expires_at {value['expires_at']} is not after issued_at {value['issued_at']}")


def cmd_check_rotation(args) -> None:
    """The step's answer, and the secret's state after it as the rotation
    protocol defines it."""
    report = load_invoke_output(args.output, f"usersig-refresher {args.step}")
    outcome = report.get("outcome") if isinstance(report, dict) else None
    check(outcome == STEP_OUTCOMES[args.step], f"{args.step}: outcome {outcome}",
          f"usersig-refresher {args.step}: outcome {outcome!r}, expected"
          f" {STEP_OUTCOMES[args.step]!r}: {json.dumps(report)[:300]}")
    sm = client("secretsmanager")
    stages = stages_of(sm, args.secret_id)
    token = args.token
    others_pending = [v for v, s in stages.items() if v != token and "AWSPENDING" in s]
    check(not others_pending, f"{args.step}: AWSPENDING on no other version",
          f"after {args.step}: AWSPENDING also on {others_pending}")
    if args.step in ("createSecret", "setSecret", "testSecret"):
        check(stages.get(token) == ["AWSPENDING"], f"{args.step}: token still AWSPENDING",
              f"after {args.step}: the token's stages are {stages.get(token)}, expected [AWSPENDING]")
        pending = version_value(sm, args.secret_id, VersionId=token, VersionStage="AWSPENDING")
        check_usersig_value(pending, f"{args.step}: pending version", args)
        current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT")
        check(current is not None and "usersig" not in current,
              f"{args.step}: AWSCURRENT untouched",
              f"after {args.step}: AWSCURRENT changed before finishSecret")
    else:
        check("AWSCURRENT" in stages.get(token, []), "finishSecret: token is AWSCURRENT",
              f"after finishSecret: the token's stages are {stages.get(token)}")
        previous = [v for v, s in stages.items() if "AWSPREVIOUS" in s]
        check(len(previous) == 1 and previous[0] != token,
              "finishSecret: placeholder is AWSPREVIOUS",
              f"after finishSecret: AWSPREVIOUS is on {previous}")
        current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT")
        check_usersig_value(current, "finishSecret: current version", args)
    print(f"  {args.step:<13} {outcome:<15} stages: {format_stages(stages, token)}")


def format_stages(stages: dict[str, list[str]], token: str) -> str:
    parts = []
    for version, labels in sorted(stages.items(), key=lambda kv: kv[0] != token):
        name = "token" if version == token else version[:8] + "…"
        parts.append(f"{name}={'+'.join(labels) or '-'}")
    return ", ".join(parts)


def cmd_show_secret(args) -> None:
    sm = client("secretsmanager")
    described = sm.describe_secret(SecretId=args.secret_id)
    current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT") or {}
    print(f"  secret          {described['Name']}")
    print(f"  rotation        enabled={described.get('RotationEnabled')}, every"
          f" {described.get('RotationRules', {}).get('AutomaticallyAfterDays', '?')} days")
    print(f"  versions        {format_stages(stages_of(sm, args.secret_id), args.token)}")
    for field in USERSIG_METADATA:
        print(f"  {field:<15} {current.get(field)}")
    usersig = current.get("usersig") or ""
    print(f"  usersig         <redacted, {len(usersig)} characters>")


# --------------------------------------------------------------------------
# invoke results


def load_invoke_output(path: str, what: str):
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise CheckFailed(f"{what}: cargo lambda invoke printed nothing")
    try:
        return json.loads(text)
    except ValueError:
        raise CheckFailed(f"{what}: the response is not JSON: {text[:300]}") from None


def cmd_check_ops_pull(args) -> None:
    summary = load_invoke_output(args.output, "ops-pull")
    apps = summary.get("apps") if isinstance(summary, dict) else None
    check(isinstance(apps, list) and len(apps) == 1, "ops-pull: one app in the summary",
          f"ops-pull: expected a summary with one app, got {json.dumps(summary)[:300]}")
    app = apps[0]
    check(app.get("sdkappid") == args.sdkappid, "ops-pull: summary names the app",
          f"ops-pull: summary sdkappid {app.get('sdkappid')}, expected {args.sdkappid}")
    if args.again:
        check_ops_pull_again(args, app)
        return
    check(
        app.get("days_pulled") == args.days and app.get("days_written") == args.days
        and app.get("days_failed") == 0 and not app.get("error"),
        f"ops-pull: {args.days} days pulled and written, none failed",
        "ops-pull: expected {d} days pulled/written and 0 failed, got pulled={p} written={w}"
        " unchanged={u} failed={f} error={e}".format(
            d=args.days, p=app.get("days_pulled"), w=app.get("days_written"),
            u=app.get("days_unchanged"), f=app.get("days_failed"), e=app.get("error")),
    )
    print(f"  summary         pulled {app['days_pulled']} days ({app.get('first_date')} .. {app.get('last_date')}),"
          f" written {app['days_written']}, unchanged {app.get('days_unchanged')},"
          f" failed {app['days_failed']}, malformed rows {app.get('malformed_rows')}")

    s3 = s3_client()
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    daily = sorted(k for k in keys if k.startswith(f"{args.prefix}/daily/"))
    raw = sorted(k for k in keys if k.startswith(f"{args.prefix}/raw/"))
    check(len(daily) == args.days, f"ops-pull: {args.days} daily objects in S3",
          f"ops-pull: {len(daily)} daily objects under {args.prefix}/daily/, expected {args.days}")
    expected_daily = f"{args.prefix}/daily/sdkappid={args.sdkappid}/dt="
    check(all(k.startswith(expected_daily) and k.endswith("/operations.json") for k in daily),
          "ops-pull: daily keys are Hive-style partitions",
          f"ops-pull: unexpected daily keys, e.g. {daily[:2]}")
    check(len(raw) == 1 and raw[0] == app.get("raw_key") and raw[0].endswith(".json.gz"),
          "ops-pull: one raw copy, named in the summary",
          f"ops-pull: raw objects {raw}, summary raw_key {app.get('raw_key')}")

    newest = daily[-1]
    obj = s3.get_object(Bucket=args.bucket, Key=newest)
    body = obj["Body"].read().decode("utf-8")
    lines = [line for line in body.splitlines() if line.strip()]
    row = json.loads(lines[0]) if lines else {}
    day = newest.split("/dt=")[1].split("/")[0]
    check(
        len(lines) == 1 and row.get("date") == day and row.get("sdkappid") == args.sdkappid
        and "pulled_at" in row and obj.get("ContentType", "").startswith("application/"),
        "ops-pull: daily object is one JSON line for its dt",
        f"ops-pull: {newest}: {len(lines)} line(s), content-type {obj.get('ContentType')},"
        f" first line {body[:200]}",
    )
    numbers = [k for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    check(len(numbers) > 2, "ops-pull: numeric fields are JSON numbers",
          f"ops-pull: no numeric fields in {body[:200]}")
    raw_body = s3.get_object(Bucket=args.bucket, Key=raw[0])["Body"].read()
    try:
        json.loads(gzip.decompress(raw_body))
        raw_ok = True
    except (OSError, ValueError):
        raw_ok = False
    check(raw_ok, "ops-pull: raw copy is gzipped JSON", f"ops-pull: {raw[0]} is not gzipped JSON")

    print(f"  objects         {len(keys)} in s3://{args.bucket} ({len(daily)} daily, {len(raw)} raw)")
    for key in daily[:2] + (["…"] if len(daily) > 3 else []) + daily[-1:]:
        print(f"    {key}")
    for key in raw:
        print(f"    {key}")
    line = lines[0]
    shown = line if len(line) <= 400 else line[:400] + f"… ({len(line) - 400} more characters)"
    print(f"  example line    ({newest.split('/')[-2]}, one JSON object a line)")
    print(f"    {shown}")


def check_ops_pull_again(args, app: dict) -> None:
    """A second run over the same data: nothing rewritten, one more raw copy."""
    check(
        app.get("days_pulled") == args.days and app.get("days_written") == 0
        and app.get("days_unchanged") == args.days and app.get("days_failed") == 0,
        f"ops-pull again: 0 written, {args.days} unchanged",
        "ops-pull again: expected 0 written and {d} unchanged, got written={w} unchanged={u}"
        " failed={f} error={e}".format(d=args.days, w=app.get("days_written"),
                                       u=app.get("days_unchanged"), f=app.get("days_failed"),
                                       e=app.get("error")),
    )
    s3 = s3_client()
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    daily = [k for k in keys if k.startswith(f"{args.prefix}/daily/")]
    raw = [k for k in keys if k.startswith(f"{args.prefix}/raw/")]
    check(len(daily) == args.days and len(raw) == 2,
          "ops-pull again: still one object a day, a second raw copy",
          f"ops-pull again: {len(daily)} daily and {len(raw)} raw objects, expected {args.days} and 2")
    print(f"  second run      written {app['days_written']}, unchanged {app['days_unchanged']},"
          f" failed {app['days_failed']}; {len(daily)} daily objects, {len(raw)} raw copies")


def cmd_check_emulator(args) -> None:
    """What reached 'Tencent': proves the functions used TIM_ENDPOINT, and
    that the bad request was refused before any call."""
    with urllib.request.urlopen(args.endpoint.rstrip("/") + "/__emulator/stats", timeout=10) as r:
        stats = json.load(r)
    per_command = stats.get("per_command") or {}

    def count(fragment: str) -> int:
        return sum(n for command, n in per_command.items() if fragment in command)

    appinfo, push = count("getappinfo"), count("all_member_push_statistics")
    check(appinfo == args.appinfo, f"emulator: {args.appinfo} getappinfo calls",
          f"emulator: {appinfo} getappinfo calls, expected {args.appinfo}"
          f" (testSecret's live check and the ops-pull runs): {per_command}")
    check(push == args.push, f"emulator: {args.push} push statistics calls",
          f"emulator: {push} all_member_push_statistics calls, expected {args.push}"
          f" (GET and POST; the bad request must not reach Tencent): {per_command}")
    print(f"  emulator saw    {stats.get('requests')} requests: "
          + ", ".join(f"{c} x{n}" for c, n in sorted(per_command.items())))


def cmd_check_push_stats(args) -> None:
    what = f"push-stats {Path(args.event).name}"
    response = load_invoke_output(args.output, what)
    status = response.get("statusCode") if isinstance(response, dict) else None
    check(status == args.status, f"{what}: HTTP {args.status}",
          f"{what}: statusCode {status}, expected {args.status}: {json.dumps(response)[:400]}")
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    check(headers.get("content-type", "").startswith("application/json"),
          f"{what}: Content-Type application/json",
          f"{what}: Content-Type is {headers.get('content-type')!r}")
    raw_body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        import base64
        raw_body = base64.b64decode(raw_body).decode("utf-8")
    try:
        body = json.loads(raw_body)
    except ValueError:
        raise CheckFailed(f"{what}: the body is not JSON: {raw_body[:300]}") from None
    if args.status == 200:
        results = body.get("results")
        check(isinstance(results, list) and len(results) > 0 and "window" in body,
              f"{what}: window and results",
              f"{what}: expected a window and results, got {raw_body[:300]}")
        check(all("sent" in r and "delivered" in r and isinstance(r.get("platforms"), list)
                  for r in results),
              f"{what}: counts and platforms per result",
              f"{what}: a result lacks counts or platforms: {raw_body[:300]}")
    else:
        error = body.get("error") if isinstance(body, dict) else None
        check(isinstance(error, dict) and error.get("code") and error.get("message"),
              f"{what}: error code and message",
              f"{what}: expected {{\"error\": {{\"code\", \"message\"}}}}, got {raw_body[:300]}")
    request_id = next((v for k, v in headers.items() if "request-id" in k), None)
    print(f"  {Path(args.event).name}: HTTP {status}" + (f"  (request id {request_id})" if request_id else ""))
    if args.status == 200:
        window = body["window"]
        print(f"    window {window.get('start_iso')} .. {window.get('end_iso')}")
        for r in body["results"]:
            print("    {task:<20} total {total}, sent {sent}, delivered {delivered}, clicked {clicked},"
                  " delivery rate {dr}, click rate {cr}, {n} platform rows".format(
                      task=r.get("task_id") or "(overall)", total=r.get("total"), sent=r.get("sent"),
                      delivered=r.get("delivered"), clicked=r.get("clicked"),
                      dr=r.get("delivery_rate"), cr=r.get("click_rate"), n=len(r["platforms"])))
    if args.max_lines > 0:
        print(indent(truncate_lines(json.dumps(body, indent=2), args.max_lines), "    "))


def emf_documents(log_text: str) -> list[dict]:
    """The EMF documents in a log: JSON objects with `_aws`, wherever a line
    starts them (cargo lambda watch may prefix the function's output)."""
    docs = []
    for line in log_text.splitlines():
        start = line.find("{")
        if start < 0 or '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("_aws"), dict):
            docs.append(doc)
    return docs


def cmd_metrics(args) -> None:
    """Prints the metrics the functions emitted (from cargo lambda watch's log)
    as a short table, and checks the ones every run must show."""
    catalog = json.loads(Path(args.catalog).read_text())
    listed = {m["name"]: m for m in catalog["metrics"]}
    business = set(catalog["business_metrics"]["names"])
    rows: dict[tuple[str, str], dict] = {}
    namespaces: set[str] = set()
    unlisted: set[str] = set()
    docs = emf_documents(Path(args.log).read_text(errors="replace"))
    for doc in docs:
        for directive in doc["_aws"].get("CloudWatchMetrics", []):
            namespaces.add(str(directive.get("Namespace")))
            dims = directive.get("Dimensions", [[]])[0]
            dim_text = ", ".join(f"{d}={doc.get(d)}" for d in dims) or "-"
            for metric in directive.get("Metrics", []):
                name = metric["Name"]
                if name not in listed and name not in business:
                    unlisted.add(name)
                row = rows.setdefault((name, dim_text), {"n": 0, "unit": metric.get("Unit", "None")})
                row["n"] += 1
                row["last"] = doc.get(name)
    def by(name: str) -> str:
        return ", ".join(listed[name]["emitted_by"]) if name in listed else "ops-pull (business)"
    print(f"  {'metric':<22} {'dimensions':<26} {'docs':>4}  {'last value':>11}  {'unit':<12} emitted by")
    shown_business = 0
    for (name, dims), row in sorted(rows.items(), key=lambda kv: (kv[0][0] in business, kv[0])):
        if name in business:
            shown_business += 1
            if shown_business > args.business_rows:
                continue
        print(f"  {name:<22} {dims:<26} {row['n']:>4}  {row['last']!s:>11}  {row['unit']:<12} {by(name)}")
    hidden = sum(1 for (name, _) in rows if name in business) - min(shown_business, args.business_rows)
    if hidden > 0:
        print(f"  … and {hidden} more business metrics (Tencent's fields, one document per recent day written)")
    check(namespaces == {args.namespace}, f"{len(docs)} EMF documents, namespace {args.namespace}",
          f"EMF namespaces {sorted(namespaces)}, expected only {args.namespace}")
    check(not unlisted, "every emitted metric is in infra/metrics.json",
          f"not in infra/metrics.json: {sorted(unlisted)}")
    names = {name for name, _ in rows}
    for required in args.require:
        check(required in names, f"metric {required} emitted", f"no EMF document carried {required}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("rotation-events")
    p.add_argument("folder")
    p.set_defaults(run=cmd_rotation_events)

    p = sub.add_parser("setup")
    for name in ("bucket", "key-secret-id", "usersig-secret-id", "token", "identifier", "key", "region"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.set_defaults(run=cmd_setup)

    p = sub.add_parser("check-rotation")
    p.add_argument("--step", choices=ROTATION_STEPS, required=True)
    p.add_argument("--secret-id", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.add_argument("--identifier", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(run=cmd_check_rotation)

    p = sub.add_parser("check-emulator")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--appinfo", type=int, required=True)
    p.add_argument("--push", type=int, required=True)
    p.set_defaults(run=cmd_check_emulator)

    p = sub.add_parser("show-secret")
    p.add_argument("--secret-id", required=True)
    p.add_argument("--token", required=True)
    p.set_defaults(run=cmd_show_secret)

    p = sub.add_parser("check-ops-pull")
    p.add_argument("--output", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--again", action="store_true", help="a second run over the same data")
    p.set_defaults(run=cmd_check_ops_pull)

    p = sub.add_parser("check-push-stats")
    p.add_argument("--output", required=True)
    p.add_argument("--event", required=True)
    p.add_argument("--status", type=int, required=True)
    p.add_argument("--max-lines", type=int, default=30)
    p.set_defaults(run=cmd_check_push_stats)

    p = sub.add_parser("metrics")
    p.add_argument("--log", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("--namespace", default="TencentChat")
    p.add_argument("--business-rows", type=int, default=3)
    p.add_argument("--require", nargs="*", default=[])
    p.set_defaults(run=cmd_metrics)

    args = parser.parse_args()
    try:
        args.run(args)
    except CheckFailed as e:
        print(str(e), file=sys.stderr)
        return 1
    except Exception as e:  # boto errors etc.: one line, no traceback noise
        print(f"{args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
