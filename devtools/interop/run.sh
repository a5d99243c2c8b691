#!/usr/bin/env bash
# UserSig interop with Tencent's reference libraries (tls-sig-api-v2 from PyPI
# and npm), both ways. Needs devtools/setup.sh to have run (it installs both).
# Prints `interop: N passed, M failed` last; exits non-zero on any failure.
# Without node (or the npm package) the Node half is skipped with a notice.
#   INTEROP_RANDOM=N   random identifiers per library (default 20)
#   INTEROP_SEED=N     seed for them (default fixed, so runs are repeatable)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/devtools/interop"
cd "$root"

say() { printf '[interop] %s\n' "$*" >&2; }

python="$root/.venv/bin/python"
if [[ ! -x "$python" ]] || ! "$python" -c 'import TLSSigAPIv2' 2>/dev/null; then
  say "Tencent's Python library (TLSSigAPIv2) is not installed in .venv: run devtools/setup.sh"
  echo "interop: 0 passed, 1 failed"
  exit 1
fi

node_args=()
if ! command -v node >/dev/null 2>&1; then
  say "node not found: skipping the Node half"
elif [[ ! -f "$root/.local/node/node_modules/tls-sig-api-v2/TLSSigAPIv2.js" ]]; then
  say "npm tls-sig-api-v2 not in .local/node (run devtools/setup.sh): skipping the Node half"
else
  node_args=(--node "$(command -v node)")
fi

say "building usersig (debug)"
# At the workspace root, not -p tim: the features of the test build and the
# local run, so the binary comes from the build they made.
cargo build --quiet --bin usersig
target_dir="${CARGO_TARGET_DIR:-$root/target}"
usersig="$target_dir/debug/usersig"

exec "$python" "$here/interop.py" --usersig "$usersig" --python "$python" ${node_args[@]+"${node_args[@]}"}
