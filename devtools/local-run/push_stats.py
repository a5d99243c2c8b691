"""push-stats' answers (the app served, the statistics, the 400s) and the
emulator's request counters (what reached "Tencent")."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

from common import CheckFailed, check, indent, load_invoke_output, truncate_lines


def cmd_check_push_stats(args) -> None:
    what = f"push-stats {args.label or Path(args.event).name}"
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
        raw_body = base64.b64decode(raw_body).decode("utf-8")
    try:
        body = json.loads(raw_body)
    except ValueError:
        raise CheckFailed(f"{what}: the body is not JSON: {raw_body[:300]}") from None
    label = args.label or Path(args.event).name
    if args.status == 200:
        check_statistics(what, body, raw_body, args.sdkappid)
        window = body["window"]
        print(f"  {label}: HTTP 200, app {body['sdkappid']}, window {window.get('start_iso')} .. {window.get('end_iso')}")
        for r in body["results"]:
            print("    {task:<20} total {total}, sent {sent}, delivered {delivered}, clicked {clicked},"
                  " rates {dr}/{cr}, {n} platform rows".format(
                      task=r.get("task_id") or "(overall)", total=r.get("total"), sent=r.get("sent"),
                      delivered=r.get("delivered"), clicked=r.get("clicked"),
                      dr=r.get("delivery_rate"), cr=r.get("click_rate"), n=len(r["platforms"])))
    else:
        error = body.get("error") if isinstance(body, dict) else None
        check(isinstance(error, dict) and error.get("code") == args.error_code and error.get("message"),
              f"{what}: error {args.error_code} with a message",
              f"{what}: expected {{\"error\": {{\"code\": {args.error_code!r}, \"message\"}}}}, got {raw_body[:300]}")
        parameter = f" (parameter {error['parameter']})" if error.get("parameter") else ""
        print(f"  {label}: HTTP {status} {error['code']}{parameter}: {error['message']}")
    if args.max_lines > 0:
        print(indent(truncate_lines(json.dumps(body, indent=2), args.max_lines), "    "))


def check_statistics(what: str, body: dict, raw_body: str, sdkappid: int) -> None:
    check(body.get("sdkappid") == sdkappid, f"{what}: answers for app {sdkappid}",
          f"{what}: sdkappid {body.get('sdkappid')!r} in the answer, expected {sdkappid}")
    results = body.get("results")
    check(isinstance(results, list) and len(results) > 0 and "window" in body,
          f"{what}: window and results",
          f"{what}: expected a window and results, got {raw_body[:300]}")
    check(all("sent" in r and "delivered" in r and isinstance(r.get("platforms"), list)
              for r in results),
          f"{what}: counts and platforms per result",
          f"{what}: a result lacks counts or platforms: {raw_body[:300]}")


def cmd_check_emulator(args) -> None:
    """What reached 'Tencent': proves the functions used TIM_ENDPOINT, and
    that the refused requests were refused before any call."""
    with urllib.request.urlopen(args.endpoint.rstrip("/") + "/__emulator/stats", timeout=10) as r:
        stats = json.load(r)
    per_command = stats.get("per_command") or {}

    def count(fragment: str) -> int:
        return sum(n for command, n in per_command.items() if fragment in command)

    appinfo, push = count("getappinfo"), count("all_member_push_statistics")
    check(appinfo == args.appinfo, f"emulator: {args.appinfo} getappinfo calls",
          f"emulator: {appinfo} getappinfo calls, expected {args.appinfo} ({args.appinfo_why}): {per_command}")
    check(push == args.push, f"emulator: {args.push} push statistics calls",
          f"emulator: {push} all_member_push_statistics calls, expected {args.push} ({args.push_why}): {per_command}")
    print(f"  emulator saw    {stats.get('requests')} requests: "
          + ", ".join(f"{c} x{n}" for c, n in sorted(per_command.items())))
    print(f"                  getappinfo: {args.appinfo_why}")
    print(f"                  push statistics: {args.push_why}")
