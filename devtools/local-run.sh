#!/usr/bin/env bash
# The README's first command: the three functions, end to end, on this machine.
#
#   devtools/local-run.sh
#
# Installs what it needs (devtools/setup.sh), starts the Tencent emulator and
# moto_server (S3 + Secrets Manager) on loopback, creates the archive bucket
# and both secrets with demo values, starts `cargo lambda watch`, and drives the
# functions with the sample events in events/ through `cargo lambda invoke`:
#   usersig-refresher  createSecret, setSecret, testSecret, finishSecret
#   ops-pull           the scheduled event (30 days into S3)
#   push-stats         GET, POST, and a bad request (HTTP 400)
# checking each answer and what it left in S3 / Secrets Manager. Prints what
# happened, stops everything it started, and ends with
#   local run: OK (N checks)        or        local run: FAILED: <reason>
# No AWS account and no Tencent app: nothing leaves 127.0.0.1.
#
# Quiet: the servers' and functions' logs go to files in a temp dir, and their
# last lines are printed on failure. LOCAL_RUN_KEEP=1 keeps that dir.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Demo values: the emulator knows this app and key; they are not secrets.
SDKAPPID=1400000000
IDENTIFIER=administrator
TIM_REGION_NAME=singapore
DEMO_KEY=5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e
KEY_SECRET_ID=tencent-chat/key
BUCKET=tencent-chat-ops-local
OPS_PREFIX=tencent-chat/operations
FUNCTIONS=(usersig-refresher ops-pull push-stats)

started=$SECONDS
stage() { printf '==> %s (%ss)\n' "$*" "$((SECONDS - started))"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/local-run.XXXXXX")"
export LOCAL_RUN_CHECKS="$work/checks"
: >"$LOCAL_RUN_CHECKS"
passed() { printf '%s\n' "$*" >>"$LOCAL_RUN_CHECKS"; }

emulator_pid="" moto_pid="" watch_pid=""

# start_group LOG CMD...: runs CMD in the background as its own process group
# (job control on for that one launch), so that stopping it stops whatever it
# spawned too (cargo lambda watch runs cargo and the functions). Sets group_pid.
start_group() {
  local log=$1
  shift
  set -m
  "$@" >"$log" 2>&1 </dev/null &
  group_pid=$!
  set +m
}

# Stops one process group we started: TERM, up to 5 s grace, then KILL.
stop_group() {
  local pgid=$1
  [[ -n "$pgid" ]] || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_group "$watch_pid"
  stop_group "$emulator_pid"
  stop_group "$moto_pid"
  if [[ "${LOCAL_RUN_KEEP:-}" == 1 ]]; then
    printf 'kept %s\n' "$work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'printf "\nlocal run: FAILED: interrupted\n"; exit 130' INT
trap 'printf "\nlocal run: FAILED: terminated\n"; exit 143' TERM

show_log_tail() {
  local name=$1 file=$2
  [[ -s "$file" ]] || return 0
  printf -- '--- last lines of %s (%s)\n' "$name" "$file"
  tail -n 25 "$file" | sed 's/^/  | /'
}

fail() {
  printf '\n'
  show_log_tail "cargo lambda watch" "$work/watch.log"
  show_log_tail "tim-emulator" "$work/emulator.log"
  show_log_tail "moto_server" "$work/moto.log"
  printf 'local run: FAILED: %s\n' "$*"
  exit 1
}

# Runs the helper; on failure its last stderr line is the reason.
helper() {
  if ! .venv/bin/python devtools/local-run/localrun.py "$@" 2>"$work/helper.err"; then
    fail "$(tail -n 1 "$work/helper.err")"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() { # port seconds pid what
  local port=$1 deadline=$((SECONDS + $2)) pid=$3 what=$4
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "$what exited during start-up"
    ((SECONDS < deadline)) || fail "$what did not listen on 127.0.0.1:$port within $2 s"
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------
stage "setup (devtools/setup.sh)"
devtools/setup.sh 2>"$work/setup.log" || { cat "$work/setup.log"; fail "devtools/setup.sh"; }
export PATH="$root/.venv/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in devtools/local-run/
# cargo-lambda finds zig through the python3 first on PATH (the venv's).
export CARGO_ZIGBUILD_PYTHON_PATH="$root/.venv/bin/python3"

# The sample events fix the UserSig secret's id and the rotation token.
[[ -d events/usersig-refresher ]] || fail "events/usersig-refresher/ is missing"
rotation_vars="$(.venv/bin/python devtools/local-run/localrun.py rotation-events events/usersig-refresher 2>"$work/helper.err")" ||
  fail "$(tail -n 1 "$work/helper.err")"
eval "$rotation_vars" # usersig_secret_id, rotation_token, event_createSecret, ...
for event in events/ops-pull/scheduled.json events/push-stats/{get,post,bad-request}.json; do
  [[ -f "$event" ]] || fail "$event is missing"
done

stage "build the Tencent emulator and the functions (debug; minutes on a first run)"
# What `cargo lambda watch` runs on a function's first invoke is
# `cargo run --manifest-path Cargo.toml --bin <fn>` at the workspace root (no
# -p: features unified over the default members). Building the same way here
# makes its build a no-op, reports a compile error as such, and keeps the
# first invoke from waiting minutes.
bins=()
for bin in tim-emulator "${FUNCTIONS[@]}"; do bins+=(--bin "$bin"); done
if ! cargo build --manifest-path Cargo.toml "${bins[@]}" >"$work/build.log" 2>&1; then
  show_log_tail "cargo build" "$work/build.log"
  fail "cargo build ${bins[*]}"
fi
passed "build"
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

stage "start tim-emulator and moto_server on 127.0.0.1"
start_group "$work/emulator.log" "$target_dir/debug/tim-emulator" --listen 127.0.0.1:0 --app "$SDKAPPID=$DEMO_KEY"
emulator_pid=$group_pid
moto_port="$(free_port)"
start_group "$work/moto.log" .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port"
moto_pid=$group_pid

tim_endpoint=""
for _ in $(seq 1 300); do
  tim_endpoint="$(sed -n 's/^tim-emulator listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/emulator.log" 2>/dev/null | head -n 1)"
  [[ -n "$tim_endpoint" ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "tim-emulator exited during start-up"
  sleep 0.1
done
[[ -n "$tim_endpoint" ]] || fail "tim-emulator did not print its address within 30 s"
wait_for_port "$moto_port" 60 "$moto_pid" moto_server
passed "servers listening"
printf '  tim-emulator    %s (app %s)\n' "$tim_endpoint" "$SDKAPPID"
printf '  moto_server     http://127.0.0.1:%s\n' "$moto_port"

export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

stage "create the bucket and both secrets in moto"
helper setup --bucket "$BUCKET" --key-secret-id "$KEY_SECRET_ID" \
  --usersig-secret-id "$usersig_secret_id" --token "$rotation_token" \
  --sdkappid "$SDKAPPID" --identifier "$IDENTIFIER" --key "$DEMO_KEY" --region "$TIM_REGION_NAME"

stage "start cargo lambda watch"
watch_port="$(free_port)"
# One env file for the three functions: each reads only its own variables.
cat >"$work/functions.env" <<EOF
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
OPS_BUCKET=$BUCKET
OPS_PREFIX=$OPS_PREFIX
TIM_KEY_SECRET_ID=$KEY_SECRET_ID
TIM_USERSIG_SECRET_ID=$usersig_secret_id
TIM_ENDPOINT=$tim_endpoint
LIVE_CHECK=true
RUST_LOG=info
EOF
# --ignore-changes: edits made while this runs must not restart a function
# between two rotation steps.
start_group "$work/watch.log" cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" \
  --env-file "$work/functions.env" --ignore-changes
watch_pid=$group_pid
wait_for_port "$watch_port" 120 "$watch_pid" "cargo lambda watch"
printf '  cargo lambda watch  http://127.0.0.1:%s  (env file: AWS_ENDPOINT_URL, OPS_BUCKET, TIM_*_SECRET_ID, TIM_ENDPOINT, LIVE_CHECK=true)\n' "$watch_port"

# invoke NAME EVENT OUT: `cargo lambda invoke`, its answer in OUT.
invoke() {
  local name=$1 event=$2 out=$3
  if ! cargo lambda invoke "$name" --invoke-address 127.0.0.1 --invoke-port "$watch_port" \
    --data-file "$event" --output-format json >"$out" 2>"$out.err"; then
    sed 's/^/  | /' "$out.err" "$out" | tail -n 20
    fail "cargo lambda invoke $name --data-file $event"
  fi
  passed "invoke $name $event"
}

stage "usersig-refresher: the four rotation steps"
for step in createSecret setSecret testSecret finishSecret; do
  event_var="event_$step"
  invoke usersig-refresher "${!event_var}" "$work/rotation-$step.json"
  helper check-rotation --step "$step" --output "$work/rotation-$step.json" --secret-id "$usersig_secret_id" --token "$rotation_token" \
    --sdkappid "$SDKAPPID" --identifier "$IDENTIFIER"
  done
helper show-secret --secret-id "$usersig_secret_id" --token "$rotation_token"

stage "ops-pull: events/ops-pull/scheduled.json, twice"
invoke ops-pull events/ops-pull/scheduled.json "$work/ops-pull.json"
helper check-ops-pull --output "$work/ops-pull.json" --bucket "$BUCKET" --prefix "$OPS_PREFIX" \
  --sdkappid "$SDKAPPID" --days 30
# Idempotent: the same data again writes no daily object.
invoke ops-pull events/ops-pull/scheduled.json "$work/ops-pull-again.json"
helper check-ops-pull --again --output "$work/ops-pull-again.json" --bucket "$BUCKET" --prefix "$OPS_PREFIX" \
  --sdkappid "$SDKAPPID" --days 30

stage "push-stats: GET, POST and a bad request"
invoke push-stats events/push-stats/get.json "$work/push-get.json"
helper check-push-stats --output "$work/push-get.json" --event events/push-stats/get.json --status 200 --max-lines 16
invoke push-stats events/push-stats/post.json "$work/push-post.json"
helper check-push-stats --output "$work/push-post.json" --event events/push-stats/post.json --status 200 --max-lines 0
invoke push-stats events/push-stats/bad-request.json "$work/push-bad.json"
helper check-push-stats --output "$work/push-bad.json" --event events/push-stats/bad-request.json --status 400

# testSecret's live check + two ops-pull runs; GET + POST (not the bad request).
helper check-emulator --endpoint "$tim_endpoint" --appinfo 3 --push 2

stage "metrics the functions emitted (EMF lines in their output)"
helper metrics --log "$work/watch.log" --catalog infra/metrics.json --require \
  UserSigHoursLeft DaysWritten DaysUnchanged DaysFailed MalformedRows NewestDayLagHours RunSucceeded \
  ActiveUserNum MaxOnlineNum Requests UpstreamLatency

stage "stop everything"
stop_group "$watch_pid" && watch_pid=""
stop_group "$emulator_pid" && emulator_pid=""
stop_group "$moto_pid" && moto_pid=""

printf 'local run: OK (%s checks in %ss)\n' "$(wc -l <"$LOCAL_RUN_CHECKS" | tr -d ' ')" "$((SECONDS - started))"
