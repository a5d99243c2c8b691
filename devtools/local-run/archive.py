"""What the local run leaves for devtools/athena-check (the DuckDB test of the
Athena tables and named queries): odd values injected into the emulator
before ops-pull runs, and afterwards a copy of the archive with the answers
the emulator serves for it.

The copy, under --out: the bucket's daily/, push/ and raw/ objects (keys
relative to the prefix, so Hive paths stay as they are), and
emulator/push/sdkappid=ID/dt=DAY.json, the emulator's push-statistics answer
for each archived push day, fetched as a client would (the app's rotated
UserSig from Secrets Manager). The daily expectations come from raw/ (the
getappinfo answers ops-pull received, copied as they came)."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from common import CheckFailed, check, client, s3_client

# One app, one day: a count Tencent sends empty, one with a fraction, one
# past i64, and a JSON null. ops-pull must write each as JSON null (and the
# text in the line's "malformed" map), or Athena cannot read the line.
ODD_VALUES = {
    "ActiveUserNum": "",
    "UpMsgNum": "1.5",
    "MaxOnlineNum": "99999999999999999999",
    "RegistUserNumOneDay": None,
}
# Days back from the emulator's today (UTC): inside every named query's window.
ODD_DAY_BACK = 10
CHINA = dt.timezone(dt.timedelta(hours=8))
PARTS = ("daily", "push", "raw")


def post_json(url: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def cmd_inject_odd_values(args) -> None:
    day = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=ODD_DAY_BACK)).isoformat()
    url = args.endpoint.rstrip("/") + "/__emulator/ops"
    shown = []
    for field, value in ODD_VALUES.items():
        status, body = post_json(url, {"sdkappid": args.sdkappid, "date": day, "field": field, "value": value})
        if status == 200:
            shown.append(f"{field}={json.dumps(value)}")
        else:
            raise CheckFailed(f"inject-odd-values: {field}={value!r}: HTTP {status} {body}")
    check(bool(shown), "odd values injected", "inject-odd-values: nothing injected")
    print(f"  app {args.sdkappid} day {day}: " + ", ".join(shown))


def cmd_keep_archive(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for part in (*PARTS, "emulator"):  # a previous run's copy must not mix in
        shutil.rmtree(out / part, ignore_errors=True)
    s3 = s3_client()
    counts = dict.fromkeys(PARTS, 0)
    for part in PARTS:
        start = f"{args.prefix}/{part}/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=start):
            for o in page.get("Contents", []):
                target = out / o["Key"][len(args.prefix) + 1:]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=args.bucket, Key=o["Key"])["Body"].read())
                counts[part] += 1
    check(all(counts.values()), "archive copied", f"keep-archive: objects copied per part {counts}")
    answers = sum(fetch_push_answers(args, out, app) for app in args.apps)
    print(f"  archive kept    {out}: {counts['daily']} daily, {counts['push']} push, {counts['raw']} raw objects,"
          f" {answers} emulator push answers")
    print(f"                  check it: devtools/athena-check/run.sh {out}")


def fetch_push_answers(args, out: Path, app: int) -> int:
    """The emulator's answer for each archived push day of `app`: the window
    ops-pull asks, [00:00, 24:00) China time."""
    secret = json.loads(client("secretsmanager").get_secret_value(
        SecretId=args.usersig_secret_format.format(id=app))["SecretString"])
    days = sorted(p.name[3:] for p in (out / "push" / f"sdkappid={app}").glob("dt=*"))
    for day in days:
        start = int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), CHINA).timestamp())
        query = urllib.parse.urlencode({"sdkappid": app, "identifier": secret["identifier"],
                                        "usersig": secret["usersig"], "random": random.randrange(2**32),
                                        "contenttype": "json"})
        url = f"{args.endpoint.rstrip('/')}/v4/timpush/all_member_push_statistics?{query}"
        status, body = post_json(url, {"StartTime": start, "EndTime": start + 86400})
        if status != 200 or body.get("ErrorCode") != 0:
            raise CheckFailed(f"keep-archive: push statistics of {app} {day}: HTTP {status} {str(body)[:200]}")
        target = out / "emulator" / "push" / f"sdkappid={app}" / f"dt={day}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(body), encoding="utf-8")
    check(bool(days), f"emulator push answers of {app}", f"keep-archive: no push day archived for {app}")
    return len(days)
