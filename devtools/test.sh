#!/usr/bin/env bash
# The README's test command: everything CI checks, on a fresh machine.
#   fmt, clippy (-D warnings), no OpenSSL in the tree, cargo deny (licences,
#   bans, sources), every Rust test (against
#   moto_server and the Tencent emulator on loopback), UserSig interop with
#   Tencent's reference libraries, the SAM template checks, checkov over the
#   template (every skip with its reason), the end-to-end
#   local run through cargo lambda, and its archive queried by DuckDB with
#   every Athena named query (devtools/athena-check).
# Installs what it needs first (devtools/setup.sh). Ends with one summary line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started=$SECONDS
stage() { printf '\n==> %s (%ss)\n' "$*" "$((SECONDS - started))"; }
fail() { printf '\nFAILED: %s\n' "$*"; exit 1; }

stage "setup: rustfmt and clippy now; the Python and Node tools in the background"
devtools/setup.sh rust
# The tools are downloads and unpacking, the Rust build below is CPU: side by
# side they save the setup's minute or two on a fresh machine.
setup_log="${TMPDIR:-/tmp}/setup-$$.log"
devtools/setup.sh tools >"$setup_log" 2>&1 &
setup_pid=$!
trap 'kill ${setup_pid:-} 2>/dev/null || true' EXIT
wait_for_setup() {
  [[ -n "${setup_pid:-}" ]] || return 0
  local rc=0
  wait "$setup_pid" || rc=$?
  setup_pid=""
  cat "$setup_log"
  [[ $rc -eq 0 ]] || fail "devtools/setup.sh tools"
}

stage "cargo fmt --check"
cargo fmt --all -- --check || fail "cargo fmt (run: cargo fmt --all)"

stage "no OpenSSL in the dependency tree"
if cargo tree --workspace -e normal,build -i openssl-sys >/dev/null 2>&1; then
  fail "openssl-sys is in the tree: cargo tree -i openssl-sys"
fi

stage "the one build: every target, linted by clippy as it compiles (-D warnings)"
# clippy-driver is rustc plus clippy's lints: as the compiler of the
# workspace's own crates (cargo clippy does the same, in a check-only build)
# it lints them while building the tests, so no second, check-only build of
# the AWS SDK is made (about 2 minutes cold). Exported: every cargo below
# (nextest, the local run, cargo lambda watch, interop) finds this build.
export RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
build_log="${TMPDIR:-/tmp}/cargo-build-$$.log"
cargo test --workspace --all-targets --no-run >"$build_log" 2>&1 ||
  { grep -v '^ *\(Compiling\|Executable\)' "$build_log" | tail -n 60; fail "the build or clippy (cargo clippy --workspace --all-targets -- -D warnings shows the same)"; }
rm -f "$build_log"

stage "waiting for devtools/setup.sh tools"
wait_for_setup

# cfn-lint and sam validate are single-threaded Python: they run beside the
# Rust tests, and their result is read before the end-to-end run.
infra_log="${TMPDIR:-/tmp}/infra-check-$$.log"
devtools/infra-check/run.sh >"$infra_log" 2>&1 &
infra_pid=$!
trap 'kill ${infra_pid:-} 2>/dev/null || true' EXIT

stage "cargo deny check bans licenses sources (devtools/deny.toml)"
.local/cargo-deny/bin/cargo-deny --config devtools/deny.toml check bans licenses sources 2>"${TMPDIR:-/tmp}/cargo-deny-$$.log" ||
  { cat "${TMPDIR:-/tmp}/cargo-deny-$$.log"; fail "cargo deny (devtools/deny.toml)"; }
tail -n 1 "${TMPDIR:-/tmp}/cargo-deny-$$.log"
rm -f "${TMPDIR:-/tmp}/cargo-deny-$$.log"

stage "moto_server (S3 + Secrets Manager) on loopback"
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"${TMPDIR:-/tmp}/moto-test-$$.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" ${infra_pid:-} 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null && break
  sleep 0.1
done
export MOTO_ENDPOINT="http://127.0.0.1:$moto_port"

stage "cargo nextest run --workspace (one test binary per crate, each test in its own process)"
# A process per test: tests that capture logs with their own tracing
# subscriber cannot lose a line to another test's thread, and one test's
# panic or global state never reaches another. nextest comes with the
# machine's Rust toolchain here; without it, cargo test runs the same tests.
test_log="${TMPDIR:-/tmp}/cargo-test-$$.log"
# push-stats' tests record every answer they check, for openapi-check below.
answers_dir="$(mktemp -d "${TMPDIR:-/tmp}/push-stats-answers.XXXXXX")"
trap 'kill "$moto_pid" ${infra_pid:-} 2>/dev/null || true; rm -rf "$answers_dir"' EXIT
export PUSH_STATS_ANSWERS_DIR="$answers_dir"
set +e
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --hide-progress-bar --status-level fail \
    --final-status-level fail 2>&1 | tee "$test_log"
  test_rc=${PIPESTATUS[0]}
  rust_passed=$(sed -n 's/.* tests\? run: \([0-9]*\) passed.*/\1/p' "$test_log" | tail -n 1)
  rust_failed=$(sed -n 's/.* tests\? run: [0-9]* passed, \([0-9]*\) failed.*/\1/p' "$test_log" | tail -n 1)
else
  cargo test --workspace --no-fail-fast --lib --bins --tests 2>&1 | tee "$test_log"
  test_rc=${PIPESTATUS[0]}
  rust_passed=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$test_log" | awk '{s+=$4} END {print s+0}')
  rust_failed=$(grep -Eo '[0-9]+ failed;' "$test_log" | awk '{s+=$1} END {print s+0}')
fi
set -e
[[ $test_rc -eq 0 ]] || fail "cargo nextest (${rust_failed:-?} failed)"

stage "doc tests (the crates' READMEs and API docs)"
set +e
cargo test --workspace --doc --no-fail-fast 2>&1 | tee "$test_log"
doc_rc=${PIPESTATUS[0]}
set -e
doc_passed=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$test_log" | awk '{s+=$4} END {print s+0}')
doc_failed=$(grep -Eo '[0-9]+ failed;' "$test_log" | awk '{s+=$1} END {print s+0}')
rm -f "$test_log"
[[ $doc_rc -eq 0 ]] || fail "doc tests ($doc_failed failed)"
rust_passed=$((${rust_passed:-0} + doc_passed))
rust_failed=$((${rust_failed:-0} + doc_failed))

stage "infra/openapi.yaml: a valid OpenAPI 3.1 document, and push-stats' answers from the tests against it"
.local/openapi/bin/python devtools/openapi-check/check.py "$answers_dir"

stage "UserSig interop with Tencent's reference libraries"
devtools/interop/run.sh

stage "infra: cfn-lint, sam validate, sam validate --lint, transformed-template wiring (started after setup)"
infra_rc=0
wait "$infra_pid" || infra_rc=$?
cat "$infra_log"
rm -f "$infra_log"
[[ $infra_rc -eq 0 ]] || fail "devtools/infra-check/run.sh"

stage "security scan: checkov on infra/template.yaml (Fn::ForEach expanded for two apps)"
.venv/bin/python devtools/infra-check/checkov_scan.py ||
  fail "checkov: fix the finding, or skip it in the resource's Metadata (checkov: skip: id, comment) with the reason"

stage "end to end: the local run through cargo lambda"
archive_dir="$(mktemp -d "${TMPDIR:-/tmp}/local-run-archive.XXXXXX")"
LOCAL_RUN_ARCHIVE_DIR="$archive_dir" devtools/local-run.sh

stage "athena: the local run's archive in DuckDB with the Glue types, every named query (sqlglot)"
devtools/athena-check/run.sh "$archive_dir" || { rm -rf "$archive_dir"; fail "athena-check"; }
rm -rf "$archive_dir"

printf '\nall checks green in %ss\n' "$((SECONDS - started))"
printf 'rust tests: %s passed, %s failed\n' "$rust_passed" "$rust_failed"
