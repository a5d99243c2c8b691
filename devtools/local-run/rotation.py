"""usersig-refresher's four steps: each step's answer, and the UserSig
secret's state after it as Secrets Manager's rotation protocol defines it."""

from __future__ import annotations

import json

from common import CheckFailed, check, client, load_invoke_output

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
    """A UserSig secret's value: every field, and the app's own sdkappid, which
    only that app's key secret (paired with it in TIM_ROTATION_TARGET_<id>) can have given it."""
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
    where = f"{args.sdkappid} {args.step}"
    report = load_invoke_output(args.output, f"usersig-refresher {where}")
    outcome = report.get("outcome") if isinstance(report, dict) else None
    check(outcome == STEP_OUTCOMES[args.step], f"{where}: outcome {outcome}",
          f"usersig-refresher {where}: outcome {outcome!r}, expected"
          f" {STEP_OUTCOMES[args.step]!r}: {json.dumps(report)[:300]}")
    check(report.get("secret_id") == args.secret_id, f"{where}: the event's secret",
          f"usersig-refresher {where}: answered for {report.get('secret_id')!r}, not {args.secret_id!r}")
    sm = client("secretsmanager")
    stages = stages_of(sm, args.secret_id)
    token = args.token
    others_pending = [v for v, s in stages.items() if v != token and "AWSPENDING" in s]
    check(not others_pending, f"{where}: AWSPENDING on no other version",
          f"after {where}: AWSPENDING also on {others_pending}")
    if args.step in ("createSecret", "setSecret", "testSecret"):
        check(stages.get(token) == ["AWSPENDING"], f"{where}: token still AWSPENDING",
              f"after {where}: the token's stages are {stages.get(token)}, expected [AWSPENDING]")
        pending = version_value(sm, args.secret_id, VersionId=token, VersionStage="AWSPENDING")
        check_usersig_value(pending, f"{where}: pending version", args)
        current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT")
        check(current is not None and "usersig" not in current,
              f"{where}: AWSCURRENT untouched",
              f"after {where}: AWSCURRENT changed before finishSecret")
    else:
        check("AWSCURRENT" in stages.get(token, []), f"{where}: token is AWSCURRENT",
              f"after {where}: the token's stages are {stages.get(token)}")
        previous = [v for v, s in stages.items() if "AWSPREVIOUS" in s]
        check(len(previous) == 1 and previous[0] != token,
              f"{where}: placeholder is AWSPREVIOUS",
              f"after {where}: AWSPREVIOUS is on {previous}")
        current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT")
        check_usersig_value(current, f"{where}: current version", args)
    print(f"    {args.step:<13} {outcome:<15} stages: {format_stages(stages, token)}")


def format_stages(stages: dict[str, list[str]], token: str) -> str:
    parts = []
    for version, labels in sorted(stages.items(), key=lambda kv: kv[0] != token):
        name = "token" if version == token else version[:8] + "…"
        parts.append(f"{name}={'+'.join(labels) or '-'}")
    return ", ".join(parts)


def cmd_show_secret(args) -> None:
    """The rotated secret in two lines, the UserSig itself redacted."""
    sm = client("secretsmanager")
    described = sm.describe_secret(SecretId=args.secret_id)
    current = version_value(sm, args.secret_id, VersionStage="AWSCURRENT") or {}
    usersig = current.get("usersig") or ""
    every = described.get("RotationRules", {}).get("AutomaticallyAfterDays", "?")
    print(f"    now           sdkappid {current.get('sdkappid')}, identifier {current.get('identifier')},"
          f" region {current.get('region')}, usersig <redacted, {len(usersig)} characters>")
    print(f"                  valid {current.get('issued_at')} .. {current.get('expires_at')};"
          f" rotation enabled={described.get('RotationEnabled')}, every {every} days")
