#!/usr/bin/env bash
# Checks infra/template.yaml offline (no AWS account, no network):
#   1. cfn-lint 1.51 (.local/cfn-lint: it catches broken references that
#      newer releases let through),
#   2. sam validate (SAM's own schema and transform),
#   3. sam validate --lint (SAM's transform + its bundled, newer cfn-lint),
#   4. check_template.py (with secret_access.py, operations.py and
#      saved_queries.py): the transformed template's resources, policies and
#      wiring for each combination of the optional parameters; the alarms,
#      rules and dashboard against infra/metrics.json; the saved queries
#      against the functions' log fields and the Glue table; that
#      infra/dashboard.svg matches the dashboard; plus deliberate breakages
#      that must be caught.
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

step "sam validate --region us-east-1"
"$venv/sam" validate --region us-east-1 -t "$template"

step "sam validate --lint"
"$venv/sam" validate --lint -t "$template"

step "wiring checks of the transformed template"
"$venv/python" devtools/infra-check/check_template.py
