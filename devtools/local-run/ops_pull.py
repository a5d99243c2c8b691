"""ops-pull over every app: the run summary, the objects it left in S3 (daily
operations, raw copies, push history, the lease), and a rerun that writes
nothing but the new raw copies."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from common import check, json_lines, list_objects, load_invoke_output, s3_client

COUNTS = ("total", "sent", "delivered", "clicked")


def summary_by_app(args, what: str) -> dict[int, dict]:
    """The summary's entry of each app, checked to name exactly the apps configured."""
    summary = load_invoke_output(args.output, what)
    apps = summary.get("apps") if isinstance(summary, dict) else None
    found = {a.get("sdkappid"): a for a in apps} if isinstance(apps, list) else {}
    check(isinstance(apps, list) and len(apps) == len(args.apps) and set(found) == set(args.apps),
          f"{what}: the summary has apps {args.apps}",
          f"{what}: expected one summary entry per app {args.apps}, got {json.dumps(summary)[:400]}")
    return found


def partition_keys(keys, prefix: str, part: str, app: int, leaf: str) -> list[str]:
    start = f"{prefix}/{part}/sdkappid={app}/"
    return sorted(k for k in keys if k.startswith(start) and k.endswith(leaf))


def dt_of(key: str) -> str:
    return key.split("/dt=")[1].split("/")[0]


def days_between(first: str, last: str) -> list[str]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=n)).isoformat() for n in range((b - a).days + 1)]


def cmd_check_ops_pull(args) -> None:
    if args.again:
        check_rerun(args)
        return
    apps = summary_by_app(args, "ops-pull")
    s3 = s3_client()
    objects = list_objects(s3, args.bucket)
    accounted: set[str] = set()
    for app in args.apps:
        accounted |= check_app(args, s3, objects, app, apps[app])
    lease = f"{args.prefix}/lease/ops-pull.json"
    check(lease in objects, "ops-pull: the run's lease object", f"ops-pull: no {lease}")
    accounted.add(lease)
    stray = sorted(set(objects) - accounted)
    check(not stray, "ops-pull: no object outside the documented layout",
          f"ops-pull: unexpected objects {stray[:5]}")
    Path(args.snapshot).write_text(json.dumps(objects), encoding="utf-8")
    print(f"  bucket          {len(objects)} objects in s3://{args.bucket}")


def check_app(args, s3, objects: dict, app: int, entry: dict) -> set[str]:
    """One app's summary entry and objects; returns the keys it accounts for."""
    where = f"ops-pull {app}"
    secret = args.usersig_secret_format.format(id=app)
    check(entry.get("app") == secret, f"{where}: named by its UserSig secret",
          f"{where}: summary app {entry.get('app')!r}, expected {secret!r}")
    check(
        entry.get("days_pulled") == args.days and entry.get("days_written") == args.days
        and entry.get("days_failed") == 0 and not entry.get("error"),
        f"{where}: {args.days} days pulled and written, none failed",
        f"{where}: expected {args.days} days pulled/written and 0 failed, got pulled={entry.get('days_pulled')}"
        f" written={entry.get('days_written')} failed={entry.get('days_failed')} error={entry.get('error')}",
    )
    push = entry.get("push") or {}
    days = args.catch_up_days
    check(
        push.get("days_asked") == days and push.get("days_written") == days
        and push.get("days_failed") == 0 and push.get("not_enabled") is False,
        f"{where}: push history caught up: {days} days asked and written",
        f"{where}: expected push history of {days} days written, got {json.dumps(push)[:300]}",
    )

    keys = objects.keys()
    daily = partition_keys(keys, args.prefix, "daily", app, "/operations.json")
    raw = partition_keys(keys, args.prefix, "raw", app, ".json.gz")
    pushed = partition_keys(keys, args.prefix, "push", app, "/push_statistics.json")
    raw_push = partition_keys(keys, args.prefix, "raw/push", app, ".json.gz")
    check(len(daily) == args.days and [dt_of(k) for k in daily]
          == days_between(entry.get("first_date") or "", entry.get("last_date") or ""),
          f"{where}: {args.days} daily objects, one per day of the summary",
          f"{where}: daily objects {[dt_of(k) for k in daily][:3]}… ({len(daily)}), summary"
          f" {entry.get('first_date')} .. {entry.get('last_date')}")
    check(raw == [entry.get("raw_key")], f"{where}: one raw copy, named in the summary",
          f"{where}: raw objects {raw}, summary raw_key {entry.get('raw_key')}")
    check(len(pushed) == days and [dt_of(k) for k in pushed]
          == days_between(push.get("first_date") or "", push.get("last_date") or ""),
          f"{where}: {days} push objects, one per day of the summary",
          f"{where}: push objects {[dt_of(k) for k in pushed]}, summary"
          f" {push.get('first_date')} .. {push.get('last_date')}")
    check([dt_of(k) for k in raw_push] == [dt_of(k) for k in pushed],
          f"{where}: one raw copy of each push answer", f"{where}: push raw copies {raw_push[:3]}…")

    line = check_daily(s3, args.bucket, daily[-1], app, where)
    rows = check_push_day(s3, args.bucket, pushed[-1], app, where)
    check_raw(s3, args.bucket, raw[0], where)

    print(f"  app {app}  ({secret})")
    print(f"    operations    pulled {entry['days_pulled']} days ({entry.get('first_date')} .. {entry.get('last_date')}),"
          f" written {entry['days_written']}, unchanged {entry.get('days_unchanged')},"
          f" failed {entry['days_failed']}, malformed rows {entry.get('malformed_rows')}")
    print(f"    push history  {push['days_asked']} days ({push.get('first_date')} .. {push.get('last_date')}),"
          f" written {push['days_written']}, unchanged {push.get('days_unchanged')}, failed {push['days_failed']}")
    print(f"    objects       {len(daily)} daily, {len(raw)} raw, {len(pushed)} push, {len(raw_push)} push raw:")
    for key in (daily[0], "…", daily[-1], raw[0], pushed[-1], raw_push[-1]):
        print(f"      {key}")
    if app == args.apps[0]:
        total = next(r for r in rows if r.get("event") == "all")
        print(f"    daily line    {shorten(line, 200)}")
        print(f"    push totals   {shorten(json.dumps(total, separators=(',', ':')), 200)}"
              f"  (+ {len(rows) - 1} channel rows)")
    return set(daily) | set(raw) | set(pushed) | set(raw_push)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def check_daily(s3, bucket: str, key: str, app: int, where: str) -> str:
    """The newest daily object: one JSON line for its day and app, which
    Tencent (the emulator) served for this app's credentials (AppId)."""
    obj = s3.get_object(Bucket=bucket, Key=key)
    body = obj["Body"].read().decode("utf-8")
    lines = json_lines(body, key)
    row = lines[0] if lines else {}
    check(
        len(lines) == 1 and row.get("date") == dt_of(key) and row.get("sdkappid") == app
        and row.get("AppId") == app and "pulled_at" in row
        and obj.get("ContentType", "").startswith("application/"),
        f"{where}: daily object is one JSON line of its day and app",
        f"{where}: {key}: {len(lines)} line(s), content-type {obj.get('ContentType')}, first line {body[:200]}",
    )
    numbers = [k for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    check(len(numbers) > 3, f"{where}: numeric fields are JSON numbers",
          f"{where}: no numeric fields in {body[:200]}")
    return body.splitlines()[0]


def check_push_day(s3, bucket: str, key: str, app: int, where: str) -> list[dict]:
    """A push-history day: rows of its day and app, one totals row, and the
    channel rows adding up to it."""
    rows = json_lines(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"), key)
    check(bool(rows) and all(r.get("sdkappid") == app and r.get("date") == dt_of(key) and "pulled_at" in r
                             and all(isinstance(r.get(c), int) for c in COUNTS) for r in rows),
          f"{where}: push rows carry their day, app and counts",
          f"{where}: {key}: rows {json.dumps(rows)[:300]}")
    totals = [r for r in rows if r.get("event") == "all" and r.get("platform") == "all"]
    channels = [r for r in rows if r.get("event") != "all"]
    check(len(totals) == 1 and len(channels) == len(rows) - 1, f"{where}: one totals row per push day",
          f"{where}: {key}: {len(totals)} totals rows among {len(rows)}")
    if channels:
        sums = {c: sum(r[c] for r in channels) for c in COUNTS}
        check(all(sums[c] == totals[0][c] for c in COUNTS), f"{where}: channel rows add up to the totals",
              f"{where}: {key}: channel sums {sums}, totals row {totals[0]}")
    return rows


def check_raw(s3, bucket: str, key: str, where: str) -> None:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        json.loads(gzip.decompress(body))
        ok = True
    except (OSError, ValueError):
        ok = False
    check(ok, f"{where}: raw copy is gzipped JSON", f"{where}: {key} is not gzipped JSON")


def check_rerun(args) -> None:
    """The same data again: every object as it was, one new raw copy per app."""
    apps = summary_by_app(args, "ops-pull again")
    for app in args.apps:
        entry, where = apps[app], f"ops-pull again {app}"
        push = entry.get("push") or {}
        check(
            entry.get("days_written") == 0 and entry.get("days_unchanged") == args.days
            and entry.get("days_failed") == 0 and push.get("days_written") == 0
            and push.get("days_unchanged") == args.push_days and push.get("days_failed") == 0,
            f"{where}: nothing written, everything unchanged",
            f"{where}: expected 0 written, {args.days} days and {args.push_days} push days unchanged, got"
            f" written={entry.get('days_written')} unchanged={entry.get('days_unchanged')}"
            f" failed={entry.get('days_failed')} push={json.dumps(push)} error={entry.get('error')}",
        )
        print(f"  app {app}  written {entry['days_written']}, unchanged {entry['days_unchanged']};"
              f" push written {push['days_written']}, unchanged {push['days_unchanged']}")
    before = json.loads(Path(args.snapshot).read_text(encoding="utf-8"))
    after = list_objects(s3_client(), args.bucket)
    # The lease is taken and released by every run.
    lease = f"{args.prefix}/lease/ops-pull.json"
    changed = sorted(k for k in before if after.get(k) != before[k] and k != lease)
    added = sorted(set(after) - set(before))
    raw_ops = [k for k in added if k.startswith(f"{args.prefix}/raw/sdkappid=")]
    raw_push = [k for k in added if k.startswith(f"{args.prefix}/raw/push/")]
    expected_added = (len(raw_ops) + len(raw_push) == len(added)
                      and sorted(int(k.split("/sdkappid=")[1].split("/")[0]) for k in raw_ops) == sorted(args.apps)
                      and len(raw_push) == len(args.apps) * args.push_days)
    check(not changed and expected_added,
          "ops-pull again: no object rewritten, one new raw copy per app and per push day",
          f"ops-pull again: rewritten or removed {changed[:5]}, added {added[:5]}")
    print(f"  bucket          {len(after)} objects: none rewritten, {len(added)} new raw copies")
