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

One module per concern beside this file: events (the derived events),
moto_setup, rotation, ops_pull, push_stats, metrics, release (the version
each function logs), archive (odd values and the copy for
devtools/athena-check); common holds the check
counter and the clients.
"""

from __future__ import annotations

import argparse
import sys

from archive import cmd_inject_odd_values, cmd_keep_archive
from common import CheckFailed, parse_apps
from events import ROTATION_STEPS, cmd_archive_snapshot, cmd_check_sample_run, cmd_event_for_app, cmd_rotation_events
from metrics import cmd_metrics
from moto_setup import cmd_setup
from ops_pull import cmd_check_ops_pull
from push_stats import cmd_check_emulator, cmd_check_push_stats
from release import cmd_check_version
from rotation import cmd_check_rotation, cmd_show_secret


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("rotation-events", help="per-app rotation events from events/usersig-refresher")
    p.add_argument("--fixtures", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--apps", type=parse_apps, required=True)
    p.add_argument("--secret-id-format", required=True, help="e.g. tencent-chat/{id}/usersig")
    p.set_defaults(run=cmd_rotation_events)

    p = sub.add_parser("event-for-app", help="a push-stats event naming another sdkappid")
    p.add_argument("--source", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.add_argument("--as-string", action="store_true", help="in a POST body, as a digit string")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_event_for_app)

    p = sub.add_parser("setup")
    for name in ("bucket", "identifier", "region", "key-secret-format", "usersig-secret-format"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--app", action="append", required=True, metavar="SDKAPPID,TOKEN,KEY")
    p.set_defaults(run=cmd_setup)

    p = sub.add_parser("check-rotation")
    p.add_argument("--step", choices=ROTATION_STEPS, required=True)
    p.add_argument("--secret-id", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.add_argument("--identifier", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(run=cmd_check_rotation)

    p = sub.add_parser("show-secret")
    p.add_argument("--secret-id", required=True)
    p.set_defaults(run=cmd_show_secret)

    p = sub.add_parser("check-ops-pull")
    p.add_argument("--output", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--apps", type=parse_apps, required=True)
    p.add_argument("--usersig-secret-format", required=True)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--push-days", type=int, required=True)
    p.add_argument("--catch-up-days", type=int, default=28, help="push days the first run pulls")
    p.add_argument("--snapshot", required=True, help="the bucket's objects after the first run")
    p.add_argument("--again", action="store_true", help="a second run over the same data")
    p.set_defaults(run=cmd_check_ops_pull)

    p = sub.add_parser("archive-snapshot", help="the archived days' ETags, for check-sample-run")
    for name in ("bucket", "prefix", "snapshot"):
        p.add_argument(f"--{name}", required=True)
    p.set_defaults(run=cmd_archive_snapshot)

    p = sub.add_parser("check-sample-run", help="an ops-pull sample event sent as it is")
    for name in ("output", "event", "bucket", "prefix", "snapshot"):
        p.add_argument(f"--{name}", required=True)
    p.set_defaults(run=cmd_check_sample_run)

    p = sub.add_parser("check-push-stats")
    p.add_argument("--output", required=True)
    p.add_argument("--event", required=True)
    p.add_argument("--label", help="how to name the request (default: the event's file name)")
    p.add_argument("--status", type=int, required=True)
    p.add_argument("--sdkappid", type=int, help="with --status 200: the app the answer must be of")
    p.add_argument("--error-code", help="with a 4xx status: the error code expected")
    p.add_argument("--max-lines", type=int, default=0, help="also print the body's first lines")
    p.set_defaults(run=cmd_check_push_stats)

    p = sub.add_parser("check-emulator")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--appinfo", type=int, required=True)
    p.add_argument("--appinfo-why", required=True)
    p.add_argument("--push", type=int, required=True)
    p.add_argument("--push-why", required=True)
    p.set_defaults(run=cmd_check_emulator)

    p = sub.add_parser("metrics")
    p.add_argument("--log", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("--namespace", default="TencentChat")
    p.add_argument("--business-rows", type=int, default=3)
    p.add_argument("--require", nargs="*", default=[])
    p.add_argument("--apps", type=parse_apps, default=[])
    p.add_argument("--per-app", nargs="*", default=[], help="metrics each of --apps must have (SDKAppID)")
    p.set_defaults(run=cmd_metrics)

    p = sub.add_parser("check-version", help="each function's start-up line names the workspace's version")
    p.add_argument("--log", required=True)
    p.add_argument("--cargo-toml", default="Cargo.toml")
    p.add_argument("--functions", type=int, required=True)
    p.set_defaults(run=cmd_check_version)

    p = sub.add_parser("inject-odd-values", help="odd counts for one app and day, before ops-pull")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--sdkappid", type=int, required=True)
    p.set_defaults(run=cmd_inject_odd_values)

    p = sub.add_parser("keep-archive", help="the archive and the emulator's push answers, to a folder")
    for name in ("bucket", "prefix", "out", "endpoint", "usersig-secret-format"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--apps", type=parse_apps, required=True)
    p.set_defaults(run=cmd_keep_archive)
    return top


def main() -> int:
    args = parser().parse_args()
    if args.command == "check-push-stats":
        if args.status == 200 and args.sdkappid is None:
            print("check-push-stats: --status 200 needs --sdkappid", file=sys.stderr)
            return 2
        if args.status != 200 and not args.error_code:
            print("check-push-stats: an error status needs --error-code", file=sys.stderr)
            return 2
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
