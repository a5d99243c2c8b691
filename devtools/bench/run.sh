#!/usr/bin/env bash
# Performance benchmarks of the three functions (issue 7), as one command:
#
#   devtools/bench/run.sh
#
# 1. Builds the release binaries exactly as `sam build` does (cargo-lambda +
#    zig, the workspace's release profile, one package at a time from its own
#    folder so that features are not unified across functions), plus
#    devtools/bench/lambda-floor, a hello-world lambda_runtime function: the
#    floor every figure is compared with. Cold, that is 10–20 minutes on two
#    cores; BENCH_SKIP_BUILD=1 reuses target/lambda/*/bootstrap{,.zip}
#    (BENCH_BIN_DIR=DIR: DIR/<bin>/bootstrap{,.zip} instead, e.g. a saved set).
# 2. Sizes: each `bootstrap` and `bootstrap.zip`.
# 3. devtools/bench/bench.py: moto_server + the Tencent emulator on 127.0.0.1,
#    a Lambda Runtime API on loopback; cold start (BENCH_RUNS, default 20,
#    interleaved), peak RSS and connection reuse over a cold start + 10
#    invocations, ops-pull latency with a 100 ms API and 20 ms per S3 request,
#    push-stats warm overhead. BENCH_CERT_LAYOUT=al2023 adds cold-start rows
#    run with Amazon Linux 2023's trust store layout (the CA bundle only:
#    SSL_CERT_FILE=the bundle, SSL_CERT_DIR=an empty directory).
# 4. `cargo bench -p tim --bench usersig` (criterion): UserSig sign/verify.
# 5. lambda-kit-probe built --release: its end-to-end tests against that build
#    (the release profile unwinds: a panic is a reported error).
#
# Prints Markdown (the machine, then the tables) on stdout; progress on
# stderr. Not part of devtools/test.sh: timings are for people, not asserts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

say() { printf '==> %s\n' "$*" >&2; }

if [[ ! -x .venv/bin/moto_server || ! -x .venv/bin/cargo-lambda ]]; then
  say "devtools/setup.sh (moto, cargo-lambda, zig)"
  devtools/setup.sh >&2
fi
export PATH="$root/.venv/bin:$PATH"
export CARGO_ZIGBUILD_PYTHON_PATH="$root/.venv/bin/python3"
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

declare -A crate_dir=(
  [lambda-floor]=devtools/bench/lambda-floor
  [ops-pull]=functions/ops-pull
  [push-stats]=functions/push-stats
  [usersig-refresher]=functions/usersig-refresher
  [entropy-probe]=devtools/bench/entropy-probe
)
binaries=(lambda-floor ops-pull push-stats usersig-refresher)

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  for bin in "${binaries[@]}" entropy-probe; do
    say "cargo lambda build --release --output-format zip --bin $bin"
    (cd "${crate_dir[$bin]}" && cargo lambda build --release --output-format zip --bin "$bin" >&2)
    # The zip is what Lambda runs: benchmark the binary inside it.
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      "$target_dir/lambda/$bin/bootstrap.zip" "$target_dir/lambda/$bin"
    chmod +x "$target_dir/lambda/$bin/bootstrap"
  done
fi
bin_dir="${BENCH_BIN_DIR:-$target_dir/lambda}"
say "cargo build -p tim-emulator (debug)"
cargo build --quiet -p tim-emulator --bin tim-emulator >&2

for bin in "${binaries[@]}"; do
  [[ -f "$bin_dir/$bin/bootstrap.zip" && -x "$bin_dir/$bin/bootstrap" ]] || {
    echo "missing $bin_dir/$bin/bootstrap or bootstrap.zip (run without BENCH_SKIP_BUILD)" >&2
    exit 1
  }
done

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "## Benchmarks ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) cores, ${cpu}, Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
echo
echo "### Size (x86_64, cargo lambda build --release --output-format zip)"
echo
echo "| function | bootstrap | bootstrap.zip |"
echo "|---|---:|---:|"
for bin in "${binaries[@]}"; do
  name=$bin
  [[ $bin == lambda-floor ]] && name="hello-world floor"
  raw=$(stat -c %s "$bin_dir/$bin/bootstrap")
  zip=$(stat -c %s "$bin_dir/$bin/bootstrap.zip")
  awk -v n="$name" -v r="$raw" -v z="$zip" 'BEGIN { printf "| %s | %.2f MB | %.2f MB |\n", n, r/1e6, z/1e6 }'
done
echo

say "bench.py (cold start, memory, connections, latency)"
.venv/bin/python devtools/bench/bench.py --root "$root" --bin-dir "$bin_dir" \
  --emulator "$target_dir/debug/tim-emulator" --runs "${BENCH_RUNS:-20}"
echo

say "entropy-probe (aws-lc's first random bytes)"
echo "### aws-lc's first random bytes (entropy-probe, 20 runs; every TLS handshake waits for this)"
echo
for _ in $(seq 1 20); do "$bin_dir/entropy-probe/bootstrap"; done | python3 -c '
import json, statistics, sys
runs = [json.loads(line) for line in sys.stdin]
print("| first bytes, main thread | next bytes | first bytes, new thread |")
print("|---:|---:|---:|")
m = lambda k: statistics.median(r[k] for r in runs) / 1000
print("| %.2f ms | %.3f ms | %.2f ms |" % (m("first_us"), m("second_us"), m("new_thread_us")))'
echo

say "cargo bench -p tim --bench usersig"
criterion_log="$(mktemp)"
cargo bench -p tim --bench usersig >"$criterion_log" 2>&1 || { cat "$criterion_log" >&2; exit 1; }
echo "### UserSig (criterion, \`cargo bench -p tim --bench usersig\`)"
echo
echo "| benchmark | time (low / estimate / high) |"
echo "|---|---|"
awk '/^usersig\// { name = $1 } /time:/ && name != "" {
  sub(/^.*time:[[:space:]]*\[/, ""); sub(/\].*$/, ""); printf "| %s | %s |\n", name, $0; name = "" }' "$criterion_log"
rm -f "$criterion_log"

# The release profile's panic handling, the one release-only check (the test
# command proves the same in the debug build): the probe's end-to-end tests
# against a release build of it.
say "lambda-kit-probe built --release: a panic is a reported error, not a dead process"
cargo build --release --quiet -p lambda-kit-probe >&2
LAMBDA_KIT_PROBE_BIN="$target_dir/release/lambda-kit-probe" cargo test --quiet -p lambda-kit-probe --test end_to_end >&2
echo
echo "Release profile: the probe's end-to-end tests pass against its release build (panic caught, process warm)."
