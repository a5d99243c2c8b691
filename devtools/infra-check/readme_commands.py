#!/usr/bin/env python3
"""The root README's "Deploy to AWS" section, as a new user pastes it.

Static, for every shell block: the section starts with `export AWS_REGION=`
and names no region after it; no `cd` outside a subshell (a later relative
path would break); every stack output it reads exists in the template (per-app
ones in the Fn::ForEach block); every file it names exists; every SAM command
passes the region (SAM CLI does not read AWS_REGION); no `--parameter-overrides`
on a command line (it replaces samconfig's list, SdkAppIds included); no
`rotate-secret` beside the output that already rotates; the secret and log
group names it spells are the template's; samconfig's example names only
template parameters.

Then against moto_server (started here, on loopback): a stack with the
template's outputs rendered for one app, that app's secrets created as the
template creates them (no value), and the blocks' AWS CLI lines run in bash as
written (the region line pointed at moto's region): the outputs table,
SetKeyCommand<id> fed a key on stdin (then the key secret holds the JSON
usersig-refresher reads), describe-secret. What needs a real account (sam,
lambda invoke, logs, athena) is only checked statically.

Run with the repo's venv; the AWS CLI comes from .local/awscli (setup.sh).
Ends `readme: N passed, M failed`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import boto3
from samtranslator.yaml_helper import yaml_parse

from cfn_support import FACTS, FOR_EACH, ROOT, Checks, expand_for_each, render_sub

README = ROOT / "README.md"
TEMPLATE = ROOT / "infra" / "template.yaml"
SAMCONFIG = ROOT / "infra" / "samconfig.toml"
AWS_CLI = ROOT / ".local" / "awscli" / "bin" / "aws"
MOTO = ROOT / ".venv" / "bin" / "moto_server"
REGION = re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-|iso-)?[a-z]+-\d\b")
OUTPUT_NAME = re.compile(r"stack_output ([A-Za-z0-9$]+)|OutputKey=='([A-Za-z0-9$]+)'")
# Lines that need a real account: checked above, not run against moto.
NOT_RUN = re.compile(r"^\(cd infra && sam |^aws (lambda|logs|athena) |^cat ")
DEMO_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


def deploy_section(text: str) -> str:
    """The prerequisites (a section of their own, before) and the deploy section."""
    deploy = text.index("## Deploy to AWS")
    before = text.find("## Before the first deploy")
    end = text.find("\n## ", deploy + 1)
    return text[before if 0 <= before < deploy else deploy:end if end > 0 else len(text)]


def shell_blocks(section: str) -> list[list[str]]:
    """Each ```sh block's commands: indentation and trailing comments gone,
    continuation lines joined."""
    blocks = []
    for body in re.findall(r"^ *```sh\n(.*?)^ *```", section, flags=re.S | re.M):
        joined = re.sub(r"\\\n\s*", " ", body)
        lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined.splitlines()]
        blocks.append([line for line in lines if line])
    return blocks


def template_outputs(template: dict[str, Any]) -> set[str]:
    """Output names, the per-app ones with `$APP` for the id."""
    names = set()
    for key, value in template.get("Outputs", {}).items():
        if FOR_EACH.match(key):
            names |= {k.replace("${AppId}", "$APP") for k in value[2]}
        else:
            names.add(key)
    return names


def check_static(c: Checks, section: str, blocks: list[list[str]], template: dict[str, Any]) -> None:
    c.check(bool(blocks), "README deploy section has shell blocks")
    for span in re.findall(r"`([^`\n]+)`", section):
        c.check(not span.startswith("cd "), f"a command to paste with a cd outside a subshell: {span!r}")
        setting = re.fullmatch(r'([A-Z][A-Za-z]+)="?[^"=]*"?', span)
        if setting:
            c.check(setting.group(1) in template["Parameters"], f"README sets {span}, not a template parameter")
    first = blocks[0] if blocks else [""]
    c.check(re.fullmatch(r"export AWS_REGION=[a-z0-9-]+", first[0]) is not None,
            f"deploy section starts with `export AWS_REGION=…`, not {first[0]!r}")
    stack = tomllib.loads(SAMCONFIG.read_text())["default"]["global"]["parameters"]["stack_name"]
    c.check(f"export STACK={stack}" in first, f"the stack name exported is samconfig's {stack!r}")
    outputs = template_outputs(template)
    resources_text = json.dumps(template["Resources"])
    lines = [line for block in blocks for line in block]
    for line in lines[1:]:
        c.check(not REGION.search(line), f"a literal region after the export: {line!r}")
        c.check(not re.search(r"(^|[;&|]\s*)cd\s", line), f"a cd outside a subshell: {line!r}")
        c.check("--parameter-overrides" not in line, f"--parameter-overrides replaces samconfig's list: {line!r}")
        c.check("rotate-secret" not in line, f"a rotate-secret beside RotateUserSigCommand: {line!r}")
        if re.search(r"\bsam (build|deploy|delete)\b", line):
            for command in re.findall(r"\bsam (?:build|deploy|delete)[^&;)]*", line):
                c.check('--region "$AWS_REGION"' in command, f"SAM CLI reads no AWS_REGION: {command!r}")
        for match in OUTPUT_NAME.finditer(line):
            name = match.group(1) or match.group(2)
            if name != "$1":
                c.check(name in outputs, f"README reads output {name}, which the template does not have")
        for path in re.findall(r"file://(\S+)", line):
            c.check(path == "/dev/stdin" or (ROOT / path).is_file(), f"README names a missing file {path}")
        for name in re.findall(r'"(tencent-chat/\$APP/[a-z]+)"', line):
            c.check(f'"Name": {{"Fn::Sub": "{name.replace("$APP", "${AppId}")}"}}' in resources_text,
                    f"README names secret {name}, which the template does not create")
        for group in re.findall(r'"(/aws/lambda/\$STACK/[a-z-]+)"', line):
            c.check(group.replace("$STACK", "${AWS::StackName}") in resources_text,
                    f"README names log group {group}, which the template does not create")
    parameters = template["Parameters"]
    example = next((line for line in SAMCONFIG.read_text().splitlines() if "parameter_overrides = " in line), "")
    named = re.findall(r'(\w+)=\\"', example)
    c.check("SdkAppIds" in named, "samconfig's example sets SdkAppIds")
    for name in named:
        c.check(name in parameters, f"samconfig's example names parameter {name}, which the template does not have")


# --------------------------------------------------------------------------- against moto


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(Path(tempfile.gettempdir()) / f"readme-moto-{port}.log", "w")
    process = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not listen within 30 s")


def stack_outputs(template: dict[str, Any], app: str, values: dict[str, str]) -> list[dict[str, str]]:
    """The template's outputs for one app, Fn::Sub rendered with moto's
    names; outputs of other kinds get a placeholder value."""
    expanded = expand_for_each(template, [app])
    rendered = []
    for name, output in expanded["Outputs"].items():
        value = output.get("Value")
        text = render_sub(value["Fn::Sub"], values, missing=lambda n: f"<{n}>") \
            if isinstance(value, dict) and "Fn::Sub" in value else f"<{name}>"
        rendered.append({"OutputKey": name, "OutputValue": text})
    return rendered


def script_head(blocks: list[list[str]]) -> str:
    """The first block (region, stack name, stack_output), aimed at moto's region."""
    return "\n".join("export AWS_REGION=us-east-1" if line.startswith("export AWS_REGION=") else line
                     for line in blocks[0])


def run_against_moto(c: Checks, blocks: list[list[str]], template: dict[str, Any]) -> None:
    app = next((line.split("=", 1)[1] for block in blocks for line in block if line.startswith("APP=")), "")
    if not c.check(re.fullmatch(r"[1-9][0-9]{4,11}", app) is not None, f"README sets APP to an SDKAppID, not {app!r}"):
        return
    process, endpoint = start_moto()
    try:
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
               "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
               "AWS_PAGER": "", "PATH": f"{AWS_CLI.parent}:{os.environ['PATH']}"}
        env.pop("AWS_PROFILE", None)
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="test",
                                        aws_secret_access_key="test")
        sm = session.client("secretsmanager", endpoint_url=endpoint)
        # As the template creates them: a name, a KMS key, a tag, no value.
        arns = {kind: sm.create_secret(Name=f"tencent-chat/{app}/{kind}",
                                       Tags=[{"Key": "tim:sdkappid", "Value": app}])["ARN"]
                for kind in ("key", "usersig")}
        parameters = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
        values = {**parameters, "AWS::Region": "us-east-1", f"KeySecret{app}": arns["key"],
                  f"UserSigSecret{app}": arns["usersig"], "AppId": app}
        stack = next(line.split("=", 1)[1] for line in blocks[0] if line.startswith("export STACK="))
        session.client("cloudformation", endpoint_url=endpoint).create_stack(
            StackName=stack,
            TemplateBody=json.dumps({
                "Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {o["OutputKey"]: {"Value": o["OutputValue"]} for o in stack_outputs(template, app, values)},
            }))
        script = ["set -euo pipefail"]
        for line in (line for block in blocks for line in block):
            if line.startswith("export AWS_REGION="):
                line = "export AWS_REGION=us-east-1"
            if not NOT_RUN.search(line):
                script.append(f"echo {shlex.quote('+ ' + line)}")
                script.append(line)
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write("\n".join(script) + "\n")
        run = subprocess.run(["bash", f.name], input=DEMO_KEY + "\n", capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=300)
        os.unlink(f.name)
        if os.environ.get("README_COMMANDS_VERBOSE"):
            print(run.stdout, run.stderr)
        c.check(run.returncode == 0,
                f"README commands failed against moto (exit {run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
        c.check("SetKeyCommand" + app in run.stdout, "the outputs table lists the app's SetKeyCommand")
        missing = subprocess.run(["bash", "-c", script_head(blocks) + "\nstack_output NoSuchOutput"], capture_output=True,
                                 text=True, env=env, cwd=ROOT, timeout=60)
        c.check(missing.returncode != 0 and "no output NoSuchOutput" in missing.stderr,
                "stack_output fails loudly on an output the stack does not have")
        stored = sm.describe_secret(SecretId=arns["key"]).get("VersionIdsToStages", {})
        if c.check(len(stored) == 1, f"SetKeyCommand{app} stored one key version, not {stored}"):
            document = json.loads(sm.get_secret_value(SecretId=arns["key"])["SecretString"])
            c.equal(sorted(document), sorted(FACTS["key_secret_fields"]), "the stored key secret's fields")
            c.equal((document.get("sdkappid"), document.get("key")), (int(app), DEMO_KEY),
                    "the stored key secret names the app and the key typed")
            c.check(DEMO_KEY not in run.stdout + run.stderr, "SetKeyCommand echoes the key")
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    c = Checks()
    template = yaml_parse(TEMPLATE.read_text())
    section = deploy_section(README.read_text())
    blocks = shell_blocks(section)
    check_static(c, section, blocks, template)
    if not AWS_CLI.is_file():
        c.failures.append(f"{AWS_CLI} missing: run devtools/setup.sh")
    elif blocks:
        run_against_moto(c, blocks, template)
    for failure in c.failures:
        print(f"FAIL {failure}")
    print(f"readme: {c.passed} passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
