#!/usr/bin/env bash
# ops-pull at scale (issue 13, "Scale"), in one run:
#
#   devtools/bench/scale/run.sh [APPS ...]     # default: 1 10 100
#
# Builds devtools/bench/scale in release mode (the workspace's release
# profile, as Lambda's binary), then runs `scale-bench`: for each number of
# apps, the Tencent emulator (in-process) serving that many apps with 30 days
# of operations data, their UserSig secrets in moto_server, an in-memory S3
# stub holding every request SCALE_S3_DELAY_MS (default 20) ms, and ops-pull
# run twice in a child process (empty bucket, then steady state) with
# PUSH_ARCHIVE_DAYS (default 7). Prints Markdown on stdout (the machine, one
# row a run, the growth per app), progress on stderr.
#
# Exit 1 when an app exceeded an API's per-second limit (getappinfo 200/s,
# all_member_push_statistics 1/s, counted by the emulator), a run failed, or a
# run of 100 apps or more missed issue 13's goal (handle ≤ 10 s, peak RSS ≤ 64 MiB).
# Not part of devtools/test.sh: timings are for people.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"

if [[ ! -x "$root/.venv/bin/moto_server" ]] && ! command -v moto_server >/dev/null 2>&1; then
  echo "==> moto_server is missing: run devtools/setup.sh" >&2; exit 1
fi
if [[ "${SCALE_SKIP_BUILD:-}" != 1 ]]; then
  echo "==> cargo build --release -p scale-bench (cold: several minutes on 2 cores)" >&2
  cargo build --release -p scale-bench --bins >&2
fi
exec "$root/target/release/scale-bench" "$@"
