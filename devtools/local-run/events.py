"""The events the local run sends, derived from the checked-in ones in events/:
per-app rotation events (the fixtures name one secret) and push-stats requests
for another app than the fixtures'."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from common import CheckFailed, check, list_objects, load_invoke_output, s3_client, sh_quote

ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def rotation_fixtures(folder: Path) -> dict[str, dict]:
    """Maps each rotation step to its checked-in event. The four must share
    one SecretId and one ClientRequestToken (one rotation)."""
    found: dict[str, tuple[Path, dict]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CheckFailed(f"{path}: not readable JSON ({e})") from e
        if not isinstance(event, dict) or event.get("Step") not in ROTATION_STEPS:
            continue
        step = event["Step"]
        # Several files for one step (e.g. a variant): prefer the plainest name.
        if step in found and len(path.name) >= len(found[step][0].name):
            continue
        found[step] = (path, event)
    missing = [s for s in ROTATION_STEPS if s not in found]
    if missing:
        raise CheckFailed(f"{folder}: no event for step(s) {', '.join(missing)}")
    events = {step: event for step, (_, event) in found.items()}
    ids = {e.get("SecretId") for e in events.values()}
    tokens = {e.get("ClientRequestToken") for e in events.values()}
    if len(ids) != 1 or len(tokens) != 1 or None in ids or None in tokens:
        raise CheckFailed(
            f"{folder}: the four step events must share one SecretId and one ClientRequestToken"
        )
    return events


def cmd_rotation_events(args) -> None:
    """For each app, the folder of its four rotation events: the fixtures'
    own folder, as they are, for the app they name (the deployed shape,
    tencent-chat/<id>/usersig), else OUT/<sdkappid>/<Step>.json, the
    fixtures with that app's UserSig secret id and a token of its own
    (derived from the fixtures', so reruns use the same ones). Prints
    `rotation_events_<id>=…`, `usersig_secret_id_<id>=…` and
    `rotation_token_<id>=…` for the shell."""
    fixtures = rotation_fixtures(Path(args.fixtures))
    first = fixtures[ROTATION_STEPS[0]]
    base_token = first["ClientRequestToken"]
    try:
        namespace = uuid.UUID(base_token)
    except ValueError:
        raise CheckFailed(f"{args.fixtures}: ClientRequestToken {base_token!r} is not a UUID") from None
    served = [args.secret_id_format.format(id=app) for app in args.apps]
    if first["SecretId"] not in served:
        raise CheckFailed(f"{args.fixtures}: SecretId {first['SecretId']!r} is none of the apps' {served}")
    for app, secret_id in zip(args.apps, served):
        if secret_id == first["SecretId"]:
            folder, token = Path(args.fixtures), base_token
            missing = [s for s in ROTATION_STEPS if not (folder / f"{s}.json").is_file()]
            if missing:
                raise CheckFailed(f"{folder}: sent as they are, the events must be <Step>.json: no {missing}")
        else:
            token = str(uuid.uuid5(namespace, secret_id))
            folder = Path(args.out) / str(app)
            folder.mkdir(parents=True, exist_ok=True)
            for step, event in fixtures.items():
                derived = dict(event, SecretId=secret_id, ClientRequestToken=token)
                (folder / f"{step}.json").write_text(json.dumps(derived, indent=2) + "\n", encoding="utf-8")
        print(f"rotation_events_{app}={sh_quote(folder)}")
        print(f"usersig_secret_id_{app}={sh_quote(secret_id)}")
        print(f"rotation_token_{app}={sh_quote(token)}")


def cmd_event_for_app(args) -> None:
    """A push-stats request event naming another app: the query parameter of a
    GET, or the JSON field of a POST (as a digit string with --as-string)."""
    event = json.loads(Path(args.source).read_text(encoding="utf-8"))
    if event.get("body"):
        body = json.loads(event["body"])
        if "sdkappid" not in body:
            raise CheckFailed(f"{args.source}: the body names no sdkappid to replace")
        body["sdkappid"] = str(args.sdkappid) if args.as_string else args.sdkappid
        event["body"] = json.dumps(body)
        headers = event.get("headers") or {}
        if "content-length" in headers:
            headers["content-length"] = str(len(event["body"].encode("utf-8")))
    else:
        params = event.get("queryStringParameters") or {}
        if "sdkappid" not in params:
            raise CheckFailed(f"{args.source}: the query names no sdkappid to replace")
        params["sdkappid"] = str(args.sdkappid)
        event["rawQueryString"] = re.sub(
            r"(^|&)sdkappid=[^&]*", rf"\g<1>sdkappid={args.sdkappid}", event.get("rawQueryString", "")
        )
    Path(args.out).write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")


def archived(bucket: str, prefix: str) -> dict[str, str]:
    """The archived days (daily/ and push/ objects) and their ETags."""
    days = (f"{prefix}/daily/", f"{prefix}/push/")
    return {k: o["etag"] for k, o in list_objects(s3_client(), bucket).items() if k.startswith(days)}


def cmd_check_sample_run(args) -> None:
    """An ops-pull sample event sent as it is, after the scheduled runs over
    the same data: the run succeeds and changes no archived day (a dry run
    writes nothing, a subset or manual run finds every day as archived),
    against the archive recorded by archive-snapshot."""
    name = Path(args.event).name
    answer = load_invoke_output(args.output, f"ops-pull {name}")
    check(isinstance(answer, dict) and "errorType" not in answer, f"ops-pull {name}: succeeded",
          f"ops-pull {name}: failed: {json.dumps(answer)[:300]}")
    now = archived(args.bucket, args.prefix)
    before = json.loads(Path(args.snapshot).read_text(encoding="utf-8"))
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    check(not changed, f"ops-pull {name}: no archived day changed",
          f"ops-pull {name}: archived days changed: {changed[:5]}")
    print(f"  {name:<14} {json.dumps(json.loads(Path(args.event).read_text(encoding='utf-8')))}: succeeded,"
          " no archived day changed")


def cmd_archive_snapshot(args) -> None:
    Path(args.snapshot).write_text(json.dumps(archived(args.bucket, args.prefix)), encoding="utf-8")
