#!/usr/bin/env bash
# The README's first command: the three functions, end to end, on this machine,
# serving two Tencent Chat apps from one configuration as the stack does.
#
#   devtools/local-run.sh
#
# Installs what it needs (devtools/setup.sh), starts the Tencent emulator (both
# apps) and moto_server (S3 + Secrets Manager) on loopback, creates the archive
# bucket and, per app, a key secret and a tagged UserSig secret with demo
# values, starts `cargo lambda watch`, and drives the functions with the sample
# events in events/ through `cargo lambda invoke`:
#   usersig-refresher  createSecret, setSecret, testSecret, finishSecret, each app
#                      (its key secret paired with it in TIM_ROTATION_TARGET_<id>):
#                      the first app's are events/usersig-refresher/ as they are
#   ops-pull           the scheduled event, twice (30 days + push history, both apps),
#                      then dry-run.json, fields.json and manual.json as they are
#   push-stats         each app, then no app (every sample without sdkappid) and an
#                      unknown app (HTTP 400), a bad request
# checking each answer and what it left in S3 / Secrets Manager. Before
# ops-pull, one day of the second app gets odd counts ("", "1.5", past i64,
# null); before the servers stop, the archive (daily/, push/, raw/) and the
# emulator's push answers for it are copied to $LOCAL_RUN_ARCHIVE_DIR (default:
# a new temp dir, printed, kept) for devtools/athena-check. Prints what
# happened, stops everything it started, and ends with
#   local run: OK (N checks in Ts)        or        local run: FAILED: <reason>
# No AWS account and no Tencent app: nothing leaves 127.0.0.1.
#
# Quiet: the servers' and functions' logs go to files in a temp dir, and their
# last lines are printed on failure. LOCAL_RUN_KEEP=1 keeps that dir.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Demo values: the emulator knows these apps and keys; they are not secrets.
# The first is the app of events/push-stats/*-sdkappid.json and events/usersig-refresher/.
APPS=(1400000000 1400000001)
declare -A DEMO_KEY=(
  [1400000000]=5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e
  [1400000001]=afff60e162dc51bf5b8e784bb9be236dfb57157807673ad25597878e69c7d262
)
UNKNOWN_APP=1400000099 # served by neither: push-stats must refuse it
IDENTIFIER=administrator
TIM_REGION_NAME=singapore
# The stack's secret names (infra/template.yaml), {id} = the SDKAppID.
KEY_SECRET_FORMAT='tencent-chat/{id}/key'
USERSIG_SECRET_FORMAT='tencent-chat/{id}/usersig'
BUCKET=tencent-chat-ops-local
OPS_PREFIX=tencent-chat/operations
# Days of push history per ops-pull run: 2 instead of the default 7, because
# ops-pull paces these calls >= 1.1 s apart per app (7 days ~ 8 s a run).
PUSH_ARCHIVE_DAYS=2
# ops-pull's first run catches up on every push day Tencent may hold.
PUSH_CATCH_UP_DAYS=28
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

# The sample rotation events name the first app's secret and are sent as they
# are; the second app gets them with its own UserSig secret id and token
# (derived, in $work/events/<id>/<Step>.json).
[[ -d events/usersig-refresher ]] || fail "events/usersig-refresher/ is missing"
apps_csv="$(IFS=,; echo "${APPS[*]}")"
rotation_vars="$(.venv/bin/python devtools/local-run/localrun.py rotation-events --fixtures events/usersig-refresher \
  --out "$work/events" --apps "$apps_csv" --secret-id-format "$USERSIG_SECRET_FORMAT" 2>"$work/helper.err")" ||
  fail "$(tail -n 1 "$work/helper.err")"
eval "$rotation_vars" # rotation_events_<id>, usersig_secret_id_<id>, rotation_token_<id>
# ops-pull's and push-stats' UserSig secrets: the same names, as a pattern.
usersig_secret_pattern="${USERSIG_SECRET_FORMAT//\{id\}/\{sdkappid\}}"
rotation_pairs="" # usersig-refresher's TIM_ROTATION_TARGET_<id>=<UserSig secret>=<key secret>, by name, one a line
for app in "${APPS[@]}"; do
  id_var="usersig_secret_id_$app"
  rotation_pairs+="${rotation_pairs:+$'\n'}TIM_ROTATION_TARGET_$app='${!id_var}=${KEY_SECRET_FORMAT//\{id\}/$app}'"
done
for event in events/ops-pull/{scheduled,dry-run,fields,manual}.json events/push-stats/*.json; do
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

stage "start tim-emulator (apps ${APPS[*]}) and moto_server on 127.0.0.1"
emulator_apps=()
for app in "${APPS[@]}"; do emulator_apps+=(--app "$app=${DEMO_KEY[$app]}"); done
start_group "$work/emulator.log" "$target_dir/debug/tim-emulator" --listen 127.0.0.1:0 "${emulator_apps[@]}"
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
printf '  tim-emulator    %s (apps %s)\n' "$tim_endpoint" "${APPS[*]}"
printf '  moto_server     http://127.0.0.1:%s\n' "$moto_port"

export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

stage "create the bucket and, per app, the key secret and the tagged UserSig secret in moto"
setup_apps=()
for app in "${APPS[@]}"; do
  token_var="rotation_token_$app"
  setup_apps+=(--app "$app,${!token_var},${DEMO_KEY[$app]}")
done
helper setup --bucket "$BUCKET" --identifier "$IDENTIFIER" --region "$TIM_REGION_NAME" \
  --key-secret-format "$KEY_SECRET_FORMAT" --usersig-secret-format "$USERSIG_SECRET_FORMAT" "${setup_apps[@]}"

stage "start cargo lambda watch"
watch_port="$(free_port)"
# One env file for the three functions: each reads only its own variables.
# No TIM_KEY_SECRET_ID: usersig-refresher rotates only the UserSig secrets of
# TIM_ROTATION_APPS' TIM_ROTATION_TARGET_<id>, each with the key secret paired
# with it there (quoted: cargo lambda's env-file parser refuses an unquoted
# value holding `=`).
cat >"$work/functions.env" <<EOF
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
OPS_BUCKET=$BUCKET
OPS_PREFIX=$OPS_PREFIX
PUSH_ARCHIVE_DAYS=$PUSH_ARCHIVE_DAYS
TIM_SDKAPPIDS=$apps_csv
TIM_USERSIG_SECRET_ID='$usersig_secret_pattern'
TIM_ROTATION_APPS=$apps_csv
$rotation_pairs
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
printf '  cargo lambda watch  http://127.0.0.1:%s\n' "$watch_port"
printf '  env file            TIM_SDKAPPIDS=%s, TIM_USERSIG_SECRET_ID=%s, PUSH_ARCHIVE_DAYS=%s,\n' "$apps_csv" \
  "$usersig_secret_pattern" "$PUSH_ARCHIVE_DAYS"
printf '                      TIM_ROTATION_APPS=%s, %s,\n' "$apps_csv" "${rotation_pairs//$'\n'/, }"
printf '                      AWS_ENDPOINT_URL, OPS_BUCKET, OPS_PREFIX, TIM_ENDPOINT, LIVE_CHECK=true (no TIM_KEY_SECRET_ID)\n'

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

stage "usersig-refresher: the four rotation steps, each app"
for app in "${APPS[@]}"; do
  id_var="usersig_secret_id_$app" token_var="rotation_token_$app" events_var="rotation_events_$app"
  printf '  app %s  %s (%s/*.json)\n' "$app" "${!id_var}" "${!events_var}"
  for step in createSecret setSecret testSecret finishSecret; do
    invoke usersig-refresher "${!events_var}/$step.json" "$work/rotation-$app-$step.json"
    helper check-rotation --step "$step" --output "$work/rotation-$app-$step.json" --secret-id "${!id_var}" \
      --token "${!token_var}" --sdkappid "$app" --identifier "$IDENTIFIER"
  done
  helper show-secret --secret-id "${!id_var}"
done

stage "odd values in the emulator's getappinfo (one day of app ${APPS[1]}), for devtools/athena-check"
helper inject-odd-values --endpoint "$tim_endpoint" --sdkappid "${APPS[1]}"

stage "ops-pull: events/ops-pull/scheduled.json (both apps, push catch-up of $PUSH_CATCH_UP_DAYS days)"
ops_args=(--bucket "$BUCKET" --prefix "$OPS_PREFIX" --apps "$apps_csv" --usersig-secret-format "$USERSIG_SECRET_FORMAT"
  --days 30 --push-days "$PUSH_ARCHIVE_DAYS" --catch-up-days "$PUSH_CATCH_UP_DAYS" --snapshot "$work/objects-after-first-run.json")
invoke ops-pull events/ops-pull/scheduled.json "$work/ops-pull.json"
helper check-ops-pull --output "$work/ops-pull.json" "${ops_args[@]}"
stage "ops-pull again: the same data writes nothing new"
invoke ops-pull events/ops-pull/scheduled.json "$work/ops-pull-again.json"
helper check-ops-pull --again --output "$work/ops-pull-again.json" "${ops_args[@]}"

stage "push-stats: each app, no app, an unknown app, a bad request"
first_app=${APPS[0]} second_app=${APPS[1]}
# The *-sdkappid fixtures ask for the first app; the same requests for the
# second (the POST naming it as a digit string), and a GET for an unknown app.
helper event-for-app --source events/push-stats/get-sdkappid.json --sdkappid "$second_app" --out "$work/events/push-get-$second_app.json"
helper event-for-app --source events/push-stats/post-sdkappid.json --sdkappid "$second_app" --as-string --out "$work/events/push-post-$second_app.json"
helper event-for-app --source events/push-stats/get-sdkappid.json --sdkappid "$UNKNOWN_APP" --out "$work/events/push-get-$UNKNOWN_APP.json"
push_calls=0
push_stats() { # EVENT LABEL STATUS (--sdkappid ID | --error-code CODE)
  local event=$1 label=$2 status=$3 out
  shift 3
  push_calls=$((push_calls + 1))
  out="$work/push-stats-$push_calls.json"
  invoke push-stats "$event" "$out"
  helper check-push-stats --output "$out" --event "$event" --label "$label" --status "$status" "$@"
}
push_stats events/push-stats/get-sdkappid.json "GET sdkappid=$first_app (get-sdkappid.json)" 200 --sdkappid "$first_app"
push_stats events/push-stats/post-sdkappid.json "POST sdkappid $first_app (post-sdkappid.json)" 200 --sdkappid "$first_app"
push_stats "$work/events/push-get-$second_app.json" "GET sdkappid=$second_app" 200 --sdkappid "$second_app"
push_stats "$work/events/push-post-$second_app.json" "POST sdkappid \"$second_app\"" 200 --sdkappid "$second_app"
push_stats events/push-stats/get.json "GET without sdkappid (get.json)" 400 --error-code sdkappid_required
# The other samples name no app either (a one-app stack would answer them):
# each is sent as it is once.
for sample in get-overall post post-base64; do
  push_stats "events/push-stats/$sample.json" "no sdkappid ($sample.json)" 400 --error-code sdkappid_required
done
push_stats "$work/events/push-get-$UNKNOWN_APP.json" "GET sdkappid=$UNKNOWN_APP" 400 --error-code unknown_sdkappid
push_stats events/push-stats/bad-request.json "GET 40 days (bad-request.json)" 400 --error-code window_too_long

n_apps=${#APPS[@]}
helper check-emulator --endpoint "$tim_endpoint" \
  --appinfo $((n_apps * 3)) --appinfo-why "each app: testSecret's live check + two ops-pull runs" \
  --push $((n_apps * (PUSH_CATCH_UP_DAYS + PUSH_ARCHIVE_DAYS) + 4)) \
  --push-why "$n_apps apps x ($PUSH_CATCH_UP_DAYS catch-up days + $PUSH_ARCHIVE_DAYS revised days in the rerun) + 4 push-stats answers (the 400s call no one)"

stage "ops-pull: the other sample events as they are (dry run, a subset of fields, a manual run)"
helper archive-snapshot --bucket "$BUCKET" --prefix "$OPS_PREFIX" --snapshot "$work/archived-before-samples.json"
for sample in dry-run fields manual; do
  invoke ops-pull "events/ops-pull/$sample.json" "$work/ops-pull-$sample.json"
  helper check-sample-run --output "$work/ops-pull-$sample.json" --event "events/ops-pull/$sample.json" \
    --bucket "$BUCKET" --prefix "$OPS_PREFIX" --snapshot "$work/archived-before-samples.json"
done

stage "metrics the functions emitted (EMF lines in their output)"
helper metrics --log "$work/watch.log" --catalog infra/metrics.json --require \
  RunSucceeded AppsNotSetUp Requests UpstreamLatency MaxOnlineNum \
  --apps "$apps_csv" --per-app UserSigHoursLeft DaysWritten DaysUnchanged DaysFailed MalformedRows \
  NewestDayLagHours FieldsKeptArchived PushDaysWritten PushDaysUnchanged PushDaysFailed ActiveUserNum

stage "the release each function logged at start-up"
helper check-version --log "$work/watch.log" --functions "${#FUNCTIONS[@]}"

stage "keep the archive and the emulator's push answers for devtools/athena-check"
archive_dir="${LOCAL_RUN_ARCHIVE_DIR:-}"
[[ -n "$archive_dir" ]] || archive_dir="$(mktemp -d "${TMPDIR:-/tmp}/local-run-archive.XXXXXX")"
helper keep-archive --bucket "$BUCKET" --prefix "$OPS_PREFIX" --out "$archive_dir" --endpoint "$tim_endpoint" \
  --apps "$apps_csv" --usersig-secret-format "$USERSIG_SECRET_FORMAT"

stage "stop everything"
stop_group "$watch_pid" && watch_pid=""
stop_group "$emulator_pid" && emulator_pid=""
stop_group "$moto_pid" && moto_pid=""

printf 'local run: OK (%s checks in %ss)\n' "$(wc -l <"$LOCAL_RUN_CHECKS" | tr -d ' ')" "$((SECONDS - started))"
