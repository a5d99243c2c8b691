#!/usr/bin/env bash
# The archive a local run left, read by DuckDB with the Glue tables' types and
# queried with every Athena named query of infra/template.yaml (translated by
# sqlglot), after a self-test on a hand-made archive proves the check can fail.
#
#   devtools/athena-check/run.sh ARCHIVE_DIR   (the LOCAL_RUN_ARCHIVE_DIR of devtools/local-run.sh)
#
# Ends with `athena: N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ $# -eq 1 && -d "$1" ]] || { echo "usage: $0 ARCHIVE_DIR" >&2; exit 2; }
py="$root/.local/athena/bin/python"
[[ -x "$py" ]] || "$root/devtools/setup.sh"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in devtools/athena-check/
"$py" "$root/devtools/athena-check/selftest.py"
"$py" "$root/devtools/athena-check/athena_check.py" "$1"
