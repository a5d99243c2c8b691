#!/usr/bin/env bash
# UserSig signing and verification speed against Tencent's reference
# libraries (issue 10), in one run:
#
#   devtools/bench/sign/run.sh
#
# Times, in the same steady loop (BENCH_WARMUP calls, then BENCH_ROUNDS rounds
# of BENCH_ITERS calls, median round) with the same sdkappid, key, identifier
# and expire:
#   rust    tim::usersig (src/main.rs, release profile), also counting heap
#           allocations per call and verifying the Python-made token
#   python  PyPI tls-sig-api-v2 (bench_py.py, .venv)
#   node    npm tls-sig-api-v2 (bench_node.js, .local/node)
# and prints a Markdown table of µs per call and the ratios (with strace
# installed, also the heap system calls over 1000 signs + verifies).
#
#   SIGN_BASELINE=REV  also time tim::usersig as of git revision REV (its
#                      sources from `git archive`), e.g. SIGN_BASELINE=HEAD~2
#   BENCH_ITERS (20000), BENCH_ROUNDS (5), BENCH_WARMUP (5000),
#   BENCH_REPEAT (3: turns; each figure is the best turn),
#   BENCH_IDENTIFIER (administrator), BENCH_EXPIRE (15552000)
#
# Needs devtools/setup.sh to have run (both reference libraries). Timings are
# for people, not asserts: not part of devtools/test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
here="$root/devtools/bench/sign"
cd "$root"

say() { printf '==> %s\n' "$*" >&2; }

python="$root/.venv/bin/python"
node_lib="$root/.local/node/node_modules/tls-sig-api-v2/TLSSigAPIv2.js"
if [[ ! -x "$python" ]] || ! "$python" -c 'import TLSSigAPIv2' 2>/dev/null; then
  say "Tencent's Python library is not in .venv: run devtools/setup.sh"; exit 1
fi
if ! command -v node >/dev/null 2>&1 || [[ ! -f "$node_lib" ]]; then
  say "node or npm tls-sig-api-v2 (.local/node) missing: run devtools/setup.sh"; exit 1
fi

export BENCH_SDKAPPID="${BENCH_SDKAPPID:-1400000000}"
export BENCH_KEY="${BENCH_KEY:-5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e}"
export BENCH_IDENTIFIER="${BENCH_IDENTIFIER:-administrator}"
export BENCH_EXPIRE="${BENCH_EXPIRE:-15552000}"
export BENCH_WARMUP="${BENCH_WARMUP:-5000}"
export BENCH_ITERS="${BENCH_ITERS:-20000}"
export BENCH_ROUNDS="${BENCH_ROUNDS:-5}"

target_dir="$(cargo metadata --format-version 1 --no-deps |
  "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The baseline first: it shares target/ (dependencies are not rebuilt) and
# would overwrite the current binary, so its binary is copied aside. Its
# sources come from `git archive` (no worktree, no change to .git).
if [[ -n "${SIGN_BASELINE:-}" ]]; then
  baseline_rev="$(git rev-parse --short "$SIGN_BASELINE")"
  baseline_src="$work/baseline"
  say "building the loop against tim::usersig at $baseline_rev"
  mkdir "$baseline_src"
  git archive "$baseline_rev" | tar -x -C "$baseline_src"
  rm -rf "$baseline_src/devtools/bench/sign"
  cp -r "$here" "$baseline_src/devtools/bench/sign"
  if ! grep -q '"devtools/bench/sign"' "$baseline_src/Cargo.toml"; then
    sed -i 's|^members = \[|members = [\n    "devtools/bench/sign",|' "$baseline_src/Cargo.toml"
  fi
  CARGO_TARGET_DIR="$target_dir" cargo build --quiet --release -p sign-bench \
    --manifest-path "$baseline_src/Cargo.toml"
  cp "$target_dir/release/sign-bench" "$work/sign-bench-baseline"
fi

say "building the loop (release profile)"
cargo build --quiet --release -p sign-bench
cp "$target_dir/release/sign-bench" "$work/sign-bench"

# The machine is shared: the three (four) loops take turns, BENCH_REPEAT
# times, and each figure is the best of its turns, so that a burst of
# load elsewhere does not land on one implementation only.
repeat="${BENCH_REPEAT:-3}"
say "python (token for the others to verify)"
BENCH_WARMUP=0 BENCH_ITERS=1 BENCH_ROUNDS=1 "$python" "$here/bench_py.py" > "$work/first.json"
# Node and ours also verify the token Python made (zlib level 6: for ours,
# the inflater path).
BENCH_FOREIGN_TOKEN="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$work/first.json")"
export BENCH_FOREIGN_TOKEN
for turn in $(seq "$repeat"); do
  say "turn $turn/$repeat: $BENCH_WARMUP warm-up + $BENCH_ROUNDS x $BENCH_ITERS calls per operation"
  say "  python"; "$python" "$here/bench_py.py" >> "$work/python.json"
  say "  node"; node "$here/bench_node.js" >> "$work/node.json"
  say "  rust"; "$work/sign-bench" >> "$work/rust.json"
  if [[ -n "${SIGN_BASELINE:-}" ]]; then
    say "  rust at $baseline_rev"; "$work/sign-bench-baseline" >> "$work/baseline.json"
  fi
done

# Heap growth and trimming: brk/mmap/munmap calls over 1000 signs + 1000
# verifies (and the one-off start-up), when strace is there.
brk_calls() {
  BENCH_WARMUP=0 BENCH_ITERS=1000 BENCH_ROUNDS=1 BENCH_FOREIGN_TOKEN= \
    strace -f -c -o "$work/strace.txt" -e trace=brk,mmap,munmap "$1" > /dev/null
  awk '$NF == "total" { print $(NF-1) }' "$work/strace.txt"
}
brk_ours="" brk_baseline=""
if command -v strace > /dev/null 2>&1; then
  say "strace: heap system calls"
  brk_ours="$(brk_calls "$work/sign-bench")"
  if [[ -n "${SIGN_BASELINE:-}" ]]; then brk_baseline="$(brk_calls "$work/sign-bench-baseline")"; fi
fi

"$python" - "$work" "${baseline_rev:-}" "$repeat" "$brk_ours" "$brk_baseline" <<'PY'
import json, os, platform, sys

work, baseline_rev, repeat, brk_ours, brk_baseline = sys.argv[1:6]

def load(name):
    """The best (lowest) of each figure over the turns."""
    runs = [json.loads(line) for line in open(os.path.join(work, name + ".json")) if line.strip()]
    best = dict(runs[0])
    for run in runs[1:]:
        for key, value in run.items():
            if key.endswith("_ns"):
                best[key] = min(best[key], value)
    return best

rust, py, node = load("rust"), load("python"), load("node")
base = load("baseline") if baseline_rev else None
us = lambda ns: f"{ns / 1000:.2f}"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
env = os.environ
print(f"Machine: {cpu}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
      f"at the end; identifier {env['BENCH_IDENTIFIER']!r}, expire {env['BENCH_EXPIRE']}; per figure, the best of "
      f"{repeat} turns, each {env['BENCH_WARMUP']} warm-up calls + the median of {env['BENCH_ROUNDS']} rounds x "
      f"{env['BENCH_ITERS']} calls.\n")
print("| implementation | sign µs/op | verify µs/op (own token) | verify µs/op (Python's zlib-6 token) | heap allocations per sign / verify | token length |")
print("|---|---|---|---|---|---|")
def rust_row(label, r):
    foreign = us(r["verify_foreign_ns"]) if "verify_foreign_ns" in r else "—"
    print(f"| {label} | {us(r['sign_ns'])} | {us(r['verify_ns'])} | {foreign} | "
          f"{r['sign_allocs']:.0f} / {r['verify_allocs']:.0f} | {r['token_len']} |")
rust_row("tim::usersig (this tree)", rust)
if base:
    rust_row(f"tim::usersig at {baseline_rev}", base)
print(f"| Python TLSSigAPIv2 (Python {sys.version.split()[0]}) | {us(py['sign_ns'])} | {us(py['verify_ns'])} | {us(py['verify_ns'])} | — | {py['token_len']} |")
print(f"| Node tls-sig-api-v2 (node {os.popen('node --version').read().strip()}) | {us(node['sign_ns'])} | {us(node['verify_ns'])} | {us(node['verify_foreign_ns'])} | — | {node['token_len']} |")
print()
ratio = lambda a, b: f"{a / b:.1f}x"
print("| ours is faster than | sign | verify (own token) | verify (Python's token) |")
print("|---|---|---|---|")
for label, other in (("Python", py), ("Node", node)):
    foreign = ratio(py["verify_ns"] if label == "Python" else other["verify_foreign_ns"], rust["verify_foreign_ns"])
    print(f"| {label} | {ratio(other['sign_ns'], rust['sign_ns'])} | {ratio(other['verify_ns'], rust['verify_ns'])} | {foreign} |")
if base:
    print(f"| tim::usersig at {baseline_rev} | {ratio(base['sign_ns'], rust['sign_ns'])} | "
          f"{ratio(base['verify_ns'], rust['verify_ns'])} | {ratio(base['verify_foreign_ns'], rust['verify_foreign_ns'])} |")
if brk_ours:
    line = f"\nHeap system calls (strace: brk + mmap + munmap) over 1000 signs + 1000 verifies, start-up included: this tree {brk_ours}"
    if brk_baseline:
        line += f", {baseline_rev} {brk_baseline}"
    print(line + ".")
PY
