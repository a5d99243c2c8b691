"""The events the local run sends, derived from the checked-in ones in events/:
per-app rotation events (the fixtures name one secret) and push-stats requests
for another app than the fixtures'."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from common import CheckFailed, sh_quote

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
    """Writes OUT/<sdkappid>/<Step>.json for each app: the fixture with that
    app's UserSig secret id and a token of its own (derived from the fixture's,
    so reruns use the same ones). Prints `usersig_secret_id_<id>=…` and
    `rotation_token_<id>=…` for the shell."""
    fixtures = rotation_fixtures(Path(args.fixtures))
    base_token = fixtures[ROTATION_STEPS[0]]["ClientRequestToken"]
    try:
        namespace = uuid.UUID(base_token)
    except ValueError:
        raise CheckFailed(f"{args.fixtures}: ClientRequestToken {base_token!r} is not a UUID") from None
    for app in args.apps:
        secret_id = args.secret_id_format.format(id=app)
        token = str(uuid.uuid5(namespace, secret_id))
        folder = Path(args.out) / str(app)
        folder.mkdir(parents=True, exist_ok=True)
        for step, event in fixtures.items():
            derived = dict(event, SecretId=secret_id, ClientRequestToken=token)
            (folder / f"{step}.json").write_text(json.dumps(derived, indent=2) + "\n", encoding="utf-8")
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
