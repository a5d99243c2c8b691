#!/usr/bin/env bash
# Checks infra/template.yaml offline (no AWS account, no network):
#   1. cfn-lint 1.51 (.local/cfn-lint: it catches broken references that
#      newer releases let through),
#   2. sam validate --lint (SAM's bundled, newer cfn-lint),
#   3. sam validate --language-extensions, plain and --lint, on a copy with
#      SdkAppIds = two apps (SAM CLI's own Fn::ForEach expansion, then SAM's
#      schema and transform),
#   4. check_template.py (with secret_access.py, operations.py and
#      saved_queries.py): the transformed template's resources, policies and
#      wiring for each combination of the optional parameters; the alarms,
#      rules and dashboard against infra/metrics.json; the saved queries
#      against the functions' log fields and the Glue table; that
#      infra/dashboard.svg matches the dashboard; plus deliberate breakages
#      that must be caught,
#   5. readme_commands.py: the root README's deploy commands against the
#      template, and the ones that can run against moto (its own, on loopback).
# Needs devtools/setup.sh to have run. Exits non-zero on the first failing step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

template=infra/template.yaml
venv="$root/.venv/bin"
cfn_lint="$root/.local/cfn-lint/bin/cfn-lint"
for tool in "$venv/sam" "$venv/python" "$cfn_lint"; do
  if [[ ! -x "$tool" ]]; then
    echo "infra-check: $tool missing; run devtools/setup.sh first" >&2
    exit 2
  fi
done

# Offline and quiet: no telemetry, no credentials or profiles picked up from
# the caller's environment, a fixed region for plain `sam validate`.
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL

step() { printf '[infra-check] %s\n' "$*" >&2; }

step "cfn-lint $("$cfn_lint" --version | awk '{print $2}') $template"
"$cfn_lint" -- "$template"

step "sam validate --lint"
"$venv/sam" validate --lint -t "$template"

# SAM CLI finds the functions only after expanding Fn::ForEach locally
# (--language-extensions), and that needs the loop's collection: SdkAppIds
# has no default (every deploy names its apps) and `sam validate` takes no
# parameter overrides, so validate a copy with two apps as its default. It
# sits next to the template so the relative CodeUris stay valid.
two_apps="$(mktemp "$root/infra/.template-two-apps.XXXXXX.yaml")"
trap 'rm -f "$two_apps"' EXIT
sed '/^  SdkAppIds:$/{n;s/^    Type: CommaDelimitedList$/&\n    Default: "1400000001,1400000002"/}' "$template" >"$two_apps"
grep -q '^    Default: "1400000001,1400000002"$' "$two_apps" || { echo "infra-check: could not give SdkAppIds a default" >&2; exit 1; }
step "sam validate --language-extensions --region us-east-1 (two apps)"
"$venv/sam" validate --language-extensions --region us-east-1 -t "$two_apps"
step "sam validate --language-extensions --lint (two apps)"
"$venv/sam" validate --language-extensions --lint -t "$two_apps"

step "wiring checks of the transformed template"
"$venv/python" devtools/infra-check/check_template.py

step "the README's deploy commands: against the template, and run against moto"
"$venv/python" devtools/infra-check/readme_commands.py
